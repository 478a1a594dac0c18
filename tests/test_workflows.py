"""Is every GitHub Actions workflow the kit ships one that GitHub would accept?

None of them can run here, so each is validated against GitHub's workflow schema: SchemaStore's, as
check-jsonschema bundles it (``--builtin-schema vendor.github-workflows``), with the network refused, so
nothing is downloaded. The broken workflows show that the check refuses what GitHub would. Of
``portable.yml``, the student's path on Windows and macOS, the platforms and the install are checked
against the README, and its grading step's own script is run here with bash.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from check_jsonschema import main as check_jsonschema
from click.testing import CliRunner

from tests.helpers import KIT

WORKFLOWS = sorted([*(KIT / ".github" / "workflows").glob("*.yml"), *(KIT / "docs" / "workflows").glob("*.yml")])


def validate(*paths) -> tuple[int, str]:
    """check-jsonschema's exit status and output for ``paths`` against GitHub's workflow schema."""
    done = CliRunner().invoke(check_jsonschema, ["--builtin-schema", "vendor.github-workflows", *map(str, paths)])
    return done.exit_code, done.output


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No connection can be made: a schema fetched at test time would fail here, not pass."""

    def refuse(*args, **kwargs):
        raise OSError("tests/test_workflows.py: no network at test time")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_the_readme_names_every_workflow_the_kit_ships():
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    assert {path.name for path in WORKFLOWS} >= {"grade.yml", "portable.yml", "official-grade.yml"}
    assert [path for path in WORKFLOWS if f"{path.parent.parent.name}/workflows/{path.name}`" not in readme] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_each_workflow_is_valid_under_githubs_schema(path):
    code, output = validate(path)
    assert code == 0, output


JOB = """\
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
"""
BROKEN = {  # the text after ``name:``, and what the refusal says
    "a job without runs-on": ("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n", "'runs-on' is a required property"),
    "a step that both uses and runs": ("on: push\n" + JOB + "        run: echo\n", "$.jobs.a"),
    "no jobs": ("on: push\n" + JOB.replace("jobs:", "job:"), "'jobs' is a required property"),
    "an unknown trigger": ("on: pull-request\n" + JOB, "pull-request"),
}


@pytest.mark.parametrize(("body", "said"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_workflow_is_refused(tmp_path, body, said):
    path = tmp_path / "broken.yml"
    path.write_text("name: broken\n" + body, encoding="utf-8")
    code, output = validate(path)
    assert code == 1
    assert said in output


# ------------------------------------------------------------------ portable.yml: the student's path on Windows and macOS

PORTABLE = KIT / ".github" / "workflows" / "portable.yml"
CPU_WHEELS = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"
GRADING = "Grade exercise 1 on the reference solutions"


@pytest.fixture(scope="module")
def portable() -> dict:
    return yaml.safe_load(PORTABLE.read_text(encoding="utf-8"))


def step(workflow: dict, name: str) -> dict:
    return next(s for s in workflow["jobs"]["student-path"]["steps"] if s.get("name") == name)


def test_portable_runs_on_windows_and_macos_with_linux_as_the_control(portable):
    matrix = portable["jobs"]["student-path"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"windows-latest", "macos-latest", "ubuntu-latest"}
    assert matrix["python"] == ["3.11"]
    job = portable["jobs"]["student-path"]
    places = [portable, job, *job["steps"]]
    assert all("GRADER_SANDBOX" not in place.get("env", {}) for place in places)  # each machine picks its runner itself
    assert all("GRADER_SANDBOX" not in place.get("run", "") for place in job["steps"])


def test_portable_installs_as_the_readme_tells_a_student(portable):
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    assert f"`{CPU_WHEELS}`" in readme
    assert step(portable, "Install PyTorch's CPU-only wheels")["run"] == f"python -m {CPU_WHEELS}"
    assert step(portable, "Install the kit")["run"] == "python -m pip install -e '.[test]'"


def run_step(script: str, folder: Path) -> subprocess.CompletedProcess:
    """A step's script, run with bash as GitHub's runner runs it, with this environment's ``grade`` on the PATH."""
    (folder / "step.sh").write_text(script, encoding="utf-8")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh"],
        cwd=folder,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # a whole `grade` process: torch's import and a sandbox's start
@pytest.mark.parametrize("given", ["solutions", "exercises"])
def test_portables_grading_step_passes_on_the_solutions_and_fails_on_the_stubs(portable, tmp_path, given):
    """The step's own script, in a folder whose ``solutions/`` holds the reference solutions, or the stubs."""
    shutil.copytree(KIT / given, tmp_path / "solutions")
    done = run_step(step(portable, GRADING)["run"], tmp_path)
    doc = json.loads((tmp_path / "grade.json").read_text(encoding="utf-8"))
    if given == "exercises":
        assert done.returncode != 0  # grade exits 1: the step fails before its own assertion
        assert doc["score"] < doc["max_score"]
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"score {doc['score']} / {doc['max_score']} isolation {doc['isolation']}\n"
    assert doc["score"] == doc["max_score"] > 0
