"""Autograding a class: plain ``nbgrader autograde`` against ``scripts/course.py autograde --jobs N``.

A temporary course gets one assignment (default ``a1-rnn``) released and ``--students`` submissions
of its solution. Each round grades the same class from scratch three ways, in turn:

* ``plain``: ``nbgrader autograde ASSIGNMENT`` in the course root, one notebook after another;
* ``parallel``: ``scripts/course.py autograde ASSIGNMENT --jobs N --no-sandbox``;
* ``sandboxed``: the same with the default sandbox (skipped with a note where bubblewrap is missing).

It prints the wall time of each, the speed-up of ``parallel`` over ``plain`` and the cost of the
sandbox per notebook, and checks that every gradebook gives every student the same scores as the
plain run. Figures are medians over the rounds; the machine is shared and noisy, so compare only
the ratios of one run::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_autograde.py --students 20 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                         f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def make_class(root: Path, name: str, students: int) -> Path:
    """A course in ``root`` with ``name`` released and ``students`` copies of its solution submitted."""
    course = root / "assignments"
    course.mkdir(parents=True)
    shutil.copy2(REPO / "assignments" / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO / "assignments" / "source" / name, course / "source" / name)
    _run([sys.executable, str(REPO / "scripts" / "course.py"), "--course", str(course), "release", name], REPO)
    for k in range(students):
        shutil.copytree(course / "source" / name, course / "submitted" / f"s{k:03d}" / name)
    return course


def scores(course: Path, name: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(name)}


def sandbox_available() -> bool:
    return shutil.which("bwrap") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="a1-rnn")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    name = args.assignment
    course_py = [sys.executable, str(REPO / "scripts" / "course.py")]
    variants = {
        "plain": lambda c: _run([sys.executable, "-m", "nbgrader", "autograde", name], c),
        "parallel": lambda c: _run([*course_py, "--course", str(c), "autograde", name, "--jobs", str(args.jobs),
                                    "--no-sandbox"], REPO),
    }
    if sandbox_available():
        variants["sandboxed"] = lambda c: _run([*course_py, "--course", str(c), "autograde", name,
                                                "--jobs", str(args.jobs)], REPO)
    else:
        print("sandboxed: skipped, bwrap (Debian package bubblewrap) is not installed")
    times: dict[str, list[float]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        template = make_class(Path(tmp) / "template", name, args.students)
        reference = None
        for r in range(args.rounds):
            order = list(variants)
            order = order[r % len(order):] + order[: r % len(order)]  # rotate who goes first
            for variant in order:
                course = Path(tmp) / f"r{r}-{variant}" / "assignments"
                shutil.copytree(template, course)
                times[variant].append(variants[variant](course))
                got = scores(course, name)
                if len(got) != args.students:
                    raise SystemExit(f"{variant}: {len(got)} students in the gradebook, expected {args.students}")
                if reference is None:
                    reference = got
                elif got != reference:
                    raise SystemExit(f"{variant}: scores differ from the first run: {got} vs {reference}")
                print(f"round {r + 1} {variant:>9}: {times[variant][-1]:6.1f} s")
    med = {v: statistics.median(t) for v, t in times.items()}
    print(f"\n{args.students} submissions of {name}, {args.jobs} jobs, {os.cpu_count()} CPUs, "
          f"medians of {args.rounds} rounds; every gradebook gives every student the same score "
          f"({max(reference.values())})")
    for v, t in med.items():
        print(f"{v:>9}: {t:6.1f} s  ({t / args.students:.2f} s per notebook)")
    print(f"speed-up of parallel over plain nbgrader: {med['plain'] / med['parallel']:.2f}x")
    if "sandboxed" in med:
        extra = (med["sandboxed"] - med["parallel"]) * args.jobs / args.students
        print(f"sandbox: {med['sandboxed'] / med['parallel']:.2f}x the unsandboxed parallel run, "
              f"about {extra:+.2f} s of CPU-slot time per notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
