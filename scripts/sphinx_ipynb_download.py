"""Sphinx extension: offer each chapter as an executed notebook (``.ipynb``) in the download menu.

The chapters are MyST Markdown notebooks. sphinx-book-theme's download menu lists an ``.ipynb``
only for pages whose source is an ``.ipynb``, or for Markdown notebooks when a launch service
(Binder, JupyterHub, Colab, thebe) is configured, which this book leaves off so that it works
offline. This extension adds the entry without a launch service: for every page that is a notebook
it writes ``_build/html/_sources/<page>.ipynb`` and tells the theme, which then lists ``.ipynb``
beside ``.md`` and ``.pdf``.

The notebook comes with its outputs. MyST-NB writes the parsed notebook to
``_build/jupyter_execute/<page>.ipynb``, but when the outputs come from the execution cache that
file has none (myst-nb 1.4 writes the notebook it read, not the one it merged with the cache), so
the outputs are merged in here from the same cache, as MyST-NB does to render the page.

Enabled in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def executed_notebook(app: Sphinx, pagename: str) -> nbformat.NotebookNode | None:
    """The notebook of ``pagename`` with its outputs, or None if MyST-NB wrote none."""
    path = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not path.is_file():
        return None
    notebook = nbformat.read(path, as_version=4)
    if app.config.nb_execution_mode in ("cache", "auto", "force"):
        from jupyter_cache import get_cache

        cache_path = app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
        try:
            _, notebook = get_cache(str(cache_path)).merge_match_into_notebook(notebook)
        except KeyError:
            pass  # executed without the cache ("force", "auto"): the file already has its outputs
    return notebook


def add_ipynb_source(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    """Write the executed notebook of ``pagename`` into ``_sources`` and name it in ``context``.

    Runs on ``html-page-context`` before sphinx-book-theme builds its header buttons (priority
    501), so the theme sees ``context["ipynb_source"]``.
    """
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return  # not a notebook: genindex, search, the glossary, ...
    notebook = executed_notebook(app, pagename)
    if notebook is None:
        logger.warning(f"{pagename}: no executed notebook to offer for download", type="ipynb_download")
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", add_ipynb_source, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
