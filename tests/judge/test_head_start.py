"""A check's longest child can start when the run begins; its check then collects that very outcome."""

from __future__ import annotations

import os
import threading
import time

import pytest

from grader.checking import HEAD_START_NICE, HeadStart, Student
from grader.checking.results import StudentFailure
from grader.settings import Settings
from tests import sandbox_targets as targets


def student(tmp_path, budget: float = 30.0) -> Student:
    module = tmp_path / "exercise6_training.py"
    module.write_text("VALUE = 1\n")
    return Student(module, Settings(submission=tmp_path, seed=1), budget)


def seven(settings, seed):
    """A head start's call: the child it names (a probe and its arguments)."""
    return targets.token, (7,)


def eight(settings, seed):
    return targets.token, (8,)


def hanging(settings, seed):
    return targets.hang, ()


def started(pupil: Student, call) -> HeadStart:
    pupil.head_start = HeadStart(pupil, *call(pupil.settings, 0), token=call)
    return pupil.head_start


def test_the_check_gets_the_child_started_early(tmp_path):
    pupil = student(tmp_path)
    early = started(pupil, seven).outcome().value
    assert pupil.run_head_start(seven, 0) == early
    assert pupil.run_head_start(seven, 0) != early, "a head start is used once"


def test_another_call_runs_afresh(tmp_path):
    """The head start is the check's by its token, the call that named it, never by comparing arguments."""
    pupil = student(tmp_path)
    early = started(pupil, seven).outcome().value
    assert pupil.run_head_start(eight, 0) != early
    assert pupil.run(targets.token, 7) != early, "a plain run never takes the head start"


def test_an_uncollected_head_start_is_stopped(tmp_path):
    pupil = student(tmp_path)
    began = time.monotonic()
    head_start = HeadStart(pupil, targets.hang, ())
    head_start.cancel()
    assert head_start.outcome().status == "crashed"
    assert time.monotonic() - began < 10, "cancel waited for the child's time limit"


def test_a_head_start_past_its_limit_fails_its_check_as_a_timeout(tmp_path):
    pupil = student(tmp_path, budget=1.0)
    started(pupil, hanging)
    with pytest.raises(StudentFailure) as failed:
        pupil.run_head_start(hanging, 0)
    assert failed.value.status == "timeout"


def test_other_checks_children_yield_to_a_head_start_while_it_runs(tmp_path):
    pupil, other = student(tmp_path, budget=3.0), student(tmp_path)
    head_start = HeadStart(pupil, targets.hang, ())
    assert other.run(targets.niceness) == os.nice(0) + HEAD_START_NICE
    head_start.cancel()
    assert other.run(targets.niceness) == os.nice(0)


def test_a_grader_error_in_the_head_start_reaches_its_check(tmp_path):
    """Not a student's crash: the check itself fails, as an internal error of the grader."""
    pupil = student(tmp_path)

    def unpicklable(settings, seed):  # names a probe the sandbox cannot send to a child: a local function
        def probe(module):
            return None

        return probe, ()

    started(pupil, unpicklable)
    with pytest.raises(AttributeError, match="local object") as raised:  # pickle's refusal, raised in the grader as it is
        pupil.run_head_start(unpicklable, 0)
    assert not isinstance(raised.value, StudentFailure)


def test_a_cancelled_run_stops_its_head_start_though_the_check_waits_for_it(tmp_path):
    cancel = threading.Event()
    pupil = student(tmp_path)
    pupil.cancel = cancel
    started(pupil, hanging)
    threading.Timer(0.5, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(StudentFailure) as failed:
        pupil.run_head_start(hanging, 0)
    assert failed.value.status == "crashed"
    assert time.monotonic() - began < 10
