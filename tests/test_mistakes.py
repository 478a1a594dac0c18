"""Does every realistic mistake lose points on the check meant to catch it, and only there?"""

import pytest

from grader import registry
from tests import mistakes
from tests.conftest import checks, grade, solution_with, submission_from


@pytest.mark.parametrize("exercise", registry.EXERCISES, ids=lambda e: e.name)
def test_every_exercise_has_at_least_three_mistakes(exercise):
    assert len(mistakes.of(exercise)) >= 3


@pytest.mark.parametrize("exercise, mistake", mistakes.every(registry.EXERCISES))
def test_mistake_loses_points_on_its_check(tmp_path, monkeypatch, exercise, mistake):
    for name, value in mistake.env.items():
        monkeypatch.setenv(name, value)
    folder = submission_from(tmp_path, exercise.stem, solution_with(exercise.stem, mistake.code))
    doc, internal = grade(folder, [exercise], seed=99)
    found = checks(doc)
    assert internal == 0
    caught = [
        name for name in mistake.catches if found[f"{exercise.stem}::{name}"]["score"] < found[f"{exercise.stem}::{name}"]["max_score"]
    ]
    assert caught, f"none of {mistake.catches} lost points"
    assert doc["score"] < doc["max_score"]
