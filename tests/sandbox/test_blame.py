"""Is every failure in a sandbox child charged to whoever caused it: the student, or the kit (exit 3)?"""

from __future__ import annotations

import pytest

from grader import sandbox
from grader.checking import Student
from grader.checking.results import ProbeError, StudentFailure, failure
from grader.sandbox import blame
from grader.settings import Settings
from grader.status import CheckStatus
from tests import sandbox_targets as targets


def module(tmp_path, source: str):
    path = tmp_path / "exercise3_autograd.py"
    path.write_text(source, encoding="utf-8")
    return path


def test_a_probe_that_raises_by_itself_is_the_kits_failure(tmp_path):
    outcome = sandbox.run(targets.broken_probe, module=module(tmp_path, "VALUE = 1\n"))
    assert (outcome.status, outcome.error["type"], outcome.error["origin"]) == ("raised", "KeyError", blame.KIT)


def test_what_the_students_code_raises_is_theirs(tmp_path):
    outcome = sandbox.run(targets.call_student, "f", module=module(tmp_path, "def f():\n    return 1 / 0\n"))
    assert (outcome.error["type"], outcome.error["origin"], outcome.error["line"]) == ("ZeroDivisionError", blame.STUDENT, 2)


def test_a_module_that_fails_at_import_is_the_students(tmp_path):
    outcome = sandbox.run(targets.broken_probe, module=module(tmp_path, "import no_such_package\n"))
    assert (outcome.error["type"], outcome.error["origin"]) == ("ModuleNotFoundError", blame.STUDENT)


def test_a_probe_broken_by_the_student_replacing_torch_is_the_students(tmp_path):
    """The probe raises in its own frame, but only because the student's module replaced a name it uses."""
    outcome = sandbox.run(targets.make_loss, module=module(tmp_path, "import torch\ntorch.nn.CrossEntropyLoss = None\n"))
    assert outcome.error["origin"] == blame.STUDENT
    assert "your code changed torch.nn.CrossEntropyLoss, which the grader relies on" in outcome.error["message"]


def test_a_canary_that_fails_before_the_students_code_is_the_kits_and_the_module_is_never_loaded(tmp_path):
    outcome = sandbox.run(targets.guarded, module=module(tmp_path, "raise SystemExit('never imported')\n"))
    assert (outcome.error["origin"], outcome.error["message"]) == (blame.KIT, "the canary found torch changed")
    assert outcome.imported is False


def test_the_backward_pass_counter_sees_every_public_way_to_run_one(tmp_path):
    source = """import torch
from torch.autograd import grad


def train():
    w = torch.tensor(2.0, requires_grad=True)
    (w * w).backward()
    torch.autograd.backward(w * 3)
    grad(w * w, w)
"""
    assert sandbox.run(targets.counted_backward, module=module(tmp_path, source)).value == 3


def test_a_student_who_breaks_the_counter_at_import_is_charged_for_it(tmp_path):
    source = "import torch\ntorch.overrides.TorchFunctionMode.__exit__ = None\n\n\ndef train():\n    pass\n"
    outcome = sandbox.run(targets.counted_backward, module=module(tmp_path, source))
    assert outcome.error["origin"] == blame.STUDENT
    assert "your code changed the grader's counter of backward passes" in outcome.error["message"]


def student(tmp_path, source: str) -> Student:
    return Student(module(tmp_path, source), Settings(submission=tmp_path, seed=1), budget=30.0)


def test_a_kit_failure_reaches_the_check_as_the_graders_error_never_as_the_students(tmp_path):
    with pytest.raises(ProbeError, match="KeyError") as raised:
        student(tmp_path, "VALUE = 1\n").run(targets.broken_probe)
    assert not isinstance(raised.value, StudentFailure)
    assert "your code" not in str(raised.value)
    with pytest.raises(ProbeError, match="the canary found torch changed"):
        student(tmp_path, "VALUE = 1\n").run(targets.guarded)


def test_a_kit_failure_the_reference_does_not_share_is_the_students(tmp_path):
    """The child's word that the kit failed could be forged by the code beside it: the same probe on the reference
    decides. Above, the broken probe fails on the reference too, so it stays the grader's error."""
    assert student(tmp_path, "").run(targets.picky_probe) == 1  # the reference, as the module would be
    with pytest.raises(StudentFailure, match="though not on the reference solution's: KeyError: 'odd'") as raised:
        student(tmp_path, "LABEL = 'odd'\n").run(targets.picky_probe)
    assert raised.value.status == CheckStatus.ERROR


def test_a_students_failure_reaches_the_check_as_theirs(tmp_path):
    with pytest.raises(StudentFailure) as raised:
        student(tmp_path, "def f():\n    return 1 / 0\n").run(targets.call_student, "f")
    assert raised.value.message.startswith("your code raised ZeroDivisionError at line 2 of exercise3_autograd.py")


def test_a_name_the_probe_asks_for_and_the_module_lacks_is_the_students(tmp_path):
    """The probe's own getattr raises, but what is missing is the student's function: their mistake, named, not exit 3."""
    outcome = sandbox.run(targets.call_student, "f", module=module(tmp_path, "def g():\n    return 1\n"))
    assert (outcome.error["origin"], outcome.error["asked"]) == (blame.STUDENT, {"name": "f", "found": None})
    assert "`f` is not defined in exercise3_autograd.py" in failure(outcome, tmp_path / "exercise3_autograd.py").message


def test_a_value_the_probe_calls_that_cannot_be_called_is_the_students(tmp_path):
    outcome = sandbox.run(targets.call_student, "f", module=module(tmp_path, "f = [1, 2]\n"))
    assert (outcome.error["origin"], outcome.error["asked"]) == (blame.STUDENT, {"name": "f", "found": "list"})


def test_a_probe_s_own_type_error_stays_the_kits_beside_a_constant_of_the_student(tmp_path):
    outcome = sandbox.run(targets.broken_call, module=module(tmp_path, "VALUE = 1\n"))
    assert (outcome.error["type"], outcome.error["origin"]) == ("TypeError", blame.KIT)
    assert "asked" not in outcome.error


@pytest.mark.parametrize("asked", [["f"], {"name": 3}, {"name": "f", "found": ["list"]}])
def test_a_forged_asked_from_the_child_costs_only_its_author(tmp_path, asked):
    """What a child says it was asked for is its word: a malformed one is the student's failure, never the grader's."""
    error = {"type": "AttributeError", "message": "m", "origin": blame.STUDENT, "asked": asked}
    found = failure(sandbox.Outcome("raised", error=error), tmp_path / "exercise3_autograd.py")
    assert isinstance(found, StudentFailure)
