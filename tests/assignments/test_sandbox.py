"""The autograder's sandbox (``scripts/sandbox.py``) and integrity checks (``scripts/integrity.py``).

Three courses with the dummy assignment (``_dummy.py``) are graded:

- ``base``: three honest submissions (good, wrong, blank), in the sandbox;
- ``plain``: the same three with ``--no-sandbox``: the scores must be the same;
- ``hostile``: the same three plus every hostile submission of ``_hostile.py``, in the sandbox with
  small caps. Each hostile submission must be graded and reported, and the honest students' grades,
  autograded notebooks and folders, the course files and the gradebook rows must be exactly those
  of ``base``.

Then ``autograde`` must refuse when bubblewrap is missing or broken, and name the opt-out flag.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from . import _dummy, _hostile
from .test_course import REPO, _new_course, course_cli

sandbox = course_cli.sandbox
HONEST = ["blank", "good", "wrong"]
# Small caps, so that the hostile submissions hit them fast.
LIMITS = sandbox.Limits(memory_mb=1024, cpu_s=60, wall_s=120, processes=64, file_mb=8, disk_mb=16)
SECRET_NAME = "COURSE_TEST_SECRET_TOKEN"


def _rows(report: Path) -> dict[str, dict[str, str]]:
    with open(report.with_suffix(".csv"), newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _honest_course(root: Path) -> Path:
    course = _new_course(root / "assignments")
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    release = nbformat.read(course / "release" / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb", as_version=4)
    for student, nb in (("good", _dummy.build_source_notebook()), ("blank", release),
                        ("wrong", _dummy._with_cell(3, _hostile.WRONG_MUL))):
        folder = course / "submitted" / student / _dummy.NAME
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{_dummy.NOTEBOOK}.ipynb")
    return course


def _hashes(course: Path, parts: list[str]) -> dict[str, str]:
    """sha256 of every file under the given parts of the course (relative path -> digest)."""
    out = {}
    for part in parts:
        top = course / part
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file():
                out[str(path.relative_to(course))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _gradebook_rows(course: Path, students: list[str]) -> dict[str, list[tuple]]:
    """Every grade and comment of these students, without the random ids."""
    rows = {}
    with Gradebook(course_cli.db_url(course)) as gb:
        for student in students:
            sub = gb.find_submission(_dummy.NAME, student)
            rows[student] = sorted(
                [(nb.name, g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade, nb.flagged)
                 for nb in sub.notebooks for g in nb.grades]
                + [(nb.name, c.name, c.auto_comment, c.manual_comment) for nb in sub.notebooks for c in nb.comments],
                key=repr)
    return rows


def _cells(course: Path, student: str) -> list[tuple]:
    """Source and outputs of an autograded notebook (execution timestamps left out)."""
    nb = nbformat.read(course / "autograded" / student / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb", as_version=4)
    return [(c.source, json.dumps(c.get("outputs", []), sort_keys=True)) for c in nb.cells]


def _texts(course: Path, student: str) -> str:
    nb = nbformat.read(course / "autograded" / student / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb", as_version=4)
    return "\n".join(o.get("text", "") + str(o.get("evalue", "")) for c in nb.cells for o in c.get("outputs", []))


class _Listener:
    """A TCP server on the host's 127.0.0.1 that records whether anybody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Grade the three courses; return what the tests compare."""
    listener = _Listener()
    marker = f"survivor-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex
    os.environ[SECRET_NAME] = secret
    try:
        base = _honest_course(tmp_path_factory.mktemp("base"))
        base_report = course_cli.autograde(base, _dummy.NAME, jobs=2, only=None, timeout=120, limits=LIMITS)
        plain = _honest_course(tmp_path_factory.mktemp("plain"))
        plain_report = course_cli.autograde(plain, _dummy.NAME, jobs=2, only=None, timeout=120, isolate=False)
        hostile = _honest_course(tmp_path_factory.mktemp("hostile"))
        students = _hostile.make_submissions(hostile, listener.port, marker, secret)
        before = _hashes(hostile, ["source", "release", "nbgrader_config.py"]
                         + [f"submitted/{s}" for s in HONEST])
        hostile_report = course_cli.autograde(hostile, _dummy.NAME, jobs=2, only=None, timeout=120, limits=LIMITS)
        after = _hashes(hostile, ["source", "release", "nbgrader_config.py"] + [f"submitted/{s}" for s in HONEST])
    finally:
        os.environ.pop(SECRET_NAME, None)
        listener.close()
    return {"base": (base, _rows(base_report)), "plain": (plain, _rows(plain_report)),
            "hostile": (hostile, _rows(hostile_report)), "before": before, "after": after, "marker": marker,
            "connections": listener.connections, "expected": _hostile.expected(hostile, 0, marker, secret),
            "students": students}


def test_sandbox_gives_the_scores_of_the_plain_run(runs):
    base, plain = runs["base"][1], runs["plain"][1]
    for student in HONEST:
        assert (base[student]["score"], base[student]["status"]) == (plain[student]["score"],
                                                                    plain[student]["status"]), student
        assert (float(base[student]["score"]), base[student]["status"]) == _dummy.EXPECTED[student]
    assert _cells(runs["base"][0], "good") == _cells(runs["plain"][0], "good")


@pytest.mark.parametrize("student", sorted(_hostile.expected(Path("/x"), 0, "", "")))
def test_hostile_submission_is_graded_and_reported(runs, student):
    course, rows = runs["hostile"]
    score, status = runs["expected"][student]
    if score is None:  # the fork bomb: its own kernel may be unable to start a thread afterwards
        assert rows[student]["status"] in ("ok", "FLAGGED") and float(rows[student]["score"]) >= 0, rows[student]
    else:
        assert (float(rows[student]["score"]), rows[student]["status"]) == (score, status), rows[student]
    text = _texts(course, student)
    assert f"ATTEMPTED {student}" in text, f"the attack of {student} did not run:\n{text[-2000:]}"
    assert "LEAK" not in text, f"{student} got out of the sandbox:\n{text[-2000:]}"
    if status == "TAMPERED":
        assert "integrity check failed" in rows[student]["notes"]


def test_honest_students_are_untouched_by_hostile_ones(runs):
    base, hostile = runs["base"][0], runs["hostile"][0]
    assert runs["before"] == runs["after"], "course files or honest students' folders changed"
    assert _gradebook_rows(hostile, HONEST) == _gradebook_rows(base, HONEST)
    for student in HONEST:
        assert runs["hostile"][1][student] == runs["base"][1][student]
        assert _cells(hostile, student) == _cells(base, student)
        files = sorted(p.name for p in (hostile / "autograded" / student / _dummy.NAME).iterdir())
        assert files == [f"{_dummy.NOTEBOOK}.ipynb"], files
    assert not list(hostile.rglob("evil.txt"))
    for student in runs["students"]:  # nothing the kernels wrote came back
        files = sorted(p.name for p in (hostile / "autograded" / student / _dummy.NAME).iterdir())
        assert files == [f"{_dummy.NOTEBOOK}.ipynb"], (student, files)


def test_no_network_and_no_survivor(runs):
    assert runs["connections"] == 0, "a kernel reached the host's 127.0.0.1"
    course, _ = runs["hostile"]
    text = _texts(course, "h-survivor")
    assert "RUNNING [True, True]" in text, f"the would-be survivors never ran, so their absence proves nothing:\n{text}"
    survivors = []
    for proc in Path("/proc").iterdir():
        try:
            if runs["marker"].encode() in (proc / "cmdline").read_bytes():
                survivors.append(proc.name)
        except OSError:
            pass
    assert not survivors, f"processes outlived their kernel: {survivors}"


def test_kernel_runs_unprivileged_with_the_caps(runs):
    course, _ = runs["hostile"]
    line = next(t for t in _texts(course, "h-home").splitlines() if t.startswith("INSIDE "))
    inside = json.loads(line[len("INSIDE "):])
    assert inside["uid"] != 0
    assert inside["cwd_files"] == [f"{_dummy.NOTEBOOK}.ipynb"]
    assert inside["cwd"].endswith(f"/autograded/h-home/{_dummy.NAME}")
    limits = inside["limits"]
    assert limits["RLIMIT_AS"] == [LIMITS.memory_mb * 2**20] * 2
    assert limits["RLIMIT_CPU"][0] == LIMITS.cpu_s
    assert limits["RLIMIT_FSIZE"] == [LIMITS.file_mb * 2**20] * 2
    assert limits["RLIMIT_NPROC"] == [LIMITS.processes] * 2


def test_check_cells_are_not_in_the_feedback_notebook(runs):
    course, _ = runs["hostile"]
    for student in ("good", "h-showtb"):
        nb = nbformat.read(course / "autograded" / student / _dummy.NAME / f"{_dummy.NOTEBOOK}.ipynb", as_version=4)
        assert len(nb.cells) == len(_dummy.build_source_notebook().cells)
        assert not any("__autograder_check" in c.source for c in nb.cells)


def test_cpu_and_wall_clock_caps(tmp_path):
    """A busy child process is killed by the CPU cap; a notebook that sleeps forever, by the wall clock.

    The sleeper's kernel dies: the crash search finds the cell (hitting the wall clock again), replaces
    it by an error and grades the rest.
    """
    course = _new_course(tmp_path / "assignments", cell_timeout=60)
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    busy = ("import subprocess, sys\nr = subprocess.run([sys.executable, '-c', 'while True: pass'])\n"
            "print('CHILD-STATUS', r.returncode)\n\ndef add(a, b):\n    return a + b")
    sleeper = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(1000)"
    for student, source in (("h-cpu", busy), ("h-sleep", sleeper)):
        folder = course / "submitted" / student / _dummy.NAME
        folder.mkdir(parents=True)
        nbformat.write(_dummy._with_cell(1, source), folder / f"{_dummy.NOTEBOOK}.ipynb")
    limits = sandbox.Limits(memory_mb=1024, cpu_s=2, wall_s=10, processes=64, file_mb=8, disk_mb=16)
    report = course_cli.autograde(course, _dummy.NAME, jobs=2, only=None, timeout=120, limits=limits)
    rows = _rows(report)
    assert (float(rows["h-cpu"]["score"]), rows["h-cpu"]["status"]) == (_dummy.MAX_SCORE, "ok"), rows["h-cpu"]
    assert f"CHILD-STATUS {-signal.SIGXCPU}" in _texts(course, "h-cpu")
    assert (float(rows["h-sleep"]["score"]), rows["h-sleep"]["status"]) == (_dummy.POINTS["test_mul"], "FLAGGED")
    assert "kernel died in cell 'add'" in rows["h-sleep"]["notes"], rows["h-sleep"]
    logs = "".join(p.read_text() for p in (course / "reports").glob("*.log"))
    assert "wall-clock limit of 10 s" in logs


@pytest.fixture
def small_course(tmp_path):
    course = _new_course(tmp_path / "assignments")
    _dummy.install(course)
    assert course_cli.main(["--course", str(course), "release"]) == 0
    folder = course / "submitted" / "good" / _dummy.NAME
    folder.mkdir(parents=True)
    nbformat.write(_dummy.build_source_notebook(), folder / f"{_dummy.NOTEBOOK}.ipynb")
    return course


@pytest.mark.parametrize("how", ["not installed", "not on PATH", "broken"])
def test_autograde_refuses_without_a_working_sandbox(small_course, monkeypatch, tmp_path, how):
    if how == "not installed":
        monkeypatch.setenv("COURSE_BWRAP", "")
    elif how == "not on PATH":
        monkeypatch.delenv("COURSE_BWRAP", raising=False)
        empty = tmp_path / "bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
    else:
        fake = tmp_path / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        monkeypatch.setenv("COURSE_BWRAP", str(fake))
    with pytest.raises(SystemExit) as err:
        course_cli.main(["--course", str(small_course), "autograde", _dummy.NAME])
    message = str(err.value)
    assert "--no-sandbox" in message and "SANDBOX=0" in message and "bubblewrap" in message, message
    assert not (small_course / "autograded").exists()
    with Gradebook(course_cli.db_url(small_course)) as gb:
        assert gb.assignment_submissions(_dummy.NAME) == []


def test_no_sandbox_flag_grades_without_bwrap(small_course, monkeypatch):
    monkeypatch.setenv("COURSE_BWRAP", "")
    assert course_cli.main(["--course", str(small_course), "autograde", _dummy.NAME, "--no-sandbox"]) == 0
    report = sorted((small_course / "reports").glob("*.txt"))[-1]
    assert "WITHOUT the sandbox" in report.read_text()
    assert _rows(report)["good"]["score"] == "5"


def test_make_autograde_is_sandboxed_unless_sandbox_0():
    def dry(*args: str) -> str:
        return subprocess.run(["make", "-n", "-f", "Makefile", "-f", "Makefile.assignments", "autograde",
                               "ASSIGNMENT=a1-rnn", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout

    assert "--no-sandbox" not in dry()
    assert "scripts/course.py autograde a1-rnn --jobs 2 --no-sandbox" in dry("JOBS=2", "SANDBOX=0")


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_self_test_hides_the_course(tmp_path):
    workdir = sandbox.make_workdir()
    try:
        sandbox.write_kernelspec(workdir, LIMITS, sandbox.find_bwrap())
        sandbox.self_test(workdir, hidden=[REPO / "assignments", REPO / "scripts"])
        with pytest.raises(sandbox.SandboxUnavailable, match="is visible"):
            sandbox.self_test(workdir, hidden=[REPO / "course_lib"])  # read-only inside, so visible
    finally:
        shutil.rmtree(workdir)


def test_a_repository_under_tmp_is_bound_on_top_of_the_private_tmp():
    # CI may clone the repository under /tmp: its venv and course_lib must be mounted after the
    # sandbox's own /tmp, or the tmpfs hides them (bwrap then fails its self-test).
    settings = {"bwrap": "bwrap", "python": "/tmp/repo/.venv/bin/python", "runtime": "/tmp/sbx-1/rt",
                "read_only": ["/tmp/repo/.venv", "/tmp/repo/course_lib"], "limits": asdict(sandbox.Limits())}
    argv, _ = sandbox.bwrap_argv(settings, "/tmp/batch/submitted/s/a1", [], [], [], None)
    pairs = list(zip(argv, argv[1:], strict=False))
    tmp_mount = pairs.index(("--tmpfs", "/tmp"))
    for path in settings["read_only"]:
        assert pairs.index(("--ro-bind", path)) > tmp_mount, f"{path} is bound before /tmp is mounted"
