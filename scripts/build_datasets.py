"""Rebuild every data file of ``course_lib/data/files`` and its ``MANIFEST.json``.

This is the maintainer's script, not something a student runs: the built files are committed, and
``course_lib.data.datasets.load`` reads them with NumPy alone. Building needs a few extra tools,
pinned in ``requirements/data-build.txt``, and one Debian package for the Bible text:

    apt-get install bible-kjv                      # the reader `bible` and its data, bible-kjv-text
    python3.11 -m venv /tmp/databuild-venv
    /tmp/databuild-venv/bin/pip install -r requirements/data-build.txt
    /tmp/databuild-venv/bin/python scripts/build_datasets.py          # rewrite files + manifest
    /tmp/databuild-venv/bin/python scripts/build_datasets.py --check  # compare, write nothing

Every random choice comes from a generator seeded with a constant below, every gzip file is written
with ``mtime=0`` and no file name in its header, and every table is written in a fixed order, so two
runs with the same pinned versions give the same bytes. The manifest also records the sha256 of the
*uncompressed* content, which stays the same even where a different zlib compresses differently.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "course_lib" / "data" / "files"
BUILD_COMMAND = "python scripts/build_datasets.py  (see course_lib/data/README.md)"

SEED_NAMES = 20240501
SEED_SENTIMENT = 20240502
SEED_TAGGING = 20240503
SEED_DATES = 20240504

Built = tuple[str, str, dict]  # (file name, text content, manifest entry without "files")


# --- writing ---------------------------------------------------------------------------------


def gzip_bytes(text: str) -> bytes:
    """Compress ``text`` (UTF-8) reproducibly: level 9, mtime 0, no file name in the header."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def tsv(rows: list[tuple[str, ...]]) -> str:
    """Rows as tab-separated lines; refuses a field that holds a tab or a newline."""
    for row in rows:
        for field in row:
            if "\t" in field or "\n" in field or field != field.strip() or not field:
                raise ValueError(f"field {field!r} of row {row!r} cannot be written to a TSV file")
    return "".join("\t".join(row) + "\n" for row in rows)


def check_split_sizes(name: str, counts: Counter, expected: dict[str, int]) -> None:
    if dict(counts) != expected:
        raise RuntimeError(f"{name}: split sizes {dict(counts)} differ from the planned {expected}")


# --- kjv: the King James Bible, Genesis to 2 Samuel --------------------------------------------

KJV_BOOKS = {  # abbreviation printed by `bible -f` -> book name; the contiguous stretch we keep
    "Ge": "Genesis", "Exo": "Exodus", "Lev": "Leviticus", "Num": "Numbers", "Deu": "Deuteronomy",
    "Josh": "Joshua", "Jdgs": "Judges", "Ruth": "Ruth", "1Sm": "1 Samuel", "2Sm": "2 Samuel",
}
KJV_RANGE = "Gen1:1-2Sam24:25"


def build_kjv() -> Built:
    """Dump the verses with the `bible` reader and keep plain text: one verse per line, a blank
    line between chapters, no book names and no verse numbers."""
    raw = subprocess.run(
        ["bible", "-f", KJV_RANGE], check=True, capture_output=True, text=True, encoding="ascii"
    ).stdout
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "bible-kjv-text"], check=True, capture_output=True, text=True
    ).stdout.strip()
    lines, previous_chapter, books = [], None, []
    for line in raw.splitlines():
        m = re.fullmatch(r"(\d?[A-Za-z]+)(\d+):(\d+) (.+)", line)
        if m is None:
            raise RuntimeError(f"unexpected line from `bible -f`: {line!r}")
        book, chapter, verse = m.group(1), m.group(2), m.group(4).strip()
        if book not in KJV_BOOKS:
            raise RuntimeError(f"book {book!r} is outside the planned stretch {list(KJV_BOOKS)}")
        if books[-1:] != [KJV_BOOKS[book]]:
            books.append(KJV_BOOKS[book])
        if previous_chapter is not None and (book, chapter) != previous_chapter:
            lines.append("")
        previous_chapter = (book, chapter)
        lines.append(re.sub(r"\s+", " ", verse))
    if books != list(KJV_BOOKS.values()):
        raise RuntimeError(f"expected the books {list(KJV_BOOKS.values())}, got {books}")
    text = "\n".join(lines) + "\n"
    entry = {
        "description": (
            "The King James Version of the Bible (1611), Genesis to 2 Samuel: the first ten books, "
            "a contiguous stretch of about 1.26 million characters of English prose. Plain text, one "
            "verse per line, a blank line between chapters; book names and chapter and verse "
            "numbers are removed, spelling and punctuation are kept. Splits are by position: the "
            "first 90% is train, the next 5% validation, the last 5% test, each cut moved to the "
            "next line break."
        ),
        "source": f"Debian package bible-kjv-text {version} (Chip Chapin's Bible Retrieval System), "
        f"dumped with `bible -f {KJV_RANGE}`",
        "licence": "Public domain (the translation of 1611; in the United Kingdom the Crown's letters "
        "patent still govern printing)",
        "citation": "",
        "books": books,
    }
    return "kjv.txt.gz", text, entry


# --- names: surnames by language, from faker's name lists --------------------------------------

NAME_LOCALES = {  # faker locale -> language label
    "cs_CZ": "Czech", "de_DE": "German", "en_US": "English", "es_ES": "Spanish", "fi_FI": "Finnish",
    "fr_FR": "French", "it_IT": "Italian", "nl_NL": "Dutch", "pl_PL": "Polish", "sv_SE": "Swedish",
}
NAMES_PER_LANGUAGE_MAX = 1000


def faker_surnames(locale: str) -> list[str]:
    """Every surname that faker's person provider for ``locale`` lists (sorted, without repeats)."""
    module = __import__(f"faker.providers.person.{locale}", fromlist=["Provider"])
    provider = module.Provider
    names: set[str] = set()
    for attr in ("last_names", "last_names_male", "last_names_female", "male_last_names", "unisex_last_names"):
        names.update(str(n).strip() for n in getattr(provider, attr, ()))  # OrderedDict: its keys
    return sorted(n for n in names if len(n) > 1 and all(ch.isalpha() or ch in " '-" for ch in n))


def build_names() -> Built:
    """Surnames of ten languages; a name listed by two languages is dropped, each language is cut
    to at most 1000 names, and each language is split 80/10/10 on its own (stratified)."""
    import faker

    rng = np.random.default_rng(SEED_NAMES)
    by_lang = {lang: faker_surnames(loc) for loc, lang in NAME_LOCALES.items()}
    seen: Counter = Counter()
    for names in by_lang.values():
        seen.update({n.casefold() for n in names})
    rows, counts, dropped = [], {}, 0
    for lang in sorted(by_lang):
        unique = [n for n in by_lang[lang] if seen[n.casefold()] == 1]
        dropped += len(by_lang[lang]) - len(unique)
        order = rng.permutation(len(unique))[:NAMES_PER_LANGUAGE_MAX]
        chosen = [unique[i] for i in order]
        n_val = n_test = round(0.1 * len(chosen))
        n_train = len(chosen) - n_val - n_test
        counts[lang] = len(chosen)
        for i, name in enumerate(chosen):
            split = "train" if i < n_train else "val" if i < n_train + n_val else "test"
            rows.append((split, name, lang))
    shuffled = []
    for split in ("train", "val", "test"):  # languages mixed within each split
        part = [r for r in rows if r[0] == split]
        shuffled += [part[i] for i in rng.permutation(len(part))]
    rows = shuffled
    entry = {
        "description": (
            f"Surnames labelled with their language, for many-to-one classification: {len(rows)} "
            f"names in {len(counts)} languages, taken from the per-locale name lists of the faker "
            f"package. Names spelled the same (ignoring case) in two languages are dropped "
            f"({dropped} entries), and each language is cut to at most {NAMES_PER_LANGUAGE_MAX} names "
            f"at random. Each language is split 80/10/10 on its own with a fixed seed. Languages and "
            f"counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + "."
        ),
        "source": f"faker {faker.VERSION}, faker/providers/person/<locale> for the locales "
        + ", ".join(f"{loc} ({lang})" for loc, lang in NAME_LOCALES.items()),
        "licence": "MIT (the faker package)",
        "citation": "",
        "locales": NAME_LOCALES,
    }
    return "names.tsv.gz", tsv([("split", "name", "language"), *rows]), entry


# --- co2: Mauna Loa, monthly ------------------------------------------------------------------


def build_co2() -> Built:
    """Average the weekly readings that statsmodels ships to months; fill empty months linearly."""
    import statsmodels

    spec = importlib.util.find_spec("statsmodels")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "datasets" / "co2" / "co2.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    weekly: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row["co2"].strip():
            weekly[f"{row['date'][:4]}-{row['date'][4:6]}"].append(float(row["co2"]))
    first, last = min(weekly), max(weekly)
    months, (y, m) = [], (int(first[:4]), int(first[5:]))
    while f"{y:04d}-{m:02d}" <= last:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    known = np.array([mo in weekly for mo in months])
    values = np.array([np.mean(weekly[mo]) if mo in weekly else np.nan for mo in months])
    idx = np.arange(len(months))
    values[~known] = np.interp(idx[~known], idx[known], values[known])
    missing = [mo for mo, k in zip(months, known, strict=True) if not k]
    lines = ["month,co2_ppm,interpolated"] + [
        f"{mo},{v:.4f},{int(not k)}" for mo, v, k in zip(months, values, known, strict=True)
    ]
    entry = {
        "description": (
            f"Atmospheric CO2 at Mauna Loa, Hawaii, in parts per million, monthly from {first} to "
            f"{last} ({len(months)} months): the mean of the weekly values statsmodels ships. "
            f"{len(missing)} months had no reading ({', '.join(missing)}) and are filled by linear "
            f"interpolation between their neighbours (flagged in extras['interpolated']). Splits "
            f"are by time: train to 1993-12, validation 1994-01 to 1997-12, test 1998-01 on."
        ),
        "source": f"statsmodels {statsmodels.__version__}, statsmodels/datasets/co2/co2.csv (weekly "
        f"averages of continuous measurements, March 1958 - December 2001)",
        "licence": "Public domain (as documented in statsmodels.datasets.co2)",
        "citation": "Keeling, C.D. and T.P. Whorf. 2004. Atmospheric CO2 concentrations derived from "
        "flask air samples at sites in the SIO network. In Trends: A Compendium of Data on Global "
        "Change. Carbon Dioxide Information Analysis Center, Oak Ridge National Laboratory, U.S. "
        "Department of Energy, Oak Ridge, Tennessee, U.S.A.",
        "interpolated_months": missing,
    }
    return "co2.csv.gz", "\n".join(lines) + "\n", entry


# --- sentiment: generated, word order decides ---------------------------------------------------

ASPECTS = (
    "the film", "the movie", "the plot", "the acting", "the script", "the music", "the ending",
    "the dialogue", "the cast", "the story", "the soundtrack", "the pacing", "the direction",
    "the camera work", "the humour", "the lead actor", "the final scene", "the first half",
    "the second half", "the sequel",
)
POSITIVE = (
    "good", "great", "excellent", "wonderful", "brilliant", "charming", "moving", "clever", "superb",
    "delightful", "gripping", "solid", "funny", "beautiful", "enjoyable",
)
NEGATIVE = (
    "bad", "terrible", "awful", "boring", "dull", "weak", "clumsy", "tedious", "poor", "bland",
    "messy", "forgettable", "predictable", "painful", "disappointing",
)
INTENSIFIERS = ("very", "really", "truly", "quite", "incredibly")
VERBS = ("was", "felt", "seemed")
POS, NEG = "positive", "negative"

Pair = list[tuple[str, str]]


class SentenceMaker:
    """Draws the pieces of a sentence; each ``group_*`` method returns sentences that share their
    words (the same multiset) but have opposite labels, except ``group_plain`` (one word apart)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def adjectives(self) -> tuple[str, str, str]:
        """A positive and a negative adjective (each maybe intensified), in random order, and the
        label of the first one."""
        words = []
        for pool in (POSITIVE, NEGATIVE):
            adj = self.pick(pool)
            words.append(f"{self.pick(INTENSIFIERS)} {adj}" if self.rng.random() < 0.25 else adj)
        if self.rng.random() < 0.5:
            return words[0], words[1], POS
        return words[1], words[0], NEG

    def two_aspects(self) -> tuple[str, str]:
        i, j = self.rng.choice(len(ASPECTS), size=2, replace=False)
        return ASPECTS[int(i)], ASPECTS[int(j)]

    def group_but(self) -> Pair:  # the clause after "but" decides; swap the adjectives
        (a, b), (x, y, lx) = self.two_aspects(), self.adjectives()
        v1, v2 = self.pick(VERBS), self.pick(VERBS)
        ly = NEG if lx == POS else POS
        return [(f"{a} {v1} {x} but {b} {v2} {y}", ly), (f"{a} {v1} {y} but {b} {v2} {x}", lx)]

    def group_although(self) -> Pair:  # where "although" stands decides which clause counts
        (a, b), (x, y, lx) = self.two_aspects(), self.adjectives()
        v1, v2 = self.pick(VERBS), self.pick(VERBS)
        ly = NEG if lx == POS else POS
        return [(f"although {a} {v1} {x} , {b} {v2} {y}", ly), (f"{a} {v1} {x} , although {b} {v2} {y}", lx)]

    def group_not_moves(self) -> Pair:  # "not" flips the clause it stands in; the other decides
        (a, b), (x, y, lx) = self.two_aspects(), self.adjectives()
        v1, v2 = self.pick(VERBS), self.pick(VERBS)
        ly = NEG if lx == POS else POS
        return [(f"{a} {v1} not {x} and {b} {v2} {y}", ly), (f"{a} {v1} {x} and {b} {v2} not {y}", lx)]

    def group_expected(self) -> Pair:  # what it turned out to be decides
        a, (x, y, lx) = self.pick(ASPECTS), self.adjectives()
        ly = NEG if lx == POS else POS
        return [(f"i expected {a} to be {x} but it was {y}", ly), (f"i expected {a} to be {y} but it was {x}", lx)]

    def group_rather(self) -> Pair:  # the word before "rather than" decides
        a, (x, y, lx) = self.pick(ASPECTS), self.adjectives()
        v = self.pick(VERBS)
        ly = NEG if lx == POS else POS
        return [(f"{a} {v} {x} rather than {y}", lx), (f"{a} {v} {y} rather than {x}", ly)]

    def group_not_it(self) -> Pair:  # "not X , it was Y": Y decides
        a, (x, y, lx) = self.pick(ASPECTS), self.adjectives()
        v = self.pick(VERBS)
        ly = NEG if lx == POS else POS
        return [(f"{a} {v} not {x} , it was {y}", ly), (f"{a} {v} not {y} , it was {x}", lx)]

    def group_think(self) -> Pair:  # "not" moves from the expectation to the outcome
        a, (x, _, lx) = self.pick(ASPECTS), self.adjectives()
        flipped = NEG if lx == POS else POS
        return [
            (f"i did not think {a} would be {x} , but it was", lx),
            (f"i did think {a} would be {x} , but it was not", flipped),
        ]

    def group_plain(self) -> Pair:  # one adjective, with and without negation (one word apart)
        a, (x, _, lx) = self.pick(ASPECTS), self.adjectives()
        flipped = NEG if lx == POS else POS
        if self.rng.random() < 0.5:
            v = self.pick(VERBS)
            return [(f"{a} {v} {x}", lx), (f"{a} {v} not {x}", flipped)]
        return [(f"i thought {a} was {x}", lx), (f"i did not think {a} was {x}", flipped)]


SENTIMENT_GROUPS: dict[str, float] = {  # kind of pair -> share of the pairs
    "but": 0.17, "although": 0.15, "not_moves": 0.15, "expected": 0.10, "rather": 0.10,
    "not_it": 0.10, "think": 0.10, "plain": 0.13,
}
SENTIMENT_SPLITS = {"train": 3000, "val": 500, "test": 500}  # pairs; twice as many sentences


def build_sentiment() -> Built:
    """Draw pairs of sentences until there are 4000 pairs whose sentences are all new; a pair never
    straddles two splits, so within each split both labels of a bag of words occur together."""
    rng = np.random.default_rng(SEED_SENTIMENT)
    maker = SentenceMaker(rng)
    kinds = list(SENTIMENT_GROUPS)
    probs = np.array(list(SENTIMENT_GROUPS.values()))
    probs /= probs.sum()
    n_pairs = sum(SENTIMENT_SPLITS.values())
    seen: set[str] = set()
    pairs: list[Pair] = []
    while len(pairs) < n_pairs:
        kind = kinds[int(rng.choice(len(kinds), p=probs))]
        pair = getattr(maker, f"group_{kind}")()
        if any(s in seen for s, _ in pair):
            continue
        seen.update(s for s, _ in pair)
        pairs.append(pair)
    rows: list[tuple[str, str, str]] = []
    start = 0
    for split, n in SENTIMENT_SPLITS.items():
        sentences = [(split, label, s) for pair in pairs[start : start + n] for s, label in pair]
        start += n
        rows += [sentences[i] for i in rng.permutation(len(sentences))]
    check_split_sizes("sentiment", Counter(r[0] for r in rows), {k: 2 * v for k, v in SENTIMENT_SPLITS.items()})
    entry = {
        "description": (
            "GENERATED, not real reviews: short film-review sentences made from a small grammar by "
            "scripts/build_datasets.py, labelled negative or positive. No real sentiment corpus with "
            "a clear licence can ship with the course, so this set is built to test one thing: "
            "whether a model reads word order. Sentences come in pairs with opposite labels; in about "
            "87% of the pairs both sentences use exactly the same words (swap the adjectives around "
            "'but' or 'rather than', move 'although' or 'not'), in the rest one sentence adds 'not'. "
            "A bag-of-words classifier therefore stays near chance. Both sentences of a pair are in "
            "the same split; no sentence appears twice."
        ),
        "source": "generated by scripts/build_datasets.py (course_lib)",
        "licence": "MIT (generated by the course's build script)",
        "citation": "",
        "pair_kinds": SENTIMENT_GROUPS,
    }
    header = [("split", "label", "sentence")]
    return "sentiment.tsv.gz", tsv(header + rows), entry


# --- tagging: generated sentences with BIO entity tags -----------------------------------------

TAG_TEMPLATES = (
    "{PER} works for {ORG} in {LOC} .",
    "{PER} was born in {LOC} on {DAY} .",
    "on {DAY} , {ORG} opened a new office in {LOC} .",
    "{ORG} has hired {PER} as its new director .",
    "{PER} and {PER} met in {LOC} last week .",
    "{PER} flew from {LOC} to {LOC} on {DAY} .",
    "the board of {ORG} met in {LOC} on {DAY} .",
    "{PER} left {ORG} in {MONTH} .",
    "according to {PER} , {ORG} will move to {LOC} .",
    "{LOC} welcomed {PER} , the founder of {ORG} .",
    "{ORG} signed a contract with {ORG} on {DAY} .",
    "{PER} visited {LOC} in {MONTH} .",
    "{PER} said that the weather in {LOC} was cold .",
    "a spokesperson for {ORG} declined to comment .",
    "{PER} , who lives in {LOC} , joined {ORG} on {DAY} .",
    "{PER} thanked {PER} for the help .",
    "the train from {LOC} to {LOC} was late again .",
    "the meeting with {ORG} is planned for {DAY} .",
    "shares of {ORG} rose after {PER} resigned .",
    "{PER} grew up in {LOC} and studied in {LOC} .",
    "{ORG} was founded in {LOC} in {MONTH} .",
    "nobody at {ORG} had heard of {PER} .",
    "{PER} will speak in {LOC} on {DAY} .",
    "we stayed in {LOC} for two weeks in {MONTH} .",
    "since {MONTH} , {PER} has lived in {LOC} .",
    "the new factory of {ORG} near {LOC} employs many people .",
    "{PER} wrote to {ORG} about the delay .",
    "{PER} moved to {LOC} .",
    "it rained in {LOC} all day .",
    "{ORG} and {ORG} agreed to merge on {DAY} .",
    "the contract ends on {DAY} .",
    "my friend {PER} sells cars for {ORG} .",
    "{PER} called from {LOC} yesterday .",
    "the report by {ORG} was published in {MONTH} .",
)
PERSON_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL")
COMPANY_LOCALES = ("en_US", "en_GB", "de_DE")
CITY_LOCALES = ("cs_CZ", "de_AT", "de_CH", "de_DE", "fi_FI", "nl_NL", "pl_PL", "sv_SE")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)
TAGGING_SPLITS = {"train": 4000, "val": 500, "test": 500}


def tokenize_entity(text: str) -> list[str]:
    """Split an entity on white space, with commas as tokens of their own."""
    return re.findall(r"[^\s,]+|,", text)


class EntityMaker:
    """Draws person, organisation, place and date strings with faker and a seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        from faker import Faker

        self.rng = rng
        self.people = [Faker(loc) for loc in PERSON_LOCALES]
        self.companies = [Faker(loc) for loc in COMPANY_LOCALES]
        for i, fake in enumerate(self.people + self.companies):
            fake.seed_instance(SEED_TAGGING + i)
        places: set[str] = set()
        for loc in CITY_LOCALES:
            module = __import__(f"faker.providers.address.{loc}", fromlist=["Provider"])
            places.update(c.strip() for c in module.Provider.cities if "(" not in c)
        module = __import__("faker.providers.address.en_US", fromlist=["Provider"])
        places.update(c for c in module.Provider.countries if "(" not in c and "," not in c)
        self.places = sorted(places)

    def PER(self) -> str:
        fake = self.people[int(self.rng.integers(len(self.people)))]
        r = self.rng.random()
        if r < 0.15:
            return fake.last_name()
        if r < 0.25:
            return f"{fake.first_name()} {fake.first_name()} {fake.last_name()}"
        return f"{fake.first_name()} {fake.last_name()}"

    def ORG(self) -> str:
        return self.companies[int(self.rng.integers(len(self.companies)))].company()

    def LOC(self) -> str:
        return self.places[int(self.rng.integers(len(self.places)))]

    def DAY(self) -> str:
        d = dt.date(1950, 1, 1) + dt.timedelta(days=int(self.rng.integers(36525)))
        month = MONTHS[d.month - 1]
        return f"{d.day} {month} {d.year}" if self.rng.random() < 0.7 else f"{month} {d.day}"

    def MONTH(self) -> str:
        year = int(self.rng.integers(1950, 2050))
        return f"{MONTHS[int(self.rng.integers(12))]} {year}" if self.rng.random() < 0.6 else str(year)


def tag_sentence(template: str, maker: EntityMaker) -> tuple[list[str], list[str]]:
    """Fill a template; every entity's tokens get B-X then I-X, every other token O."""
    tokens: list[str] = []
    tags: list[str] = []
    for piece in template.split():
        slot = re.fullmatch(r"\{(PER|ORG|LOC|DAY|MONTH)\}", piece)
        if slot is None:
            tokens.append(piece)
            tags.append("O")
            continue
        kind = slot.group(1)
        label = "DATE" if kind in ("DAY", "MONTH") else kind
        words = tokenize_entity(getattr(maker, kind)())
        tokens += words
        tags += [f"B-{label}"] + [f"I-{label}"] * (len(words) - 1)
    tokens[0] = tokens[0][0].upper() + tokens[0][1:]
    return tokens, tags


def build_tagging() -> Built:
    import faker

    rng = np.random.default_rng(SEED_TAGGING)
    maker = EntityMaker(rng)
    n_total = sum(TAGGING_SPLITS.values())
    seen: set[str] = set()
    sentences: list[tuple[list[str], list[str]]] = []
    while len(sentences) < n_total:
        template = TAG_TEMPLATES[int(rng.integers(len(TAG_TEMPLATES)))]
        tokens, tags = tag_sentence(template, maker)
        key = " ".join(tokens)
        if key not in seen:
            seen.add(key)
            sentences.append((tokens, tags))
    rows, start = [], 0
    for split, n in TAGGING_SPLITS.items():
        rows += [(split, " ".join(t), " ".join(g)) for t, g in sentences[start : start + n]]
        start += n
    tag_counts = Counter(g for _, tags in sentences for g in tags)
    entry = {
        "description": (
            "GENERATED: English sentences filled in from templates, with one tag per token in the "
            "BIO scheme (B-X begins an entity of type X, I-X continues it, O is outside any entity) "
            "for four types: PER (people), ORG (companies), LOC (cities and countries) and DATE. "
            "The entities come from faker: person names of several locales, company names, and the "
            "real city lists of faker's address providers plus its list of countries. "
            f"{len(TAG_TEMPLATES)} templates; tokens are separated by spaces, and the first word is "
            f"capitalised. No sentence appears twice. Tag counts: "
            + ", ".join(f"{k} {v}" for k, v in sorted(tag_counts.items()))
            + "."
        ),
        "source": f"generated by scripts/build_datasets.py with faker {faker.VERSION} (person, company "
        f"and address providers of the locales {', '.join(sorted(set(PERSON_LOCALES + CITY_LOCALES)))})",
        "licence": "MIT (generated by the course's build script; name lists from faker, MIT)",
        "citation": "",
    }
    header = [("split", "tokens", "tags")]
    return "tagging.tsv.gz", tsv(header + rows), entry


# --- dates: many written forms -> ISO 8601 -------------------------------------------------------

DATE_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR")
DATE_FORMATS = ("full", "long", "medium", "short")
DATE_SKIP = {("en_US", "short")}  # "3/4/58" is 4 March in es_ES: the source would be ambiguous
DATES_SPLITS = {"train": 20000, "val": 1000, "test": 1000}
DATE_FIRST, DATE_LAST = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def format_date(day: dt.date, fmt: str, locale: str) -> str:
    """Babel's rendering with every kind of white space turned into a plain space."""
    from babel.dates import format_date as babel_format_date

    return re.sub(r"\s+", " ", babel_format_date(day, fmt, locale=locale)).strip()


def check_dates_unambiguous(styles: list[tuple[str, str]]) -> int:
    """Render every day of the range in every style and make sure no text means two days
    (two-digit years are safe only because the range spans exactly one century)."""
    meaning: dict[str, dt.date] = {}
    for i in range((DATE_LAST - DATE_FIRST).days + 1):
        day = DATE_FIRST + dt.timedelta(days=i)
        for locale, fmt in styles:
            text = format_date(day, fmt, locale)
            if meaning.setdefault(text, day) != day:
                raise RuntimeError(f"{text!r} ({locale}, {fmt}) means both {meaning[text]} and {day}")
    return len(meaning)


def build_dates() -> Built:
    import babel

    styles = [(loc, fmt) for loc in DATE_LOCALES for fmt in DATE_FORMATS if (loc, fmt) not in DATE_SKIP]
    n_forms = check_dates_unambiguous(styles)
    rng = np.random.default_rng(SEED_DATES)
    n_days = (DATE_LAST - DATE_FIRST).days + 1
    n_total = sum(DATES_SPLITS.values())
    seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n_total:
        day = DATE_FIRST + dt.timedelta(days=int(rng.integers(n_days)))
        locale, fmt = styles[int(rng.integers(len(styles)))]
        source = format_date(day, fmt, locale)
        if source not in seen:
            seen.add(source)
            pairs.append((source, day.isoformat()))
    rows, start = [], 0
    for split, n in DATES_SPLITS.items():
        rows += [(split, s, t) for s, t in pairs[start : start + n]]
        start += n
    entry = {
        "description": (
            "GENERATED: a date written out in one of several languages and styles, paired with the "
            "same date in ISO 8601 form (YYYY-MM-DD). Days are drawn uniformly from 1950-01-01 to "
            "2049-12-31 with a fixed seed and written with Babel's format_date in the styles "
            "full, long, medium and short of the locales " + ", ".join(DATE_LOCALES) + " (all but "
            "en_US short, whose month/day order would clash with es_ES short). Two-digit years are "
            "unambiguous because the range is one century; the build checks that none of the "
            f"{n_forms} possible texts means two days. Non-breaking spaces are turned into plain "
            "spaces. No source text appears twice."
        ),
        "source": f"generated by scripts/build_datasets.py with Babel {babel.__version__} "
        "(locale data from the Unicode CLDR)",
        "licence": "MIT (generated by the course's build script; month and day names from the "
        "Unicode CLDR through Babel, BSD-3-Clause)",
        "citation": "",
        "locales": list(DATE_LOCALES),
        "formats": list(DATE_FORMATS),
    }
    header = [("split", "source", "target")]
    return "dates.tsv.gz", tsv(header + rows), entry


# --- main ---------------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], Built]] = {
    "co2": build_co2, "dates": build_dates, "kjv": build_kjv, "names": build_names,
    "sentiment": build_sentiment, "tagging": build_tagging,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild in memory and compare; write nothing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write (default: %(default)s)")
    args = parser.parse_args(argv)
    manifest: dict = {"format_version": 1, "build_command": BUILD_COMMAND, "datasets": {}}
    blobs: dict[str, bytes] = {}
    for name, builder in BUILDERS.items():
        filename, text, entry = builder()
        blob = gzip_bytes(text)
        content = text.encode("utf-8")
        entry["build_command"] = BUILD_COMMAND
        entry["files"] = {
            filename: {
                "sha256": hashlib.sha256(blob).hexdigest(),
                "size": len(blob),
                "content_sha256": hashlib.sha256(content).hexdigest(),
                "content_size": len(content),
            }
        }
        manifest["datasets"][name] = entry
        blobs[filename] = blob
        print(f"{name:10s} {filename:18s} {len(content):>9,d} bytes -> {len(blob):>9,d} gzipped")
    blobs["MANIFEST.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if args.check:
        differ = [f for f, b in blobs.items() if not (args.out / f).is_file() or (args.out / f).read_bytes() != b]
        for f in differ:
            print(f"differs from the committed file: {args.out / f}")
        print("all files identical" if not differ else f"{len(differ)} file(s) differ")
        return 1 if differ else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for f, b in blobs.items():
        (args.out / f).write_bytes(b)
    print(f"wrote {len(blobs)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
