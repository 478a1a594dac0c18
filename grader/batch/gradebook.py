"""The files of a batch in ``--out``: ``results.jsonl``, ``grades.csv``, ``feedback/<student>.md``, ``summary.md``.

``results.jsonl`` is the truth: one record per line (:mod:`.records`), appended, flushed and
fsynced as each student finishes, so a kill loses at most the student being written; a
truncated last line is dropped and that student graded again. Everything else is rebuilt
from it, so no student is ever missing or counted twice (the last record of a student wins).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import click

from grader import formats, registry
from grader.batch import records
from grader.errors import UsageProblem
from grader.formats import visibility
from grader.formats.common import points
from grader.formats.report import render
from grader.i18n import _, out_of
from grader.settings import new_seed
from grader.status import shown

RESULTS, GRADES, SUMMARY, FEEDBACK, LOG = "results.jsonl", "grades.csv", "summary.md", "feedback", "batch.log"
# grades.csv is rewritten whole after each student up to CSV_ALWAYS students; past them, once CSV_SHARE times as long
# as its last rewrite took has passed (so it costs the driver at most 1/CSV_SHARE of its time). At 10,000 students a
# rewrite takes ~0.3 s: after every student, the rewrites alone would cost ~30 min.
CSV_ALWAYS, CSV_SHARE = 1000, 20


class Refused(UsageProblem, ValueError):
    """``--out`` holds another batch; the message says how to finish it or start over."""


class Gradebook:
    def __init__(self, out: Path):
        self.out = Path(out)
        self.results = self.out / RESULTS
        self.records: dict[str, dict] = {}
        self.previous: dict[str, dict] = {}  # the records before this run: what changes.csv compares against
        self.dropped = 0  # lines of results.jsonl that could not be read (a kill mid-write)
        self._csv_written, self._csv_took = 0.0, 0.0  # when grades.csv was last rewritten, and in how many seconds

    def path(self, name: str) -> Path:
        return self.out / name

    def open(self, seed: int | None, stems: list[str], force: bool, dry_run: bool = False) -> int:
        """Load what earlier runs graded and return the batch's seed; refuse a different batch unless ``force``, which
        leaves no record to resume from (``self.previous`` keeps them; :meth:`reset` clears the files once they are kept
        in history). ``dry_run``: read only, write nothing."""
        if not dry_run:
            self.out.mkdir(parents=True, exist_ok=True)
        self.records = self._load(repair=not dry_run)
        self.previous = dict(self.records)
        old = next(iter(self.records.values()), None)
        if old is not None and not force:
            old_stems = [part["exercise"] for part in old["exercises"]]
            if old_stems != stems or (seed is not None and seed != old["seed"]):
                words = ",".join(str(e.number) if (e := registry.by_stem(s)) else s for s in old_stems)
                said = _(
                    "{out} holds results of another batch (seed {seed}, exercises {exercises}); rerun with "
                    "--seed {seed} --exercises {exercises} to finish it, --force to regrade everyone, or choose another --out"
                )
                raise Refused(said.format(out=self.out, seed=old["seed"], exercises=words))
        if force:
            self.records = {}
        if seed is None:
            seed = old["seed"] if old is not None else new_seed()
        return seed

    def _load(self, repair: bool = True) -> dict[str, dict]:
        if not self.results.exists():
            return {}
        data = self.results.read_bytes()
        found, end = {}, 0
        for line in data.splitlines(keepends=True):
            try:
                record = json.loads(line)
                found[record["batch"]["student"]] = record
            except (ValueError, KeyError, TypeError):
                self.dropped += 1
                if line.endswith(b"\n"):
                    end += len(line)
                continue
            end += len(line)
        if repair and (end < len(data) or (data and not data.endswith(b"\n"))):
            with open(self.results, "r+b") as file:  # drop a half-written last line; end the last good one
                file.truncate(end)
                if end and not data[:end].endswith(b"\n"):
                    file.seek(0, os.SEEK_END)
                    file.write(b"\n")
        return found

    def reset(self) -> None:
        """Start over: no student's old feedback or format file may outlive the regrading."""
        self.results.write_bytes(b"")
        for old in [*self.path(FEEDBACK).glob("*.md"), *self.path(FEEDBACK).glob("*.html")]:  # .html: written by webpage
            old.unlink()
        for fmt, spec in formats.FORMATS.items():
            for old in self.path(fmt).glob(f"*{spec.suffix}"):
                old.unlink()

    def add(self, record: dict, fmts: tuple[str, ...] = ()) -> None:
        """Keep one student's record: its feedback and format files first, then its line in results.jsonl, then the CSV
        (past CSV_ALWAYS students not after each one: the runner's finish writes it whole)."""
        student = record["batch"]["student"]
        self.write_feedback(record)
        for fmt in fmts:
            write_format(self.out, record, fmt)
        self._append(json_line(record).encode("utf-8"))
        self.records[student] = record
        if len(self.records) <= CSV_ALWAYS or time.monotonic() - self._csv_written >= CSV_SHARE * self._csv_took:
            self.write_csv()

    def _append(self, line: bytes) -> None:
        """Append one record in a single write and fsync it: a buffered file writes a record of over 8 KiB in pieces,
        and a kill between them tore the line (CI, test_cluster), which cost that student a regrading."""
        descriptor = os.open(self.results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:  # a regular file writes short only when the disk is full or a signal lands
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def sorted_records(self) -> list[dict]:
        return [self.records[s] for s in sorted(self.records)]

    def write_csv(self) -> None:
        began = time.monotonic()
        write_atomic(self.path(GRADES), csv_text(self.sorted_records()), encoding="utf-8-sig")  # the BOM makes Excel read UTF-8
        self._csv_written = time.monotonic()
        self._csv_took = self._csv_written - began

    def write_feedback(self, record: dict) -> None:
        folder = self.path(FEEDBACK)
        folder.mkdir(exist_ok=True)
        write_atomic(folder / f"{record['batch']['student']}.md", feedback(record))

    def write_summary(self, text: str) -> None:
        write_atomic(self.path(SUMMARY), text)


def json_line(record: dict) -> str:
    """A record as its line of results.jsonl."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def csv_text(rows: list[dict]) -> str:
    """grades.csv of ``rows`` (records in order): a row per student, a score per exercise, total, max, status, note, seed."""
    stems = [part["exercise"] for part in rows[0]["exercises"]] if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *stems, "total", "max", "status", "note", "seed"])
    for record in rows:
        scores = {part["exercise"]: points(part["score"]) for part in record["exercises"]}
        batch = record["batch"]
        writer.writerow(
            [
                cell(batch["student"]),
                *(scores.get(s, "") for s in stems),
                points(record["score"]),
                points(record["max_score"]),
                batch["status"],
                cell(batch["note"]),
                record["seed"],
            ]
        )
    return buffer.getvalue()


def feedback(record: dict) -> str:
    """What a student reads, as markdown: :func:`feedback_parts` under a heading, the report in a fence."""
    title, paragraphs, text = feedback_parts(record)
    fence = "`" * max(3, 1 + max(map(len, re.findall("`+", text)), default=0))  # longer than any run the text holds
    return "\n\n".join([f"# {title}", *paragraphs, f"{fence}text\n{text}\n{fence}"]) + "\n"


def feedback_parts(record: dict) -> tuple[str, list[str], str]:
    """What a student reads: a title, their score (and why it could not be graded, if so), then ``grade``'s own report."""
    batch = record["batch"]
    said = _("Score: {score} · status {status} · seed {seed}")
    status = shown(batch["status"])
    paragraphs = [said.format(score=out_of(record["score"], record["max_score"]), status=status, seed=record["seed"])]
    if batch["note"]:
        paragraphs.append(_("Note: {note}").format(note=batch["note"]))
    visible = visibility.for_students(records.document(record))
    report = click.unstyle(render(visible, hints=True, for_students=True))  # the graded work's feedback: it has earned the full hints
    return _("Feedback for {student}").format(student=batch["student"]), paragraphs, report


def write_format(out: Path, record: dict, fmt: str) -> Path:
    """The one place ``--format`` writes a student's file: ``<out>/<format>/<student><suffix>``,
    rendered by :mod:`grader.formats` from the plain document, exactly as ``grade --format`` prints it."""
    path = format_path(out, record["batch"]["student"], fmt)
    path.parent.mkdir(exist_ok=True)
    return formats.write(records.document(record), fmt, path, seconds=record["batch"]["seconds"])


def format_path(out: Path, student: str, fmt: str) -> Path:
    return Path(out) / fmt / f"{student}{formats.FORMATS[fmt].suffix}"


def cell(text: str) -> str:
    """A spreadsheet must not run a cell as a formula: a leading = + - @ gets a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding=encoding)
    os.replace(temporary, path)
