"""Does a training check show its epochs as it runs, on a real terminal: in ``grade watch``, and in ``grade 6`` on
stderr; and never in a document for programs (``--format json``)?"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from grader import registry
from tests.helpers import KIT, QUICK_TRAINING
from tests.student.test_watch import FOOTER, WAIT, environment, quit_cleanly, save, solution

TRAINING = registry.by_stem("exercise6_training")
PROGRESS = r"training: epoch 1/1 · \d+%"


@pytest.fixture
def submission(tmp_path) -> Path:
    """The stubs, with exercise 6 solved: its other checks pass, so its training check runs."""
    folder = tmp_path / "course"
    shutil.copytree(KIT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__", ".*"))
    save(folder, TRAINING, solution(TRAINING))
    return folder


def spawn(*args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable, ["-m", "grader.cli", *args], cwd=str(KIT), env={**environment(), **QUICK_TRAINING}, encoding="utf-8", timeout=WAIT,
        dimensions=(24, 80),
    )  # fmt: skip


@pytest.mark.slow  # a real grade watch that trains
def test_the_watch_shows_the_training_epochs_as_it_runs(submission):
    watch = spawn("watch", "6", "--submission", str(submission))
    watch.expect(PROGRESS)
    watch.expect(FOOTER)
    quit_cleanly(watch)


@pytest.mark.slow  # two real grade 6, each training
def test_grade_6_shows_them_on_a_terminal_and_never_in_json(submission):
    text = spawn("6", "--submission", str(submission))
    text.expect(PROGRESS)
    text.expect(pexpect.EOF)
    as_json = spawn("6", "--submission", str(submission), "--format", "json")
    as_json.expect(pexpect.EOF)
    assert as_json.before.lstrip().startswith("{")
    assert "training: epoch" not in as_json.before
