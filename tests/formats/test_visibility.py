"""What students read of the teacher's hidden checks: their points and outcome, not their inputs, until the reveal date."""

from __future__ import annotations

import copy
import datetime
import json

import pytest

from grader import registry
from grader.batch import gradebook
from grader.course import notebooks
from grader.errors import UsageProblem
from grader.formats import gradescope, visibility
from grader.jupyter import kernel
from tests.helpers import KIT, grade

EX1 = registry.EXERCISES[0]
DAY = datetime.date(2027, 1, 31)


@pytest.fixture(scope="module")
def stubs():
    """Exercise 1's stubs graded in the teacher's kit: every check fails, the hidden one with its inputs in the message."""
    doc, internal = grade(KIT / "exercises", [EX1], seed=11)
    assert internal == 0
    hidden = [c for c in doc["exercises"][0]["checks"] if c["hidden"]]
    assert hidden
    assert all(c["message"] and c["hint"] for c in hidden)
    return doc


def hidden_checks(doc):
    return [c for e in doc["exercises"] for c in e["checks"] if c["hidden"]]


def test_before_the_reveal_date_a_hidden_check_shows_only_its_points(stubs):
    shown = visibility.for_students(stubs, today=DAY, environ={visibility.ENV: DAY.isoformat()})
    for before, after in zip(hidden_checks(stubs), hidden_checks(shown)):
        worth = f"{before['max_score']:g} point" + ("" if before["max_score"] == 1 else "s")
        assert after["message"] == f"A teacher's check, worth {worth}: what it tried and what came back are shown after 2027-01-31."
        assert (after["hint"], after["line"]) == ("", None)
        assert (after["name"], after["score"], after["max_score"], after["status"]) == (
            before["name"], before["score"], before["max_score"], before["status"])  # fmt: skip
    public = [c for e in stubs["exercises"] for c in e["checks"] if not c["hidden"]]
    assert public == [c for e in shown["exercises"] for c in e["checks"] if not c["hidden"]]


def test_without_a_reveal_date_they_stay_sealed_and_the_teachers_document_is_untouched(stubs):
    kept = copy.deepcopy(stubs)
    shown = visibility.for_students(stubs, environ={})
    assert all(c["message"].endswith("once your teacher reveals them.") for c in hidden_checks(shown))
    assert stubs == kept  # the gradebook's records keep everything


def test_after_the_reveal_date_students_read_everything(stubs):
    assert visibility.for_students(stubs, today=DAY + datetime.timedelta(days=1), environ={visibility.ENV: DAY.isoformat()}) is stubs


def test_a_reveal_date_that_is_no_date_is_a_usage_problem():
    with pytest.raises(UsageProblem, match=r"GRADER_REVEAL_AFTER='next week' is not a date: write it as YYYY-MM-DD"):
        visibility.reveal_date({visibility.ENV: "next week"})


def test_gradescope_and_batch_feedback_seal_them(stubs, monkeypatch):
    monkeypatch.delenv(visibility.ENV, raising=False)
    tests = gradescope.results(stubs)["tests"]
    outputs = {t["extra_data"]["check"]: t["output"] for t in tests}
    for item in hidden_checks(stubs):
        assert outputs[item["name"]].startswith("A teacher's check")
        assert item["hint"] not in outputs[item["name"]]
    record = {**json.loads(json.dumps(stubs)), "batch": {"student": "ada", "status": "graded", "note": ""}}
    text = gradebook.feedback(record)
    assert text.count("A teacher's check") == len(hidden_checks(stubs))
    assert not any(item["hint"] in text for item in hidden_checks(stubs))


def test_a_hidden_checks_notebook_cell_names_it_only_by_its_seal():
    source = notebooks.check_cell_source(EX1.stem, "make_vector_empty", 1, hidden=True)
    assert "make_vector_empty" not in source
    assert source.splitlines()[-1] == f"check({EX1.stem!r}, sealed={kernel.seal(EX1.stem, 'make_vector_empty')!r})"
    assert notebooks.check_cell_source(EX1.stem, "make_vector", 1).splitlines()[-1] == f"check({EX1.stem!r}, 'make_vector')"
