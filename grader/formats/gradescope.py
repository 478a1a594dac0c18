"""Gradescope's ``results.json`` (the autograder specification): one test per check.

Each test's ``max_score`` is the check's points, so they add up to the assignment's maximum, as
Gradescope requires; scores stay fractional. Only ``passed`` checks are ``"passed"``.
"""

from __future__ import annotations

import json
import math

from grader.formats import visibility
from grader.formats.common import checks, details, replay
from grader.i18n import _, out_of
from grader.status import CheckStatus, shown


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
                "status": "passed" if item["status"] == CheckStatus.PASSED else "failed",  # Gradescope's own two words
                "output": "" if item["status"] == CheckStatus.PASSED else details(item),
                "visibility": "visible",
                "extra_data": {"exercise": exercise["exercise"], "check": item["name"], "status": item["status"]},
            }
        )
    said = _("{exercise}: {score} ({status})")
    parts = []
    for e in doc["exercises"]:  # a module that does not import: why, once, under its exercise's line
        parts.append(said.format(exercise=e["exercise"], score=out_of(e["score"], e["max_score"]), status=shown(e["status"])))
        parts += [f"  {line}" for line in e.get("message", "").splitlines()]
    found = {
        "score": float(doc["score"]),
        "output": "\n".join(
            [
                *parts,
                _("Total: {score}. Seed {seed}: {replay}.").format(
                    score=out_of(doc["score"], doc["max_score"]),
                    seed=doc["seed"],
                    replay=replay(doc, for_students=True).format(seed=doc["seed"]),  # Gradescope's output is the student's
                ),
            ]
        ),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds is not None:
        found["execution_time"] = math.ceil(seconds)  # whole seconds, as in the specification's example: a run of 0.3 s took 1, not 0
    return found
