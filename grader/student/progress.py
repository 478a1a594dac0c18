"""The course at a glance, from the history: ``grade list``'s lines with best and last scores, a progress bar, what next."""

from __future__ import annotations

from grader import i18n, registry
from grader.i18n import _, ngettext, number
from grader.registry import Exercise
from grader.student.history import Score, Standing

BAR_WIDTH = 28
COLUMNS = 80  # grade list and the watch's l fit a terminal this wide: a title too long for it is cut


def course_lines(totals: dict[str, float], standings: dict[str, Standing], columns: int | None = COLUMNS,
                 watching: Exercise | None = None) -> list[str]:  # fmt: skip
    """A line per exercise, fitted to ``columns`` (None: titles whole): its points from ``totals`` (by stem); with a
    history, instead, its best and last scores alone (one total per line, so that two never disagree), then the bar
    and the next step (``watching``: the exercise the watch shows, which is never the next)."""
    heads = [f"{e.number}  {e.name:<10} {e.topics[0]:<9} " for e in registry.EXERCISES]
    if not standings:
        tails = [worth(totals.get(e.stem, 0)) for e in registry.EXERCISES]
        return [f"{head}{title}  {tail}" for head, title, tail in zip(heads, titles(heads, tails, columns), tails)]
    marks, tails = [], []
    for exercise in registry.EXERCISES:
        standing = standings.get(exercise.stem)
        marks.append("✓ " if standing is not None and standing.best.full else "  ")
        if standing is None:
            tails.append(_("not graded yet"))
        else:
            tails.append(_("best {best} · last {last}").format(best=fraction(standing.best), last=fraction(standing.last)))
    heads = [mark + head for mark, head in zip(marks, heads)]
    lines = [f"{head}{title}  {tail}" for head, title, tail in zip(heads, titles(heads, tails, columns), tails)]
    return [*lines, bar(standings), next_line(standings, watching)]


def titles(heads: list[str], tails: list[str], columns: int | None) -> list[str]:
    """The exercises' titles, padded to one width so that what follows lines up, and cut with … where the line would not fit."""
    named = [_(e.title) for e in registry.EXERCISES]
    width = max(map(len, named))
    if columns is not None:
        width = min(width, max(columns - max(map(len, heads)) - max(map(len, tails)) - 2, 8))
    return [(title if len(title) <= width else title[: width - 1] + "…").ljust(width) for title in named]


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


def next_line(standings: dict[str, Standing], watching: Exercise | None = None) -> str:
    """What to do next: the first exercise without full marks; in the watch (``watching``), the one ``n`` opens."""
    exercise = first_to_do(standings)
    if exercise is None:
        count = len(registry.EXERCISES)
        said = ngettext("next: nothing, the {count} exercise has full marks", "next: nothing, all {count} exercises have full marks", count)
        return said.format(count=count)
    if watching is not None:
        after = following(standings, watching)
        return _("next after {current}: press n for {next} ({title})").format(current=watching.name, next=after.name, title=_(after.title))
    return _("next: grade watch {number}").format(number=exercise.number)
