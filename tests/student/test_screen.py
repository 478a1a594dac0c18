"""Does the watch's screen fit the terminal: the total and the first failing check always, words whole, the rest folded?"""

from __future__ import annotations

import click
import pytest

from grader.student import screen

FOOTER = ["Watching exercises/exercise1_tensors.py: save it to grade it again.", "h hints  l list  n next  r re-grade  q quit"]
HEAD = ["grade watch · exercise1 (1 of 7) · exercises/exercise1_tensors.py · graded at 10:00:00 in 0.30 s"]
NUDGE = "Look at the data type of the result you build, and try the smallest case, a 1x1 product. Tutorial: Tensors, data types."


def check(name: str, status: str = "failed", message: str = "") -> dict:
    message = message or f"{name}([1, -3, 4]) returned dtype torch.int64; expected torch.float32"
    score = 1.0 if status == "passed" else 0.0
    return {"name": name, "score": score, "max_score": 1.0, "status": status, "message": message, "hint": "the hint", "nudge": NUDGE}


def document(checks: list[dict]) -> dict:
    score = sum(c["score"] for c in checks)
    part = {"exercise": "exercise1_tensors", "title": "Tensors", "score": score, "max_score": float(len(checks)), "status": "graded",
            "checks": checks}  # fmt: skip
    return {"seed": 1, "score": score, "max_score": float(len(checks)), "exercises": [part]}


def plain(lines: list[str]) -> list[str]:
    return [click.unstyle(line) for line in lines]


FAILING = [check(f"check_{i}") for i in range(14)]
DOC = document([check("make_scalar", "passed"), *FAILING])


@pytest.mark.parametrize(("columns", "rows"), [(80, 24), (120, 40), (200, 60)])
def test_the_screen_fits_and_shows_the_total_and_the_first_failing_check(columns, rows):
    shown = plain(screen.layout(DOC, HEAD, ["[░░░░] 0 of 7 exercises have full marks"], FOOTER, screen.Size(columns, rows)))
    assert len(shown) < rows, "the last line break must not scroll the first row away"
    assert max(map(len, shown)) <= columns
    assert "Total: 1/15 points" in shown
    first = shown.index("  ✗ check_0  0/1")
    assert shown[first + 1] == "      check_0([1, -3, 4]) returned dtype torch.int64; expected torch.float32"
    folded = [line for line in shown if "more failing checks, press ↓" in line]
    blocks = sum(line.startswith("  ✗ ") for line in shown)
    assert folded == ([f"  {14 - blocks} more failing checks, press ↓"] if blocks < 14 else [])
    assert blocks >= 3, "as many failing checks as fit"
    assert "  ✓ 1 check passes: make_scalar" in shown
    assert shown[-2:] == FOOTER


def test_down_shows_the_next_failing_checks_and_says_how_many_are_above():
    shown = plain(screen.layout(DOC, HEAD, [], FOOTER, screen.Size(80, 24), offset=2))
    assert "  ✗ check_2  0/1" in shown
    assert "  ✗ check_1  0/1" not in shown
    assert any(line.startswith("  2 more above, press ↑") for line in shown)


def test_text_wraps_at_word_boundaries_and_keeps_its_indent():
    pieces = screen.wrap("      nudge: " + NUDGE, 40)
    assert len(pieces) > 1
    assert all(piece.startswith("      ") and len(piece) <= 40 for piece in pieces)
    assert " ".join(piece.strip() for piece in pieces) == ("nudge: " + NUDGE), "no word was cut"


def test_without_a_terminal_nothing_folds():
    shown = plain(screen.layout(DOC, HEAD, [], FOOTER, screen.Size(80)))
    assert sum(line.startswith("  ✗ ") for line in shown) == 14
    assert not [line for line in shown if "press ↓" in line]


def test_a_first_check_taller_than_the_terminal_is_cut_not_dropped():
    tall = document([check("long", message="\n".join(f"line {i}" for i in range(40)))])
    shown = plain(screen.layout(tall, HEAD, ["a note"], FOOTER, screen.Size(80, 24)))
    assert len(shown) < 24
    assert shown[shown.index("  ✗ long  0/1") + 1] == "      line 0"
    assert "a note" in shown
    shown = plain(screen.layout(tall, HEAD, ["a note"], FOOTER, screen.Size(80, 11)))
    assert len(shown) < 11
    assert shown[shown.index("  ✗ long  0/1") + 1 :][:2] == ["      line 0", "      line 1"]
    assert "a note" not in shown, "a note gives way to the first failing check's first rows"


def test_a_list_too_long_is_cut_with_what_is_left_and_keeps_its_footer():
    shown = plain(screen.fitted([f"line {i}" for i in range(50)], screen.Size(80, 24), FOOTER))
    assert len(shown) < 24
    assert shown[-3] == f"… {50 - (24 - 4)} more lines"
    assert shown[-2:] == FOOTER


def test_a_missing_file_is_said_under_the_total():
    missing = document([])
    missing["exercises"][0]["status"] = "missing"
    shown = plain(screen.layout(missing, HEAD, [], FOOTER, screen.Size(80, 24)))
    assert shown[shown.index("Total: 0/0 points") + 1] == "  missing: no file for this exercise in the submission"
    assert not [line for line in shown if "press ↓" in line]
