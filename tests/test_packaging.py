"""`pip install .` must give a student course_lib alone, with loose requirements."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_course_lib_only(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("course_lib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"course_lib", next(t for t in top if t.endswith(".dist-info"))}
    for module in ("course_lib/nn_numpy/rnn.py", "course_lib/nn_torch/rnn.py", "course_lib/gradcheck.py"):
        assert module in names
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("METADATA"))
    ).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert sorted(core) == ["Requires-Dist: numpy>=1.24", "Requires-Dist: torch>=2.1"]
