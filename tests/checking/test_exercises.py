"""For every registered exercise: the reference gets full marks, the untouched stub gets zero."""

import pytest

from grader import registry
from grader.judge import engine
from tests.helpers import KIT, checks, each_exercise, grade, solution_with

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


AS_NUMPY = {  # each exercise's reference with these definitions put over it
    "exercise3_autograd": """
import numpy as np

_square_loss_grad = square_loss_grad


def square_loss_grad(w, x, target):
    return np.float64(_square_loss_grad(w, x, target))  # a float (np.float64 is one), from np.mean, say
""",
    "exercise4_modules": """
import numpy as np

_count_parameters = count_parameters


def count_parameters(model):
    return np.int64(_count_parameters(model))  # the right count, from np.prod of the shapes, say


def predict(model, x):
    model.eval()
    return np.zeros(len(x), dtype=np.int64)  # an array where a tensor of classes is asked for
""",
}


def test_numpy_numbers_are_the_numbers_they_hold_and_other_numpy_values_are_said_to_be_returned(tmp_path):
    """An honest answer as a NumPy scalar loses nothing; a NumPy array where a tensor is asked for is the student's
    error, and they read that their code returned it, not that it raised."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for stem, override in AS_NUMPY.items():
        (folder / f"{stem}.py").write_text(solution_with(stem, override), encoding="utf-8")
    doc, internal = grade(folder, [registry.by_stem(stem) for stem in AS_NUMPY])
    assert internal == 0
    found = checks(doc)
    for name in ("exercise3_autograd::square_loss_grad", "exercise4_modules::count_parameters"):
        assert found[name]["status"] == "passed", found[name]["message"]
    refused = {name: c["message"] for name, c in found.items() if c["status"] != "passed"}
    assert refused, "predict returned an array and lost nothing"
    for name, message in refused.items():
        assert name.startswith("exercise4_modules::predict"), name
        assert message.startswith("your code returned a value the grader cannot take: "), message
        assert "numpy.ndarray, not plain data" in message, message
