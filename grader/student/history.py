"""The student's own record of gradings: ``.grade/history.jsonl`` in the submission folder, a line per grading.

``grade`` (its report for people) and ``grade watch`` append to it, so that ``grade list`` and
``grade watch`` can show each exercise's best and last score. Gradings for programs (``--format
json`` and the others: CI, Gradescope), ``grade batch`` and the notebooks never write it, and the
batch's readers skip it as they skip every dot folder (:mod:`grader.batch.layouts`), so neither
grades nor copy detection ever see it. Writing it is best effort: a read-only folder costs the
history, never the grading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader import own_files
from grader.i18n import _
from grader.own_files import FOLDER
from grader.status import ExerciseStatus

FILE = "history.jsonl"
ENV = "GRADER_HISTORY"  # "off": grade and grade watch neither write nor read a history (the kit's own tests set it)
MAX_READ = 4 << 20  # bytes from the end of the file: ~20,000 gradings, more than a course takes


@dataclass(frozen=True)
class Score:
    score: float
    max_score: float
    status: str

    @property
    def full(self) -> bool:
        """Full marks: the exercise imports and every check that counts gave all its points."""
        return self.status == ExerciseStatus.GRADED and 0 < self.max_score == self.score


@dataclass(frozen=True)
class Standing:
    """One exercise in the history: its best grading (the latest of equals) and its last."""

    best: Score
    last: Score


def path(submission: Path) -> Path:
    return Path(submission) / FOLDER / FILE


def enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "no", "false")


def score_of(part: dict) -> Score:
    """An exercise of a result document as the history keeps it."""
    return Score(float(part["score"]), float(part["max_score"]), part["status"])


def record(submission: Path, doc: dict, by: str) -> str | None:
    """Append the exercises ``doc`` graded (those whose file exists); the reason when the history cannot be written."""
    parts = [
        {"exercise": p["exercise"], "score": p["score"], "max_score": p["max_score"], "status": p["status"]}
        for p in doc["exercises"]
        if p["status"] != ExerciseStatus.MISSING
    ]
    if not parts or not enabled():
        return None
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    line = json.dumps({"time": when, "by": by, "seed": doc["seed"], "device": doc["device"], "exercises": parts}, ensure_ascii=False)
    target = path(submission)
    try:  # never through a link: .grade/ and its files are the student's to make (own_files)
        with os.fdopen(own_files.open_file(submission, FILE, os.O_RDWR | os.O_CREAT | os.O_APPEND), "a+b") as file:
            torn = False
            if file.tell():  # a kill mid-write left a line without its end: start a new one
                file.seek(-1, os.SEEK_END)
                torn = file.read(1) != b"\n"
            file.write(b"\n" * torn + line.encode("utf-8") + b"\n")
    except OSError as exc:
        return _("the history {file} could not be written ({problem}); the grading above is complete").format(
            file=target, problem=exc.strerror or exc
        )
    return None


def standings(submission: Path) -> dict[str, Standing]:
    """Each exercise graded so far, by stem; empty when there is no history (or it is turned off)."""
    found: dict[str, Standing] = {}
    for entry in _entries(submission):
        for part in entry.get("exercises", []):
            try:
                stem, score = part["exercise"], score_of(part)
            except (KeyError, TypeError, ValueError):
                continue  # a line of another version, or edited by hand
            old = found.get(stem)
            best = score if old is None or score.score >= old.best.score else old.best
            found[stem] = Standing(best, score)
    return found


def _entries(submission: Path) -> list[dict]:
    if not enabled():
        return []
    try:
        with os.fdopen(own_files.open_file(submission, FILE), "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - MAX_READ))
            data = handle.read()
    except OSError:
        return []
    entries = []
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a torn line, or the first one cut by MAX_READ
        if isinstance(entry, dict):
            entries.append(entry)
    return entries
