"""What a student sees: the committed student notebooks, and ``nbgrader validate`` on a finished one.

* Every notebook in ``assignments/release`` runs from the top until the first function the student
  has to write, and stops there with the stub's clear ``NotImplementedError`` (not a ``NameError``,
  an import error or a missing file in a cell before it).
* ``nbgrader validate``, which students run before submitting, passes on the instructor's notebook
  (a finished solution) and fails on the untouched release.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[2]
RELEASE = REPO / "assignments" / "release"
SOURCE = REPO / "assignments" / "source"
NAMES = sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())
STUB_MESSAGE = "write your solution here"


def _student_env() -> dict[str, str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("NBGRADER_EXECUTION", None)  # a student's own run, not the grader's
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_every_assignment_is_released():
    released = sorted(p.name for p in RELEASE.iterdir() if p.is_dir())
    assert released == NAMES, "run `make release` and commit assignments/release/"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_release_runs_until_the_first_function_to_write(name, monkeypatch):
    for key, value in _student_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    folder = RELEASE / name
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with pytest.raises(CellExecutionError) as stopped:
        client.execute()
    error = stopped.value
    assert error.ename == "NotImplementedError" and STUB_MESSAGE in error.evalue, (
        f"{name}: the first error should be the stub of a function to write, got {error.ename}: {error.evalue}"
    )
    ran = [cell for cell in nb.cells if cell.cell_type == "code" and cell.get("execution_count")]
    assert ran, "no cell ran before the first stub"
    for cell in ran[:-1]:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"{name}: a cell before the first stub failed: {errors[0]['ename']}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_validate_passes_a_finished_notebook_and_fails_the_blank_one(name):
    def validate(path: Path) -> str:
        result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=REPO / "assignments",
                                env=_student_env(), capture_output=True, text=True, timeout=600, check=False)
        return result.stdout + result.stderr

    finished = validate(SOURCE / name / f"{name}.ipynb")
    assert "Success! Your notebook passes all the tests." in finished, finished[-3000:]
    blank = validate(RELEASE / name / f"{name}.ipynb")
    assert "Success!" not in blank and "NotImplementedError" in blank, blank[-3000:]
