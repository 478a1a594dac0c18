"""Render a result document for people: per check a mark, the points, the message and the nudge (or the hint)."""

from __future__ import annotations

from collections.abc import Collection

import click

from grader.formats import curves
from grader.formats.common import replay
from grader.i18n import _, ngettext, number, out_of, worth
from grader.sandbox.layers import notes
from grader.status import CheckStatus, ExerciseStatus, shown

MARKS = {CheckStatus.PASSED: ("✓", "green"), CheckStatus.SKIPPED: ("-", "yellow")}


def render(doc: dict, hints: bool | Collection[str] = False, for_students: bool = False) -> str:
    """The report; ``hints``: True shows every failing check's full hint, a collection the hints of the checks it names
    (the watch's, after two failed saves), and the others show their nudge (:func:`hint_of`). ``for_students``: what the
    teacher's kit writes for students to read (feedback), who replay in a release."""
    head = _("Submission {submission}  ·  seed {seed} ({replay})  ·  device {device}")
    said = replay(doc, for_students).format(seed=doc["seed"])
    lines = [head.format(submission=doc["submission"], seed=doc["seed"], replay=said, device=doc["device"])]
    lines += [click.style(note, fg="yellow") for note in notes(doc)]  # a sandbox weaker than it should be, said at once
    lines.append("")
    for exercise in doc["exercises"]:
        lines.append(click.style(f"{exercise['exercise']} — {_(exercise['title'])}", bold=True))
        if exercise["status"] == ExerciseStatus.MISSING:
            lines.append(click.style(_("  missing: no file for this exercise in the submission"), fg="red"))
        said = exercise.get("message")  # its module does not import: why, once, and then each check's points alone
        if said:
            lines += [click.style("  " + line, fg="red") for line in said.splitlines()]
        public, hidden = split(exercise["checks"])
        for item in public:
            lines += check_lines(item, brief=bool(said), hints=hints)
        if hidden:  # the teacher's kit: the checks a student release leaves out, apart
            lines.append(click.style(_("  hidden checks (the teacher's, not in the student release):"), bold=True))
            for item in hidden:
                lines += check_lines(item, brief=bool(said), hints=hints)
            lines.append(f"  {out_of(exercise['score'], exercise['max_score'])} ({subtotals(public, hidden)})")
        else:
            lines.append("  " + out_of(exercise["score"], exercise["max_score"]))
        lines.append("")
    lines.append(click.style(total_line(doc), bold=True))
    nudged = [e["exercise"].split("_")[0] for e in doc["exercises"] if any(shows_nudge(c, hints) for c in e["checks"])]
    if nudged and hints is False:
        lines.append(_("Stuck? grade {exercise} --hints shows the full hints.").format(exercise=nudged[0]))
    return "\n".join(lines)


def shows_nudge(item: dict, hints: bool | Collection[str] = False) -> bool:
    """Whether ``item``'s report line shows its nudge rather than its full hint: a nudge it has, not passed nor skipped,
    and no hint asked for (a document from before nudges has none, and shows its hint)."""
    if item["status"] in (CheckStatus.PASSED, CheckStatus.SKIPPED) or not item.get("nudge"):
        return False
    return not (hints is True or (hints is not False and item["name"] in hints))


def hint_of(item: dict, hints: bool | Collection[str] = False) -> str:
    """The hint line of a check that did not pass: its nudge first, its full hint when asked (``hints``)."""
    if shows_nudge(item, hints):
        return _("      nudge: {nudge}").format(nudge=item["nudge"])
    return _("      hint: {hint}").format(hint=item["hint"])


def split(checks: list[dict]) -> tuple[list[dict], list[dict]]:
    """An exercise's public checks and the teacher's hidden ones (``"hidden"``: a document of the full kit)."""
    return [c for c in checks if not c.get("hidden")], [c for c in checks if c.get("hidden")]


def subtotals(public: list[dict], hidden: list[dict]) -> str:
    def total(items, key):
        return number(sum(c[key] for c in items))

    return _("public checks {public_score}/{public_most}, hidden checks {hidden_score}/{hidden_most}").format(
        public_score=total(public, "score"), public_most=total(public, "max_score"),
        hidden_score=total(hidden, "score"), hidden_most=total(hidden, "max_score"),
    )  # fmt: skip


def total_line(doc: dict) -> str:
    """The last line. A student release says what its score is not: the grade, which the teacher's checks give on fresh inputs."""
    release = doc.get("release")
    score = out_of(doc["score"], doc["max_score"])
    if release is not None:
        if release["hidden_checks"]:
            said = ngettext(
                "Public checks: {score}. The grade comes from the teacher's checks on fresh inputs, "
                "with {count} more check ({hidden}) that this copy does not have.",
                "Public checks: {score}. The grade comes from the teacher's checks on fresh inputs, "
                "with {count} more checks ({hidden}) that this copy does not have.",
                release["hidden_checks"],
            )
            return said.format(score=score, count=release["hidden_checks"], hidden=worth(release["hidden_points"]))
        return _("Public checks: {score}. The grade comes from the teacher's checks on fresh inputs.").format(score=score)
    public, hidden = split([c for e in doc["exercises"] for c in e["checks"]])
    if hidden:
        return _("Total: {score} ({subtotals})").format(score=score, subtotals=subtotals(public, hidden))
    return _("Total: {score}").format(score=score)


def check_head(item: dict, colour: bool = True, marks: dict = MARKS) -> str:
    """A check's own line, wherever one is drawn (the report, a notebook's check cell): its mark, its name, its status
    where it is neither passed nor failed, and its points. ``marks``: the statuses not marked ✗."""
    mark, fg = marks.get(item["status"], ("✗", "red"))
    label = "" if item["status"] in (CheckStatus.PASSED, CheckStatus.FAILED) else f" [{shown(item['status'])}]"
    said = f"{mark} {item['name']}{label}"
    return f"{click.style(said, fg=fg) if colour else said}  {number(item['score'])}/{number(item['max_score'])}"


def check_lines(item: dict, brief: bool = False, hints: bool | Collection[str] = False) -> list[str]:
    """A check's line, then (``brief``: not) its message and its nudge or hint (:func:`hint_of`) where it did not pass."""
    lines = ["  " + check_head(item)]
    if item["status"] != CheckStatus.PASSED and not brief:
        lines.extend("      " + line for line in item["message"].splitlines())
        if item["hint"] and item["status"] != CheckStatus.SKIPPED:
            lines.append(click.style(hint_of(item, hints), fg="cyan"))
    trained = curves.clean(item["data"].get("curves")) if isinstance(item.get("data"), dict) else None
    if trained is not None:  # exercise 6's accuracy check: what its training curves show
        lines.append(f"      {curves.summary(trained)}")
    return lines
