"""The watch's screen fitted to the terminal: the exercise and its total, the failing checks, a line for the passing ones.

What must be seen comes first and stays: the header, then each failing check with what was expected and what came back
(its whole block, or as much of the first as fits), then one line that sums up the passing checks, then the notes and
the keys. Failing checks that do not fit fold into a line that says how many more there are and that ↓ shows them.
Text wraps at word boundaries, measured in the terminal's cells (rich: ✓, Cyrillic and wide characters alike).
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass

import click
from rich.console import Console
from rich.text import Text

from grader.formats import curves
from grader.formats.report import check_head, hint_of, total_line
from grader.i18n import _, ngettext
from grader.status import ANSWERED, CheckStatus, ExerciseStatus

UNBOUNDED = 100_000  # the columns of no terminal (a pipe, a log): lines are left whole
NARROWEST = 20  # below this many columns, text is cut rather than wrapped into a column of single words
_CONSOLE = Console(file=io.StringIO(), width=200, color_system=None)  # only measures and wraps: it never writes


@dataclass(frozen=True)
class Size:
    """The terminal's columns and rows; ``rows`` None: no terminal, so nothing folds."""

    columns: int
    rows: int | None = None


def wrap(line: str, columns: int) -> list[str]:
    """``line`` wrapped at word boundaries into ``columns`` cells, each piece indented as the line is."""
    body = line.lstrip(" ")
    indent = min(len(line) - len(body), columns // 2)
    pieces = Text(body).wrap(_CONSOLE, max(columns - indent, NARROWEST))
    return [" " * indent + piece.plain.rstrip() for piece in pieces] or [""]


def wrap_all(lines: list[str], columns: int, style: dict | None = None) -> list[str]:
    """Every line wrapped (:func:`wrap`), each piece styled with click's ``style`` keywords where given."""
    return [click.style(piece, **style) if style else piece for line in lines for piece in wrap(line, columns)]


def footer_lines(footer: list[str], columns: int) -> list[str]:
    """The footer wrapped, its last line (the keys, on a terminal) in bold."""
    return [*wrap_all(footer[:-1], columns), *wrap_all(footer[-1:], columns, {"bold": True})]


def one_line(text: str, columns: int) -> str:
    """``text`` in one row: cut with an ellipsis where it is longer."""
    found = Text(text)
    found.truncate(columns, overflow="ellipsis")
    return found.plain


def check_block(item: dict, columns: int, hints: bool | Collection[str]) -> list[str]:
    """A failing check: its mark, name and points, its message (what was expected, what came back), its nudge or hint."""
    lines = ["  " + check_head(item)]
    lines += wrap_all(["      " + line for line in item["message"].splitlines()], columns)
    if item["hint"] and item["status"] != CheckStatus.SKIPPED:
        lines += wrap_all([hint_of(item, hints)], columns, {"fg": "cyan"})
    trained = curves.clean(item["data"].get("curves")) if isinstance(item.get("data"), dict) else None
    if trained is not None:  # exercise 6's accuracy check: what its training curves show
        lines += wrap_all([f"      {curves.summary(trained)}"], columns)
    return lines


def passing_line(checks: list[dict], columns: int) -> str | None:
    """One row for the checks that pass (and those not run yet), or None when there are none."""
    passed = [c["name"] for c in checks if c["status"] == CheckStatus.PASSED]
    waiting = [c["name"] for c in checks if c["status"] == CheckStatus.SKIPPED and c["max_score"] > 0]
    said = []
    if passed:
        text = ngettext("✓ {count} check passes: {names}", "✓ {count} checks pass: {names}", len(passed))
        said.append(text.format(count=len(passed), names=", ".join(passed)))
    if waiting:
        said.append(_("- not run yet: {names}").format(names=", ".join(waiting)))
    if not said:
        return None
    line = one_line("  " + " · ".join(reversed(said)), columns)  # what has not run yet first: it is cut last
    return click.style(line, fg="green") if passed and not waiting else line


def fold_line(above: int, below: int) -> str:
    """The row that stands for the failing checks that did not fit."""
    said = []
    if above:
        said.append(ngettext("{count} more above, press ↑", "{count} more above, press ↑", above).format(count=above))
    if below:
        said.append(ngettext("{count} more failing check, press ↓", "{count} more failing checks, press ↓", below).format(count=below))
    return click.style("  " + " · ".join(said), bold=True)


def layout(doc: dict, head: list[str], notes: list[str], footer: list[str], size: Size, offset: int = 0,
           hints: bool | Collection[str] = False) -> list[str]:  # fmt: skip
    """The screen for the first exercise of ``doc``: ``head`` and its total, the failing checks from the ``offset``-th
    on (as many as fit in ``size``), the passing ones' line, ``notes`` (dropped last first where rows are short) and
    the ``footer`` (the keys)."""
    part, columns = doc["exercises"][0], size.columns
    top = wrap_all(head, columns)
    top.append(click.style(one_line(f"{part['exercise']} — {_(part['title'])}", columns), bold=True))
    top += wrap_all([total_line(doc)], columns, {"bold": True})
    if part["status"] == ExerciseStatus.MISSING:
        top.append(click.style(_("  missing: no file for this exercise in the submission"), fg="red"))
    failing = [c for c in part["checks"] if c["status"] not in ANSWERED]
    summary = [line for line in [passing_line(part["checks"], columns)] if line]
    bottom = footer_lines(footer, columns)
    noted = wrap_all(notes, columns)
    blocks = [check_block(item, columns, hints) for item in failing]
    if size.rows is None:
        return [*top, *(line for block in blocks for line in block), *summary, *noted, *bottom]
    offset = max(0, min(offset, len(blocks) - 1))
    # One row for the fold line, and one for the line break after the last row, which would scroll the first away.
    shown, left = [], size.rows - len(top) - len(summary) - len(bottom) - 2
    first = len(blocks[offset]) if blocks else 0
    while noted and left - len(noted) < min(first, 3):  # the first failing check's name and message come before notes
        noted.pop()
    left -= len(noted)
    for block in blocks[offset:]:
        room = left - sum(map(len, shown))
        if len(block) <= room:
            shown.append(block)
        elif not shown:  # the first does not fit whole: as much of it as does, cut at a row
            shown.append(block[: max(room, 1)])
        else:
            break
    below = len(blocks) - offset - len(shown)
    fold = [fold_line(offset, below)] if offset or below else []
    return [*top, *(line for block in shown for line in block), *fold, *summary, *noted, *bottom]


def fitted(lines: list[str], size: Size, footer: list[str]) -> list[str]:
    """A screen of plain lines (the hints, the list) wrapped, cut to the rows there are, with the ``footer`` kept."""
    body, bottom = wrap_all(lines, size.columns), footer_lines(footer, size.columns)
    if size.rows is not None and len(body) + len(bottom) >= size.rows:  # the last line break takes a row too
        keep = max(size.rows - len(bottom) - 2, 1)
        more = len(body) - keep
        body = [*body[:keep], ngettext("… {count} more line", "… {count} more lines", more).format(count=more)]
    return [*body, *bottom]
