"""The book's execution cache is cleared exactly when the watched files change."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("guard", ROOT / "scripts" / "book_cache_guard.py")
guard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(guard)


@pytest.fixture
def watched(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A watched library folder with one module, and a build folder, both in tmp_path."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "mod.py").write_text("x = 1\n")
    monkeypatch.setattr(guard, "ROOT", tmp_path)
    monkeypatch.setattr(guard, "WATCHED", [lib])
    return lib, tmp_path / "_build"


def test_cache_survives_text_edits_and_is_cleared_on_library_change(watched):
    lib, build = watched
    guard.main(build)  # first build: records the fingerprint
    cache = build / ".jupyter_cache"
    cache.mkdir()
    (cache / "entry").write_text("cached outputs")
    guard.main(build)  # nothing changed: the cache stays
    assert (cache / "entry").exists()
    (lib / "mod.py").write_text("x = 2\n")
    guard.main(build)  # the library changed: the cache goes
    assert not cache.exists()
    assert (build / ".course_lib.sha256").read_text().strip() == guard.fingerprint()


# A change in course_lib must re-execute the chapters, not only empty the execution cache. Sphinx's
# pickled environment (_build/.doctrees) keeps every page as last rendered, outputs included, and an
# incremental build re-reads only the pages whose source changed. So the guard has to drop the
# environment with the cache; otherwise the next build re-executes nothing and serves the old
# outputs (measured: a 2-second build after a library change, with every output stale).
def test_library_change_clears_the_cache_and_the_sphinx_environment(watched):
    lib, build = watched
    guard.main(build)
    for kept in (".jupyter_cache", ".doctrees", "html"):
        (build / kept).mkdir()
        (build / kept / "entry").write_text("from the last build")
    guard.main(build)  # nothing changed: everything stays
    assert all((build / d / "entry").exists() for d in (".jupyter_cache", ".doctrees", "html"))
    (lib / "mod.py").write_text("x = 2\n")
    guard.main(build)  # the library changed: cached outputs and rendered pages go, the HTML stays
    assert not (build / ".jupyter_cache").exists()
    assert not (build / ".doctrees").exists()
    assert (build / "html" / "entry").exists()
