"""Does a real install (a wheel, not the editable checkout) carry every file of grader/ the kit reads at run time?

An editable install reads the checkout, so a file that pyproject.toml's package-data misses (the release's templates,
once they moved into grader/course/) is only found missing by a teacher who ran ``pip install .``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.helpers import KIT

LEFT_OUT = ("__pycache__",)  # Python's caches, never part of the package


def test_the_wheel_holds_every_file_of_the_grader_package(tmp_path):
    source = tmp_path / "source"  # built from a copy, so that setuptools writes its build/ and egg-info there, not into the kit
    shutil.copytree(KIT / "grader", source / "grader", ignore=shutil.ignore_patterns(*LEFT_OUT, "*.pyc"))
    shutil.copytree(KIT / "solutions", source / "solutions", ignore=shutil.ignore_patterns(*LEFT_OUT))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(KIT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(source).as_posix() for p in (source / "grader").rglob("*") if p.is_file()}
    assert wanted - packed == set()
