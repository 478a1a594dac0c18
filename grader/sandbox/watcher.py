"""The grader's side of one run: read the child's pipes, keep its limits, and turn its end into an Outcome.

One loop waits on the child's four pipes at once (result, stdout, stderr, and the status the
zygote writes once it has reaped the child), waking every 50 ms to measure memory and look for
a cancel. The result alone ends the wait: waiting for the exit too would add the teardown of a
process that maps torch to every check.
"""

from __future__ import annotations

import os
import selectors
import signal
import time
from dataclasses import dataclass, field

from grader.errors import InternalError
from grader.i18n import _, ngettext, number
from grader.sandbox import blame, frames, limits, progress
from grader.sandbox.child import IMPORTED, SETTLED, SETUP
from grader.sandbox.limits import Outcome, size
from grader.status import RunStatus

TICK = 0.05


class SandboxError(InternalError):
    """The sandbox failed to build or start a child: the grader's failure, never the student's."""


class Capped:
    """A pipe's output, keeping the first ``cap`` bytes, so a flood neither blocks nor fills memory."""

    def __init__(self, cap: int):
        self.cap, self.kept, self.dropped = cap, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.kept)
        self.kept += chunk[: max(room, 0)]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        if not self.dropped:
            return text
        cut = ngettext("[... {count} more byte of output cut]", "[... {count} more bytes of output cut]", self.dropped)
        return text + "\n" + cut.format(count=self.dropped)


@dataclass
class RunPipes:
    """What one run's child did, read from its pipes."""

    result_r: int
    out_r: int
    err_r: int
    status_r: int
    output_cap: int
    stopped: str | None = None  # timeout, memory, cancelled or too big: why the grader stopped it
    result: bytes | None = None
    imported: bool = False
    settled: bool = False  # the child said its sandbox was built: a SETUP status after this is student code's forgery
    status: int | None = None  # the wait status, once the zygote has reaped the child
    latest: progress.Latest | None = None  # where the child's progress frames go; None: they are dropped
    stdout: Capped = field(init=False)
    stderr: Capped = field(init=False)

    def __post_init__(self):
        self.stdout, self.stderr = Capped(self.output_cap), Capped(self.output_cap)
        self.frames = frames.Reader(limits.RESULT_CAP)
        self.selector = selectors.DefaultSelector()
        for fd in (self.result_r, self.out_r, self.err_r, self.status_r):
            self.selector.register(fd, selectors.EVENT_READ)

    def until_done(self, pid: int, run_limits: limits.Limits, began: float, cancel) -> None:
        """Read until the result is in, the child has ended, or a limit stops it."""
        deadline, baseline = began + run_limits.timeout, None  # what the child shares with the zygote is not its own use
        while self.result is None and self.status is None and self.stopped is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stopped = RunStatus.TIMEOUT
                break
            self.read(min(left, TICK))
            if self.latest is not None:
                self.latest.hand_on()
            if cancel is not None and cancel.is_set():
                self.stopped = "cancelled"
            elif run_limits.memory and self.result is None:
                rss = resident(pid)
                baseline = rss if baseline is None else baseline
                if rss - baseline > run_limits.memory:
                    self.stopped = RunStatus.MEMORY
        if self.status is not None and self.result is None:  # it ended: its last frame may still be in the pipe
            self.read(0)

    def read(self, timeout: float) -> None:
        for key, _events in self.selector.select(timeout):
            fd = key.fd
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self.selector.unregister(fd)
            elif fd == self.result_r:
                self._result(chunk)
            elif fd == self.out_r:
                self.stdout.add(chunk)
            elif fd == self.err_r:
                self.stderr.add(chunk)
            elif len(chunk) >= frames.STATUS.size:
                self.status = frames.STATUS.unpack_from(chunk)[0]

    def _result(self, chunk: bytes) -> None:
        try:
            self.frames.feed(chunk)
        except frames.TooBig:
            self.stopped = "too big"
            return
        for frame in self.frames.frames:
            take_frame(self, frame)
        self.frames.frames.clear()

    def drain(self, seconds: float) -> None:
        """Read the output that is left, once the child is dead, for at most ``seconds``."""
        end = time.monotonic() + seconds
        while {self.out_r, self.err_r} & set(self.selector.get_map()) and time.monotonic() < end:
            self.read(max(0.0, min(end - time.monotonic(), TICK)))

    def wait_status(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.status is None and self.status_r in self.selector.get_map() and time.monotonic() < end:
            self.read(max(0.0, min(end - time.monotonic(), TICK)))

    def close(self) -> None:
        self.selector.close()


def take_frame(run, frame: bytes) -> None:
    """One frame of a child's result pipe, read into ``run`` (a :class:`RunPipes`, or the portable runner's watch): progress,
    then the marks that the sandbox was built and the module imported, each once; anything else is the result."""
    if progress.is_progress(frame):  # never a result, whatever follows its tag
        if run.latest is not None:
            run.latest.offer(frame)
    elif frame == SETTLED and not run.settled:
        run.settled = True
    elif frame == IMPORTED and not run.imported:
        run.imported = True
    else:
        run.result = frame


def settle(watch: RunPipes, run_limits: limits.Limits) -> Outcome:
    """How the child ended, as the Outcome a check reads."""
    stopped = watch.stopped
    if stopped == RunStatus.TIMEOUT:
        return Outcome(
            RunStatus.TIMEOUT,
            error={"message": _("still running after {seconds} s, so it was stopped").format(seconds=number(round(run_limits.timeout, 2)))},
        )
    if stopped == RunStatus.MEMORY:
        return Outcome(
            RunStatus.MEMORY,
            error={"message": _("used more than {size} of memory, so it was stopped").format(size=size(run_limits.memory))},
        )
    if stopped == "cancelled":
        return Outcome(RunStatus.CRASHED, error={"message": _("stopped because grading ended before this check ran")})
    if stopped == "too big":
        said = _("returned more than {size} of data; return something smaller")
        return Outcome(RunStatus.CRASHED, error={"message": said.format(size=size(limits.RESULT_CAP))})
    if watch.result is not None:
        from grader.sandbox.wire import BadResult, cut  # torch's too: only once a child has answered

        try:
            status, value, error = _payload(watch.result, watch.settled)
        except BadResult as exc:  # a child that wrote something else to the result pipe: its own failure, said in one line
            said = _("sent back something that is not plain data: {problem}")
            return Outcome(RunStatus.CRASHED, error={"message": cut(said.format(problem=exc), limits.MESSAGE_BUDGET)})
        if status == SETUP:
            raise SandboxError(_("the sandbox could not be set up: {problem}").format(problem=error.get("message", "?")))
        return Outcome(status, value=value, error=error)
    return _ended(watch.status)


NOTE_ROOM = 64  # characters of a note that says how much was cut
ERROR_FIELDS = {"type": limits.NAME_BUDGET, "message": limits.MESSAGE_BUDGET, "traceback": limits.TRACEBACK_BUDGET}


def _payload(data: bytes, settled: bool) -> tuple[str, object, dict]:
    """A result frame's status, value and error, each checked: whatever student code could have forged is refused
    (:class:`BadResult`) or cut to its budget here, in the judge, whatever the child's own ``describe`` did."""
    from grader.sandbox.wire import BadResult, cut, decode

    payload = decode(data)
    if type(payload) is not dict or set(payload) - {"status", "value", "error"}:
        raise BadResult(_("its result is not a status with a value or an error"))
    status, error = payload.get("status"), payload.get("error") or {}
    if status not in (RunStatus.OK, RunStatus.RAISED, RunStatus.MEMORY, SETUP) or (status == SETUP and settled) or type(error) is not dict:
        raise BadResult(_("its result has no status the grader knows ({status})").format(status=cut(repr(status), 80)))
    checked = {}
    for key, item in error.items():
        if key in ERROR_FIELDS and type(item) is str:
            checked[key] = cut(item, ERROR_FIELDS[key] + NOTE_ROOM)  # the child's own cut, and its note, pass as they are
        elif (key, type(item)) in {("line", int), ("line", type(None))} or (key == "origin" and item in (blame.STUDENT, blame.KIT)):
            checked[key] = item
        elif key == "asked" and _asked(item):  # the name the exercise asks for and the module lacks (blame.asked_for)
            found = item["found"] and cut(item["found"], limits.NAME_BUDGET)
            checked[key] = {"name": cut(item["name"], limits.NAME_BUDGET), "found": found}
        else:
            raise BadResult(_("its error report has a malformed field {key}").format(key=cut(repr(key), 80)))
    return str(status), payload.get("value"), checked


def _asked(item) -> bool:
    return type(item) is dict and set(item) == {"name", "found"} and type(item["name"]) is str and type(item["found"]) in (str, type(None))


def _ended(status: int | None) -> Outcome:
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        said = _("the process was killed by {signal} (out of memory?)") if name == "SIGKILL" else _("the process was killed by {signal}")
        return Outcome(RunStatus.CRASHED, error={"message": said.format(signal=name)})
    said = _("the process exited with code {code} before returning a result (sys.exit or os._exit?)")
    return Outcome(RunStatus.CRASHED, error={"message": said.format(code=code)})


def resident(pid: int) -> int:
    """The child's resident memory but the pages of files it maps: those (torch's libraries) come in as its
    code runs, a few hundred MB sooner or later, and would count against a student who allocated nothing."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as file:
            resident_pages, shared = file.read().split()[1:3]
        return (int(resident_pages) - int(shared)) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0
