"""For every registered exercise: the reference gets full marks, the untouched stub gets zero."""

import pytest

from grader import registry
from grader.judge import engine
from tests.helpers import KIT, each_exercise, grade

EXERCISES = each_exercise()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_gets_full_marks(exercise):
    doc, internal = grade(KIT / "solutions", [exercise])
    part = doc["exercises"][0]
    failed = [(c["name"], c["message"]) for c in part["checks"] if c["status"] not in ("passed", "skipped")]
    assert (internal, failed, part["status"]) == (0, [], "graded")
    assert part["score"] == part["max_score"] > 0
    in_files = [listed.name for listed in engine.collect([exercise])]
    assert [c["name"] for c in part["checks"]] == in_files, "checks are reported in the order of the check file"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_stub_gets_zero_without_grader_errors(exercise):
    doc, internal = grade(KIT / "exercises", [exercise])
    part = doc["exercises"][0]
    assert internal == 0
    assert part["score"] == 0
    assert part["max_score"] > 0
    graded = [c for c in part["checks"] if c["status"] != "skipped"]  # skipped: a CUDA check on a CPU run
    assert {c["status"] for c in graded} == {"failed"}
    assert all(c["message"].startswith("not implemented yet") for c in graded)


def test_same_seed_same_inputs_and_results():
    first, _ = grade(KIT / "solutions", registry.EXERCISES[:1], seed=7)
    second, _ = grade(KIT / "solutions", registry.EXERCISES[:1], seed=7)
    assert first == second
