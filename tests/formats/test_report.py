"""Does the text report show each check's mark, points, message and hint, and totals, without rounding?"""

from __future__ import annotations

import click

from grader.formats.report import points, render


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
        "  0/1 points",
        "",
        "Total: 1.5/5 points",
    ]
