"""The built book, opened page by page in headless Chromium, as a reader would see it.

The book is built with the command of ``make book`` (cheap when its execution cache is warm), served
from 127.0.0.1 by a thread of this process, and every HTML page of ``_build/html`` is loaded once in
Debian's ``chromium`` driven by Playwright. The browser may reach only that server: any request to
another host is recorded and aborted, so a CDN script, font or tracker fails the offline test. Each
visit records what the checks below need, and each test reports every page it fails on.

Full-page screenshots of a few pages are written to ``artifacts/book/``.

Environment variables: ``BOOK_TEST_NO_BUILD=1`` checks the ``_build/html`` already there instead of
building first; ``CHROMIUM=/path/to/chromium`` picks the browser.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest
import snowballstemmer
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts" / "book"
SCREENSHOTS = ["book/intro.html", "book/03-bptt.html", "book/notation.html", "book/glossary.html"]

# Run in the page once it has loaded: waits for MathJax, then collects what the checks need.
SURVEY_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const article = document.querySelector('article') || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, .cell_output, mjx-container, .math')
       .forEach(e => e.remove());
  const codeInputs = [...document.querySelectorAll('.cell_input div.highlight')];
  return {
    title: document.title,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
         .concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
    links: [...document.querySelectorAll('a[href]')].map(e => e.href),
    sidebar: [...document.querySelectorAll('nav.bd-docs-nav a.reference')].map(e => e.href),
    mathTotal: document.querySelectorAll('span.math, div.math').length,
    mathRaw: [...document.querySelectorAll('span.math, div.math')]
             .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll('mjx-merror, mjx-container [data-mjx-error]')]
                .map(e => e.textContent.slice(0, 80)),
    prose: prose.innerText,
    images: [...document.querySelectorAll('img')].map(e => ({
      src: e.currentSrc || e.src, alt: e.getAttribute('alt'),
      loaded: e.complete && e.naturalWidth > 0})),
    cells: [...document.querySelectorAll('div.cell')].map(c => ({
      hasInput: !!c.querySelector('.cell_input'),
      hasOutput: !!c.querySelector('.cell_output'),
      outputText: [...c.querySelectorAll('.cell_output')].map(o => o.innerText).join('\\n'),
      tracebacks: c.querySelectorAll('.cell_output .traceback, .cell_output .output.error').length})),
    codeBlocks: codeInputs.length,
    copyButtons: codeInputs.filter(d => d.querySelector('button.copybtn')).length,
    glossary: [...document.querySelectorAll('dl.glossary > dd')].map(dd => {
      const ids = []; let dt = dd.previousElementSibling;
      while (dt && dt.tagName === 'DT') { ids.push(dt.id); dt = dt.previousElementSibling; }
      return ids; }),
    ipynb: [...document.querySelectorAll('.dropdown-download-buttons a')]
           .filter(a => a.textContent.trim() === '.ipynb').map(a => a.href),
  };
}
"""

RAW_MATH = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*[\\_^][^$\n]*\$")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+Error: ", re.MULTILINE)


@dataclass
class Visit:
    """What one page showed the browser."""

    page: str  # path relative to _build/html, e.g. "book/03-bptt.html"
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    survey: dict = field(default_factory=dict)


@dataclass
class Book:
    base: str  # http://127.0.0.1:PORT/
    visits: dict[str, Visit]
    search: dict[str, tuple[str, list[str]]]  # chapter page -> (word searched for, pages found)
    copied: tuple[str, str] | None  # (text of the first code cell of a chapter, what the copy button copied)
    notebooks: dict[str, str]  # chapter page -> problem with its downloaded notebook, "" if none

    def local_path(self, url: str) -> str | None:
        """The page path under _build/html that ``url`` points to, or None for another host."""
        if not url.startswith(self.base):
            return None
        path = unquote(urlsplit(url).path).lstrip("/")
        return path + "index.html" if path == "" or path.endswith("/") else path


def toc_pages() -> list[str]:
    """The pages of _toc.yml in reading order, as paths of _build/html."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    return [f"{f.removesuffix('.md')}.html" for f in files]


def chapter_pages() -> list[str]:
    """The pages whose source is a notebook: MyST Markdown with a kernelspec in its front matter."""
    out = []
    for page in toc_pages():
        text = (ROOT / page.replace(".html", ".md")).read_text()
        front_matter = text.split("---")[1] if text.startswith("---") else ""
        if "kernelspec:" in front_matter:
            out.append(page)
    return out


def build_book() -> None:
    if os.environ.get("BOOK_TEST_NO_BUILD"):
        assert (HTML / "index.html").is_file(), "BOOK_TEST_NO_BUILD is set but there is no _build/html"
        return
    result = subprocess.run(["make", "--no-print-directory", "book"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"make book failed ({result.returncode}):\n{(result.stdout + result.stderr)[-6000:]}")


def find_chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "no chromium: `make browser` installs Debian's chromium and chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the base class prints every request to stderr
        pass


def serve(directory: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def unique_word(page: str, prose: dict[str, str]) -> str:
    """A word of the page's text (6+ letters) whose stem no other page uses, the most frequent such.

    Sphinx's search matches stems (Porter's stemmer, as below), so the word must be unique as a stem.
    """
    stem = snowballstemmer.stemmer("porter").stemWord

    def stems(text: str) -> Counter:
        return Counter(stem(w.lower()) for w in re.findall(r"\b[A-Za-z]{6,}\b", text))

    others = set().union(*(stems(t) for p, t in prose.items() if p != page))
    words = Counter(w.lower() for w in re.findall(r"\b[A-Za-z]{6,}\b", prose[page]))
    candidates = [(-n, w) for w, n in words.items() if stem(w) not in others]
    assert candidates, f"{page}: no word of its own to search for"
    return min(candidates)[1]


class Browser:
    """One Chromium page that may reach only ``base``; events are charged to the current visit."""

    def __init__(self, pw, chromium: str, base: str) -> None:
        self.base = base
        self.visit = Visit("(none)")
        self.browser = pw.chromium.launch(
            executable_path=chromium,
            # --no-sandbox: CI runs as root. The resolver rule makes every host name but the local
            # server's unresolvable, a second guard behind the request filter below.
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.visit.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.visit.console_errors.append(f"uncaught: {e}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def _route(self, route, request) -> None:
        if request.url.startswith((self.base, "data:", "blob:")):
            route.continue_()
        else:
            self.visit.outside_requests.append(request.url)
            route.abort()

    def _response(self, response) -> None:
        if response.status >= 400:
            self.visit.failed_requests.append(f"{response.status} {response.url}")

    def _failed(self, request) -> None:
        if request.url.startswith(self.base):
            self.visit.failed_requests.append(f"{request.failure} {request.url}")

    def open(self, rel: str) -> Visit:
        """Load ``rel`` (a path under _build/html), wait for MathJax and survey the page."""
        self.visit = Visit(rel)
        self.page.goto(self.base + rel, wait_until="load")
        if rel == "index.html":  # a redirect to the landing page
            self.page.wait_for_url(re.compile(r".*/book/intro\.html$"), timeout=10_000)
            self.page.wait_for_load_state("load")
        self.visit.survey = self.page.evaluate(SURVEY_JS)
        if rel in SCREENSHOTS:
            self.page.screenshot(path=ARTIFACTS / rel.replace("/", "_").replace(".html", ".png"), full_page=True)
        return self.visit

    def search(self, words: dict[str, str]) -> tuple[Visit, dict[str, tuple[str, list[str]]]]:
        """Search for each page's word; return the visit and, per page, (word, pages found)."""
        self.visit = Visit("search.html?q=...")
        results = {}
        for page, word in words.items():
            self.page.goto(f"{self.base}search.html?q={word}", wait_until="load")
            self.page.wait_for_selector("#search-results .search-summary", timeout=30_000)
            self.page.wait_for_load_state("networkidle")  # the results' summaries are fetched after
            found = self.page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
            results[page] = (word, sorted({urlsplit(u).path.lstrip("/") for u in found}))
        self.page.screenshot(path=ARTIFACTS / "search.png", full_page=True)
        return self.visit, results

    def copy_first_cell(self, rel: str) -> tuple[str, str]:
        """Click the copy button of the first code cell of ``rel``: (the cell's code, the clipboard)."""
        self.page.goto(self.base + rel, wait_until="load")
        cell = self.page.locator(".cell_input div.highlight").first
        cell.hover()
        cell.locator("button.copybtn").click()
        return cell.locator("pre").inner_text(), self.page.evaluate("navigator.clipboard.readText()")

    def notebook_problem(self, chapter: str, links: list[str]) -> str:
        """What is wrong with the .ipynb that ``chapter`` offers for download ("" if nothing)."""
        if len(links) != 1:
            return f"{len(links)} .ipynb links in the download menu"
        response = self.context.request.get(links[0])
        try:
            notebook = nbformat.reads(response.text(), as_version=4)
            nbformat.validate(notebook)
        except Exception as error:  # any failure to parse is the finding
            return f"{links[0]}: HTTP {response.status}, not a valid notebook: {error}"
        source_cells = (ROOT / chapter.replace(".html", ".md")).read_text().count("```{code-cell}")
        code = [c for c in notebook.cells if c.cell_type == "code"]
        if len(code) != source_cells:
            return f"{len(code)} code cells, the source has {source_cells}"
        if not any(c.outputs for c in code):
            return "no outputs in the notebook"
        return ""


def write_report(book: Book) -> None:
    summary = {
        "pages": {p: {k: x for k, x in vars(v).items() if k != "survey"} for p, v in book.visits.items()},
        "math_expressions": {p: v.survey["mathTotal"] for p, v in book.visits.items() if v.survey},
        "search": book.search,
        "notebook_problems": book.notebooks,
    }
    (ARTIFACTS / "report.json").write_text(json.dumps(summary, indent=1))


@pytest.fixture(scope="module")
def book() -> Book:
    """Build, serve and visit the book once; the tests below check what the visits recorded."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements/lock.txt")
    chromium = find_chromium()
    build_book()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = sorted(str(p.relative_to(HTML)) for p in HTML.glob("**/*.html"))
    pages = [p for p in pages if not p.startswith(("_static/", "_sources/", "_images/"))]
    server = serve(HTML)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with playwright.sync_playwright() as pw:
            browser = Browser(pw, chromium, base)
            book_ = Book(
                base=base, visits={rel: browser.open(rel) for rel in pages}, search={}, copied=None, notebooks={}
            )
            prose = {p: v.survey["prose"] for p, v in book_.visits.items() if p in toc_pages()}
            visit, book_.search = browser.search({c: unique_word(c, prose) for c in chapter_pages()})
            book_.visits[visit.page] = visit
            book_.copied = browser.copy_first_cell(chapter_pages()[2])
            book_.notebooks = {c: browser.notebook_problem(c, book_.visits[c].survey["ipynb"]) for c in chapter_pages()}
            browser.browser.close()
    finally:
        server.shutdown()
    write_report(book_)
    return book_


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {p}" for page, ps in problems.items() for p in ps)


def test_every_page_loads_without_console_errors(book: Book):
    problems = {p: v.console_errors + v.failed_requests for p, v in book.visits.items()}
    problems = {p: ps for p, ps in problems.items() if ps}
    assert not problems, "console errors or failed requests:\n" + report(problems)


def test_nothing_is_fetched_from_another_host(book: Book):
    """The book works offline: MathJax, fonts and scripts all come from the built site."""
    problems = {p: v.outside_requests for p, v in book.visits.items() if v.outside_requests}
    assert not problems, "requests to hosts other than the local server (a CDN?):\n" + report(problems)


def test_every_math_expression_is_typeset(book: Book):
    problems = {}
    for p, v in book.visits.items():
        s = v.survey
        if not s:
            continue
        found = [f"not typeset: {m!r}" for m in s["mathRaw"]] + [f"MathJax error: {m!r}" for m in s["mathErrors"]]
        found += [f"raw TeX in the text: {m.group()!r}" for m in RAW_MATH.finditer(s["prose"])]
        if found:
            problems[p] = found
    assert not problems, report(problems)
    math_pages = [p for p, v in book.visits.items() if v.survey and v.survey["mathTotal"]]
    assert "book/03-bptt.html" in math_pages, "no typeset math found on the BPTT chapter"


def test_every_image_loads_and_has_alt_text(book: Book):
    problems = {}
    for p, v in book.visits.items():
        for img in v.survey.get("images", []):
            alt = (img["alt"] or "").strip()
            if not img["loaded"]:
                problems.setdefault(p, []).append(f"did not load: {img['src']}")
            if not alt or re.search(r"\.(png|jpe?g|svg|gif)$", alt) or alt.startswith(("_images/", "../_images/")):
                problems.setdefault(p, []).append(f"no alt text (alt={img['alt']!r}): {img['src']}")
    assert not problems, report(problems)


def test_every_internal_link_and_cross_reference_resolves(book: Book):
    ids = {p: set(v.survey["ids"]) for p, v in book.visits.items() if v.survey}
    problems = {}
    for p, v in book.visits.items():
        for url in v.survey.get("links", []):
            target = book.local_path(url)
            if target is None:
                continue  # an external reference (DOI, arXiv): not fetched, the test is offline
            fragment = unquote(urlsplit(url).fragment)
            if not (HTML / target).is_file():
                problems.setdefault(p, []).append(f"missing page: {url}")
            elif fragment and target.endswith(".html") and fragment not in ids.get(target, set()):
                problems.setdefault(p, []).append(f"missing anchor #{fragment} in {target}")
    assert not problems, report(problems)


def test_sidebar_lists_every_chapter_in_order(book: Book):
    expected = toc_pages()
    problems = {}
    for p, v in book.visits.items():
        if not v.survey or "?" in p:
            continue
        shown = [book.local_path(urljoin(book.base + p, u)) for u in v.survey["sidebar"]]
        if shown != expected:
            problems[p] = [f"sidebar {shown} != _toc.yml {expected}"]
    assert not problems, report(problems)
    assert len(expected) == len(set(expected))


def test_code_cells_show_outputs_and_no_tracebacks(book: Book):
    problems = {}
    for chapter in chapter_pages():
        cells = book.visits[chapter].survey["cells"]
        notebook = nbformat.read(HTML / "_sources" / chapter.replace(".html", ".ipynb"), as_version=4)
        with_outputs = sum(
            1
            for c in notebook.cells
            if c.cell_type == "code"
            and c.outputs
            and not {"remove-output", "remove-cell"} & set(c.metadata.get("tags", []))
        )
        shown = sum(c["hasOutput"] for c in cells)
        found = []
        if shown != with_outputs:
            found.append(f"{shown} cells show output, {with_outputs} cells of the executed notebook have some")
        for i, c in enumerate(cells):
            if c["tracebacks"] or TRACEBACK.search(c["outputText"]):
                found.append(f"cell {i} shows a traceback: {c['outputText'][:200]!r}")
        if found:
            problems[chapter] = found
    assert not problems, report(problems)


def test_code_cells_have_a_copy_button_that_copies_the_code(book: Book):
    problems = {}
    for chapter in chapter_pages():
        s = book.visits[chapter].survey
        if s["codeBlocks"] == 0 or s["copyButtons"] != s["codeBlocks"]:
            problems[chapter] = [f"{s['copyButtons']} copy buttons for {s['codeBlocks']} code cells"]
    assert not problems, report(problems)
    code, copied = book.copied
    assert copied.strip() == code.strip(), f"the copy button copied {copied[:200]!r}, the cell is {code[:200]!r}"


def test_each_chapter_offers_its_executed_notebook_for_download(book: Book):
    problems = {p: [msg] for p, msg in book.notebooks.items() if msg}
    assert not problems, report(problems)
    assert set(book.notebooks) == set(chapter_pages())


def test_search_finds_each_chapter_by_a_word_from_its_text(book: Book):
    problems = {
        chapter: [f"searching for {word!r} found {found}"]
        for chapter, (word, found) in book.search.items()
        if chapter not in found
    }
    assert not problems, report(problems)
    assert set(book.search) == set(chapter_pages())


def test_every_glossary_term_is_linked_from_a_chapter(book: Book):
    entries = book.visits["book/glossary.html"].survey["glossary"]
    assert len(entries) >= 20, f"only {len(entries)} glossary entries"
    linked = {
        urlsplit(url).fragment
        for chapter in chapter_pages()
        for url in book.visits[chapter].survey["links"]
        if book.local_path(url) == "book/glossary.html"
    }
    unlinked = [ids for ids in entries if not linked & set(ids)]
    assert not unlinked, f"glossary entries that no chapter links to: {unlinked}"
