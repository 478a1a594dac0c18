"""Does .github/workflows/grade.yml run the kit's real commands, and do they give the summary it promises?

GitHub cannot run here, so the test does what the runner would: it checks out a course repository
with a pull request in a temp folder, then runs each of the workflow's own ``run:`` scripts with
bash, the step's environment and ``$GITHUB_OUTPUT`` / ``$GITHUB_STEP_SUMMARY`` files. Only the
install step is left out: the kit under test is already installed.
"""

from __future__ import annotations

import csv
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
from grader.cli import main, teaching
from tests.helpers import EX1_POINTS, KIT, solution_with

pytestmark = pytest.mark.slow  # the CI and Gradescope flows, each a fresh `grade` process

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
    assert uploads
    assert uploads[0]["with"]["path"] == "grade.json"
    assert uploads[0]["if"] == "always()"


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


def run_steps(
    workflow: dict, workspace: Path, base: str, names: tuple[str, ...], env: dict | None = None, known: dict | None = None
) -> dict:
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
            if expression in (known or {}):
                return known[expression]
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
    assert [e["exercise"] for e in doc["exercises"]] == ["exercise1_tensors"]
    assert doc["score"] == doc["max_score"] == EX1_POINTS
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


def test_the_annotations_follow_whatever_the_grade_step_did(workflow, tmp_path):
    """Exit 3 (the kit's fault) fails the Grade step, but the document it wrote is annotated all the same."""
    report = next(s for s in steps(workflow) if s.get("name") == REPORT)
    assert report.get("if") == "always()"
    workspace, base = course(tmp_path, {"README.md": "changed\n"})
    (workspace / "grade.json").write_text("", encoding="utf-8")  # what a usage error (exit 2) leaves
    assert run_steps(workflow, workspace, base, (REPORT,))[REPORT].returncode == 0


@pytest.mark.parametrize(
    ("changes", "env", "chosen"),
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


# ---------------------------------------------------------------- the teacher's official grade

OFFICIAL = KIT / "docs" / "workflows" / "official-grade.yml"
FETCH, GRADE_ALL_STUDENTS = "Fetch the students' repositories, read-only", "Grade every student"


@pytest.fixture(scope="module")
def official() -> dict:
    return yaml.safe_load(OFFICIAL.read_text(encoding="utf-8"))


def test_the_official_grade_runs_only_by_hand_from_the_full_kit_and_uploads_the_gradebook(official):
    triggers = official.get("on", official.get(True))
    assert set(triggers) == {"workflow_dispatch"}  # never on a student's push or pull request
    assert official["permissions"] == {"contents": "read"}
    checkouts = [s for s in steps(official) if s.get("uses", "").startswith("actions/checkout@")]
    assert [c["with"]["path"] for c in checkouts] == ["kit"]  # students' repositories are cloned as data, not checked out as code
    uploads = [s for s in steps(official) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads[0]["with"]["path"] == "gradebook"
    assert uploads[0]["if"] == "always()"
    grading = next(s["run"] for s in steps(official) if s.get("name") == GRADE_ALL_STUDENTS)
    batch = next(command for command in teaching.COMMANDS if command.name == "batch")
    words = [w for w in shlex.split(grading) if not w.startswith("$")]
    assert words[:3] == ["grade", "batch", "submissions"]
    assert {w for w in words if w.startswith("--")} <= {opt for param in batch.params for opt in param.opts}


def student_repository(server: Path, name: str, code: str) -> None:
    """A student's repository on a (local) git server: the kit's stub of exercise 1 with ``code`` over it."""
    repository = server / "course" / f"{name}.git"
    work = server / "work" / name
    (work / "exercises").mkdir(parents=True)
    (work / "exercises" / "exercise1_tensors.py").write_text(code, encoding="utf-8")
    (work / ".github" / "workflows").mkdir(parents=True)
    (work / ".github" / "workflows" / "grade.yml").write_text("# a student's own workflow: never run by the official grade\n")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "work")
    git(server, "clone", "-q", "--bare", str(work), str(repository))


def test_the_official_grade_fetches_each_roster_repository_and_grades_them_all_in_one_gradebook(official, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    server, workspace = tmp_path / "server", tmp_path / "workspace"
    server.mkdir()
    student_repository(server, "ada", solution_with("exercise1_tensors", ""))
    student_repository(server, "bob", (KIT / "exercises" / "exercise1_tensors.py").read_text(encoding="utf-8"))
    (workspace / "kit").mkdir(parents=True)  # the install step is not run here: the kit is this one, installed
    (workspace / "kit" / "students.txt").write_text("# student repository\nada course/ada\nbob course/bob main\ncarl course/gone\n")
    known = {"secrets.STUDENTS_READ_TOKEN": "t0ken", "github.server_url": server.as_uri(), "inputs.seed": "5"}
    env = {**official["env"], "EXERCISES": "1"}
    results = run_steps(official, workspace, "", (FETCH, GRADE_ALL_STUDENTS), env=env, known=known)
    assert results[FETCH].returncode == 0, results[FETCH].stderr
    assert "::warning title=Roster::carl: course/gone could not be fetched; graded as an empty folder" in results[FETCH].stdout
    assert not (workspace / "submissions" / "ada" / ".git").exists()
    assert results[GRADE_ALL_STUDENTS].returncode == 0, results[GRADE_ALL_STUDENTS].stderr
    with open(workspace / "gradebook" / "grades.csv", encoding="utf-8-sig", newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    assert (rows["ada"]["total"], rows["bob"]["total"], rows["carl"]["status"]) == (f"{EX1_POINTS:g}", "0", "empty")
    assert {row["seed"] for row in rows.values()} == {"5"}
    assert rows["ada"]["max"] == f"{EX1_POINTS:g}"


def test_a_roster_line_that_is_no_student_and_repository_stops_the_official_grade(official, tmp_path):
    workspace = tmp_path / "workspace"
    (workspace / "kit").mkdir(parents=True)
    (workspace / "kit" / "students.txt").write_text("ada ../../etc\n")
    known = {"secrets.STUDENTS_READ_TOKEN": "", "github.server_url": tmp_path.as_uri()}
    results = run_steps(official, workspace, "", (FETCH,), env=official["env"], known=known)
    assert results[FETCH].returncode == 2
    assert "students.txt: 'ada ../../etc' is not '<student> <owner/repository> [branch]'" in results[FETCH].stdout
