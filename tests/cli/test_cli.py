"""Does ``grade`` exit with the documented codes, print the documented JSON and say what went wrong?

Most tests drive ``grader.cli.main`` in-process with click's CliRunner; the ones marked
"real" run the installed command in a subprocess, as a student would.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import cli, registry
from grader.cli import options
from grader.formats.document import validate
from grader.judge import engine
from tests.cli_support import grade_cli
from tests.helpers import KIT, solution_with

EX1, EX2 = registry.by_stem("exercise1_tensors"), registry.by_stem("exercise2_reshape")
CHECK_STATUSES = {"passed", "failed", "error", "timeout", "memory", "crashed", "skipped"}
FAST = ["--timeout-scale", "0.5"]


def grade(*args, cwd: Path | None = None):
    """``grade ARGS`` in this process; stdout and stderr come back apart."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli.main, [str(a) for a in args], catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli.main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


def grade_json(*args) -> tuple[int, dict]:
    result = grade(*args, "--format", "json")
    doc = json.loads(result.stdout)  # the whole of stdout is the document
    validate(doc)
    return result.exit_code, doc


def assert_document(doc: dict) -> None:
    """The keys and types of README's JSON document, schema 1."""
    assert set(doc) == {
        "schema",
        "submission",
        "seed",
        "device",
        "score",
        "max_score",
        "exercises",
        "isolation",
        "isolation_missing",
        "lang",
    }
    assert (type(doc["schema"]), type(doc["submission"]), type(doc["seed"]), type(doc["device"])) == (int, str, int, str)
    assert set(doc["isolation"]) | set(doc["isolation_missing"]) >= {"namespaces", "landlock", "rlimits"}
    assert type(doc["score"]) is float
    assert type(doc["max_score"]) is float
    for part in doc["exercises"]:
        assert set(part) - {"message"} == {"exercise", "title", "score", "max_score", "status", "checks"}  # message: why not graded
        assert type(part["score"]) is float
        assert type(part["max_score"]) is float
        assert part["status"] in ("graded", "missing", "error")
        assert registry.by_stem(part["exercise"]).title == part["title"]
        for check in part["checks"]:
            assert set(check) - {"data"} == {"name", "score", "max_score", "status", "message", "hint", "nudge", "line", "hidden"}
            assert type(check["hidden"]) is bool
            assert check["line"] is None or (check["status"] == "error" and type(check["line"]) is int)
            assert type(check["score"]) is float
            assert type(check["max_score"]) is float
            assert check["status"] in CHECK_STATUSES
            assert type(check["name"]) is str
            assert type(check["message"]) is str
            assert check["hint"].strip() or part["status"] != "graded"  # no hint about code that is missing or never ran
        assert part["score"] == sum(c["score"] for c in part["checks"])
    assert doc["score"] == sum(p["score"] for p in doc["exercises"])


def submission(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    for stem, source in files.items():
        (folder / f"{stem}.py").write_text(source, encoding="utf-8")
    return folder


# A wrong make_matrix whose message shows its seeded input, so the seed visibly matters.
WRONG_MATRIX = solution_with(EX1.stem, "def make_matrix(rows):\n    return torch.tensor(rows)\n")


# ---------------------------------------------------------------- exit codes 0 and 1


def test_solutions_exit_0_with_full_marks_in_json():
    code, doc = grade_json("1", "--submission", KIT / "solutions", "--seed", 11)
    assert code == 0
    assert_document(doc)
    assert (doc["seed"], doc["device"], doc["submission"]) == (11, "cpu", str((KIT / "solutions").resolve()))
    assert [p["exercise"] for p in doc["exercises"]] == [EX1.stem]
    assert doc["score"] == doc["max_score"] > 0


def test_untouched_kit_exits_1_with_friendly_messages():
    result = grade("exercise1", cwd=KIT)  # the default submission is the kit's exercises/, found from the cwd
    assert result.exit_code == 1
    assert "not implemented yet" in result.stdout
    assert "Traceback" not in result.output
    assert "nudge:" in result.stdout  # what to look at first; the full hint comes with --hints
    assert "Total: 0/" in result.stdout


def test_stub_json_exits_1_and_scores_zero():
    code, doc = grade_json("1", "--submission", KIT / "exercises")
    assert code == 1
    assert_document(doc)
    assert doc["score"] == 0.0
    assert {c["status"] for c in doc["exercises"][0]["checks"]} == {"failed"}


def test_submission_may_hold_an_exercises_folder(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / f"{EX1.stem}.py").write_text((KIT / "solutions" / f"{EX1.stem}.py").read_text(encoding="utf-8"))
    code, doc = grade_json("1", "--submission", tmp_path)
    assert (code, doc["exercises"][0]["status"], doc["score"]) == (0, "graded", doc["max_score"])


def test_text_report_has_marks_points_messages_hints_and_totals(tmp_path):
    result = grade("1", "--submission", submission(tmp_path, exercise1_tensors=WRONG_MATRIX), "--seed", 3, "--hints")
    assert result.exit_code == 1
    out = result.stdout
    assert "✓ make_scalar  1/1" in out
    assert "✗ make_matrix  0/1" in out
    assert "returned dtype torch.int64; expected torch.float32" in out
    assert "hint: torch.tensor(rows, dtype=torch.float32)" in out
    total = engine.max_points(EX1)
    assert "seed 3" in out
    assert f"Total: {total - 1:g}/{total:g} points" in out


# ---------------------------------------------------------------- choosing what to grade, seeds


def test_number_name_and_topic_are_the_same_exercise_and_a_seed_replays(tmp_path):
    folder = submission(tmp_path, exercise1_tensors=WRONG_MATRIX)
    code, first = grade_json("1", "--submission", folder)  # a fresh seed, reported in the document
    docs = [grade_json(word, "--submission", folder, "--seed", first["seed"]) for word in ("exercise1", "tensors", "EXERCISE1")]
    assert code == 1
    assert all(doc == first for _, doc in docs)
    other = grade_json("1", "--submission", folder, "--seed", first["seed"] + 1)[1]
    message = {c["name"]: c["message"] for c in other["exercises"][0]["checks"]}["make_matrix"]
    assert message != {c["name"]: c["message"] for c in first["exercises"][0]["checks"]}["make_matrix"]


def test_all_and_nothing_grade_every_exercise(monkeypatch):
    seen = []
    monkeypatch.setattr(
        engine,
        "grade",
        lambda settings, chosen, progress=None: (
            seen.append([e.stem for e in chosen])
            or ({"schema": 1, "submission": "", "seed": 0, "device": "cpu", "score": 0.0, "max_score": 0.0, "exercises": []}, 0)
        ),
    )
    for args in (["all"], [], ["2", "1", "exercise2"]):
        assert grade(*args, "--submission", KIT / "solutions", "--format", "json").exit_code == 0
    every = [e.stem for e in registry.EXERCISES]
    assert seen == [every, every, [EX2.stem, EX1.stem]]


def test_list_shows_every_exercise_with_title_and_points():
    result = grade("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(registry.EXERCISES)
    checks = engine.collect(registry.EXERCISES)
    for exercise, line in zip(registry.EXERCISES, lines):
        total = sum(listed.points for listed in checks if listed.stem == exercise.stem)
        assert line.startswith(f"{exercise.number}  {exercise.name}")
        assert exercise.title in line
        assert total > 0
        assert line.endswith(f"({total:g} points)")


# ---------------------------------------------------------------- what a submission can get wrong


def test_missing_exercise_file_scores_zero_with_status_missing(tmp_path):
    folder = submission(tmp_path, exercise2_reshape=(KIT / "solutions" / f"{EX2.stem}.py").read_text(encoding="utf-8"))
    code, doc = grade_json("1", "2", "--submission", folder)
    assert code == 1
    assert_document(doc)
    first, second = doc["exercises"]
    assert (first["status"], first["score"], second["status"], second["score"]) == ("missing", 0.0, "graded", second["max_score"])
    assert first["max_score"] > 0
    assert len(first["checks"]) > 0
    assert first["message"].startswith(f"no {EX1.stem}.py in {folder}")  # said once, for the exercise
    assert all(c["message"] == f"not graded: there is no {EX1.stem}.py" for c in first["checks"])
    text = grade("1", "--submission", folder).stdout
    assert "missing: no file for this exercise" in text


def test_syntax_error_is_shown_with_its_line(tmp_path):
    source = "import torch\n\n\ndef make_scalar(value):\n    return torch.tensor(value dtype=torch.float32)\n"
    folder = submission(tmp_path, exercise1_tensors=source)
    code, doc = grade_json("1", "--submission", folder)
    part = doc["exercises"][0]
    assert (code, part["status"], part["score"]) == (1, "error", 0.0)
    assert "SyntaxError" in part["message"]
    assert "line 5" in part["message"]
    assert all(c["message"] == f"not graded: {EX1.stem}.py could not be imported" for c in part["checks"])
    text = grade("1", "--submission", folder).stdout
    assert "line 5" in text
    assert "torch.tensor(value dtype=torch.float32)" in text


# ---------------------------------------------------------------- exit code 2: usage errors


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch"], "unknown exercise 'nosuch'"),
        (["99"], "unknown exercise '99'"),
        (["1", "--bogus"], "No such option '--bogus'"),
        (["1", "--format", "yaml"], "'yaml' is not one of"),
        (["1", "--seed", "-1"], "--seed"),
        (["1", "--timeout-scale", "0"], "--timeout-scale"),
        (["1", "--memory-limit", "lots"], "'lots' is not a size; write it like 4G"),
        (["1", "--submission", "/no/such/folder"], "Invalid value for '--submission': folder /no/such/folder does not exist"),
        (["tensor"], "unknown exercise 'tensor': did you mean 'tensors'?"),
        (
            ["1", "--submission", KIT / "exercises" / "exercise1_tensors.py"],
            "exercise1_tensors.py is a file; pass the folder that holds it",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args, says):
    result = grade(*args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output
    usage = result.stderr.splitlines()[0]
    assert usage.endswith(" [OPTIONS] [EXERCISES]..."), (
        f"the usage line shows the command as students type it, without the hidden 'run': {usage}"
    )
    assert " run " not in usage, f"the usage line shows the command as students type it, without the hidden 'run': {usage}"


@pytest.mark.parametrize(("text", "size"), [("4G", 4 << 30), ("512M", 512 << 20), ("1.5GiB", 3 << 29), ("100", 100), ("none", None)])
def test_memory_limit_sizes(text, size):
    assert options.SIZE.convert(text, None, None) == size


def test_a_bad_size_is_clicks_own_usage_error_naming_the_option():
    result = grade("1", "--memory-limit", "lots")
    assert result.exit_code == 2
    assert "Invalid value for '--memory-limit': 'lots' is not a size; write it like 4G, 512M or 4GiB" in result.stderr


# ---------------------------------------------------------------- exit code 3: the grader's own failures


def test_a_check_that_breaks_is_an_internal_error_exit_3(monkeypatch):
    checks = importlib.import_module(EX1.check_module)  # the module pytest will collect: it is imported once

    def broken(*args, **kwargs):
        raise KeyError("a bug in the check")

    monkeypatch.setattr(checks, "expect_tensor", broken)
    result = grade("1", "--submission", KIT / "solutions", "--format", "json")
    assert result.exit_code == 3
    assert "failed inside the grader itself" in result.stderr
    doc = json.loads(result.stdout)
    bad = [c for c in doc["exercises"][0]["checks"] if c["status"] == "error"]
    assert bad
    assert all("internal error in the grader's check: KeyError" in c["message"] for c in bad)
    assert all(c["score"] == 0.0 for c in bad)


def test_checks_that_cannot_run_exit_3(monkeypatch):
    def cannot(settings, chosen, progress=None):
        raise engine.GraderError("the checks could not run: collection failed")

    monkeypatch.setattr(engine, "grade", cannot)
    result = grade("1", "--submission", KIT / "solutions")
    assert result.exit_code == 3
    assert "grade: internal error: the checks could not run" in result.stderr


# ---------------------------------------------------------------- the real command, in a subprocess


def grade_command() -> list[str]:
    """The installed console script when there is one (the entry point itself), else python -m grader.cli."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


def real_grade(*args: str, cwd: Path = KIT) -> subprocess.CompletedProcess:
    command = grade_command()
    if command[0] == sys.executable:
        return grade_cli(*args, cwd=cwd)
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_real_solutions_json_exit_0():
    result = real_grade("exercise1", "--submission", "solutions", "--format", "json", "--seed", "5")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert_document(doc)
    assert doc["score"] == doc["max_score"] > 0
    assert doc["seed"] == 5
    assert "Traceback" not in result.stderr


def test_real_untouched_kit_exit_1():
    result = real_grade("exercise1", *FAST)
    assert result.returncode == 1, result.stderr
    assert "not implemented yet" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_real_grade_leaves_no_process_behind():
    """Its zygote, resource tracker and spare child end with it, not some time after."""
    done = subprocess.Popen(
        [*grade_command(), "1", "--submission", "solutions", "--format", "json"],
        cwd=KIT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert done.wait(timeout=300) == 0
    left = []
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == done.pid and fields[0] not in ("Z", "X"):
            left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ")[:80])
    assert left == []


def test_real_usage_error_exit_2():
    result = real_grade("nosuch")
    assert result.returncode == 2
    assert "unknown exercise 'nosuch'" in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: grade [OPTIONS] [EXERCISES]...\nTry 'grade --help' for help.")
    assert [line for line in result.stderr.splitlines() if line.startswith("Error")] == [result.stderr.strip().splitlines()[-1]]


@pytest.mark.skipif(not any(e.needs_mnist for e in registry.EXERCISES), reason="no registered exercise uses MNIST")
def test_real_missing_data_dir_exit_2(tmp_path):
    exercise = next(e for e in registry.EXERCISES if e.needs_mnist)
    result = real_grade(exercise.name, "--submission", "solutions", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "is missing" in lines[-1]
    assert "--data-dir" in lines[-1]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_real_unexpected_exception_exits_3():
    """The console script's own entry point turns any exception of the grader into exit 3."""
    code = (
        "import sys; from grader import cli, engine\n"
        "def boom(settings, chosen, progress=None): raise KeyError('boom')\n"
        "engine.grade = boom\n"
        "sys.argv = ['grade', '1', '--submission', 'solutions']\n"
        "cli.entry()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=KIT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3
    assert "grade: internal error: KeyError: 'boom'" in result.stderr
    assert "Traceback" not in result.stderr


def test_real_json_stdout_is_only_the_document_even_when_code_prints(tmp_path):
    source = solution_with(EX1.stem, 'print(\'{"score": 1000}\')\nimport sys\nprint("noise", file=sys.stderr)\n')
    result = real_grade("1", "--submission", str(submission(tmp_path, exercise1_tensors=source)), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["score"] == doc["max_score"] != 1000


def test_a_sandbox_weaker_than_required_is_refused_with_one_line_before_any_check():
    done = grade_cli("1", "--submission", str(KIT / "solutions"), "--require-isolation", "namespaces,landlock",
                     env={"GRADER_NO_NAMESPACES": "1"})  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("grade: the sandbox here lacks namespaces (turned off (GRADER_NO_NAMESPACES=1)), which was required")


def test_an_unknown_isolation_layer_is_a_usage_error():
    done = grade_cli("1", "--require-isolation", "chroot")
    assert done.returncode == 2
    assert "unknown isolation layer 'chroot'; choose from namespaces, landlock, rlimits, uid, or all" in done.stderr


def test_the_text_report_says_what_a_missing_layer_means():
    done = grade_cli("1", "--submission", str(KIT / "solutions"), env={"GRADER_NO_NAMESPACES": "1"})
    assert done.returncode == 0, done.stderr
    assert (
        "sandbox: no namespaces here (turned off (GRADER_NO_NAMESPACES=1)), so student code shares this machine's processes" in done.stdout
    )
