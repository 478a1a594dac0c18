"""Does the text report show each check's mark, points, message and hint, and totals, without rounding?"""

from __future__ import annotations

import click

from grader.formats.common import points
from grader.formats.report import render


def test_points_are_written_as_people_write_them():
    assert [points(p) for p in (1.0, 2.0, 0.0, 1.5, 0.25, 17.0, 2 / 3)] == ["1", "2", "0", "1.5", "0.25", "17", "0.6666666666666666"]


def check(name, status, score, max_score=1.0, message="", hint="a hint"):
    return {"name": name, "status": status, "score": score, "max_score": max_score, "message": message, "hint": hint}


DOC = {
    "schema": 1,
    "submission": "/home/student/kit/exercises",
    "seed": 77,
    "device": "cpu",
    "score": 1.5,
    "max_score": 5.0,
    "exercises": [
        {
            "exercise": "exercise1_tensors",
            "title": "Tensors",
            "score": 1.5,
            "max_score": 4.0,
            "status": "graded",
            "checks": [
                check("make_scalar", "passed", 1.0),
                check("make_vector", "failed", 0.5, message="returned dtype torch.int64\nsecond line", hint="use float32"),
                check("matmul", "timeout", 0.0, max_score=2.0, message="still running after 10 s"),
            ],
        },
        {
            "exercise": "exercise2_reshape",
            "title": "Reshaping",
            "score": 0.0,
            "max_score": 1.0,
            "status": "missing",
            "checks": [
                check("arange_float", "skipped", 0.0, message="not run"),
            ],
        },
    ],
}


def test_render_shows_marks_points_messages_hints_and_totals():
    lines = click.unstyle(render(DOC)).splitlines()
    assert lines[0] == "Submission /home/student/kit/exercises  ·  seed 77 (replay with --seed 77)  ·  device cpu"
    assert lines[2:] == [
        "exercise1_tensors — Tensors",
        "  ✓ make_scalar  1/1",
        "  ✗ make_vector  0.5/1",
        "      returned dtype torch.int64",
        "      second line",
        "      hint: use float32",
        "  ✗ matmul [timeout]  0/2",
        "      still running after 10 s",
        "      hint: a hint",
        "  1.5/4 points",
        "",
        "exercise2_reshape — Reshaping",
        "  missing: no file for this exercise in the submission",
        "  - arange_float [skipped]  0/1",
        "      not run",
        "  0/1 point",  # the noun agrees with the maximum
        "",
        "Total: 1.5/5 points",
    ]


def test_feedback_for_students_offers_a_replay_only_where_a_release_can_replay_it():
    """A teacher's seed (below the public ones) is refused by a student release: feedback says who can replay it."""
    from grader.formats import gradescope
    from grader.settings import PUBLIC_SEEDS_FROM

    head = click.unstyle(render(DOC, for_students=True)).splitlines()[0]
    assert "replay with --seed" not in head
    assert "the teacher's kit replays this grading with grade --seed 77" in head
    said = gradescope.render(DOC)
    assert "replay with" not in said
    assert "the teacher's kit replays this grading with grade --seed 77" in said
    public = {**DOC, "seed": PUBLIC_SEEDS_FROM + 5}
    assert f"(replay with --seed {PUBLIC_SEEDS_FROM + 5})" in render(public, for_students=True)
    assert f"replay with --seed {PUBLIC_SEEDS_FROM + 5}" in gradescope.render(public)
