"""The book's execution cache is cleared exactly when the watched files change."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("guard", ROOT / "scripts" / "book_cache_guard.py")
guard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(guard)


def test_cache_survives_text_edits_and_is_cleared_on_library_change(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "mod.py").write_text("x = 1\n")
    monkeypatch.setattr(guard, "ROOT", tmp_path)
    monkeypatch.setattr(guard, "WATCHED", [lib])
    build = tmp_path / "_build"
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
