"""Gradescope's ``results.json`` (the autograder specification): one test per check.

Each test's ``max_score`` is the check's points, so they add up to the assignment's maximum, as
Gradescope requires; scores stay fractional. Only ``passed`` checks are ``"passed"``.
"""

from __future__ import annotations

import json

from grader import visibility
from grader.formats.common import checks, details, number
from grader.status import Check


def render(doc: dict, seconds: float | None = None) -> str:
    return json.dumps(results(doc, seconds), indent=2)


def results(doc: dict, seconds: float | None = None) -> dict:
    doc = visibility.for_students(doc)  # a student reads these: the teacher's hidden checks stay sealed until the reveal date
    tests = []
    for exercise, item in checks(doc):
        tests.append(
            {
                "name": f"{exercise['exercise']}: {item['name']}",
                "score": float(item["score"]),
                "max_score": float(item["max_score"]),
                "status": "passed" if item["status"] == Check.PASSED else "failed",  # Gradescope's own two words
                "output": "" if item["status"] == Check.PASSED else details(item),
                "visibility": "visible",
                "extra_data": {"exercise": exercise["exercise"], "check": item["name"], "status": item["status"]},
            }
        )
    parts = [f"{e['exercise']}: {number(e['score'])}/{number(e['max_score'])} points ({e['status']})" for e in doc["exercises"]]
    found = {
        "score": float(doc["score"]),
        "output": "\n".join(
            [
                *parts,
                f"Total: {number(doc['score'])}/{number(doc['max_score'])} points. "
                f"Seed {doc['seed']}: replay locally with grade --seed {doc['seed']}.",
            ]
        ),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds is not None:
        found["execution_time"] = round(seconds)  # whole seconds, as in the specification's example
    return found
