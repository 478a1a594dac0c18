"""The course at a glance, from the history: ``grade list``'s lines with best and last scores, a progress bar, what next."""

from __future__ import annotations

from grader import i18n, registry
from grader.i18n import _, ngettext, number
from grader.registry import Exercise
from grader.student.history import Score, Standing

BAR_WIDTH = 28


def course_lines(totals: dict[str, float], standings: dict[str, Standing]) -> list[str]:
    """A line per exercise (its points from ``totals``, by stem); with a history also its scores, the bar and the next step."""
    plain = [f"{e.number}  {e.name:<10} {e.topics[0]:<9} {_(e.title)}  " + worth(totals.get(e.stem, 0)) for e in registry.EXERCISES]
    if not standings:
        return plain
    width = max(map(len, plain))
    lines = []
    for exercise, line in zip(registry.EXERCISES, plain):
        standing = standings.get(exercise.stem)
        if standing is None:
            lines.append(f"  {line:<{width}}  " + _("not graded yet"))
        else:
            mark = "✓" if standing.best.full else " "
            lines.append(
                f"{mark} {line:<{width}}  "
                + _("best {best} · last {last}").format(best=fraction(standing.best), last=fraction(standing.last))
            )
    return [*lines, bar(standings), next_line(standings)]


def totals(checks) -> dict[str, float]:
    """Each exercise's points, by stem, from :func:`grader.judge.engine.collect`'s checks."""
    found: dict[str, float] = {}
    for listed in checks:
        found[listed.stem] = found.get(listed.stem, 0) + listed.points
    return found


def worth(total: float) -> str:
    """``(17 points)``: an exercise's points, in the plural form its number takes (a fraction takes the plural)."""
    return f"({i18n.worth(total)})"


def fraction(score: Score) -> str:
    return f"{number(score.score)}/{number(score.max_score)}"


def done(standings: dict[str, Standing]) -> list[Exercise]:
    return [e for e in registry.EXERCISES if e.stem in standings and standings[e.stem].best.full]


def bar(standings: dict[str, Standing]) -> str:
    count, total = len(done(standings)), len(registry.EXERCISES)
    filled = round(BAR_WIDTH * count / total)

    if registry.in_release():  # a student release: the teacher's checks give the grade
        said = ngettext(
            "{count} of {total} exercises has full marks on their public checks",
            "{count} of {total} exercises have full marks on their public checks",
            count,
        )
    else:
        said = ngettext(
            "{count} of {total} exercises has full marks", "{count} of {total} exercises have full marks", count
        )  # "1 of 7 ... have"
    return f"[{'█' * filled}{'░' * (BAR_WIDTH - filled)}] " + said.format(count=count, total=total)


def first_to_do(standings: dict[str, Standing]) -> Exercise | None:
    """The first exercise without full marks, or None when the course is done."""
    finished = done(standings)
    return next((e for e in registry.EXERCISES if e not in finished), None)


def following(standings: dict[str, Standing], current: Exercise) -> Exercise:
    """The next exercise after ``current`` without full marks (round the course), else simply the next one."""
    order = list(registry.EXERCISES)
    after = order[order.index(current) + 1 :] + order[: order.index(current) + 1]
    finished = done(standings)
    return next((e for e in after if e not in finished and e != current), after[0])


def next_line(standings: dict[str, Standing]) -> str:
    exercise = first_to_do(standings)
    if exercise is None:
        count = len(registry.EXERCISES)
        said = ngettext("next: nothing, the {count} exercise has full marks", "next: nothing, all {count} exercises have full marks", count)
        return said.format(count=count)
    return _("next: grade watch {number}").format(number=exercise.number)
