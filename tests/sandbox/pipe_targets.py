"""What the tests of a child's pipes run in it: a probe that reports progress as the training probe does, and student
code that forges frames on the result pipe or a wait status. Module-level functions, so the child imports them by name."""

import contextlib
import os
import struct
import time

from grader.sandbox import progress

TAG = b"progress1"


def reports(module, steps, value):
    """A kit probe: each of ``steps`` (epoch, epochs, fraction) reported unthrottled, then ``value``."""
    for epoch, epochs, fraction in steps:
        progress.report(epoch, epochs, fraction, every=0)
    return value


def _result_pipes() -> list[int]:
    """The result pipe, found where the kit keeps it (student code can import the kit's modules too). Not every pipe
    the child holds: it also holds its own status pipe, whose first four bytes would end the run as a crash at once."""
    return [progress._channel]


def _frame(data: bytes) -> bytes:
    return struct.pack("!Q", len(data)) + data


def forges(module, bodies, value):
    """Student code: each of ``bodies`` written as a frame straight to the result pipe, then ``value`` returned."""
    for fd in _result_pipes():
        for body in bodies:
            os.write(fd, _frame(body))
    return value


def forges_then_exits(module, bodies):
    """Student code: frames that start as progress does, then an end before any result."""
    forges(module, bodies, None)
    os._exit(0)


def floods(module, count, value, changing=False):
    """Student code: ``count`` well-formed progress frames as fast as the pipe takes them, then ``value``;
    ``changing``: each says another percent, so that each is news."""
    percents = range(101) if changing else [50]
    chunk = b"".join(_frame(TAG + struct.pack("!HHH", 1, 5, percents[i % len(percents)])) for i in range(1000))
    for fd in _result_pipes():
        for _ in range(count // 1000):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
    return value


def forges_status(module, status: int, count: int):
    """Student code: a wait status of its own choosing, ``count`` times, on every pipe it holds but the result pipe
    (where the zygote writes a child's status, were it one of them), then a wait to be killed."""
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            fd = int(name)
            if fd > 2 and fd != progress._channel and os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                os.set_blocking(fd, False)
                with contextlib.suppress(BlockingIOError):
                    os.write(fd, struct.pack("!i", status) * count)
    time.sleep(30)
