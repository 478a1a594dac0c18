"""The course at a glance: which exercise is next, the progress bar and ``grade list``'s lines."""

from __future__ import annotations

from grader import registry
from grader.student import progress
from grader.student.history import Score, Standing

EX = registry.EXERCISES


def standings(**scores: tuple[float, float]) -> dict[str, Standing]:
    """By exercise number: ``standings(e1=(17, 17))``."""
    found = {}
    for key, (score, max_score) in scores.items():
        exercise = registry.resolve(key.removeprefix("e"))
        found[exercise.stem] = Standing(Score(score, max_score, "graded"), Score(score, max_score, "graded"))
    return found


def test_the_first_to_do_is_the_first_without_full_marks():
    assert progress.first_to_do({}) == EX[0]
    assert progress.first_to_do(standings(e1=(17, 17), e2=(3, 10))) == EX[1]
    assert progress.first_to_do(standings(e1=(17, 17), e3=(14, 14))) == EX[1]
    assert progress.first_to_do(standings(**{f"e{e.number}": (1, 1) for e in EX})) is None


def test_next_skips_what_is_done_and_goes_round_the_course():
    done = standings(e2=(10, 10), e3=(14, 14))
    assert progress.following(done, EX[0]) == EX[3]
    assert progress.following(done, EX[6]) == EX[0]
    assert progress.following(standings(**{f"e{e.number}": (1, 1) for e in EX}), EX[6]) == EX[0], "all done: simply the next one"
    assert progress.following({}, EX[2]) == EX[3]


def test_the_bar_counts_the_exercises_with_full_marks():
    assert progress.bar({}) == f"[{'░' * progress.BAR_WIDTH}] 0 of 7 exercises have full marks"
    assert progress.bar(standings(e1=(17, 17), e2=(9.5, 10))) == f"[{'█' * 4}{'░' * 24}] 1 of 7 exercises has full marks"
    assert progress.bar(standings(**{f"e{e.number}": (1, 1) for e in EX})).startswith(f"[{'█' * progress.BAR_WIDTH}] 7 of 7")


def test_the_lines_without_a_history_are_grade_lists_plain_ones():
    totals = {e.stem: float(e.number) for e in EX}
    shown = progress.course_lines(totals, {})
    assert shown[2].startswith(f"3  exercise3  autograd  {EX[2].title}  ")
    assert shown[2].endswith("  (3 points)")
    assert max(map(len, shown)) <= progress.COLUMNS
    assert len({line.index("(") for line in shown if line.endswith("points)")}) == 1, "the points line up"


def test_the_list_fits_80_columns_shows_one_total_per_line_and_never_names_the_watched_exercise_next():
    totals = {e.stem: 18.0 for e in EX}
    shown = progress.course_lines(totals, standings(e1=(0, 17), e7=(0, 13)), watching=EX[0])
    assert max(map(len, shown[:7])) <= 80
    assert shown[6].endswith("best 0/13 · last 0/13")
    assert "points" not in shown[6], "a graded exercise shows its scores, not a catalog total beside them"
    assert shown[1].endswith("not graded yet")
    assert shown[-1] == f"next after exercise1: press n for exercise2 ({EX[1].title})"
    assert progress.course_lines(totals, standings(e1=(0, 17)))[-1] == "next: grade watch 1"


def test_the_lines_with_a_history_end_with_the_next_step():
    totals = {e.stem: 10.0 for e in EX}
    shown = progress.course_lines(totals, standings(**{f"e{e.number}": (10, 10) for e in EX}))
    assert shown[-1] == "next: nothing, all 7 exercises have full marks"
    assert all(line.startswith("✓ ") for line in shown[:7])
    assert len({line.index("best") for line in shown[:7]}) == 1, "the scores line up"
