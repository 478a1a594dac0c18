"""Do --min-score and --min-percent decide the exit code by the score alone, and only when given?"""

from __future__ import annotations

import json

import pytest

from grader.judge import policy
from tests.cli_support import grade_cli


def doc(scores: list[tuple[float, float, str]]) -> dict:
    checks = [
        {"name": f"c{i}", "score": s, "max_score": m, "status": st, "message": "", "hint": "h"} for i, (s, m, st) in enumerate(scores)
    ]
    total, most = sum(s for s, _, _ in scores), sum(m for _, m, _ in scores)
    return {
        "schema": 1,
        "submission": "/x",
        "seed": 1,
        "device": "cpu",
        "score": total,
        "max_score": most,
        "exercises": [
            {"exercise": "exercise1_tensors", "title": "t", "score": total, "max_score": most, "status": "graded", "checks": checks}
        ],
    }


THIRDS = doc([(1 / 3, 1, "failed")] * 3)  # 0.9999999999999999 points of 3
HALF = doc([(1, 1, "passed"), (0, 1, "failed")])
ALL = doc([(1, 1, "passed"), (2, 2, "passed")])


@pytest.mark.parametrize(
    ("document", "min_score", "min_percent", "code"),
    [
        (ALL, None, None, 0),
        (HALF, None, None, 1),  # without a minimum: the foundation's codes
        (HALF, 1, None, 0),  # a failed check, but the score reaches the minimum
        (HALF, 1.5, None, 1),
        (HALF, None, 50, 0),
        (HALF, None, 50.5, 1),
        (THIRDS, 1, None, 0),  # three thirds reach one point, float sums notwithstanding
        (THIRDS, None, 100 / 3, 0),
        (THIRDS, 1.01, None, 1),
        (ALL, 4, None, 1),
    ],
)
def test_exit_code(document, min_score, min_percent, code):
    assert policy.exit_code(document, min_score, min_percent) == code


@pytest.mark.parametrize(
    ("min_score", "min_percent", "says"), [(1, 50, "not both"), (-1, None, "negative"), (None, 101, "between 0 and 100")]
)
def test_bad_minimums_are_refused(min_score, min_percent, says):
    with pytest.raises(policy.PolicyError, match=says):
        policy.check(min_score, min_percent)


def test_render_applies_the_minimum_to_a_saved_document(tmp_path):
    saved = tmp_path / "grade.json"
    saved.write_text(json.dumps(HALF), encoding="utf-8")
    codes = [
        grade_cli("render", str(saved), "--format", "json", *flags, cwd=tmp_path).returncode
        for flags in ([], ["--min-score", "1"], ["--min-percent", "75"])
    ]
    assert codes == [1, 0, 1]


def test_the_run_command_passes_stubs_that_reach_a_zero_minimum(kit):
    """Every check of a stub fails, yet --min-score 0 is reached: exit 0. Both minimums at once: a usage error."""
    reached = grade_cli("1", "--submission", str(kit / "exercises"), "--format", "json", "--min-score", "0")
    assert reached.returncode == 0, reached.stderr
    assert json.loads(reached.stdout)["score"] == 0
    both = grade_cli("1", "--min-score", "1", "--min-percent", "1")
    assert both.returncode == 2
    assert "not both" in both.stderr
    assert both.stdout == ""
