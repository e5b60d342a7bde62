"""A tiny nbgrader assignment, built inside a temporary copy of the course by the tests.

It never lives in ``assignments/source/``: the tests create it under ``tmp_path``. Two functions,
each with its own test cell: ``add`` (test worth 2 points) and ``mul`` (3 points), 5 in all.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NAME = "a0-dummy"
NOTEBOOK = "dummy"
POINTS = {"test_add": 2.0, "test_mul": 3.0}
MAX_SCORE = sum(POINTS.values())


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float = 0.0) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def build_source_notebook() -> nbformat.NotebookNode:
    """Return the instructor's version of the dummy notebook (solutions included)."""
    cells = [
        new_markdown_cell("# Dummy assignment\n\nWrite `add` and `mul`.", metadata=_meta(
            "intro", grade=False, solution=False, locked=True)),
        new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                      metadata=_meta("add", grade=False, solution=True, locked=False)),
        new_code_cell('assert add(1, 2) == 3, "add(1, 2) should be 3"',
                      metadata=_meta("test_add", grade=True, solution=False, locked=True, points=2)),
        new_code_cell("def mul(a, b):\n    ### BEGIN SOLUTION\n    return a * b\n    ### END SOLUTION",
                      metadata=_meta("mul", grade=False, solution=True, locked=False)),
        new_code_cell('assert mul(2, 3) == 6, "mul(2, 3) should be 6"',
                      metadata=_meta("test_mul", grade=True, solution=False, locked=True, points=3)),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def install(course: Path) -> Path:
    """Write the dummy source notebook into ``course/source/NAME/`` and return its path."""
    path = course / "source" / NAME / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build_source_notebook(), path)
    return path


def _with_cell(index: int, source: str) -> nbformat.NotebookNode:
    nb = build_source_notebook()
    nb.cells[index].source = source
    return nb


def _put(course: Path, student: str, nb: nbformat.NotebookNode | None = None, raw: str | None = None,
         filename: str = f"{NOTEBOOK}.ipynb") -> None:
    folder = course / "submitted" / student / NAME
    folder.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        (folder / filename).write_text(raw)
    elif nb is not None:
        nbformat.write(nb, folder / filename)


# Each case of the end-to-end test: student id -> (expected score, expected status in the report).
EXPECTED = {
    "good": (MAX_SCORE, "ok"),  # the source notebook, solutions and all
    "blank": (0.0, "ok"),  # the untouched release
    "wrong": (POINTS["test_add"], "ok"),  # mul is broken: loses test_mul's 3 points only
    "tamper": (MAX_SCORE, "FLAGGED"),  # test cell edited to `assert True`: restored, flagged
    "deleted": (MAX_SCORE, "FLAGGED"),  # test_mul deleted: restored from the gradebook, passes
    "loop": (POINTS["test_mul"], "FLAGGED"),  # add never returns: cut by the time limit
    "crash": (POINTS["test_add"], "FLAGGED"),  # os._exit in mul kills the kernel: add still earns its points
    "crashtest": (0.0, "ZERO"),  # the kernel dies inside a read-only test cell: nothing to salvage
    "badjson": (0.0, "ZERO"),  # not JSON at all
    "renamed": (MAX_SCORE, "FLAGGED"),  # "dummy (1).ipynb": graded under the right name
    "missing": (0.0, "ZERO"),  # no notebook at all
    "syntax": (POINTS["test_mul"], "ok"),  # a syntax error in add: only add's points lost
}


def make_submissions(course: Path) -> None:
    """Write one submission per case of :data:`EXPECTED` into ``course/submitted/``."""
    release = nbformat.read(course / "release" / NAME / f"{NOTEBOOK}.ipynb", as_version=4)
    _put(course, "good", build_source_notebook())
    _put(course, "blank", release)
    _put(course, "wrong", _with_cell(3, "def mul(a, b):\n    return a + b"))
    _put(course, "tamper", _with_cell(4, "assert True"))
    deleted = build_source_notebook()
    del deleted.cells[4]
    _put(course, "deleted", deleted)
    _put(course, "loop", _with_cell(1, "def add(a, b):\n    while True:\n        pass\n\nadd(1, 1)"))
    _put(course, "crash", _with_cell(3, "import os\nos._exit(1)"))
    crash_in_test = build_source_notebook()
    crash_in_test.cells[1].source = "import os\n\ndef add(a, b):\n    os._exit(1)"
    _put(course, "crashtest", crash_in_test)
    _put(course, "badjson", raw="{this is not json")
    _put(course, "renamed", build_source_notebook(), filename=f"{NOTEBOOK} (1).ipynb")
    (course / "submitted" / "missing" / NAME).mkdir(parents=True)
    (course / "submitted" / "missing" / NAME / "notes.txt").write_text("forgot the notebook")
    _put(course, "syntax", _with_cell(1, "def add(a, b)\n    return a + b"))
