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
        for item in exercise["checks"]:
            mark, colour = MARKS.get(item["status"], ("✗", "red"))
            label = "" if item["status"] in (Check.PASSED, Check.FAILED) else f" [{item['status']}]"
            score = f"{points(item['score'])}/{points(item['max_score'])}"
            lines.append(click.style(f"  {mark} {item['name']}{label}", fg=colour) + f"  {score}")
            if item["status"] != Check.PASSED:
                lines.extend("      " + line for line in item["message"].splitlines())
                if item["hint"] and item["status"] != Check.SKIPPED:
                    lines.append(click.style(f"      hint: {item['hint']}", fg="cyan"))
            trained = curves.clean(item["data"].get("curves")) if isinstance(item.get("data"), dict) else None
            if trained is not None:  # exercise 6's accuracy check: what its training curves show
                lines.append(f"      {curves.summary(trained)}")
        lines.append(f"  {points(exercise['score'])}/{points(exercise['max_score'])} points")
        lines.append("")
    lines.append(click.style(f"Total: {points(doc['score'])}/{points(doc['max_score'])} points", bold=True))
    return "\n".join(lines)
