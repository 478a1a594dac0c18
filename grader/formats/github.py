"""GitHub Actions: workflow commands that annotate the student's file, a step summary, the points.

stdout gets one ``::error file=…,line=…,title=…::message`` per check that did not pass (a
``::warning`` for a skipped one), pointing at the line where the student's code raised, else at
the ``def`` the check is named after; then ``::notice title=Autograding::Points X/Y``. The
markdown table goes to ``$GITHUB_STEP_SUMMARY`` when that variable is set.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from pathlib import Path

from grader.formats.common import checks, details, failing_line, points, student_file, visible
from grader.i18n import _, ngettext, number, out_of
from grader.status import CheckStatus, ExerciseStatus, shown

LIMIT = 4000  # characters of message per annotation; the summary and the JSON hold everything
ANNOTATIONS = 10  # GitHub shows at most 10 annotations of each kind (error, warning, notice) from one step
SUMMARY_LIMIT = 1 << 20  # and reads at most 1 MiB of step summary
ICONS = {CheckStatus.PASSED: "✅", CheckStatus.SKIPPED: "⏭️"}


def escape_data(text: str) -> str:
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


def render(doc: dict, seconds: float | None = None) -> str:
    lines = []
    for exercise in doc["exercises"]:
        path = student_file(doc, exercise["exercise"])
        source = _read(path)
        where = repo_path(path)
        items = [c for c in exercise["checks"] if c["status"] != CheckStatus.PASSED]
        if exercise["status"] in (ExerciseStatus.MISSING, ExerciseStatus.ERROR) and items:
            # Every check failed the same way (no file, or it does not import): say it once.
            first = items[0]
            said = _("{exercise}: {score} ({status})")
            score = out_of(exercise["score"], exercise["max_score"])
            title = said.format(exercise=exercise["exercise"], score=score, status=shown(exercise["status"]))
            said = exercise.get("message") or details(first)  # the checks' hints are theirs, not the import's
            lines.append(command("error", _short(said), file=where, line=failing_line(first, source), title=title))
            continue
        for item in items:
            kind = "warning" if item["status"] == CheckStatus.SKIPPED else "error"  # GitHub's own commands
            said = _("{exercise} {check}: {score} ({status})")
            score = out_of(item["score"], item["max_score"])
            title = said.format(exercise=exercise["exercise"], check=item["name"], score=score, status=shown(item["status"]))
            lines.append(command(kind, _short(details(item)), file=where, line=failing_line(item, source), title=title))
    lines = _within_limits(lines)
    # Machine-read (GitHub Classroom's reporters parse "Points X/Y"): English in every language.
    lines.append(command("notice", f"Points {points(doc['score'])}/{points(doc['max_score'])}", title="Autograding"))
    return "\n".join(lines)


def _within_limits(lines: list[str]) -> list[str]:
    """The annotations in order, at most ANNOTATIONS of each kind: where GitHub would drop the rest, the last one kept
    says how many more there are."""
    kinds = [line[2:].split(" ", 1)[0] for line in lines]
    counts, seen, kept = Counter(kinds), Counter(), []
    for kind, line in zip(kinds, lines):
        seen[kind] += 1
        if counts[kind] <= ANNOTATIONS or seen[kind] < ANNOTATIONS:
            kept.append(line)
        elif seen[kind] == ANNOTATIONS:
            left = counts[kind] - ANNOTATIONS + 1
            said = ngettext("{count} more check did not pass: the step summary lists them all",
                            "{count} more checks did not pass: the step summary lists them all", left)  # fmt: skip
            kept.append(command(kind, said.format(count=left), title="Autograding"))
    return kept


def summary(doc: dict) -> str:
    """The markdown table for ``$GITHUB_STEP_SUMMARY``, within GitHub's 1 MiB (each cell is cut to 300 characters, and a
    document's checks are bounded by :mod:`grader.checking.budgets`)."""
    rows = [
        _("### Autograding: {score}").format(score=out_of(doc["score"], doc["max_score"])),
        "",
        _("Seed {seed} (replay with `grade --seed {seed}`) · device {device}").format(seed=doc["seed"], device=doc["device"]),
        "",
        _("| | exercise | check | points | what happened |"),
        "|---|---|---|---|---|",
    ]
    for exercise, item in checks(doc):
        icon = ICONS.get(item["status"], "❌")
        said = "" if item["status"] == CheckStatus.PASSED else f"**{shown(item['status'])}**: {_cell(details(item))}"
        rows.append(f"| {icon} | {exercise['exercise']} | {item['name']} | {number(item['score'])}/{number(item['max_score'])} | {said} |")
    for exercise in doc["exercises"]:
        total = f"{number(exercise['score'])}/{number(exercise['max_score'])}"
        rows.append(
            _("| | **{exercise}** | **total** ({status}) | **{total}** | |").format(
                exercise=exercise["exercise"], status=shown(exercise["status"]), total=total
            )
        )
    for exercise in doc["exercises"]:  # a module that does not import: why, once, below the table
        if exercise.get("message"):
            rows += ["", f"**{exercise['exercise']}**: {_cell(exercise['message'], LIMIT)}"]
    return "\n".join(rows) + "\n"


def append_summary(doc: dict) -> Path | None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as out:
        out.write(summary(doc))
    return Path(target)


def repo_path(path: Path) -> str:
    """The path GitHub matches annotations against: relative to the git checkout holding the file."""
    path = path.resolve()
    for folder in path.parents:
        if (folder / ".git").exists():
            return path.relative_to(folder).as_posix()
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _short(text: str) -> str:
    return text if len(text) <= LIMIT else text[:LIMIT] + "\n" + _("… (cut here; the JSON result holds the rest)")


def _cell(text: str, limit: int = 300) -> str:
    text = text if len(text) <= limit else text[:limit] + " …"
    return html.escape(visible(text), quote=False).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
