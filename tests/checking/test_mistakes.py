"""Does every realistic mistake lose points on the check meant to catch it, and only there?"""

import pytest

from grader import formats, registry
from grader.batch.worker import Worker
from grader.judge import engine, policy
from grader.settings import Settings
from grader.status import StudentStatus
from tests import mistakes
from tests.cli_support import grade_cli
from tests.helpers import KIT, checks, grade, solution_with, submission_from


@pytest.mark.parametrize("exercise", registry.EXERCISES, ids=lambda e: e.name)
def test_every_exercise_has_at_least_three_mistakes(exercise):
    assert len(mistakes.of(exercise)) >= 3


# Everyday mistakes (issue 22): each is the student's result, one plain line, a 0 for the checks that need what is
# wrong (the others still run) and exit 1, never the grader's fault; grade batch gives the same scores and a status of
# its own, never grader_error.
E1, E4 = registry.EXERCISES[0], registry.EXERCISES[3]
E1_SOLUTION = solution_with(E1.stem, "")
EVERYDAY = {  # name: (exercise, the file's bytes, the checks that lose their points (None: all), what they say, batch status)
    "missing function": (
        E1,
        E1_SOLUTION.replace("def matmul_by_hand", "def matmul_hand").encode(),
        {"matmul_by_hand", "matmul_by_hand_edge"},
        "`matmul_by_hand` is not defined in exercise1_tensors.py",
        StudentStatus.ERROR,
    ),
    "misnamed class": (
        E4,
        solution_with(E4.stem, "").replace("class SimpleNetwork", "class SimpleNet").encode(),
        {"simple_network_structure", "simple_network_forward"},
        "`SimpleNetwork` is not defined in exercise4_modules.py",
        StudentStatus.ERROR,
    ),
    "not callable": (
        E1,
        (E1_SOLUTION + "\nmatmul_by_hand = 3\n").encode(),
        {"matmul_by_hand", "matmul_by_hand_edge"},
        "`matmul_by_hand` in exercise1_tensors.py is a value of type int, not a function or a class",
        StudentStatus.ERROR,
    ),
    "empty file": (E1, b"", None, "`make_scalar` is not defined in exercise1_tensors.py", StudentStatus.ERROR),
    "stub untouched": (E1, (KIT / "exercises" / f"{E1.stem}.py").read_bytes(), None, "not implemented yet", StudentStatus.GRADED),
    "non-UTF-8 file": (  # Python alone imports it: the stray byte is in a comment
        E1,
        b"# caf\xe9\n" + E1_SOLUTION.encode(),
        None,
        "exercise1_tensors.py is not UTF-8 text (saved in another encoding?); save it as UTF-8",
        StudentStatus.NOT_PYTHON,
    ),
}


def graded_both_ways(tmp_path, exercise, data: bytes) -> tuple[dict, int, dict]:
    """The document and internal count of ``grade``, and the record ``grade batch``'s worker writes, for one file."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / f"{exercise.stem}.py").write_bytes(data)
    doc, internal = grade(folder, [exercise], seed=99)
    settings = Settings(submission=folder, seed=99)
    worker = Worker({"settings": settings.to_json(), "exercises": [exercise.stem]})
    worker.catalog = engine.collect([exercise])
    record = worker.grade({"student": "student", "kind": "folder", "path": str(folder)})
    return doc, internal, record


def scores(doc: dict) -> dict[str, float]:
    return {name: check["score"] for name, check in checks(doc).items()}


@pytest.mark.parametrize("case", EVERYDAY)
def test_an_everyday_mistake_is_the_student_s_one_line_and_exit_1_in_grade_and_batch(tmp_path, case):
    exercise, data, needs, said, status = EVERYDAY[case]
    doc, internal, record = graded_both_ways(tmp_path, exercise, data)
    assert internal == 0
    assert policy.exit_code(doc, None, None) == 1
    found = {name.split("::")[1]: check for name, check in checks(doc).items() if not check["hidden"]}
    lost = {name for name, check in found.items() if check["score"] < check["max_score"]}
    assert lost == (needs if needs is not None else set(found)), lost
    why = [found[name]["message"] for name in lost] + [part["message"] for part in doc["exercises"] if "message" in part]
    assert said in why
    assert all("\n" not in line and "grader" not in line for line in why)
    assert record["batch"]["status"] == status
    assert scores(record) == scores(doc)


IMPORT_ERRORS = {  # name: (the file, what the exercise's one message says)
    "syntax error": (E1_SOLUTION + "\ndef unfinished(:\n", "invalid syntax (line"),
    "import error": ("import no_such_package\n" + E1_SOLUTION, "No module named 'no_such_package'"),
}


@pytest.mark.parametrize("case", IMPORT_ERRORS)
def test_a_module_that_does_not_import_is_said_once_per_exercise_in_every_format(tmp_path, case):
    """Not 13 times with 13 unrelated hints: the exercise says why, each check only that it was not graded."""
    source, said = IMPORT_ERRORS[case]
    doc, internal, record = graded_both_ways(tmp_path, E1, source.encode())
    assert internal == 0
    assert policy.exit_code(doc, None, None) == 1
    assert record["batch"]["status"] == StudentStatus.ERROR
    assert scores(record) == scores(doc)
    part = doc["exercises"][0]
    assert part["status"] == "error"
    assert said in part["message"]
    assert said in record["batch"]["note"]
    not_graded = (0.0, "not graded: exercise1_tensors.py could not be imported", "")  # and no hint about code that never ran
    assert {(c["score"], c["message"], c["hint"]) for c in part["checks"]} == {not_graded}
    for fmt in ("text", "json", "junit", "github", "gradescope"):
        assert formats.render(doc, fmt).count(said) == 1, fmt


def test_grade_says_a_missing_function_in_one_line_and_exits_1(tmp_path):
    """The command itself, as a student runs it: no internal error, no request to report a bug."""
    folder = submission_from(tmp_path, E1.stem, E1_SOLUTION.replace("def matmul_by_hand", "def matmul_hand"))
    done = grade_cli("1", "--submission", str(folder), "--seed", "99")
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("`matmul_by_hand` is not defined in exercise1_tensors.py") == 2  # its two checks
    assert "please report" not in done.stderr
    assert "internal error" not in done.stdout


def test_a_missing_file_is_said_once_for_its_exercise_and_each_check_only_says_it_was_not_graded(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    doc, internal = grade(folder, [E1], seed=99)
    assert internal == 0
    assert policy.exit_code(doc, None, None) == 1
    part = doc["exercises"][0]
    assert part["status"] == "missing"
    assert part["message"].startswith(f"no {E1.stem}.py in {folder}")
    assert {(c["score"], c["message"], c["hint"]) for c in part["checks"]} == {(0.0, f"not graded: there is no {E1.stem}.py", "")}
    for fmt in ("text", "json", "junit", "github", "gradescope"):
        assert formats.render(doc, fmt).count(f"looked for exercises/{E1.stem}.py") == 1, fmt
