"""Can a child's progress frames, forged by student code, do more than show a wrong number for a moment?

Garbage is dropped, a lie out of range too, a flood costs the judge a few reports a second at most, and a frame
that starts as progress is never taken for the result: the run's result is still the one the probe returns.
"""

from __future__ import annotations

from grader import sandbox
from grader.sandbox import progress, wire
from grader.sandbox.progress import Progress
from grader.status import RunStatus
from tests.sandbox import pipe_targets as targets

FORGED = [
    progress.TAG,  # no body
    progress.TAG + b"\xff" * 100,  # too long
    progress.TAG + progress.BODY.pack(7, 5, 10),  # an epoch past the last
    progress.TAG + progress.BODY.pack(1, 5, 900),  # 900 %
    progress.TAG + progress.BODY.pack(0, 0, 0),
    progress.TAG + progress.BODY.pack(1, 60000, 50),  # more epochs than any check trains
    progress.TAG + wire.encode({"status": "ok", "value": "full marks"}),  # a result behind a progress tag
]


def test_forged_frames_are_dropped_and_the_result_stands():
    seen = []
    outcome = sandbox.run(targets.forges, FORGED, "honest", progress=seen.append)
    assert (outcome.status, outcome.value) == (RunStatus.OK, "honest")
    assert seen == []


def test_a_result_behind_a_progress_tag_is_no_result():
    """The child ends after its forged frames: it returned nothing, which is its own failure, not the grader's."""
    seen = []
    outcome = sandbox.run(targets.forges_then_exits, FORGED, progress=seen.append)
    assert outcome.status == RunStatus.CRASHED
    assert "before returning a result" in outcome.error["message"]
    assert seen == []


def test_a_flood_costs_a_few_reports_a_second():
    seen = []
    outcome = sandbox.run(targets.floods, 200_000, "flooded", progress=seen.append)
    assert (outcome.status, outcome.value) == (RunStatus.OK, "flooded")
    assert set(seen) <= {Progress(1, 5, 50)}
    assert len(seen) <= 1  # the same progress again is no news


def test_a_flood_of_news_is_handed_on_a_few_times_a_second_at_most():
    seen = []
    outcome = sandbox.run(targets.floods, 300_000, "flooded", True, progress=seen.append)
    assert (outcome.status, outcome.value) == (RunStatus.OK, "flooded")
    assert 1 <= len(seen) <= outcome.seconds / progress.JUDGE_EVERY + 1
