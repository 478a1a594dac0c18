"""What a regrade changed: the previous gradebook kept in ``history/``, and ``changes.csv`` saying who moved and why.

A run that would replace a student's record (their files changed, another kit version or seed, ``--force``, a
grader error retried) first keeps the gradebook as it was, ``history/<UTC time>/grades.csv`` and ``results.jsonl``,
so nothing graded is lost. After the run, ``changes.csv`` lists per student and exercise the old and the new points,
the checks whose outcome changed and why, read from the two records' keys (:func:`grader.batch.packing.key`).
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

from grader.batch import gradebook
from grader.formats.common import points
from grader.i18n import _
from grader.status import StudentStatus, shown

HISTORY, CHANGES = "history", "changes.csv"
HEADER = ("student", "exercise", "old", "new", "checks", "why")


@dataclass(frozen=True)
class Change:
    student: str
    exercise: str  # a stem, or "total" for the student's whole grade
    old: str  # "16/18"
    new: str
    checks: str  # "make_vector: failed → passed; ..."
    why: str


def _parts(key: str | None) -> tuple[str, str, str] | None:
    """``(files digest, kit version, seed)`` of a record's key ``student:digest:version:seed`` (an id may hold ``:``)."""
    if not key or key.count(":") < 3:
        return None
    return tuple(key.rsplit(":", 3)[1:])


def why(old: dict | None, new_key: str | None, force: bool) -> str:
    """Why a student with record ``old`` is graded again under ``new_key``, for people: files, kit version, seed, --force."""
    if old is None:
        return _("not graded before")
    reasons = []
    if old["batch"]["status"] == StudentStatus.GRADER_ERROR:
        reasons.append(_("a grader error is retried"))
    before, after = _parts(old["batch"].get("key")), _parts(new_key)
    if before is None or after is None:
        reasons.append(_("the earlier record has no key"))
    else:
        if before[0] != after[0]:
            reasons.append(_("files changed"))
        if before[1] != after[1]:
            reasons.append(_("kit version {old} → {new}").format(old=before[1], new=after[1]))
        if before[2] != after[2]:
            reasons.append(_("seed {old} → {new}").format(old=before[2], new=after[2]))
    if force and not reasons:
        reasons.append("--force")
    return "; ".join(reasons) or _("unchanged")


def keep(out: Path, previous: dict[str, dict]) -> Path:
    """Write the gradebook as it was before this run into ``history/<UTC time>/``: its grades.csv and results.jsonl."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    folder = Path(out) / HISTORY / stamp
    folder.mkdir(parents=True)
    ordered = [previous[s] for s in sorted(previous)]
    gradebook.write_atomic(folder / gradebook.GRADES, gradebook.csv_text(ordered), encoding="utf-8-sig")
    results = "".join(gradebook.json_line(record) for record in ordered)
    gradebook.write_atomic(folder / gradebook.RESULTS, results)
    return folder


def compare(previous: dict[str, dict], current: dict[str, dict], reasons: dict[str, str]) -> list[Change]:
    """Per regraded student (``reasons``: student -> why) and exercise, what moved: points or a check's outcome."""
    found = []
    for student in sorted(reasons):
        old, new = previous.get(student), current.get(student)
        if old is None or new is None:
            continue
        parts = {p["exercise"]: p for p in old["exercises"]}
        for part in new["exercises"]:
            before = parts.get(part["exercise"])
            if before is None:
                continue
            outcomes = {c["name"]: c["status"] for c in before["checks"]}
            moved = [
                f"{c['name']}: {shown(outcomes[c['name']])} → {shown(c['status'])}"
                for c in part["checks"]
                if c["name"] in outcomes and outcomes[c["name"]] != c["status"]
            ]
            if moved or before["score"] != part["score"]:
                found.append(Change(student, part["exercise"], _score(before), _score(part), "; ".join(moved), reasons[student]))
        if old["score"] != new["score"]:
            found.append(Change(student, "total", _score(old), _score(new), "", reasons[student]))
    return found


def write(out: Path, found: list[Change]) -> Path:
    """``changes.csv``: a row per student and exercise whose points or checks moved in this run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for change in found:
        writer.writerow([gradebook.cell(change.student), change.exercise, change.old, change.new, change.checks, change.why])
    path = Path(out) / CHANGES
    gradebook.write_atomic(path, buffer.getvalue(), encoding="utf-8-sig")
    return path


def read(out: Path) -> list[Change]:
    """The changes of the last run that regraded anyone, from ``changes.csv`` (none when there is no such file)."""
    path = Path(out) / CHANGES
    if not path.is_file():
        return []
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return [Change(*row) for row in rows[1:] if len(row) == len(HEADER)]


def _score(part: dict) -> str:
    return f"{points(part['score'])}/{points(part['max_score'])}"
