"""Render a result document for people: per check a mark, the points, the message and the hint."""

from __future__ import annotations

import click

from grader import curves
from grader.sandbox.layers import notes
from grader.status import Check, Exercise

MARKS = {Check.PASSED: ("✓", "green"), Check.SKIPPED: ("-", "yellow")}


def points(value: float) -> str:
    """Points as people write them: 2, 1.5, 0.25, 0.3333333333333333 (never rounded away)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def render(doc: dict) -> str:
    lines = [f"Submission {doc['submission']}  ·  seed {doc['seed']} (replay with --seed {doc['seed']})  ·  device {doc['device']}"]
    lines += [click.style(note, fg="yellow") for note in notes(doc)]  # a sandbox weaker than it should be, said at once
    lines.append("")
    for exercise in doc["exercises"]:
        head = f"{exercise['exercise']} — {exercise['title']}"
        lines.append(click.style(head, bold=True))
        if exercise["status"] == Exercise.MISSING:
            lines.append(click.style("  missing: no file for this exercise in the submission", fg="red"))
        public, hidden = split(exercise["checks"])
        for item in public:
            lines += check_lines(item)
        if hidden:  # the teacher's kit: the checks a student release leaves out, apart
            lines.append(click.style("  hidden checks (the teacher's, not in the student release):", bold=True))
            for item in hidden:
                lines += check_lines(item)
            lines.append(f"  {points(exercise['score'])}/{points(exercise['max_score'])} points ({subtotals(public, hidden)})")
        else:
            lines.append(f"  {points(exercise['score'])}/{points(exercise['max_score'])} points")
        lines.append("")
    lines.append(click.style(total_line(doc), bold=True))
    return "\n".join(lines)


def split(checks: list[dict]) -> tuple[list[dict], list[dict]]:
    """An exercise's public checks and the teacher's hidden ones (``"hidden"``: a document of the full kit)."""
    return [c for c in checks if not c.get("hidden")], [c for c in checks if c.get("hidden")]


def subtotals(public: list[dict], hidden: list[dict]) -> str:
    def total(items, key):
        return points(sum(c[key] for c in items))

    return (
        f"public checks {total(public, 'score')}/{total(public, 'max_score')}, "
        f"hidden checks {total(hidden, 'score')}/{total(hidden, 'max_score')}"
    )


def total_line(doc: dict) -> str:
    """The last line. A student release says what its score is not: the grade, which the teacher's checks give on fresh inputs."""
    release = doc.get("release")
    if release is not None:
        score, most = points(doc["score"]), points(doc["max_score"])
        if release["hidden_checks"]:
            return (
                f"Public checks: {score}/{most} points. The grade comes from the teacher's checks on fresh inputs, "
                f"with {release['hidden_checks']} more checks ({points(release['hidden_points'])} points) that this copy does not have."
            )
        return f"Public checks: {score}/{most} points. The grade comes from the teacher's checks on fresh inputs."
    public, hidden = split([c for e in doc["exercises"] for c in e["checks"]])
    total = f"Total: {points(doc['score'])}/{points(doc['max_score'])} points"
    return f"{total} ({subtotals(public, hidden)})" if hidden else total


def check_lines(item: dict) -> list[str]:
    mark, colour = MARKS.get(item["status"], ("✗", "red"))
    label = "" if item["status"] in (Check.PASSED, Check.FAILED) else f" [{item['status']}]"
    score = f"{points(item['score'])}/{points(item['max_score'])}"
    lines = [click.style(f"  {mark} {item['name']}{label}", fg=colour) + f"  {score}"]
    if item["status"] != Check.PASSED:
        lines.extend("      " + line for line in item["message"].splitlines())
        if item["hint"] and item["status"] != Check.SKIPPED:
            lines.append(click.style(f"      hint: {item['hint']}", fg="cyan"))
    trained = curves.clean(item["data"].get("curves")) if isinstance(item.get("data"), dict) else None
    if trained is not None:  # exercise 6's accuracy check: what its training curves show
        lines.append(f"      {curves.summary(trained)}")
    return lines
