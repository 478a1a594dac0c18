"""Does a training's progress cross from the child to the judge as one small frame, read strictly and kept latest?"""

from __future__ import annotations

import os

import pytest

from grader import sandbox
from grader.sandbox import frames, progress
from grader.sandbox.progress import Latest, Progress
from grader.status import RunStatus
from tests.sandbox import pipe_targets as targets


@pytest.mark.parametrize("value", [Progress(1, 1, 0), Progress(2, 5, 45), Progress(100, 100, 100), Progress(1, 1000, 99)])
def test_a_frame_reads_back_as_written(value):
    frame = progress.encode(value)
    assert len(frame) == progress.SIZE
    assert progress.is_progress(frame)
    assert progress.decode(frame) == value


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        progress.TAG,
        progress.encode(Progress(2, 5, 45))[:-1],
        progress.encode(Progress(2, 5, 45)) + b"\0",
        b"progress2" + progress.BODY.pack(2, 5, 45),
        progress.TAG + progress.BODY.pack(0, 5, 45),  # epochs count from 1
        progress.TAG + progress.BODY.pack(6, 5, 45),  # past the last epoch
        progress.TAG + progress.BODY.pack(1, 0, 45),
        progress.TAG + progress.BODY.pack(1, progress.MAX_EPOCHS + 1, 45),
        progress.TAG + progress.BODY.pack(2, 5, 101),
    ],
)
def test_what_encode_could_not_have_written_is_refused(frame):
    assert progress.decode(frame) is None


def test_a_result_is_never_taken_for_progress():
    from grader.sandbox import wire

    assert not progress.is_progress(wire.encode({"status": "ok", "value": 1}))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_judge_hands_on_only_the_latest_and_at_most_every_so_often():
    clock, seen = Clock(), []
    latest = Latest(seen.append, every=0.2, clock=clock)
    latest.hand_on()  # nothing yet
    for percent in (10, 20, 30):
        latest.offer(progress.encode(Progress(1, 5, percent)))
    latest.hand_on()
    latest.offer(progress.encode(Progress(1, 5, 40)))
    clock.now = 0.1
    latest.hand_on()  # too soon: kept, not shown
    latest.offer(progress.encode(Progress(1, 5, 50)))
    latest.offer(b"garbage")  # dropped: the last good one stays
    clock.now = 0.25
    latest.hand_on()
    clock.now = 1.0
    latest.hand_on()  # no news: nothing said again
    assert seen == [Progress(1, 5, 30), Progress(1, 5, 50)]


@pytest.fixture
def channel(monkeypatch):
    """A pipe in place of a child's result pipe: what report writes, read back as frames."""
    read, write = os.pipe()
    monkeypatch.setattr(progress, "_channel", None)
    progress.open_channel(write)
    os.set_blocking(read, False)

    def frames_sent() -> list[Progress]:
        reader = frames.Reader(1 << 10)
        try:
            reader.feed(os.read(read, 1 << 16))
        except BlockingIOError:
            return []
        return [progress.decode(frame) for frame in reader.frames]

    yield frames_sent
    os.close(read)
    os.close(write)


def test_report_outside_a_child_sends_nothing(monkeypatch):
    monkeypatch.setattr(progress, "_channel", None)
    progress.report(1, 5, 0.5, every=0)  # no pipe to write to, and no error


def test_report_is_throttled_and_keeps_within_bounds(channel):
    progress.report(2, 5, 0.456)
    progress.report(3, 5, 0.5)  # within CHILD_EVERY of the first: dropped
    progress.report(9, 5, 1.7, every=0)  # a student's loop that runs more epochs than asked: said as the last
    progress.report(0, 0, -1, every=0)
    assert channel() == [Progress(2, 5, 45), Progress(5, 5, 100), Progress(1, 1, 0)]


def test_progress_crosses_from_a_child_beside_its_result():
    seen = []
    steps = [(1, 3, 0.0), (2, 3, 0.5), (3, 3, 0.99)]
    outcome = sandbox.run(targets.reports, steps, "trained", progress=seen.append)
    assert (outcome.status, outcome.value) == (RunStatus.OK, "trained")
    assert seen
    assert set(seen) <= {Progress(1, 3, 0), Progress(2, 3, 50), Progress(3, 3, 99)}


def test_without_a_callback_progress_is_dropped():
    outcome = sandbox.run(targets.reports, [(1, 3, 0.5)], "trained")
    assert (outcome.status, outcome.value) == (RunStatus.OK, "trained")
