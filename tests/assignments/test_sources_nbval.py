"""Every instructor notebook in ``assignments/source`` runs green with its solutions (nbval).

Each notebook is run twice through ``pytest --nbval-lax`` in a subprocess: once as an instructor
runs it, and once with ``NBGRADER_EXECUTION=autograde`` set, as nbgrader does while grading, so that
the smaller training configuration the notebooks pick under grading is also checked to pass its tests.
``--nbval-lax`` only fails on errors (outputs are not compared: the notebooks are committed without them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "assignments" / "source").glob("*/*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["instructor", "autograde"])
@pytest.mark.parametrize("notebook", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_source_notebook_runs_green(notebook: Path, mode: str) -> None:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("NBGRADER_EXECUTION", None)
    if mode == "autograde":
        env["NBGRADER_EXECUTION"] = "autograde"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(notebook.relative_to(REPO))],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"{notebook.name} ({mode}) failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
