"""What a student may read of a teacher's hidden check: before the course's reveal date, only that it exists and its points.

A hidden check's message says what it tried and what came back, which tells a student the inputs to special-case
(nbgrader #917, #1363). So what the kit hands to students (``grade batch``'s feedback, Gradescope's results, the
notebook's autograded cells) seals it until ``GRADER_REVEAL_AFTER`` (a date, ``YYYY-MM-DD``) has passed; the teacher's
own report and the gradebook's records keep everything.
"""

from __future__ import annotations

import copy
import datetime
import os

from grader.errors import UsageProblem
from grader.i18n import _, ngettext, number, plural_of

ENV = "GRADER_REVEAL_AFTER"


def reveal_date(environ=os.environ) -> datetime.date | None:
    """The day after which hidden checks' details are shown to students; None: never, until the teacher sets one."""
    given = environ.get(ENV, "").strip()
    if not given:
        return None
    try:
        return datetime.date.fromisoformat(given)
    except ValueError:
        raise UsageProblem(
            _("{variable}={given!r} is not a date: write it as YYYY-MM-DD, e.g. {variable}=2027-01-31").format(variable=ENV, given=given)
        ) from None


def revealed(today: datetime.date | None = None, environ=os.environ) -> bool:
    date = reveal_date(environ)
    return date is not None and (today or datetime.date.today()) > date


def sealed_message(max_score: float, environ=os.environ) -> str:
    date, count = reveal_date(environ), plural_of(max_score)
    if date:
        said = ngettext(
            "A teacher's check, worth {points} point: what it tried and what came back are shown after {date}.",
            "A teacher's check, worth {points} points: what it tried and what came back are shown after {date}.",
            count,
        )
        return said.format(points=number(max_score), date=date.isoformat())
    said = ngettext(
        "A teacher's check, worth {points} point: what it tried and what came back are shown once your teacher reveals them.",
        "A teacher's check, worth {points} points: what it tried and what came back are shown once your teacher reveals them.",
        count,
    )
    return said.format(points=number(max_score))


def for_students(doc: dict, today: datetime.date | None = None, environ=os.environ) -> dict:
    """``doc`` as a student may read it: each hidden check's message, hint, nudge and line sealed until the reveal date."""
    if revealed(today, environ) or not any(c.get("hidden") for e in doc.get("exercises", []) for c in e["checks"]):
        return doc
    shown = copy.deepcopy(doc)
    for exercise in shown["exercises"]:
        for item in exercise["checks"]:
            if item.get("hidden"):
                item.update(message=sealed_message(item["max_score"], environ), hint="", line=None)
                if "nudge" in item:  # a document from before nudges has none to seal
                    item["nudge"] = ""
                item.pop("data", None)
    return shown
