"""A long run's progress, from the child to the judge: a small fixed-size frame on the result pipe, no code in it.

A training probe says where it is (epoch 2 of 5, 45 % of that epoch) with :func:`report`, at most every
:data:`CHILD_EVERY` seconds. The frame is :data:`TAG` and three big-endian u16s; the judge reads it with
:func:`decode`, which refuses any other length and any number out of range, and :class:`Latest` keeps only
the newest, handed on at most every :data:`JUDGE_EVERY` seconds. Student code shares the child and may send
frames of its own: a lie shows a wrong number for a moment, a malformed frame is dropped, and neither is a
result (a result starts ``wire.MAGIC``; a frame that starts :data:`TAG` is never read as one).

Layer: the sandbox's; the child imports it before any student code runs, the judge's watcher reads with it.
"""

from __future__ import annotations

import contextlib
import struct
import time
from dataclasses import dataclass

from grader.sandbox import frames

TAG = b"progress1"
BODY = struct.Struct("!HHH")  # epoch, epochs, percent of the epoch
SIZE = len(TAG) + BODY.size
MAX_EPOCHS = 1000  # a training check's epochs are far fewer (GRADER_MNIST_EPOCHS: 1 to 100)
CHILD_EVERY = 0.25  # seconds between two frames a probe sends
JUDGE_EVERY = 0.2  # seconds between two reports the judge hands on, whatever a child sends


@dataclass(frozen=True)
class Progress:
    """Where a training stands: its ``epoch`` of ``epochs`` (from 1) and the ``percent`` of that epoch done."""

    epoch: int
    epochs: int
    percent: int


def encode(progress: Progress) -> bytes:
    return TAG + BODY.pack(progress.epoch, progress.epochs, progress.percent)


def is_progress(frame: bytes) -> bool:
    """Whether ``frame`` claims to be progress (a well-formed one or not): never a result, then."""
    return frame.startswith(TAG)


def decode(frame: bytes) -> Progress | None:
    """The progress ``frame`` holds, or None for one :func:`encode` could not have written."""
    if len(frame) != SIZE or not frame.startswith(TAG):
        return None
    epoch, epochs, percent = BODY.unpack_from(frame, len(TAG))
    if not (1 <= epoch <= epochs <= MAX_EPOCHS and 0 <= percent <= 100):
        return None
    return Progress(epoch, epochs, percent)


class Latest:
    """The judge's side: the newest valid progress of a run, handed to ``callback`` at most every ``every`` seconds."""

    def __init__(self, callback, every: float = JUDGE_EVERY, clock=time.monotonic):
        self.callback, self.every, self.clock = callback, every, clock
        self.pending: Progress | None = None
        self.shown: Progress | None = None
        self.last = float("-inf")

    def offer(self, frame: bytes) -> None:
        found = decode(frame)
        if found is not None:
            self.pending = found

    def hand_on(self) -> None:
        """Give the callback the newest progress, if there is news and the last report is old enough."""
        now = self.clock()
        if self.pending is None or self.pending == self.shown or now - self.last < self.every:
            return
        self.shown, self.last = self.pending, now
        self.callback(self.shown)


# ------------------------------------------------------------------ the child's side

_channel: int | None = None  # the child's result pipe, once the sandbox is built (child._run)
_sent = float("-inf")


def open_channel(fd: int) -> None:
    """Where :func:`report` writes: called by the child before its probe runs."""
    global _channel, _sent
    _channel, _sent = fd, float("-inf")


def report(epoch: int, epochs: int, fraction: float, every: float | None = None) -> None:
    """Tell the judge: ``epoch`` of ``epochs``, ``fraction`` of it done; dropped when the last frame is younger than
    ``every`` seconds (:data:`CHILD_EVERY`), or outside a child. Touches no random state, so a training reported on
    trains the same."""
    global _sent
    now = time.monotonic()
    if _channel is None or now - _sent < (CHILD_EVERY if every is None else every):
        return
    _sent = now
    epochs = max(1, min(int(epochs), MAX_EPOCHS))
    epoch = max(1, min(int(epoch), epochs))
    with contextlib.suppress(OSError):  # the judge has stopped reading: the run is over anyway
        frames.send(_channel, encode(Progress(epoch, epochs, max(0, min(int(fraction * 100), 100)))))
