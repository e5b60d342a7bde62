"""The instructor's command line for the nbgrader course in ``assignments/``.

Each subcommand wraps one nbgrader command and adds what a class of a few hundred students needs::

    python scripts/course.py release [ASSIGNMENT ...] [--check]
    python scripts/course.py collect ASSIGNMENT --zip DIR
    python scripts/course.py autograde ASSIGNMENT [--jobs N] [--student ID ...] [--no-sandbox]
    python scripts/course.py feedback ASSIGNMENT
    python scripts/course.py grades [--out FILE]

``autograde`` grades the students in parallel: the class is split into ``--jobs`` batches, each
graded by its own ``nbgrader autograde`` in a temporary copy of the course with its own copy of the
gradebook (sqlite does not take concurrent writers), and the results are merged into the real
gradebook afterwards, one student at a time, by this process alone. Every student gets a line in
``assignments/reports/<assignment>-<UTC time>.txt`` (and ``.csv``); one bad submission never stops
the others. Each notebook's kernel runs in a bubblewrap sandbox (``scripts/sandbox.py``: a private
copy of the submission, no network, resource limits); without bubblewrap ``autograde`` refuses
unless given ``--no-sandbox``. Integrity checks inserted at grading time (``scripts/integrity.py``)
catch code that hides the tests' failures. Run ``python scripts/course.py COMMAND --help`` for the
options.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime as dt
import filecmp
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import integrity  # noqa: E402  (scripts/integrity.py and scripts/sandbox.py, beside this file)
import sandbox  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
COURSE = REPO / "assignments"
BIN = Path(sys.executable).parent
# Cell outputs that mean "this cell was cut by the per-cell time limit".
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt", "TimeoutError"}
# Cell metadata that editors add and that has no place in a committed student notebook.
VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter", "vscode")


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def nbgrader(args: list[str], course: Path, timeout: float | None = None,
             extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course root and return the finished process (output captured).

    Parameters
    ----------
    args : list of str
        Arguments after ``nbgrader`` (``["autograde", "a1-rnn", "--force"]``).
    course : Path
        The course root (the folder holding ``nbgrader_config.py``).
    timeout : float or None
        Seconds after which the whole command is killed (``subprocess.TimeoutExpired``).
    extra_env : dict or None
        Variables added to the environment (the sandbox's ``JUPYTER_PATH`` and ``JUPYTER_RUNTIME_DIR``).

    Returns
    -------
    CompletedProcess
        With ``returncode`` and the merged ``stdout``/``stderr`` as text in ``stdout``.
    """
    env = dict(os.environ)
    # nbgrader runs `alembic` (gradebook migrations) from PATH: the venv's bin must be on it.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, check=False)


def assignment_names(course: Path) -> list[str]:
    """Return the list ``ASSIGNMENTS`` of ``course/nbgrader_config.py``."""
    from traitlets.config import get_config

    ns = runpy.run_path(str(course / "nbgrader_config.py"), init_globals={"get_config": get_config})
    return list(ns["ASSIGNMENTS"])


def db_url(course: Path) -> str:
    """Return the sqlite URL of the gradebook of ``course``."""
    return "sqlite:///" + str(course / "gradebook.db")


def _fail(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        sys.stdout.write(result.stdout)
        raise SystemExit(f"{what} failed (exit status {result.returncode}); nbgrader's log is above")


def normalize_notebook(path: Path) -> None:
    """Rewrite one released notebook so that regenerating it gives the same bytes.

    Outputs and execution counts are removed, editor metadata is dropped, ``language_info`` (which
    names the Python version of the machine) is removed, and a cell without an id gets one made
    from its position.

    Parameters
    ----------
    path : Path
        The ``.ipynb`` file, rewritten in place.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("language_info", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if nb.nbformat_minor >= 5 and not cell.get("id"):
            cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)


# ----------------------------------------------------------------------------------------------
# release
# ----------------------------------------------------------------------------------------------
def generate(course: Path, names: list[str], release_dir: Path | None = None) -> None:
    """Run ``nbgrader generate_assignment --force`` for each name, then normalize the notebooks.

    Parameters
    ----------
    course : Path
        The course root.
    names : list of str
        Assignments with a folder in ``course/source/``.
    release_dir : Path or None
        Where the student versions go; default ``course/release``.
    """
    for name in names:
        args = ["generate_assignment", name, "--force"]
        if release_dir is not None:
            args.append(f"--CourseDirectory.release_directory={release_dir}")
        _fail(nbgrader(args, course), f"nbgrader generate_assignment {name}")
        out = (release_dir or course / "release") / name
        shutil.rmtree(out / ".ipynb_checkpoints", ignore_errors=True)
        for nb_path in sorted(out.rglob("*.ipynb")):
            normalize_notebook(nb_path)


def _tree_diff(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two folders (missing on either side or other bytes)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()} if a.exists() else set()
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()} if b.exists() else set()
    diff = [f"only in the committed release: {p}" for p in sorted(files_a - files_b)]
    diff += [f"missing from the committed release: {p}" for p in sorted(files_b - files_a)]
    diff += [f"differs: {p}" for p in sorted(files_a & files_b) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return diff


def release(course: Path, names: list[str], check: bool) -> int:
    """Generate the student versions, or with ``check`` compare a fresh generation with them.

    Parameters
    ----------
    course : Path
        The course root.
    names : list of str
        Assignments to release; empty means every assignment of the config that has a source folder.
    check : bool
        Regenerate into a temporary course copy and report differences instead of writing.

    Returns
    -------
    int
        0 when released (or identical), 1 when ``check`` found a difference.
    """
    known = assignment_names(course)
    for name in names:
        if not (course / "source" / name).is_dir():
            raise SystemExit(f"assignment {name!r}: expected a folder {course / 'source' / name}, found none "
                             f"(assignments of the config: {', '.join(known)})")
    if not names:  # every source folder: the config's order first, then any other (sorted)
        present = sorted(p.name for p in (course / "source").glob("*") if p.is_dir())
        names = [n for n in known if n in present] + [n for n in present if n not in known]
    if not names:
        print("no assignment has a source folder yet: nothing to release")
        return 0
    if not check:
        generate(course, names)
        print(f"released {', '.join(names)} into {course / 'release'}")
        return 0
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        copy = Path(tmp) / "course"
        copy.mkdir()
        shutil.copy2(course / "nbgrader_config.py", copy)
        for name in names:
            shutil.copytree(course / "source" / name, copy / "source" / name)
        generate(copy, names)
        problems = [f"{name}: {d}" for name in names
                    for d in _tree_diff(course / "release" / name, copy / "release" / name)]
    if problems:
        print("assignments/release/ is out of date with assignments/source/ "
              "(run `python scripts/course.py release` and commit):")
        print("\n".join(f"  {p}" for p in problems))
        return 1
    print(f"release is up to date for {', '.join(names)}")
    return 0


# ----------------------------------------------------------------------------------------------
# collect
# ----------------------------------------------------------------------------------------------
def collect(course: Path, name: str, zip_dir: Path, regexp: str | None) -> None:
    """Import an LMS download (zip files and/or notebooks) into ``submitted/`` with ``nbgrader zip_collect``.

    Parameters
    ----------
    course : Path
        The course root.
    name : str
        The assignment.
    zip_dir : Path
        The folder the LMS download was saved to.
    regexp : str or None
        Override of ``FileNameCollectorPlugin.named_regexp`` (how a file name gives the student id).
    """
    if not zip_dir.is_dir():
        raise SystemExit(f"--zip: expected a folder with the LMS download, got {zip_dir}")
    archive = course / "downloaded" / name / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    for item in sorted(zip_dir.iterdir()):
        if item.is_file():
            shutil.copy2(item, archive / item.name)
    args = ["zip_collect", name, "--force"]
    if regexp:
        args.append(f"--FileNameCollectorPlugin.named_regexp={regexp}")
    result = nbgrader(args, course)
    _fail(result, "nbgrader zip_collect")
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "collected")


# ----------------------------------------------------------------------------------------------
# autograde
# ----------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What happened to one student's submission in one autograde run."""

    student: str
    notes: list[str] = field(default_factory=list)
    tampered: set[str] = field(default_factory=set)  # notebooks whose read-only cells were edited
    absent: set[str] = field(default_factory=set)  # notebooks missing or unreadable
    cheated: list[str] = field(default_factory=list)  # what the integrity checks found
    graded: bool = False
    score: float = 0.0
    max_score: float = 0.0

    @property
    def status(self) -> str:
        if not self.graded:
            return "ZERO"
        if self.cheated:
            return "TAMPERED"
        return "FLAGGED" if self.notes else "ok"


@dataclass
class Isolation:
    """How the kernels of one autograde run are started, and the secret of its integrity checks.

    ``workdir`` is None without the sandbox (``--no-sandbox``): nbgrader's own ``python3`` kernel.
    """

    nonce: str
    workdir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def batch_config(self, tag: str) -> str:
        """Lines appended to a batch's copy of nbgrader_config.py: the sandbox kernel over ipc sockets."""
        if self.workdir is None:
            return ""
        ip = f"{self.env['JUPYTER_RUNTIME_DIR']}/{tag}"
        return ("\n# autograde sandbox (scripts/sandbox.py)\n"
                f"c.Execute.kernel_name = c.ExecutePreprocessor.kernel_name = {sandbox.KERNEL_NAME!r}\n"
                f"c.KernelManager.transport = 'ipc'\nc.KernelManager.ip = {ip!r}\n")

    def kernel_manager(self, tag: str):
        """A jupyter_client KernelManager for a notebook run by this process (the crash search)."""
        from jupyter_client import AsyncKernelManager as KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        if self.workdir is None:
            return KernelManager(kernel_name="python3")
        specs = KernelSpecManager(kernel_dirs=[str(Path(self.env["JUPYTER_PATH"]) / "kernels")])
        return KernelManager(kernel_name=sandbox.KERNEL_NAME, kernel_spec_manager=specs, transport="ipc",
                             ip=f"{self.env['JUPYTER_RUNTIME_DIR']}/{tag}")


def open_sandbox(course: Path, limits: sandbox.Limits) -> Isolation:
    """Write the sandbox kernelspec for this run and test it; refuse to grade if it does not work."""
    workdir = sandbox.make_workdir()
    try:
        env = sandbox.write_kernelspec(workdir, limits, sandbox.find_bwrap() or "")
        sandbox.self_test(workdir, hidden=[course, REPO / "scripts", Path.home() / ".bash_history"])
    except sandbox.SandboxUnavailable as err:
        shutil.rmtree(workdir, ignore_errors=True)
        raise SystemExit(
            f"autograde: refusing to run students' code without isolation: {err}.\n"
            "Install bubblewrap (as root: `apt-get install bubblewrap`, or `make sandbox-setup`) and try again. "
            f"To grade without the sandbox anyway (only submissions you trust, or on a throw-away machine), "
            f"pass {sandbox.OPT_OUT}.") from None
    return Isolation(nonce=integrity.new_nonce(), workdir=workdir, env=env)


def _reference(course: Path, name: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The assignment's notebooks and, for each, the source of its read-only cells, from the gradebook.

    Generates the assignment (into a throw-away release folder) if the gradebook does not know it.
    """
    from nbgrader.api import Gradebook, MissingEntry

    def read() -> tuple[list[str], dict[str, dict[str, str]]]:
        with Gradebook(db_url(course)) as gb:
            assignment = gb.find_assignment(name)
            locked = {nb.name: {c.name: c.source for c in nb.source_cells if c.locked} for nb in assignment.notebooks}
            return sorted(locked), locked

    try:
        return read()
    except (MissingEntry, OSError):
        pass
    if not (course / "source" / name).is_dir():
        raise SystemExit(f"assignment {name!r}: no folder {course / 'source' / name} and not in the gradebook")
    with tempfile.TemporaryDirectory(prefix="course-gen-") as tmp:
        generate(course, [name], release_dir=Path(tmp))
    return read()


def _prepare(src: Path, dst: Path, release: Path, notebooks: list[str], locked: dict[str, dict[str, str]],
             out: Outcome, nonce: str) -> None:
    """Copy one submission to ``dst``, repairing what can be repaired and noting every problem.

    Parameters
    ----------
    src, dst : Path
        The student's ``submitted/<student>/<assignment>/`` folder and where its copy goes.
    release : Path
        ``release/<assignment>/`` of the course, from which deleted read-only cells are restored.
    notebooks : list of str
        The notebook names of the assignment (without ``.ipynb``).
    locked : dict
        Notebook name -> grade id -> source of each read-only cell.
    out : Outcome
        Collects the notes for the report.
    nonce : str
        Secret of the integrity checks inserted into every notebook (:mod:`integrity`).
    """
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    present = {p.stem for p in dst.glob("*.ipynb")}
    missing = [n for n in notebooks if n not in present]
    extra = sorted(present - set(notebooks))
    if len(missing) == 1 and len(extra) == 1:
        (dst / f"{extra[0]}.ipynb").rename(dst / f"{missing[0]}.ipynb")
        out.notes.append(f"notebook renamed: graded {extra[0]}.ipynb as {missing[0]}.ipynb")
        missing = []
    for n in missing:
        out.absent.add(n)
        out.notes.append(f"notebook {n}.ipynb missing: 0 points for it")
    for n in notebooks:
        path = dst / f"{n}.ipynb"
        if not path.exists():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # any unreadable file: JSON, schema, encoding
            path.unlink()
            out.absent.add(n)
            out.notes.append(f"notebook {n}.ipynb is not a valid notebook ({type(err).__name__}): 0 points for it")
            continue
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        deleted = [g for g in locked.get(n, {}) if g not in cells]
        # Untouched means as released (hidden tests cut) or as in the source (the instructor's own copy).
        for grade_id, source in _student_view(locked.get(n, {}), release / f"{n}.ipynb").items():
            accepted = {_squeeze(source), _squeeze(locked[n][grade_id])}
            if grade_id in cells and _squeeze(cells[grade_id].source) not in accepted:
                out.notes.append(f"{n}.ipynb: read-only cell {grade_id!r} was edited (restored before grading)")
                out.tampered.add(n)
        if deleted:
            out.tampered.add(n)
            restored = _restore_cells(nb, release / f"{n}.ipynb", deleted)
            for grade_id in deleted:
                what = "restored before grading" if grade_id in restored else "could not be restored: no release copy"
                out.notes.append(f"{n}.ipynb: read-only cell {grade_id!r} was deleted ({what})")
        nb.cells = [c for c in nb.cells if not integrity.is_check(c)]
        integrity.insert_checks(nb, nonce)
        nbformat.write(nb, path)


def _squeeze(source: str) -> str:
    """Source without trailing spaces and blank lines, so that an editor's whitespace is not tampering."""
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def _student_view(locked: dict[str, str], release_nb: Path) -> dict[str, str]:
    """The read-only cells as the students received them (hidden tests removed).

    Taken from the released notebook where there is one; otherwise from the gradebook's source,
    with the ``BEGIN HIDDEN TESTS`` ... ``END HIDDEN TESTS`` regions cut as nbgrader cuts them.
    """
    if release_nb.is_file():
        ref = nbformat.read(release_nb, as_version=4)
        return {_grade_id(c): c.source for c in ref.cells if _grade_id(c) in locked}
    view = {}
    for grade_id, source in locked.items():
        kept, hidden = [], False
        for line in source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END HIDDEN TESTS" in line:
                hidden = False
            elif not hidden:
                kept.append(line)
        view[grade_id] = "\n".join(kept)
    return view


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _restore_cells(nb: nbformat.NotebookNode, release_nb: Path, deleted: list[str]) -> list[str]:
    """Put deleted read-only cells back, copied from the released notebook, after the cell they followed.

    nbgrader restores the source of an edited read-only cell but does not re-insert a deleted one.
    Returns the grade ids that were restored.
    """
    if not release_nb.is_file():
        return []
    ref = nbformat.read(release_nb, as_version=4)
    restored = []
    for i, cell in enumerate(ref.cells):
        if _grade_id(cell) not in deleted:
            continue
        before = [_grade_id(c) for c in ref.cells[:i] if _grade_id(c)]
        ids = [_grade_id(c) for c in nb.cells]
        anchor = next((ids.index(g) for g in reversed(before) if g in ids), -1)
        nb.cells.insert(anchor + 1, cell)
        restored.append(_grade_id(cell))
    return restored


def _make_batch(course: Path, name: str, root: Path, students: list[str], config: str = "") -> Path:
    """A course copy holding the config (plus ``config`` lines), the assignment and a gradebook snapshot."""
    root.mkdir(parents=True)
    shutil.copy2(course / "nbgrader_config.py", root)
    if config:
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(config)
    shutil.copy2(course / "gradebook.db", root / "gradebook.db")
    for sub in ("source", "release"):
        if (course / sub / name).is_dir():
            shutil.copytree(course / sub / name, root / sub / name)
    (root / "submitted").mkdir()
    return root


def _run_batch(root: Path, name: str, timeout: float, env: dict[str, str]) -> str:
    """Autograde every submission of a batch copy; return nbgrader's log."""
    try:
        result = nbgrader(["autograde", name, "--force"], root, timeout=timeout, extra_env=env)
        return result.stdout
    except subprocess.TimeoutExpired as err:
        out = err.stdout or ""
        return (out.decode() if isinstance(out, bytes) else out) + f"\n[course.py] killed after {timeout:.0f} s\n"


def _scan_outputs(autograded: Path, out: Outcome, nonce: str) -> None:
    """Note cells cut by the time limit and failed integrity checks; remove the check cells from the notebooks."""
    for path in sorted(autograded.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for problem in integrity.verify(nb, nonce):
            note = f"{path.name}: integrity check failed ({problem}): graded 0, review by hand"
            if note not in out.notes:
                out.notes.append(note)
                out.cheated.append(problem)
        mode = path.stat().st_mode
        path.chmod(mode | 0o200)  # nbgrader leaves its output read-only
        nbformat.write(integrity.strip_checks(nb), path)
        path.chmod(mode)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error" and o.get("ename") in TIMEOUT_ERRORS:
                    gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
                    note = f"{path.name}: cell {gid!r} ran past the per-cell time limit and was stopped"
                    if note not in out.notes:
                        out.notes.append(note)


def _kernel_note(log: str, student: str) -> str:
    """Why nbgrader failed for one student, from that student's part of the batch log."""
    marker = "Creating/updating student with ID "
    start = log.find(f"{marker}'{student}'")
    end = log.find(marker, start + 1) if start >= 0 else -1
    part = log[max(start, 0): end if end > 0 else len(log)]
    if "DeadKernelError" in part or "ernel died" in part:
        return "the kernel died while running the notebook (os._exit, segfault or out of memory): graded 0"
    return "nbgrader could not grade this submission (see the batch log in the report folder): graded 0"


def _merge(course: Path, batch: Path, name: str, out: Outcome) -> None:
    """Copy one student's results from a batch gradebook into the course gradebook (this process only)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url(batch)) as src, Gradebook(db_url(course)) as dst:
        try:
            sub = src.find_submission(name, out.student)
        except MissingEntry:
            sub = None
        s = src.find_student(out.student) if sub is not None else None
        dst.update_or_create_student(out.student, **({"first_name": s.first_name, "last_name": s.last_name,
                                                        "email": s.email, "lms_user_id": s.lms_user_id} if s else {}))
        try:
            target = dst.find_submission(name, out.student)
        except MissingEntry:
            with warnings.catch_warnings():  # nbgrader's own add_submission trips a harmless SQLAlchemy warning
                warnings.simplefilter("ignore")
                target = dst.add_submission(name, out.student)
        if sub is None or not out.graded or out.cheated:
            if sub is not None:
                target.timestamp = sub.timestamp
            for nb in target.notebooks:  # nothing could run, or tampering: zero everywhere, for a human to look at
                for grade in nb.grades:
                    grade.auto_score, grade.manual_score, grade.needs_manual_grade = 0.0, None, False
                nb.flagged = True
        else:
            target.timestamp = sub.timestamp
            for nb in sub.notebooks:
                tnb = dst.find_submission_notebook(nb.name, name, out.student)
                tnb.flagged = nb.flagged or nb.name in out.tampered or bool(out.notes)
                tnb.late_submission_penalty = nb.late_submission_penalty
                for g in nb.grades:
                    t = dst.find_grade(g.name, nb.name, name, out.student)
                    t.auto_score, t.manual_score = g.auto_score, g.manual_score
                    t.extra_credit, t.needs_manual_grade = g.extra_credit, g.needs_manual_grade
                for c in nb.comments:
                    t = dst.find_comment(c.name, nb.name, name, out.student)
                    t.auto_comment, t.manual_comment = c.auto_comment, c.manual_comment
        dst.db.commit()
        target = dst.find_submission(name, out.student)
        out.score, out.max_score = float(target.score), float(target.max_score)


def _take_graded(course: Path, name: str, student: str, graded_dir: Path, out: Outcome, nonce: str) -> None:
    """Read a batch's graded notebooks into ``out`` and copy them to ``course/autograded/STUDENT/NAME``."""
    _scan_outputs(graded_dir, out, nonce)
    dest = course / "autograded" / student / name
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(graded_dir, dest)


def autograde(course: Path, name: str, jobs: int, only: list[str] | None, timeout: float,
              isolate: bool = True, limits: sandbox.Limits | None = None) -> Path:
    """Grade every submission of one assignment in parallel and merge the results; return the report path.

    Parameters
    ----------
    course : Path
        The course root.
    name : str
        The assignment (``submitted/*/NAME/``).
    jobs : int
        Number of ``nbgrader autograde`` processes run at once (about the number of cores).
    only : list of str or None
        Grade only these students; None grades everyone who submitted.
    timeout : float
        Seconds allowed per student in a batch before the batch is killed (the per-cell limit of
        the config cuts infinite loops long before that).
    isolate : bool
        Run every kernel in the sandbox (:mod:`sandbox`); refuse to grade if it cannot be built.
        False (``--no-sandbox``) runs the students' code as this user, with access to everything.
    limits : sandbox.Limits or None
        The sandbox's caps per notebook; None for the defaults.

    Returns
    -------
    Path
        The text report ``course/reports/NAME-<time>.txt`` (a ``.csv`` with the same rows sits beside it).
    """
    if jobs < 1:
        raise SystemExit(f"--jobs: expected a positive number of processes, got {jobs}")
    notebooks, locked = _reference(course, name)
    students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{name}") if p.is_dir())
    if only:
        unknown = sorted(set(only) - set(students))
        if unknown:
            raise SystemExit(f"--student: no submitted/<id>/{name}/ for {', '.join(unknown)}")
        students = sorted(only)
    if not students:
        raise SystemExit(f"no submission found: expected folders {course / 'submitted' / '<student>' / name}")
    iso = open_sandbox(course, limits or sandbox.Limits()) if isolate else Isolation(nonce=integrity.new_nonce())
    try:
        return _autograde(course, name, jobs, students, notebooks, locked, timeout, iso)
    finally:
        if iso.workdir is not None:
            shutil.rmtree(iso.workdir, ignore_errors=True)


def _autograde(course: Path, name: str, jobs: int, students: list[str], notebooks: list[str],
               locked: dict[str, dict[str, str]], timeout: float, iso: Isolation) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    reports = course / "reports"
    reports.mkdir(exist_ok=True)
    outcomes = {s: Outcome(s) for s in students}
    batches = [students[i::jobs] for i in range(min(jobs, len(students)))]
    clock = [time.perf_counter()]
    with tempfile.TemporaryDirectory(prefix=f"autograde-{name}-") as tmp:
        roots = []
        for i, batch in enumerate(batches):
            root = _make_batch(course, name, Path(tmp) / f"batch{i}", batch, iso.batch_config(f"b{i}"))
            for s in batch:
                _prepare(course / "submitted" / s / name, root / "submitted" / s / name, course / "release" / name,
                         notebooks, locked, outcomes[s], iso.nonce)
            roots.append(root)
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            clock.append(time.perf_counter())
            logs = list(pool.map(lambda i: _run_batch(roots[i], name, timeout * len(batches[i]) + 60, iso.env),
                                 range(len(batches))))
            clock.append(time.perf_counter())
        crashed: list[tuple[str, Path]] = []  # students whose kernel died: graded again below
        for i, (root, batch, log) in enumerate(zip(roots, batches, logs, strict=True)):
            (reports / f"{name}-{stamp}-batch{i}.log").write_text(log)
            for s in batch:
                out = outcomes[s]
                graded_dir = root / "autograded" / s / name
                out.graded = graded_dir.is_dir()
                if out.graded:
                    _take_graded(course, name, s, graded_dir, out, iso.nonce)
                elif out.absent != set(notebooks) and "kernel died" in _kernel_note(log, s):
                    crashed.append((s, root))
                    continue
                elif out.absent != set(notebooks):
                    out.notes.append(_kernel_note(log, s))
                _merge(course, root, name, out)
        if crashed:
            _second_chance(course, name, Path(tmp) / "retry", crashed, outcomes, reports / f"{name}-{stamp}", iso)
        clock.append(time.perf_counter())
    where = "in the sandbox" if iso.workdir is not None else "WITHOUT the sandbox (--no-sandbox)"
    timing = (f"kernels run {where}; {len(batches)} batches in parallel; prepare {clock[1] - clock[0]:.1f} s, "
              f"nbgrader {clock[2] - clock[1]:.1f} s, merge {clock[3] - clock[2]:.1f} s"
              + (f" (including the regrade of {len(crashed)} crashed kernels)" if crashed else ""))
    return _write_report(reports / f"{name}-{stamp}", name, [outcomes[s] for s in students], timing)


CRASH_STUB = ('raise RuntimeError("autograder: this cell crashed the kernel (os._exit, segfault, out of '
              'memory, or a limit of the sandbox: CPU time, wall clock), so it was not run")')


def _find_crash_cell(path: Path, timeout: int, iso: Isolation) -> int | None:
    """Run a notebook cell by cell and return the index of the cell during which the kernel died (or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    km = iso.kernel_manager("retry")
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                            kernel_name=km.kernel_name, resources={"metadata": {"path": str(path.parent)}})
    index = None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    except DeadKernelError:
        return index
    except Exception:  # any other failure: no cell to blame
        return None
    return None


def _second_chance(course: Path, name: str, root: Path, crashed: list[tuple[str, Path]],
                   outcomes: dict[str, Outcome], report_base: Path, iso: Isolation) -> None:
    """Grade again the students whose kernel died, with the crashing cell of their own code replaced by an error.

    The rest of the notebook then runs and earns its points. A crash inside a read-only cell
    (nbgrader puts the instructor's version back) cannot be worked around: that student gets 0.
    """
    from traitlets.config import get_config

    config = runpy.run_path(str(course / "nbgrader_config.py"), init_globals={"get_config": get_config})["c"]
    timeout = int(config.Execute.get("timeout", 60) or 60)
    _make_batch(course, name, root, [], iso.batch_config("r"))
    notes: dict[str, list[str]] = {}
    for student, batch_root in crashed:
        dst = root / "submitted" / student / name
        shutil.copytree(batch_root / "submitted" / student / name, dst)
        notes[student] = []
        for path in sorted(dst.glob("*.ipynb")):
            index = _find_crash_cell(path, timeout, iso)
            if index is None:
                continue
            nb = nbformat.read(path, as_version=4)
            cell = nb.cells[index]
            label = _grade_id(cell) or f"number {index + 1}"
            if integrity.is_check(cell):
                outcomes[student].cheated.append("the kernel died in an integrity check")
                notes[student].append(f"{path.name}: the kernel died in an integrity check inserted by the "
                                      "autograder: graded 0, review by hand")
                continue
            if cell.metadata.get("nbgrader", {}).get("locked"):
                notes[student].append(f"{path.name}: the kernel died in read-only cell {label!r}")
                continue
            cell.source = CRASH_STUB
            nbformat.write(nb, path)
            notes[student].append(f"{path.name}: the kernel died in cell {label!r} (os._exit, segfault, out of "
                                  "memory or a sandbox limit); that cell was replaced by an error and the rest graded")
    log = _run_batch(root, name, 900.0 * len(crashed) + 60, iso.env)
    (report_base.parent / f"{report_base.name}-retry.log").write_text(log)
    for student, _ in crashed:
        out = outcomes[student]
        graded_dir = root / "autograded" / student / name
        out.graded = graded_dir.is_dir()
        out.notes += notes[student]
        if out.graded:
            _take_graded(course, name, student, graded_dir, out, iso.nonce)
        else:
            out.notes.append("graded 0" if notes[student] else _kernel_note(log, student))
        _merge(course, root, name, out)


def _write_report(base: Path, name: str, outcomes: list[Outcome], timing: str) -> Path:
    rows = [(o.student, o.status, f"{o.score:g}", f"{o.max_score:g}", "; ".join(o.notes)) for o in outcomes]
    with open(base.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "status", "score", "max_score", "notes"])
        writer.writerows(rows)
    width = max(len(r[0]) for r in rows)
    lines = [f"autograde {name}: {len(rows)} submissions, "
             f"{sum(o.status == 'ok' for o in outcomes)} ok, {sum(o.status == 'FLAGGED' for o in outcomes)} flagged, "
             f"{sum(o.status == 'ZERO' for o in outcomes)} graded 0 (nothing could run)"
             + (f", {sum(o.status == 'TAMPERED' for o in outcomes)} graded 0 for tampering"
                if any(o.status == "TAMPERED" for o in outcomes) else ""), timing, ""]
    lines += [f"{r[0]:<{width}}  {r[1]:<8}  {r[2]:>6} / {r[3]:<6}  {r[4]}".rstrip() for r in rows]
    text = base.with_suffix(".txt")
    text.write_text("\n".join(lines) + "\n")
    return text


# ----------------------------------------------------------------------------------------------
# feedback and grades
# ----------------------------------------------------------------------------------------------
def feedback(course: Path, name: str) -> None:
    """Write one HTML feedback page per autograded student into ``feedback/<student>/NAME/``."""
    _fail(nbgrader(["generate_feedback", name, "--force"], course), "nbgrader generate_feedback")
    print(f"feedback written under {course / 'feedback'}")


def grades(course: Path, out: Path) -> None:
    """Export every grade of the gradebook to a CSV file with ``nbgrader export``."""
    out = out.resolve()
    _fail(nbgrader(["export", f"--to={out}"], course), "nbgrader export")
    print(f"grades written to {out}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one subcommand; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, default=COURSE, help="course root (default: assignments/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student versions into release/")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--check", action="store_true", help="fail if release/ differs from a fresh generation")
    p = sub.add_parser("collect", help="import an LMS download with nbgrader zip_collect")
    p.add_argument("assignment")
    p.add_argument("--zip", type=Path, required=True, help="folder with the downloaded zip files/notebooks")
    p.add_argument("--regexp", help="FileNameCollectorPlugin.named_regexp (default: the one in nbgrader_config.py)")
    p = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT in parallel")
    p.add_argument("assignment")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per student (default 900)")
    d = sandbox.Limits()
    p.add_argument("--no-sandbox", dest="isolate", action="store_false",
                   help="run the students' code WITHOUT isolation, as this user (only for submissions you trust)")
    p.add_argument("--memory", type=int, default=d.memory_mb, help=f"MB of address space per kernel ({d.memory_mb})")
    p.add_argument("--cpu-time", type=int, default=d.cpu_s, help=f"CPU seconds per kernel process ({d.cpu_s})")
    p.add_argument("--notebook-timeout", type=int, default=d.wall_s,
                   help=f"wall-clock seconds per notebook ({d.wall_s})")
    p.add_argument("--max-processes", type=int, default=d.processes,
                   help=f"processes and threads per kernel ({d.processes})")
    p.add_argument("--disk", type=int, default=d.disk_mb,
                   help=f"MB the kernel may write, in its working copy and in /tmp each ({d.disk_mb})")
    p = sub.add_parser("feedback", help="HTML feedback for every autograded student")
    p.add_argument("assignment")
    p = sub.add_parser("grades", help="export the gradebook to CSV")
    p.add_argument("--out", type=Path, default=COURSE / "grades.csv")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"--course: expected a folder with nbgrader_config.py, got {course}")
    if args.command == "release":
        return release(course, args.assignments, args.check)
    if args.command == "collect":
        collect(course, args.assignment, args.zip, args.regexp)
    elif args.command == "autograde":
        limits = sandbox.Limits(memory_mb=args.memory, cpu_s=args.cpu_time, wall_s=args.notebook_timeout,
                                processes=args.max_processes, disk_mb=args.disk,
                                file_mb=min(sandbox.Limits.file_mb, args.disk))
        report = autograde(course, args.assignment, args.jobs, args.student, args.timeout, args.isolate, limits)
        print(report.read_text(), end="")
        print(f"report: {report} (and {report.with_suffix('.csv').name})")
    elif args.command == "feedback":
        feedback(course, args.assignment)
    elif args.command == "grades":
        grades(course, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
