"""Sphinx extension: rewrite every page when the sidebar changes, so no page shows a stale one.

Every HTML page carries the whole sidebar (the table of contents of ``_toc.yml`` with each
chapter's title). An incremental Sphinx build rewrites only the pages whose source changed, so
after adding a chapter to ``_toc.yml`` or renaming one, the other pages kept the old sidebar. This
extension fingerprints what the sidebar is made of (the bytes of ``_toc.yml`` and every page's
title) and, when the fingerprint differs from the last build's, asks Sphinx to write every page
again. Writing is cheap (seconds); nothing is re-read or re-executed.

Enabled in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

_ATTR = "course_nav_fingerprint"


def navigation_fingerprint(app: Sphinx, env: BuildEnvironment) -> str:
    """sha256 over the table of contents file and the title of every page, in a fixed order."""
    digest = hashlib.sha256()
    toc = getattr(app.config, "external_toc_path", None)
    if toc:
        path = Path(app.srcdir, toc)
        digest.update(path.read_bytes() if path.is_file() else b"")
    for docname in sorted(env.found_docs):
        title = env.titles.get(docname)
        digest.update(f"{docname}\0{title.astext() if title is not None else ''}\0".encode())
    return digest.hexdigest()


def pages_to_rewrite(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """On ``env-updated``: every page if the sidebar changed since the last build, else none."""
    now = navigation_fingerprint(app, env)
    if getattr(env, _ATTR, None) == now:
        return []
    setattr(env, _ATTR, now)  # pickled with the environment, read back by the next build
    return sorted(env.found_docs)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-updated", pages_to_rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
