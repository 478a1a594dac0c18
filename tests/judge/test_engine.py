"""Grading one submission: a grading another thread cancels, and long checks deferred until the others pass."""

from __future__ import annotations

import threading
import time

import pytest

from grader import registry, sandbox
from grader.judge import engine, plugin
from grader.settings import Settings
from tests import sandbox_targets as targets
from tests.helpers import KIT, QUICK_TRAINING, checks, grade, solution_with, submission_from

EX1, EX6 = registry.by_stem("exercise1_tensors"), registry.by_stem("exercise6_training")


def test_a_cancelled_grading_stops_its_child_and_raises(tmp_path):
    folder = submission_from(tmp_path, EX1.stem, solution_with(EX1.stem, "def make_scalar(value):\n    while True:\n        pass\n"))
    assert sandbox.run(targets.nothing).status == "ok"  # the forkserver is up: the time below is the cancel's alone
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(engine.Cancelled):
        engine.grade(Settings(submission=folder, seed=3), [EX1], cancel=cancel)  # make_scalar alone would take its 10 s
    assert time.monotonic() - began < 6


def test_an_event_never_set_changes_nothing(tmp_path):
    folder = submission_from(tmp_path, EX1.stem, (KIT / "solutions" / f"{EX1.stem}.py").read_text(encoding="utf-8"))
    doc, internal = engine.grade(Settings(submission=folder, seed=3), [EX1], cancel=threading.Event())
    assert internal == 0
    assert doc["score"] == doc["max_score"] == engine.max_points(EX1)


def test_the_long_checks_are_the_head_started_ones():
    assert engine.long_checks(registry.EXERCISES) == [(EX6.stem, "mnist_accuracy")]


def test_a_deferred_long_check_waits_for_the_others_and_still_counts():
    doc, internal = grade(KIT / "exercises", [EX6], defer_long=True)
    found = checks(doc)[f"{EX6.stem}::mnist_accuracy"]
    assert (found["status"], found["score"], found["max_score"], found["message"]) == ("skipped", 0.0, 5.0, plugin.DEFERRED)
    assert doc["max_score"] == engine.max_points(EX6)
    assert internal == 0


def test_without_deferring_the_stubs_fail_the_long_check_as_before():
    doc, _ = grade(KIT / "exercises", [EX6])
    assert checks(doc)[f"{EX6.stem}::mnist_accuracy"]["status"] == "failed"


@pytest.mark.slow
def test_a_deferred_long_check_runs_once_the_others_pass(monkeypatch):
    for name, value in QUICK_TRAINING.items():
        monkeypatch.setenv(name, value)
    doc, internal = grade(KIT / "solutions", [EX6], defer_long=True)
    assert checks(doc)[f"{EX6.stem}::mnist_accuracy"]["status"] == "passed"
    assert internal == 0
    assert doc["score"] == doc["max_score"] == engine.max_points(EX6)


class Outcomes:
    def __init__(self):
        self.reports = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.reports.append(report)


def test_pytest_timeout_still_guards_a_check_that_hangs_in_this_process(tmp_path):
    """It is passed as a module (engine.PLUGINS), not found by name: its guard must still stop the check."""
    (tmp_path / "test_hang.py").write_text("import time, pytest\n\n@pytest.mark.timeout(0.5)\ndef test_hang():\n    time.sleep(30)\n")
    outcomes = Outcomes()
    began = time.monotonic()
    pytest.main([str(tmp_path / "test_hang.py"), *engine.PYTEST_ARGS, "--timeout-method=signal"], plugins=[outcomes, *engine.PLUGINS])
    (report,) = outcomes.reports
    assert report.failed
    assert time.monotonic() - began < 10
