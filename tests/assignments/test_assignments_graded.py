"""The real assignments through the whole grading pipeline, in a temporary copy of the course.

For every assignment in ``assignments/source`` the student version is generated, and three
submissions are autograded together (two jobs): the instructor's notebook with its solutions (every
autograded point), the untouched release (zero), and a deliberately wrong solution that breaks one
function. The wrong one must lose the points of the tests that exercise that function, and keep all
the others: the tests are fair (a mistake costs its own points, not the whole notebook) and hard to
satisfy by accident (a plausible bug is caught).

This grades the notebooks exactly as ``make autograde`` does, so it also checks that every cell of
the autograde configuration (``NBGRADER_EXECUTION``) finishes within the real per-cell time limit.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from .test_course import course_cli

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "assignments" / "source"




@dataclass(frozen=True)
class Mistake:
    """A plausible bug: in solution cell ``cell``, ``old`` becomes ``new``; tests ``fails`` lose their points."""


    cell: str
    old: str
    new: str
    fails: frozenset[str]


MISTAKES = {
    "a1-rnn": [
        # The relative error is taken against the negated numerical gradient: a sign slip.
        Mistake("a1-gradient-check", "rel_error(grad, numeric)", "rel_error(grad, -numeric)",
                frozenset({"a1-gradient-check-tests"})),
    ],
    "a2-bptt": [
        # Clipping to [0, c] instead of [-c, c] loses every negative entry.
        Mistake("a2-clip-value", "np.clip(g, -clip_value, clip_value)", "np.clip(g, 0.0, clip_value)",
                frozenset({"a2-clip-value-tests"})),
    ],
    "a3-gated": [
        # The cell-state gradient passed back through the input gate instead of the forget gate. The
        # long-range experiment measures how far the student's LSTM gradient reaches, so it fails too.
        Mistake("a3-lstm-backward", "dc * f\n", "dc * i\n",
                frozenset({"a3-lstm-backward-tests", "a3-reach-tests"})),
        # z and 1 - z swapped in the GRU interpolation (a common confusion between conventions). The
        # backward tests run on the cache of the student's own forward, so they fail with it.
        Mistake("a3-gru-forward", "h_next = (1.0 - z) * n + z * h_prev", "h_next = z * n + (1.0 - z) * h_prev",
                frozenset({"a3-gru-forward-tests", "a3-gru-backward-tests"})),
    ],
    "a4-bidirectional": [
        # Padding positions of the output left as they came instead of zeroed.
        Mistake("a4-birnn-forward", "axis=2) * mask[:, :, None]", "axis=2)", frozenset({"a4-birnn-forward-tests"})),
        # The loss averaged over every N * T position, padding included.
        Mistake("a4-masked-loss", "count = mask.sum()", "count = N * T", frozenset({"a4-masked-loss-tests"})),
    ],
    "a5-application": [
        # Targets not shifted (y = x): the chunking test fails, and the model learns to copy its input,
        # which the training test (measured with its own chunking) sees as a huge perplexity.
        Mistake("a5-chunks", "ids[1 : n_streams * L + 1]", "ids[: n_streams * L]",
                frozenset({"a5-chunks-tests", "a5-train-tests"})),
        # The temperature ignored except for greedy decoding.
        Mistake("a5-generate", "temperature=temperature,", "temperature=1.0 if temperature else 0.0,",
                frozenset({"a5-generate-tests"})),
    ],
}

ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _grades(notebook: dict) -> dict[str, float]:
    """grade_id -> points of every autograded test cell of a notebook (JSON)."""
    out = {}
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code":
            out[meta["grade_id"]] = float(meta["points"])
    return out


def _break(notebook: dict, mistake: Mistake) -> dict:
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == mistake.cell:
            source = "".join(cell["source"])
            assert source.count(mistake.old) == 1, f"{mistake.cell} no longer contains {mistake.old!r}"
            cell["source"] = source.replace(mistake.old, mistake.new)
            return notebook
    raise AssertionError(f"no cell {mistake.cell}")


def test_every_assignment_has_a_mistake_recipe():
    assert set(MISTAKES) <= set(ASSIGNMENTS), "a recipe names an assignment that does not exist"
    missing = set(ASSIGNMENTS) - set(MISTAKES)
    assert not missing, f"add a deliberately wrong submission for {sorted(missing)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_full_marks_release_zero_mistake_costs_its_points(tmp_path, name):
    course = tmp_path / "assignments"
    course.mkdir()
    shutil.copy2(REPO / "assignments" / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(SOURCE / name, course / "source" / name)
    assert course_cli.main(["--course", str(course), "release", name]) == 0

    source_nb = json.loads((SOURCE / name / f"{name}.ipynb").read_text())
    points = _grades(source_nb)
    for student, folder in (("teacher", "source"), ("nobody", "release")):
        shutil.copytree(course / folder / name, course / "submitted" / student / name)
    wrong = {f"wrong{k}": mistake for k, mistake in enumerate(MISTAKES[name])}
    for student, mistake in wrong.items():
        assert mistake.fails <= set(points), f"{sorted(mistake.fails - set(points))} are not graded cells"
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        (folder / f"{name}.ipynb").write_text(json.dumps(_break(json.loads(json.dumps(source_nb)), mistake)))

    report = course_cli.autograde(course, name, jobs=2, only=None, timeout=600)
    with open(report.with_suffix(".csv"), newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}

    with Gradebook(course_cli.db_url(course)) as gb:
        def scores(student: str) -> dict[str, float]:
            return {gid: gb.find_grade(gid, name, name, student).score for gid in points}

        got = {student: scores(student) for student in ("teacher", "nobody", *wrong)}
    assert got["teacher"] == points, f"the solution must earn every autograded point: {rows['teacher']}"
    assert sum(got["nobody"].values()) == 0, f"the blank release must earn nothing: {got['nobody']}"
    for student, mistake in wrong.items():
        expected = {gid: (0.0 if gid in mistake.fails else pts) for gid, pts in points.items()}
        assert got[student] == expected, (
            f"{mistake.cell} broken ({mistake.old!r} -> {mistake.new!r}) should fail exactly "
            f"{sorted(mistake.fails)}; got {got[student]}\n{rows[student]}"
        )
