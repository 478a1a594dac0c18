"""The score policy: ``--min-score X`` or ``--min-percent P`` decide the exit code by the score alone.

With a minimum, the exit code is 0 when the score reaches it and 1 otherwise, whatever single
checks did. Without one, it is the foundation's: 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

from grader.errors import ExitCode, UsageProblem

SLACK = 1e-9  # three checks worth 1/3 each add up to 0.9999999999999999, which reaches 1


class PolicyError(UsageProblem, ValueError):
    """Both minimums, or one out of range; the message says what to pass instead."""


def check(min_score: float | None, min_percent: float | None) -> None:
    if min_score is not None and min_percent is not None:
        raise PolicyError("pass --min-score or --min-percent, not both")
    if min_score is not None and min_score < 0:
        raise PolicyError(f"--min-score {min_score:g} is negative; pass a number of points, e.g. --min-score 10")
    if min_percent is not None and not 0 <= min_percent <= 100:
        raise PolicyError(f"--min-percent {min_percent:g} is not between 0 and 100")


def percent(doc: dict) -> float:
    """The score as a percentage of the maximum; an empty grading (no points to get) counts as 100."""
    return 100.0 * doc["score"] / doc["max_score"] if doc["max_score"] else 100.0


def reached(doc: dict, min_score: float | None = None, min_percent: float | None = None) -> bool:
    """Whether the score reaches the minimum; with none, whether every check passed."""
    check(min_score, min_percent)
    if min_score is not None:
        return doc["score"] + SLACK >= min_score
    if min_percent is not None:
        return percent(doc) + SLACK >= min_percent
    from grader.judge.engine import passed

    return passed(doc)


def exit_code(doc: dict, min_score: float | None = None, min_percent: float | None = None) -> int:
    return ExitCode.PASSED if reached(doc, min_score, min_percent) else ExitCode.FAILED
