"""End-to-end tests of the nbgrader course tooling (``scripts/course.py``) in a temporary course copy.

A tiny dummy assignment (``_dummy.py``) is released, eleven submissions covering every failure the
autograder must survive are graded in parallel, and the report, the gradebook, the feedback and the
grades CSV are checked. The real configuration ``assignments/nbgrader_config.py`` is used, with
the per-cell time limit lowered to a few seconds so that the infinite loop costs little.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from . import _dummy

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "assignments" / "nbgrader_config.py"
ASSIGNMENTS = ["a1-rnn", "a2-bptt", "a3-gated", "a4-bidirectional", "a5-application"]
CELL_TIMEOUT = 4  # seconds, instead of the real 60, for the infinite loop


def _load_course_module():
    spec = importlib.util.spec_from_file_location("course_cli", REPO / "scripts" / "course.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["course_cli"] = module
    spec.loader.exec_module(module)
    return module


course_cli = _load_course_module()


def _new_course(root: Path, cell_timeout: int | None = CELL_TIMEOUT) -> Path:
    root.mkdir(parents=True)
    shutil.copy2(CONFIG, root / "nbgrader_config.py")
    if cell_timeout is not None:
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.Execute.timeout = {cell_timeout}\n")
    return root


def _report(text_path: Path) -> dict[str, dict[str, str]]:
    with open(text_path.with_suffix(".csv"), newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path]:
    """A course copy with the dummy released, every case submitted and autograded with 2 jobs."""
    course = _new_course(tmp_path_factory.mktemp("course") / "assignments")
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    _dummy.make_submissions(course)
    report = course_cli.autograde(course, _dummy.NAME, jobs=2, only=None, timeout=120)
    return course, report


def test_config_has_the_course_settings():
    from traitlets.config import get_config

    ns = course_cli.runpy.run_path(str(CONFIG), init_globals={"get_config": get_config})
    c = ns["c"]
    assert ns["ASSIGNMENTS"] == ASSIGNMENTS
    assert Path(c.CourseDirectory.root) == CONFIG.parent
    assert c.ExecutePreprocessor.timeout == 60 and c.Execute.timeout == 60
    assert c.Execute.interrupt_on_timeout is True
    assert c.ExecutePreprocessor.kernel_name == "python3"
    assert "raise NotImplementedError" in c.ClearSolutions.code_stub["python"]
    assert c.ClearOutput.enabled is True


def test_gitignore_keeps_grading_state_out():
    ignored = (REPO / "assignments" / ".gitignore").read_text().split()
    for entry in ("gradebook.db", "submitted/", "autograded/", "feedback/", "reports/"):
        assert entry in ignored, f"assignments/.gitignore should list {entry}"


def test_release_is_deterministic_and_checked(tmp_path):
    course = _new_course(tmp_path / "assignments")
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    released = course / "release" / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb"
    first = released.read_bytes()
    nb = nbformat.reads(first.decode(), as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells)
    assert "raise NotImplementedError" in nb.cells[1].source and "a + b" not in nb.cells[1].source
    assert course_cli.main(["--course", str(course), "release"]) == 0
    assert released.read_bytes() == first, "regenerating the release changed its bytes"
    assert course_cli.main(["--course", str(course), "release", "--check"]) == 0
    released.write_bytes(first.replace(b"Dummy assignment", b"Dummy homework"))
    assert course_cli.main(["--course", str(course), "release", "--check"]) == 1


@pytest.mark.parametrize("student", sorted(_dummy.EXPECTED))
def test_each_submission_gets_what_it_earned(graded, student):
    course, report = graded
    expected_score, expected_status = _dummy.EXPECTED[student]
    row = _report(report)[student]
    assert (float(row["score"]), row["status"]) == (expected_score, expected_status), row
    with Gradebook(course_cli.db_url(course)) as gb:
        sub = gb.find_submission(_dummy.NAME, student)
        assert sub.score == expected_score
        assert sub.max_score == _dummy.MAX_SCORE
        flagged = any(nb.flagged for nb in sub.notebooks)
    assert flagged == (expected_status != "ok")


def test_report_explains_every_problem(graded):
    _, report = graded
    rows = _report(report)
    assert rows["good"]["notes"] == "" and rows["wrong"]["notes"] == ""
    assert "edited (restored" in rows["tamper"]["notes"]
    assert "deleted (restored" in rows["deleted"]["notes"]
    assert "time limit" in rows["loop"]["notes"]
    assert "kernel died in cell 'mul'" in rows["crash"]["notes"]
    assert "kernel died in read-only cell 'test_add'" in rows["crashtest"]["notes"]
    assert "not a valid notebook" in rows["badjson"]["notes"]
    assert "missing" in rows["missing"]["notes"]
    assert "renamed" in rows["renamed"]["notes"]
    text = report.read_text()
    assert text.startswith(f"autograde {_dummy.NAME}: {len(_dummy.EXPECTED)} submissions")


def test_regrading_one_student_keeps_the_others(graded):
    course, _ = graded
    with Gradebook(course_cli.db_url(course)) as gb:
        before = {s.student.id: s.score for s in gb.assignment_submissions(_dummy.NAME)}
    fixed = course / "submitted" / "wrong" / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb"
    nbformat.write(_dummy.build_source_notebook(), fixed)
    report = course_cli.autograde(course, _dummy.NAME, jobs=2, only=["wrong"], timeout=120)
    assert list(_report(report)) == ["wrong"]
    with Gradebook(course_cli.db_url(course)) as gb:
        after = {s.student.id: s.score for s in gb.assignment_submissions(_dummy.NAME)}
    assert after.pop("wrong") == _dummy.MAX_SCORE
    before.pop("wrong")
    assert after == before
    assert (course / "autograded" / "good" / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb").is_file()


def test_feedback_and_grades(graded):
    course, _ = graded
    assert course_cli.main(["--course", str(course), "feedback", _dummy.NAME]) == 0
    for student in ("good", "wrong", "tamper", "loop"):
        page = course / "feedback" / student / _dummy.NAME / f"{_dummy.NOTEBOOK}.html"
        assert page.is_file() and "<html" in page.read_text().lower()
    out = course / "grades.csv"
    assert course_cli.main(["--course", str(course), "grades", "--out", str(out)]) == 0
    with open(out, newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(_dummy.EXPECTED)
    with Gradebook(course_cli.db_url(course)) as gb:
        scores = {sub.student.id: sub.score for sub in gb.assignment_submissions(_dummy.NAME)}
    assert {s: float(r["score"]) for s, r in rows.items()} == scores
    assert scores["good"] == _dummy.MAX_SCORE and scores["crashtest"] == 0.0


def test_collect_imports_an_lms_download(tmp_path):
    course = _new_course(tmp_path / "assignments")
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    download = tmp_path / "download"
    download.mkdir()
    with zipfile.ZipFile(download / "submissions.zip", "w") as z:
        for student in ("alice", "bob"):
            z.writestr(f"{student}_{_dummy.NOTEBOOK}.ipynb", nbformat.writes(_dummy.build_source_notebook()))
    assert course_cli.main(["--course", str(course), "collect", _dummy.NAME, "--zip", str(download)]) == 0
    for student in ("alice", "bob"):
        assert (course / "submitted" / student / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb").is_file()


def test_makefile_targets_call_the_cli():
    out = subprocess.run(
        ["make", "-n", "-f", "Makefile", "-f", "Makefile.assignments", "release", "release-check", "autograde",
         "feedback", "grades", "collect", "ASSIGNMENT=a1-rnn", "JOBS=3", "ZIP=dl"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    for line in ("scripts/course.py release", "scripts/course.py release --check",
                 "scripts/course.py autograde a1-rnn --jobs 3", "scripts/course.py feedback a1-rnn",
                 "scripts/course.py grades", "scripts/course.py collect a1-rnn --zip dl"):
        assert line in out, f"make -n should run `{line}`:\n{out}"


@pytest.mark.skipif(not (REPO / "assignments" / "source" / "a1-rnn").is_dir(), reason="a1-rnn not written yet")
def test_a1_source_gets_full_marks_and_release_zero(tmp_path):
    course = _new_course(tmp_path / "assignments", cell_timeout=None)
    shutil.copytree(REPO / "assignments" / "source" / "a1-rnn", course / "source" / "a1-rnn")
    assert course_cli.main(["--course", str(course), "release", "a1-rnn"]) == 0
    for student, folder in (("teacher", "source"), ("nobody", "release")):
        shutil.copytree(course / folder / "a1-rnn", course / "submitted" / student / "a1-rnn")
    report = course_cli.autograde(course, "a1-rnn", jobs=2, only=None, timeout=300)
    rows = _report(report)
    with Gradebook(course_cli.db_url(course)) as gb:
        teacher = gb.find_submission("a1-rnn", "teacher")
        nobody = gb.find_submission("a1-rnn", "nobody")
        assert teacher.code_score == teacher.max_code_score > 0, rows["teacher"]
        assert nobody.code_score == 0, rows["nobody"]
