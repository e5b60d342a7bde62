"""Clear the book's execution cache when what the chapters import has changed.

jupyter-book caches each chapter's outputs keyed by the chapter's own code cells, so editing the
text of a chapter re-executes nothing. But a change in ``course_lib`` (or in the pinned packages)
changes what the same cells print, and the cache cannot see it. This script hashes the package's
source and data files and the lock file; when the hash differs from the one stored beside the
cache, it deletes the cache so that every chapter runs again. It also deletes Sphinx's pickled
environment (``.doctrees``): it holds every page as last rendered, outputs included, and Sphinx
re-reads (so re-executes) only the pages whose source changed, so with the cache gone but the
environment kept, nothing would run and the old outputs would stay in the HTML.

Usage: python scripts/book_cache_guard.py [BUILD_DIR]   (default: _build)
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WATCHED = [ROOT / "course_lib", ROOT / "requirements" / "lock.txt", ROOT / "book" / "_diagrams.py"]


def fingerprint() -> str:
    """sha256 over the relative path and bytes of every watched file, in a fixed order."""
    digest = hashlib.sha256()
    files = []
    for path in WATCHED:
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if "__pycache__" in p.parts or p.suffix == ".pyc" or not p.exists():
            continue
        digest.update(str(p.relative_to(ROOT)).encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()


def main(build: Path) -> None:
    stale = [build / ".jupyter_cache", build / ".doctrees"]
    stamp = build / ".course_lib.sha256"
    now = fingerprint()
    before = stamp.read_text().strip() if stamp.exists() else None
    if before != now:
        cleared = [path for path in stale if path.exists()]
        for path in cleared:
            shutil.rmtree(path)
        if cleared:
            names = " and ".join(str(path) for path in cleared)
            print(f"course_lib or the lock file changed: cleared {names}; every chapter will run")
        build.mkdir(parents=True, exist_ok=True)
        stamp.write_text(now + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build")
