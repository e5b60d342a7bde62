"""`pip install .` must give a student course_lib alone, with loose requirements."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_course_lib_only(tmp_path):
    # Build from a copy of what a `pip install git+...` would see, so no build/ lands in the repo.
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "course_lib", src / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    for extra in ("book", "tests", "assignments"):  # present in a clone; must not be packaged
        shutil.copytree(ROOT / extra, src / extra, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(src)],
        check=True,
    )
    (wheel,) = tmp_path.glob("course_lib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"course_lib", next(t for t in top if t.endswith(".dist-info"))}
    for module in (
        "course_lib/nn_numpy/rnn.py",
        "course_lib/nn_torch/rnn.py",
        "course_lib/gradcheck.py",
        "course_lib/data/files/MANIFEST.json",
        "course_lib/data/files/kjv.txt.gz",
    ):
        assert module in names
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("METADATA"))
    ).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert sorted(core) == ["Requires-Dist: numpy>=1.24", "Requires-Dist: torch>=2.1", "Requires-Dist: tqdm>=4.60"]
