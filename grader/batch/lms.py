"""``grade export``: a batch's grades.csv as the file Canvas or Moodle imports, matched to the LMS's own roster.

The roster is the LMS's own gradebook export, read in its documented layout:

- Canvas (the Gradebook's Export, as https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/
  gradebook-action-menu-faculty/ describes it: read-only score columns are ignored on upload): a CSV whose header
  starts with ``Student, ID, SIS User ID, SIS Login ID`` (and, where the account has them, ``Integration ID``), then
  ``Section``, then one column per assignment named ``Name (id)``, then the read-only scores; its second row may be
  ``Points Possible``. The import takes the same layout back; a column without an ``(id)`` creates an assignment.
- Moodle (https://docs.moodle.org/311/en/Grade_import: "the import file format is the same as the corresponding export
  format"; the user is mapped from "Email Address" to ``useremail`` or "Id Number" to ``useridnumber``; the export
  columns as in moodle/moodle's grade/export): ``First name, Last name, ID number, Institution, Department, Email
  address`` (``Username`` where the site exports it), a column per grade item (``Assignment: Name (Real)``) and ``Last
  downloaded from this course``.

A batch student is matched by one field only (``--match``), exactly: an email address case-insensitively, every
other field as it is. Nothing is guessed: a student with no match or with several, and a roster row without a
submission, are each said in one line, and only matched rows get a grade.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch import gradebook
from grader.errors import UsageProblem
from grader.i18n import _

LMS = ("canvas", "moodle")
POINTS_POSSIBLE = "Points Possible"
# --match's fields, per LMS: the roster column each one reads
FIELDS = {
    "canvas": {"login": "SIS Login ID", "sis": "SIS User ID", "id": "ID"},
    "moodle": {"login": "Username", "email": "Email address", "sis": "ID number", "username": "Username", "idnumber": "ID number"},
}
DEFAULT_ORDER = ("login", "email", "sis")  # the first that matches every student is used without --match
IDENTITY = {  # the roster's columns that say who a row is: kept in the import file
    "canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section"),
    "moodle": ("First name", "Last name", "ID number", "Institution", "Department", "Email address", "Username"),
}
REQUIRED = {"canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"), "moodle": ("First name", "Last name")}
MOODLE_STAMP = "Last downloaded from this course"  # Moodle's import compares it with the gradebook's last change


class ExportProblem(UsageProblem):
    """A roster or a gradebook that cannot be read as it is; the message says what to do."""


@dataclass
class Roster:
    lms: str
    header: list[str]
    points: list[str] | None  # Canvas's "Points Possible" row
    rows: list[list[str]]

    def line(self, index: int) -> int:
        """The line of the file that holds row ``index``: after the header and the Points Possible row."""
        return index + 2 + (self.points is not None)

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] if index < len(row) else "" for row in self.rows]


@dataclass
class Export:
    """What ``grade export`` did: the file, who got a grade, and every line to say about the rest."""

    path: Path
    field: str
    filled: int
    problems: list[str] = field(default_factory=list)


def read_grades(path: Path) -> dict[str, dict[str, str]]:
    """grades.csv (or the --out folder holding it) as student -> row; the quote that kept a cell from a formula is dropped."""
    path = Path(path)
    if path.is_dir():
        path = path / gradebook.GRADES
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportProblem(
            _("cannot read {path}: {reason}; give grade batch's grades.csv or its --out folder").format(path=path, reason=exc.strerror)
        ) from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "student" not in rows[0] or "total" not in rows[0]:
        raise ExportProblem(_("{path} is not a grades.csv written by grade batch (no student and total columns)").format(path=path))
    return {_unquote(row["student"]): row for row in rows}


def read_roster(path: Path, lms: str) -> Roster:
    """The LMS's gradebook export in its own layout; a file in another layout is a usage error naming what is missing."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportProblem(_("cannot read the roster {path}: {reason}").format(path=path, reason=exc)) from exc
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise ExportProblem(_("the roster {path} is empty: export the gradebook from {lms} again").format(path=path, lms=lms.title()))
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in REQUIRED[lms] if name not in header]
    if missing:
        said = _("{path} is not a {lms} gradebook export: it has no column {columns}")
        raise ExportProblem(said.format(path=path, lms=lms.title(), columns=", ".join(missing)))
    points, body = None, rows[1:]
    if lms == "canvas" and body and body[0] and body[0][0].strip() == POINTS_POSSIBLE:
        points, body = body[0], body[1:]
    return Roster(lms, header, points, body)


def choose_field(roster: Roster, students: list[str], wanted: str | None) -> str:
    """``--match``'s field, or the first of login, email and SIS id whose column holds every student exactly once."""
    fields = FIELDS[roster.lms]
    if wanted is not None:
        if wanted not in fields:
            said = _("{lms} has no field {field}: use one of {fields}")
            raise ExportProblem(said.format(lms=roster.lms.title(), field=wanted, fields=", ".join(fields)))
        if fields[wanted] not in roster.header:
            said = _("the roster has no column {column} for --match {field}: export it from {lms}, or choose another --match")
            raise ExportProblem(said.format(column=fields[wanted], field=wanted, lms=roster.lms.title()))
        return wanted
    present = [name for name in DEFAULT_ORDER if name in fields and fields[name] in roster.header]
    if not present:
        said = _("the roster has none of the columns {columns} to match students by: export them from {lms}")
        columns = ", ".join(dict.fromkeys(fields[name] for name in DEFAULT_ORDER if name in fields))
        raise ExportProblem(said.format(columns=columns, lms=roster.lms.title()))
    counts = {name: sum(len(_rows_of(roster, name, s)) == 1 for s in students) for name in present}
    return next((name for name in present if counts[name] == len(students)), max(present, key=lambda name: counts[name]))


def export(grades: Path, lms: str, roster_path: Path, column: str, match: str | None = None, out: Path | None = None) -> Export:
    """Write the import file: the roster's identity columns and ``column`` filled with each matched student's total."""
    book = read_grades(grades)
    roster = read_roster(roster_path, lms)
    chosen = choose_field(roster, sorted(book), match)
    # who each row is, then the one grade column (a new one creates an assignment or a grade item), then Moodle's stamp
    header = [name for name in roster.header if name in IDENTITY[lms]] + [column]
    header += [MOODLE_STAMP] if MOODLE_STAMP in roster.header else []
    values: dict[int, str] = {}
    problems, placed = [], set()  # placed: the roster rows a student was matched to, or said to be ambiguous
    for student in sorted(book):
        row = book[student]
        found = _rows_of(roster, chosen, student)
        if not found:
            problems.append(
                _("{student}: no roster row has {field} = {student}; not exported").format(student=student, field=FIELDS[lms][chosen])
            )
        elif len(found) > 1:
            said = _("{student}: {count} roster rows have {field} = {student} (rows {rows}); not exported")
            lines = ", ".join(str(roster.line(i)) for i in found)
            problems.append(said.format(student=student, count=len(found), field=FIELDS[lms][chosen], rows=lines))
            placed.update(found)  # said here: not again as rows without a submission
        elif row.get("status") == "grader_error":
            problems.append(
                _("{student}: the grader failed on this submission; rerun grade batch before exporting").format(student=student)
            )
            placed.add(found[0])
        else:
            values[found[0]] = row["total"]
            placed.add(found[0])
    names = roster.column("Student") if lms == "canvas" else roster.column("Last name")
    keys = roster.column(FIELDS[lms][chosen])
    for index in range(len(roster.rows)):
        if index not in placed and not _is_test_student(roster, index):
            said = _("{name} ({field} {key}): on the roster, but not in the batch; left as it was")
            problems.append(said.format(name=names[index], field=FIELDS[lms][chosen], key=keys[index] or "–"))
    path = out or Path(grades if Path(grades).is_dir() else Path(grades).parent) / f"{lms}-import.csv"
    _write(path, roster, header, column, values, book)
    return Export(path, chosen, len(values), problems)


def _write(path: Path, roster: Roster, header: list[str], column: str, values: dict[int, str], book: dict) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    if roster.points is not None:
        most = next(iter(book.values()))["max"] if book else ""
        writer.writerow(
            [
                _cell(roster.header, roster.points, name, POINTS_POSSIBLE if name == "Student" else most if name == column else "")
                for name in header
            ]
        )
    for index, row in enumerate(roster.rows):
        writer.writerow([values[index] if name == column and index in values else _cell(roster.header, row, name, "") for name in header])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    gradebook.write_atomic(Path(path), buffer.getvalue())


def _cell(header: list[str], row: list[str], name: str, default: str) -> str:
    """The roster's cell of column ``name`` in ``row``; ``default`` where the roster has no such column (or cell)."""
    if name in header and header.index(name) < len(row) and row[header.index(name)] != "":
        return row[header.index(name)]
    return default


def _rows_of(roster: Roster, chosen: str, student: str) -> list[int]:
    """The roster rows whose ``chosen`` field is ``student`` (an email address compared case-insensitively)."""
    keys = roster.column(FIELDS[roster.lms][chosen])
    fold = chosen == "email"
    wanted = student.casefold() if fold else student
    return [i for i, key in enumerate(keys) if key.strip() and (key.strip().casefold() if fold else key.strip()) == wanted]


def _is_test_student(roster: Roster, index: int) -> bool:
    """Canvas's "Test Student" (Student View) is on every export and never hands anything in."""
    return roster.lms == "canvas" and roster.column("Student")[index].strip() in ("Test Student", "Student, Test")


def _unquote(text: str) -> str:
    """grades.csv's cell as the student's id: the quote that kept ``=x`` from running as a formula is dropped."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text
