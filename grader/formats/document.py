"""The result document (schema 1): built here alone, what every format renders from, checked against the JSON
Schema the kit ships.

``grader/schemas/result-1.schema.json`` is the contract for programs that read the document;
:func:`validate` holds a document to it, for ``grade render`` and the kit's own tests. :func:`build`
makes a graded submission's document, :func:`blank` one that could not be graded at all.
"""

from __future__ import annotations

import json
from functools import cache

from grader.errors import UsageProblem
from grader.i18n import _, current
from grader.registry import PACKAGE_DIR
from grader.status import CheckStatus, ExerciseStatus

SCHEMA = 1
SCHEMA_FILE = PACKAGE_DIR / "schemas" / f"result-{SCHEMA}.schema.json"


class DocumentError(UsageProblem, ValueError):
    """Not a result document of schema 1; the message says where it goes wrong."""


def part(stem: str, title: str, status: ExerciseStatus, checks: list[dict], message: str | None = None) -> dict:
    """One exercise's entry: its checks (as :func:`grader.checking.results.as_dict` gives them) and their sums; ``message``,
    for an exercise whose module does not import, says why, once for all its checks."""
    found = {"exercise": stem, "title": title, "score": sum(c["score"] for c in checks), "max_score": sum(c["max_score"] for c in checks),
             "status": status, "checks": checks}  # fmt: skip
    return found if message is None else {**found, "message": message}


def build(submission: str, seed: int, device: str, parts: list[dict], isolation: dict) -> dict:
    """The whole document; ``isolation`` is the sandbox's part (:meth:`grader.sandbox.Isolation.document`)."""
    return {"schema": SCHEMA, "submission": submission, "seed": seed, "device": device, "score": sum(p["score"] for p in parts),
            "max_score": sum(p["max_score"] for p in parts), "exercises": parts, **isolation,
            "lang": current()}  # fmt: skip


def blank(submission: str, seed: int, device: str, catalog: list, exercises, message: str, isolation: dict) -> dict:
    """The document of a submission that could not be graded at all: every check of ``exercises`` failed with ``message``.

    ``catalog`` lists every check as (stem, name, points, hint, hidden, nudge), as :func:`grader.judge.engine.collect`
    gives them.
    """
    parts = []
    # A row from before nudges has five values, and no nudge.
    catalog = [(stem, name, points, _(hint) if hint else hint, hidden, _(nudge[0]) if nudge and nudge[0] else "")
               for stem, name, points, hint, hidden, *nudge in catalog]  # fmt: skip
    for exercise in exercises:
        checks = [{"name": name, "score": 0.0, "max_score": float(points), "status": CheckStatus.FAILED, "message": message, "hint": hint,
                   "nudge": nudge, "line": None, "hidden": bool(hidden)}
                  for stem, name, points, hint, hidden, nudge in catalog if stem == exercise.stem]  # fmt: skip
        parts.append(part(exercise.stem, _(exercise.title), ExerciseStatus.MISSING, checks))
    return build(submission, seed, device, parts, isolation)


@cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate(doc) -> None:
    """Raise DocumentError naming the first place where ``doc`` breaks schema 1."""
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path).lstrip(".")
        raise DocumentError(_("at {where}: {problem}").format(where=where, problem=error.message) if where else error.message)
