"""Does ``grade gradescope-bundle`` write a zip that Gradescope can build and run?

The zip is unpacked into a temp folder laid out like Gradescope's ``/autograder`` (``source/``,
``submission/``, ``results/``), and ``run_autograder`` runs there for real; ``setup.sh`` runs
with a stand-in ``python3`` that only records what it was asked, so nothing is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from grader.course import gradescope_bundle
from tests.cli_support import grade_cli, gradescope_schema
from tests.helpers import EX1_POINTS, KIT, solution_with


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = grade_cli("gradescope-bundle", str(out), "1", "--timeout-scale", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return out


def autograder_root(tmp_path: Path, bundle: Path) -> Path:
    """A folder like Gradescope's /autograder after it built the image from ``bundle``."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits; Gradescope's unzip keeps them
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    (root / "submission").mkdir()
    return root


def python_first() -> dict:
    """``python3`` is the interpreter running these tests, which has the kit's dependencies."""
    folder = Path(sys.executable).parent
    if not (folder / "python3").exists():
        pytest.skip(f"no python3 beside {sys.executable}")
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_zip_has_the_two_scripts_at_its_root_and_the_kit_beside_them(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    for needed in (
        "pyproject.toml",
        "grader/cli/__init__.py",
        "grader/checks/test_exercise1_tensors.py",
        "solutions/exercise1_tensors.py",
        "data/train-images-idx3-ubyte.gz",
    ):
        assert needed in infos
    assert not [n for n in infos if "__pycache__" in n or n.startswith(("tests/", "exercises/", ".git"))]


def test_run_autograder_grades_the_submission_into_results_json(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    wrong = "def make_vector(values):\n    return torch.tensor(values)\n"  # int64 for a list of ints
    (root / "submission" / "exercise1_tensors.py").write_text(solution_with("exercise1_tensors", wrong), encoding="utf-8")
    done = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env={**python_first(), "AUTOGRADER_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, gradescope_schema(), cls=jsonschema.Draft202012Validator)
    assert sum(t["max_score"] for t in results["tests"]) == EX1_POINTS
    assert results["score"] == EX1_POINTS - 1
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["exercise1_tensors: make_vector"]
    assert "hint:" in failed[0]["output"]
    assert not (root / "results" / "results.json.part").exists()


def test_run_autograder_writes_no_results_when_grading_itself_fails(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    (root / "submission").rmdir()  # grade exits 2: there is nothing to grade
    done = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env={**python_first(), "AUTOGRADER_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "no results.json was written" in done.stderr
    assert not (root / "results" / "results.json").exists()


def test_setup_installs_the_kit_from_source(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "calls.log"
    (fake / "python3").write_text(f'#!/bin/sh\necho "$PWD $*" >> "{log}"\n', encoding="utf-8")
    (fake / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0] == f"{root / 'source'} -m pip install -e ."
    assert calls[-1] == f"{root / 'source'} -I -m grader.cli list"


def test_bundle_needs_the_kits_source(tmp_path):
    with pytest.raises(gradescope_bundle.BundleError, match="pip install -e"):
        gradescope_bundle.sources(tmp_path)
    assert (KIT / "pyproject.toml") in [KIT / p for p in gradescope_bundle.sources(KIT)]
