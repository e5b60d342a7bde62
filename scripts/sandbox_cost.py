"""Per-notebook cost of the autograder's sandbox: one assignment's source graded N times each way.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/sandbox_cost.py [ASSIGNMENT] [N]

Each run grades the instructor's own notebook as a single student with one job, in a fresh
temporary course, once with ``--no-sandbox`` and once in the sandbox, alternately. Printed: the
``nbgrader`` phase of the report (the notebook's execution) and the whole ``autograde`` call
(which adds the sandbox's self-test).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course  # noqa: E402


def main(name: str = "a1-rnn", n: int = 3) -> None:
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for i in range(n):
        for isolate in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "assignments"
                root.mkdir()
                shutil.copy2(course.COURSE / "nbgrader_config.py", root)
                shutil.copytree(course.COURSE / "source" / name, root / "source" / name)
                course.generate(root, [name])
                shutil.copytree(root / "source" / name, root / "submitted" / "teacher" / name)
                start = time.perf_counter()
                report = course.autograde(root, name, 1, None, 900, isolate=isolate)
                total = time.perf_counter() - start
                text = report.read_text()
                nbgrader = float(re.search(r"nbgrader ([\d.]+) s", text).group(1))
                row = next(line for line in text.splitlines() if line.startswith("teacher"))
                results[isolate].append((nbgrader, total))
                print(f"run {i} sandbox={isolate}: nbgrader {nbgrader:.2f} s, autograde {total:.2f} s | {row}")
    for isolate in (False, True):
        r = results[isolate]
        print(f"sandbox={isolate}: nbgrader mean {sum(x for x, _ in r) / n:.2f} s, "
              f"autograde mean {sum(y for _, y in r) / n:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "a1-rnn", int(sys.argv[2]) if len(sys.argv) > 2 else 3)
