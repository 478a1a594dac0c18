"""Does .github/workflows/grade.yml run the kit's real commands, and do they give the summary it promises?

GitHub cannot run here, so the test does what the runner would: it checks out a course repository
with a pull request in a temp folder, then runs each of the workflow's own ``run:`` scripts with
bash, the step's environment and ``$GITHUB_OUTPUT`` / ``$GITHUB_STEP_SUMMARY`` files. Only the
install step is left out: the kit under test is already installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader import formats
from grader.cli import main
from tests.conftest import EX1_POINTS, KIT, solution_with

WORKFLOW = KIT / ".github" / "workflows" / "grade.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["grade"]["steps"]


def test_it_runs_on_pull_requests_and_reads_only_the_repository(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    checkouts = [s["with"] for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    assert [c["path"] for c in checkouts] == ["kit", "submission"]
    assert "base.sha" in checkouts[0]["ref"]  # the grader comes from the base branch, not from the pull request
    uploads = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "grade.json" and uploads[0]["if"] == "always()"


def test_every_grade_command_is_one_the_kit_has(workflow):
    lines = [line.strip() for s in steps(workflow) for line in s.get("run", "").splitlines() if line.strip().startswith("grade ")]
    assert len(lines) >= 2
    for line in lines:
        words = shlex.split(line.split(">")[0])
        command = main.commands[words[1] if words[1] in main.commands else "run"]
        known = {opt for param in command.params for opt in param.opts}
        for i, word in enumerate(words):
            if word.startswith("--"):
                assert word in known, f"{line}: grade {command.name} has no {word}"
            if word == "--format":
                assert words[i + 1] in formats.NAMES
    installs = [s["run"] for s in steps(workflow) if s.get("name", "").startswith("Install")]
    assert installs == ["python -m pip install -e ./kit"]  # editable: the kit finds its shipped data/ beside it


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Student", "-c", "user.email=student@example.org", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def course(tmp_path: Path, changes: dict[str, str]) -> tuple[Path, str]:
    """A workspace as the workflow's checkouts leave it: ``kit/`` and ``submission/`` holding a pull
    request that writes ``changes`` over the stubs; returns it and the base commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    workspace = tmp_path / "workspace"
    submission = workspace / "submission"
    (submission / "exercises").mkdir(parents=True)
    (workspace / "kit").symlink_to(KIT)
    for stem in ("exercise1_tensors", "exercise2_reshape"):
        shutil.copy(KIT / "exercises" / f"{stem}.py", submission / "exercises")
    (submission / "README.md").write_text("course\n", encoding="utf-8")
    git(submission, "init", "-q")
    git(submission, "add", ".")
    git(submission, "commit", "-q", "-m", "base")
    base = git(submission, "rev-parse", "HEAD")
    for name, text in changes.items():
        (submission / name).write_text(text, encoding="utf-8")
    git(submission, "add", ".")
    git(submission, "commit", "-q", "-m", "my work")
    return workspace, base


def run_steps(workflow: dict, workspace: Path, base: str, names: tuple[str, ...], env: dict | None = None) -> dict:
    """Run the named steps' scripts as the runner would; returns each step's result and the outputs."""
    output, summary = workspace / "github_output", workspace / "step_summary.md"
    outputs, results = {}, {}
    for step in steps(workflow):
        if step.get("name") not in names:
            continue

        def value(match):
            expression = match.group(1)
            if expression == "github.event.pull_request.base.sha":
                return base
            found = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expression)
            assert found, f"the test does not know the expression {expression!r}"
            return outputs[found.group(1)][found.group(2)]

        output.write_text("", encoding="utf-8")
        environment = {
            **os.environ,
            **workflow.get("env", {}),
            **(env or {}),
            **{k: EXPRESSION.sub(value, str(v)) for k, v in step.get("env", {}).items()},
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(workspace),
        }
        script = workspace / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        results[step["name"]] = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    results["outputs"] = outputs
    results["summary"] = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return results


CHOOSE, GRADE, REPORT = "Choose the exercises the pull request changed", "Grade", "Annotate, summarize and apply the course's minimum"


def test_a_pull_request_that_solves_exercise1_is_graded_on_it_and_passes(workflow, tmp_path):
    workspace, base = course(tmp_path, {"exercises/exercise1_tensors.py": solution_with("exercise1_tensors", "")})
    results = run_steps(workflow, workspace, base, (CHOOSE, GRADE, REPORT))
    assert results["outputs"]["choose"] == {"exercises": "exercise1_tensors"}
    assert results[GRADE].returncode == 0, results[GRADE].stderr
    doc = json.loads((workspace / "grade.json").read_text(encoding="utf-8"))  # what the artifact step uploads
    assert [e["exercise"] for e in doc["exercises"]] == ["exercise1_tensors"] and doc["score"] == doc["max_score"] == EX1_POINTS
    assert results[REPORT].returncode == 0
    assert results[REPORT].stdout.splitlines() == [f"::notice title=Autograding::Points {EX1_POINTS:g}/{EX1_POINTS:g}"]
    assert f"### Autograding: {EX1_POINTS:g}/{EX1_POINTS:g} points" in results["summary"]
    assert results["summary"].count("| ✅ | exercise1_tensors |") == len(doc["exercises"][0]["checks"])


def test_a_pull_request_below_the_minimum_fails_with_annotations_on_its_lines(workflow, tmp_path):
    broken = 'def describe(t):\n    raise KeyError("shape")  # RAISES HERE\n'
    workspace, base = course(
        tmp_path, {"exercises/exercise1_tensors.py": solution_with("exercise1_tensors", broken), "README.md": "changed too\n"}
    )
    results = run_steps(workflow, workspace, base, (CHOOSE, GRADE, REPORT), env={"MIN_PERCENT": "95"})
    assert results[GRADE].returncode == 0, results[GRADE].stderr  # a failed check is a result, not a broken step
    assert results[REPORT].returncode == 1  # one point short of all of them is below 95 %
    lines = results[REPORT].stdout.splitlines()
    source = (workspace / "submission" / "exercises" / "exercise1_tensors.py").read_text(encoding="utf-8").splitlines()
    raised = next(i for i, line in enumerate(source, 1) if "RAISES HERE" in line)
    assert lines[0].startswith(f"::error file=exercises/exercise1_tensors.py,line={raised},title=exercise1_tensors describe")
    assert lines[-1] == f"::notice title=Autograding::Points {EX1_POINTS - 1:g}/{EX1_POINTS:g}"
    assert "| ❌ | exercise1_tensors | describe | 0/1 | **error**: your code raised KeyError" in results["summary"]


@pytest.mark.parametrize(
    "changes, env, chosen",
    [
        ({"README.md": "only prose\n"}, {}, "all"),
        ({"exercises/exercise2_reshape.py": "# started\n", "exercises/exercise9_mine.py": "x = 1\n"}, {}, "exercise2_reshape"),
        ({"exercises/exercise2_reshape.py": "# started\n"}, {"GRADE_ALL": "true"}, "all"),
    ],
)
def test_the_exercises_chosen_are_those_the_pull_request_changed(workflow, tmp_path, changes, env, chosen):
    workspace, base = course(tmp_path, changes)
    results = run_steps(workflow, workspace, base, (CHOOSE,), env=env)
    assert results[CHOOSE].returncode == 0, results[CHOOSE].stderr
    assert results["outputs"]["choose"] == {"exercises": chosen}
