"""``report.html``: the class at a glance for a teacher, one self-contained file; and ``feedback/<student>.html``.

Rebuilt from the records of ``results.jsonl`` and the copy groups at the end of every run, a resumed
one too, as ``summary.md`` is: the batch's seed, the kit's version, the isolation layers and the time
taken; a histogram of the total scores and one per exercise; each check's pass rate as a bar, hardest
first, with its hint; exercise 6's training curves; a row per student with a link to their feedback;
the copy groups, linked to the students' rows. The charts are inline SVG (:mod:`grader.formats.charts`), the
style inline CSS, and there is no script, so the file opens from disk with no network. Every string
that comes from a student's files or code (ids, messages, notes) is escaped for HTML.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from collections import Counter
from pathlib import Path

import grader
from grader import i18n
from grader.batch import changes, gradebook, summary
from grader.batch.copies import Group, Match
from grader.batch.records import document
from grader.formats import charts, curves, visibility
from grader.formats.common import visible
from grader.formats.report import MARKS, split
from grader.i18n import N_, _, ngettext, number, percent, worth
from grader.status import shown

REPORT = "report.html"
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
.facts dt { color: #666; } .facts dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
td.rate { white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 160px; height: 12px; background: #eee; margin-right: 6px; vertical-align: middle; }
.bar span { display: block; height: 100%; background: #4c72b0; }
.hint { color: #555; font-size: 12px; max-width: 520px; }
.status-graded { color: #1a7f37; } .status-missing { color: #9a6700; } .trouble { color: #cf222e; font-weight: 600; }
.measured { font-size: 12px; color: #555; }
.note { font-size: 13px; color: #444; min-width: 22em; max-width: 40em; overflow-wrap: break-word; }
.note div + div { margin-top: 2px; }
.flag { color: #8250df; font-weight: 600; }
.totals { font-size: 15px; margin: 4px 0 12px; }
details.order { margin: 8px 0; } details.order summary { cursor: pointer; color: #0969da; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; white-space: pre-wrap; }
table.checks td.message { max-width: 48em; overflow-wrap: break-word; white-space: pre-wrap; }
table.checks .said { color: #555; font-size: 13px; margin-top: 4px; }
td.mark { white-space: nowrap; } .passed { color: #1a7f37; } .failed { color: #cf222e; }
"""


def write(
    out: Path,
    records: list[dict],
    groups: list[Group],
    reference: dict | None = None,
    reference_problem: str = "",
    matches: list[Match] = (),
    run: tuple[float, int] | None = None,
) -> Path:
    """Write ``out/report.html`` and every student's ``feedback/<student>.html``; return the report's path.
    ``matches``: the functions identical to the reference solution; ``run``: this run's wall time and students graded."""
    thumbnails = {
        record["batch"]["student"]: curves.sparkline(found, reference) for record in records if (found := curves.of(record)) is not None
    }
    folder = Path(out) / gradebook.FEEDBACK
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        student = record["batch"]["student"]
        gradebook.write_atomic(folder / f"{student}.html", feedback_page(record, reference))
    path = Path(out) / REPORT
    found = changes.read(out)
    gradebook.write_atomic(path, render(records, groups, thumbnails, reference, reference_problem, matches, run, found))
    return path


def render(
    records: list[dict],
    groups: list[Group],
    thumbnails: dict[str, str],
    reference: dict | None,
    reference_problem: str,
    matches: list[Match] = (),
    run: tuple[float, int] | None = None,
    regraded: list[changes.Change] = (),
) -> str:
    """The students first, after one line of class totals (a teacher's first question is how each is doing); then the
    batch's facts, the histograms, the checks, the curves, and the findings for a person to look at."""
    title = _("Class report")
    if not records:
        nobody = _("No student has been graded yet.")
        return _page(title, f"<h1>{esc(title)}</h1>\n<p>{esc(nobody)}</p>")
    stems = [part["exercise"] for part in records[0]["exercises"]]
    heading = ngettext("Class report: {count} student", "Class report: {count} students", len(records))
    body = [
        f"<h1>{esc(heading.format(count=len(records)))}</h1>",
        _totals(records, matches),
        _students(records, stems, thumbnails, matches),
        _facts(records, stems, run),
        _scores(records, stems),
        _checks(records),
        _training(records, reference, reference_problem),
        _changes(records, regraded),
        _reference(records, matches),
        _copies(records, groups),
    ]
    return _page(title, "\n".join(part for part in body if part))


def feedback_page(record: dict, reference: dict | None = None) -> str:
    """A student's feedback as HTML: the same parts as ``feedback/<student>.md``, each exercise's checks as a table (✓ or
    ✗ and a word, never colour alone), their training curve with its axes and the goal, and ``grade``'s text report."""
    title, paragraphs, text = gradebook.feedback_parts(record)
    body = [f"<h1>{esc(title)}</h1>", *(f"<p>{esc(paragraph)}</p>" for paragraph in paragraphs)]
    doc = visibility.for_students(document(record))  # hidden checks sealed, as in the .md
    body += [_exercise_table(part) for part in doc["exercises"]]
    found = curves.of(doc)
    if found is not None:
        caption = html.escape(_("Accuracy per epoch in fit's history, against the goal."), quote=False)  # element text: ' may stay
        body.append(f'<figure class="curve">{curves.student_chart(found, reference)}<figcaption>{caption}</figcaption></figure>')
    summary_text = esc(_("The same report as grade prints it"))
    body.append(f"<details><summary>{summary_text}</summary>\n<pre>{esc(text)}</pre>\n</details>")
    return _page(title, "\n".join(body))


def _exercise_table(part: dict) -> str:
    """One exercise of a student's feedback: its title and points, why it was not graded if so, then a row per check."""
    heading = f"{part['exercise']} — {_(part['title'])}" if part.get("title") else part["exercise"]
    lines = [f"<h2>{esc(heading)} <small>{_score(part)}</small></h2>"]
    if part.get("message"):
        lines.append(f'<p class="trouble">{esc(part["message"])}</p>')
    public, hidden = split(part["checks"])
    rows = []
    for item in [*public, *hidden]:
        mark = MARKS.get(item["status"], ("✗", ""))[0]
        tone = "passed" if item["status"] == "passed" else "failed" if mark == "✗" else ""
        said = [f"<div>{esc(item['message'])}</div>"] if item.get("message") and item["status"] != "passed" else []
        if item.get("hint") and item["status"] != "passed":
            said.append(f'<div class="said">{esc(_("hint: {hint}").format(hint=item["hint"]))}</div>')
        name = item["name"] + (" " + _("(hidden)") if item.get("hidden") else "")
        rows.append(
            f'<tr><td>{esc(name)}</td><td class="mark {tone}">{esc(mark)} {esc(shown(item["status"]))}</td>'
            f'<td class="num">{_score(item)}</td><td class="message">{"".join(said)}</td></tr>'
        )
    head = _head(_cells(N_("| check | result | points | what happened, and a hint |")))
    if rows:
        lines.append(f'<table class="checks">\n{head}\n' + "\n".join(rows) + "\n</table>")
    return "\n".join(lines)


def esc(text) -> str:
    """Any text as HTML, control characters spelled out: a student's id, message or note cannot become markup."""
    return html.escape(visible(str(text)), quote=True)


def href(*parts: str) -> str:
    """A relative link to a file whose name a student chose (``feedback/<id>.html``), quoted for a URL, then for HTML."""
    return esc("/".join(urllib.parse.quote(part, safe="") for part in parts))


def bins(scores: list[float], maximum: float) -> tuple[list[int], list[float]]:
    """How many scores fall in each bin, and the bins' edges: a bin per point up to 20 points, else about ten of whole
    points; each bin holds its left edge, and the last one the maximum."""
    width = 1 if maximum <= 20 else math.ceil(maximum / 10)
    count = int(maximum // width) + 1
    counts = [0] * count
    for score in scores:
        counts[min(max(int(score // width), 0), count - 1)] += 1
    return counts, [i * width for i in range(count + 1)]


def _cells(row: str) -> list[str]:
    """A table's header cells from one message marked with N_ and written as a markdown row, ``| check | points |``, as
    summary.md's are: a translator sees the whole row at once, and a header shares no message with a status (``passed``).
    A translation with another number of cells is not used."""
    cells, source = _split(_(row)), _split(row)
    return cells if len(cells) == len(source) else source


def _split(row: str) -> list[str]:
    """``| a | b |`` as ``["a", "b"]``; what wraps the row stays on its first and last cell (a test's pseudo-locale marks)."""
    cells = [cell.strip() for cell in row.strip().split(" | ")]
    cells[0], cells[-1] = cells[0].removeprefix("|").lstrip(), cells[-1].removesuffix("|").rstrip()
    return cells


def _head(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<th>{esc(cell)}</th>" for cell in cells) + "</tr>"


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(i18n.current())}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _totals(records: list[dict], matches: list[Match]) -> str:
    """One line of class totals: the mean total, how many have full marks, the statuses, the flags."""
    most = records[0]["max_score"]
    mean = sum(r["score"] for r in records) / len(records)
    full = sum(1 for r in records if r["score"] >= most)
    statuses = Counter(r["batch"]["status"] for r in records)
    said = _("Mean {mean} of {most} points · {full} with full marks · {statuses}").format(
        mean=number(mean, 2), most=number(most), full=full, statuses=", ".join(f"{n} {shown(s)}" for s, n in statuses.most_common())
    )
    flagged = len({m.student for m in matches})
    if flagged:
        said += " · " + ngettext(
            "{count} student matches the reference solution", "{count} students match the reference solution", flagged
        ).format(count=flagged)
    return f'<p class="totals">{esc(said)}</p>'


def _facts(records: list[dict], stems: list[str], run: tuple[float, int] | None = None) -> str:
    seconds = sum(record["batch"].get("seconds", 0.0) for record in records)
    taken = _("{total} in all, the students' gradings added up ({each} a student on average)")
    taken = taken.format(total=_duration(seconds), each=_duration(seconds / len(records)))
    wall = [(_("wall time"), _("{time} for this run, which graded {count}").format(time=_duration(run[0]), count=run[1]))] if run else []
    facts = [
        (_("seed"), ", ".join(str(seed) for seed in sorted({record["seed"] for record in records}))),
        (_("kit version"), grader.__version__),
        (_("exercises"), ", ".join(stems)),
        (_("points"), number(records[0]["max_score"])),
        (_("isolation"), _isolation(records)),
        (_("grading time"), taken),
        *wall,
    ]
    return '<dl class="facts">' + "".join(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in facts) + "</dl>"


def _isolation(records: list[dict]) -> str:
    """The layers that held in the sandbox (the records' ``"isolation"``), per kind of record if they differ."""
    found = Counter(tuple(map(str, r["isolation"])) if isinstance(r.get("isolation"), list) else None for r in records)
    named = {layers: (", ".join(layers) or _("none")) if layers is not None else _("not recorded") for layers in found}
    if len(found) == 1:
        return next(iter(named.values()))
    return "; ".join(
        ngettext("{layers} ({count} student)", "{layers} ({count} students)", count).format(layers=named[layers], count=count)
        for layers, count in found.most_common()
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return _("{seconds} s").format(seconds=number(seconds, 1))
    minutes = int(seconds // 60)
    if minutes >= 60:
        return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=f"{minutes % 60:02d}")
    return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=f"{int(seconds % 60):02d}")


def _scores(records: list[dict], stems: list[str]) -> str:
    charts_html = [_histogram([r["score"] for r in records], records[0]["max_score"], "total", "hist-total", _("total"))]
    for index, stem in enumerate(stems):
        parts = [p for r in records for p in r["exercises"] if p["exercise"] == stem]
        charts_html.append(_histogram([p["score"] for p in parts], max(p["max_score"] for p in parts), stem, f"hist-{index}"))
    heading = esc(_("Scores"))
    return f'<section id="scores">\n<h2>{heading}</h2>\n<div class="charts">\n' + "\n".join(charts_html) + "\n</div>\n</section>"


def _histogram(scores: list[float], maximum: float, of: str, name: str, label: str | None = None) -> str:
    """``of``: what the histogram counts (``total`` or a stem), kept as is in ``data-of``; ``label``: its name for people."""
    counts, edges = bins(scores, maximum)
    chart = charts.histogram(counts, edges, f"{label or of} ({worth(maximum)})", name)
    return f'<figure class="histogram" data-of="{esc(of)}">{chart}</figure>'


def _checks(records: list[dict]) -> str:
    rows = []
    for rate in summary.pass_rates(records):
        share = 0.0 if rate.rate is None else 100 * rate.rate
        shown = "–" if rate.rate is None else percent(share, 0)
        rows.append(
            f'<tr><td>{esc(rate.name)}</td><td class="num">{esc(number(rate.points))}</td>'
            f'<td class="rate"><span class="bar"><span style="width: {share:.1f}%"></span></span>'
            f"{shown} ({rate.passed}/{rate.handed_in})</td>"
            f'<td>{esc(summary.other_outcomes(rate))}</td><td class="hint">{esc(rate.hint)}</td></tr>'
        )
    heading, note, head = (
        _("Checks, hardest first"),
        _(summary.RATES_NOTE),
        _head(_cells(N_("| check | points | passed | other outcomes | hint |"))),
    )
    return (
        f'<section id="checks">\n<h2>{esc(heading)}</h2>\n'
        f"<p>{esc(note)}</p>\n"
        f'<table class="pass-rates">\n{head}\n' + "\n".join(rows) + "\n</table>\n</section>"
    )


def _training(records: list[dict], reference: dict | None, problem: str) -> str:
    found = [one for record in records if (one := curves.of(record)) is not None]
    if not found:
        return ""
    reached = sum(1 for one in found if one["measured_accuracy"] is not None and one["measured_accuracy"] >= one["goal"])
    if reference is not None and reference["measured_accuracy"] is not None:
        about = _("The wide grey line is the reference solution trained with the batch's seed, reaching {accuracy}.").format(
            accuracy=percent(reference["measured_accuracy"])
        )
    else:
        about = _("There is no reference curve: {problem}.").format(problem=problem or _("the reference run was not available"))
    said = ngettext(
        "{reached} of {count} student reached the {goal} goal, as measured by the grader.",
        "{reached} of {count} students reached the {goal} goal, as measured by the grader.",
        len(found),
    ).format(reached=reached, count=len(found), goal=percent(found[0]["goal"], None))
    heading = _("Training curves (exercise 6)")
    return (
        f'<section id="training">\n<h2>{esc(heading)}</h2>\n'
        f"<p>{esc(said)} {esc(about)}</p>\n"
        f'<figure class="class-curves">{curves.class_chart(found, reference, "class-curves")}</figure>\n</section>'
    )


def _students(records: list[dict], stems: list[str], thumbnails: dict[str, str], matches: list[Match] = ()) -> str:
    first, *last = _cells(N_("| student (feedback) | total | status | note |"))
    head = _head([first, *stems, *last, *([_("training")] if thumbnails else [])])
    flagged: dict[str, list[Match]] = {}
    for match in matches:
        flagged.setdefault(match.student, []).append(match)
    rows = []
    for index, record in enumerate(records):
        batch = record["batch"]
        student = batch["student"]
        scores = {part["exercise"]: part for part in record["exercises"]}
        cells = "".join(f'<td class="num">{_score(scores[s])}</td>' if s in scores else "<td></td>" for s in stems)
        status = "status-graded" if batch["status"] == "graded" else "status-missing" if batch["status"] == "missing" else "trouble"
        html_link, md_link = (href(gradebook.FEEDBACK, student + suffix) for suffix in (".html", ".md"))
        links = f'<a href="{html_link}">{esc(student)}</a> (<a href="{md_link}">md</a>)'
        curve = f"<td>{_curve_cell(record, thumbnails.get(student, ''))}</td>" if thumbnails else ""
        rows.append(
            f'<tr id="student-{index}"><td>{links}</td>{cells}<td class="num">{_score(record)}</td>'
            f'<td class="{status}">{esc(shown(batch["status"]))}</td>'
            f'<td class="note">{_note(batch["note"], flagged.get(student, []))}</td>{curve}</tr>'
        )
    heading = _("Students")
    return (
        f'<section id="students">\n<h2>{esc(heading)}</h2>\n<table class="students">\n{head}\n'
        + "\n".join(rows)
        + "\n</table>\n"
        + _by_total(records)
        + "\n</section>"
    )


def _note(note: str, matches: list[Match]) -> str:
    """A student's note a part a line (the parts a record's note joins with ``; ``), then what matches the reference."""
    parts = [f"<div>{esc(part)}</div>" for part in note.split("; ") if part]
    said = _("matches the reference solution: {functions}")
    parts += [f'<div class="flag">{esc(said.format(functions=summary.functions_of(m)))}</div>' for m in matches]
    return "".join(parts)


def _by_total(records: list[dict]) -> str:
    """The class sorted by total, lowest first, folded: a second order with no script."""
    ordered = sorted(enumerate(records), key=lambda pair: (pair[1]["score"], pair[1]["batch"]["student"]))
    rows = [
        f'<tr><td><a href="#student-{index}">{esc(record["batch"]["student"])}</a></td><td class="num">{_score(record)}</td>'
        f"<td>{esc(shown(record['batch']['status']))}</td></tr>"
        for index, record in ordered
    ]
    said = esc(_("The same students by total, lowest first"))
    head = _head(_cells(N_("| student | total | status |")))
    return f'<details class="order"><summary>{said}</summary>\n<table>\n{head}\n' + "\n".join(rows) + "\n</table>\n</details>"


def _score(part: dict) -> str:
    """``15/17``: a record's or an exercise's points."""
    return esc(f"{number(part['score'])}/{number(part['max_score'])}")


def _curve_cell(record: dict, thumbnail: str) -> str:
    found = curves.of(record)
    if found is None or found["measured_accuracy"] is None:
        return thumbnail
    said = _("{accuracy} measured by the grader").format(accuracy=percent(found["measured_accuracy"]))
    return f'{thumbnail}<div class="measured">{esc(said)}</div>'


def _changes(records: list[dict], regraded: list[changes.Change]) -> str:
    """The last regrade's changes.csv: whose points or checks moved, from what to what, and why."""
    if not regraded:
        return ""
    link = _linker(records)
    rows = [
        f'<tr><td>{link(c.student)}</td><td>{esc(c.exercise)}</td><td class="num">{esc(c.old)} → {esc(c.new)}</td>'
        f'<td class="note">{esc(c.checks)}</td><td>{esc(c.why)}</td></tr>'
        for c in regraded
    ]
    note = esc(_("From changes.csv; the gradebook before it is kept in history/."))
    head = N_("| student | exercise | old → new | checks whose outcome changed | why |")
    return _section("changes", _("Changes at the last regrade"), note, head, rows)


def _reference(records: list[dict], matches: list[Match]) -> str:
    """The students whose functions are the reference solution's, linked to their rows: a flag, never a deduction."""
    link = _linker(records)
    rows = [f"<tr><td>{link(m.student)}</td><td>{esc(m.exercise)}</td><td>{esc(', '.join(m.functions))}</td></tr>" for m in matches]
    head = N_("| student | exercise | functions |")
    return _section("reference", _("Matches the reference solution"), esc(_(summary.REFERENCE_NOTE)), head, rows)


def _copies(records: list[dict], groups: list[Group]) -> str:
    link = _linker(records)
    rows = []
    for group in groups:
        close = _("identical") if group.identical else _("{percent} similar").format(percent=percent(100 * group.similarity, 0))
        rows.append(f"<tr><td>{esc(group.exercise)}</td><td>{', '.join(link(s) for s in group.students)}</td><td>{esc(close)}</td></tr>")
    head = N_("| exercise | students | how close |")
    return _section("copies", _("Possible copies"), esc(_(summary.COPIES_NOTE)), head, rows)


def _linker(records: list[dict]):
    """A student's name, linked to their row of the student table where they have one."""
    row_of = {record["batch"]["student"]: index for index, record in enumerate(records)}
    return lambda student: f'<a href="#student-{row_of[student]}">{esc(student)}</a>' if student in row_of else esc(student)


def _section(key: str, heading: str, note: str, head: str, rows: list[str]) -> str:
    """A section of the page: its heading, its note (HTML), and its table of ``rows`` under ``head``, or "None found."."""
    top = f'<section id="{key}">\n<h2>{esc(heading)}</h2>\n<p>{note}</p>\n'
    if not rows:
        return top + f"<p>{esc(_('None found.'))}</p>\n</section>"
    return top + f'<table class="{key}">\n{_head(_cells(head))}\n' + "\n".join(rows) + "\n</table>\n</section>"
