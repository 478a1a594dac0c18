"""One student's line of ``results.jsonl``: the ``grade --format json`` document plus a ``batch`` part.

The ``batch`` part holds the student's id, a one-word status for the gradebook, a one-line
note saying why, the grading time, and the key of what was graded (:func:`grader.batch.packing.key`).
The status is, by precedence:

- ``grader_error``: a check broke inside the grader (the grader's fault, retried on a rerun);
- a problem with the files: ``empty``, ``unreadable``, ``too_large``, ``bad_zip``,
  ``no_exercise_files``, ``not_python`` (see :mod:`grader.batch.layouts`);
- what the student's code did worst: ``timeout``, ``memory``, ``crashed``, ``error``;
- ``missing`` (an exercise file is absent), else ``graded``.
"""

from __future__ import annotations

from grader.i18n import _, ngettext
from grader.status import INPUT_PROBLEMS, TROUBLE, ExerciseStatus, StudentStatus, shown

NOTE_LENGTH = 300


def record(doc: dict, student: str, status: str, note: str, seconds: float, key: str | None = None) -> dict:
    return {**doc, "batch": {"student": student, "status": status, "note": note, "seconds": round(seconds, 3), "key": key}}


def document(record: dict) -> dict:
    """The plain ``grade --format json`` document of a record."""
    return {key: value for key, value in record.items() if key != "batch"}


def classify(doc: dict, internal: int = 0, problem: tuple[str, str] | None = None) -> tuple[str, str]:
    """The student's (status, note) from the graded document and a problem with the files, if any; the note is for people,
    in the language of the run."""
    notes, statuses = [], []
    if internal:
        statuses.append(StudentStatus.GRADER_ERROR)
        said = ngettext(
            "{count} check failed inside the grader; rerun the batch to grade this student again",
            "{count} checks failed inside the grader; rerun the batch to grade this student again",
            internal,
        )
        notes.append(said.format(count=internal))
    if problem:
        statuses.append(StudentStatus(problem[0]))
        notes.append(problem[1])
    for part in doc["exercises"]:
        if part["status"] == ExerciseStatus.ERROR and part["checks"]:
            first = part["checks"][0]
            statuses.append(StudentStatus(first["status"]) if first["status"] in TROUBLE else StudentStatus.ERROR)
            said = part.get("message") or first["message"]  # why it does not import, said once for the exercise
            notes.append(f"{part['exercise']}: {said.splitlines()[0] if said else shown(first['status'])}")
            continue
        for item in part["checks"]:
            if item["status"] in TROUBLE:
                statuses.append(StudentStatus(item["status"]))
                notes.append(f"{part['exercise']}::{item['name']} {shown(item['status'])}")
    missing = [p["exercise"] for p in doc["exercises"] if p["status"] == ExerciseStatus.MISSING]
    if missing and not problem:
        statuses.append(StudentStatus.MISSING)
        notes.append(_("missing {exercises}").format(exercises=", ".join(missing)))
    order = (StudentStatus.GRADER_ERROR, *INPUT_PROBLEMS, *TROUBLE, StudentStatus.MISSING)
    status = min(statuses, key=order.index) if statuses else StudentStatus.GRADED
    note = "; ".join(notes)
    return status, note if len(note) <= NOTE_LENGTH else note[: NOTE_LENGTH - 1] + "…"
