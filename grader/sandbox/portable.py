"""The portable runner: student code in spawned worker processes, where the Linux sandbox's layers are missing.

On macOS, Windows or a Python without ``os.fork`` there is no zygote to fork children from, no
namespaces and no Landlock. A worker (:mod:`.spawned`) is started instead, by spawning, and imports
torch and the checks once; it runs the tasks one after another and answers in the same frames and
plain-data wire as a Linux child, so :func:`grader.sandbox.watcher.settle` makes the same
:class:`Outcome` of them. The runner keeps the limits from outside: past its time, its memory (a
watchdog on the resident size) or its result's size, a worker is killed with every process it
started and a fresh one takes its place; its output goes to files cut to the same cap as on Linux.

What it does not give: student code shares the machine, its files (the reference solutions among
them) and its network, and the process that runs one task runs the next, unless the task left it
changed. It is local feedback; the official grade runs on Linux, and ``--require-isolation`` refuses it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psutil

from grader.i18n import _
from grader.sandbox import environment, frames, layers
from grader.sandbox.limits import RESULT_CAP, Limits, Outcome
from grader.sandbox.progress import Latest
from grader.sandbox.spawned import AGAIN, READY
from grader.sandbox.watcher import TICK, Capped, SandboxError, settle, take_frame
from grader.status import RunStatus

READY_TIMEOUT = 600.0  # a worker imports torch and the checks first: seconds on a loaded laptop
VERDICT_TIMEOUT = 5.0  # seconds for a worker, once it has answered, to say whether it serves again
TOO_BIG, EMPTY = object(), object()  # what a worker's reader puts in its queue besides frames (None: it ended)


class PortableSandbox:
    """The portable runner's state: its idle workers, each ready for a task; ``run`` as :class:`.parent.Sandbox`'s."""

    def __init__(self, preload=(), why: str | None = None):
        self.preload = list(dict.fromkeys([*environment.PRELOAD, *preload]))
        self.why = why or _("asked for")
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._started = self._closing = False

    def start(self) -> PortableSandbox:
        """Start a worker now, so that it imports torch while the caller imports its own modules. Idempotent."""
        with self._lock:
            if not self._started:
                self._started = True
                self._idle.append(self._new())
        return self

    def isolation(self) -> layers.Isolation:
        """A process of its own and nothing more: known without asking a worker, so a refusal comes before any starts."""
        why = _("portable runner: {why}").format(why=self.why)
        return layers.Isolation((layers.PROCESS,), dict.fromkeys((layers.NAMESPACES, layers.LANDLOCK, layers.RLIMITS), why))

    def namespaces(self) -> bool:
        return False

    def run(self, target, *args, module=None, limits: Limits | None = None, workdir=None, cancel: threading.Event | None = None,
            reads=(), progress=None) -> Outcome:  # fmt: skip
        """Call ``target(student_module, *args)`` in a worker and return how it went (``reads``: every file is readable here;
        ``progress``: called with the probe's progress frames, as on Linux)."""
        limits = limits or Limits()
        self.start()
        own_dir = workdir is None
        workdir = tempfile.mkdtemp(prefix="grade-") if own_dir else str(workdir)
        spills_dir = tempfile.mkdtemp(prefix="grade-output-")
        spills = [Spill(os.path.join(spills_dir, name), limits.output) for name in ("stdout", "stderr")]
        place = (str(module) if module else None, limits, workdir, spills[0].path, spills[1].path, import_roots(target))
        task = pickle.dumps((place, pickle.dumps((target, args))))
        latest = Latest(progress) if progress is not None else None
        worker = self._take()
        try:
            try:
                watch = worker.run(task, limits, cancel, spills, latest)
            except _Gone:  # it died while it waited (killed from outside): a fresh one
                self._give(worker)
                worker = self._take()
                watch = worker.run(task, limits, cancel, spills, latest)
        finally:
            self._give(worker)
            shutil.rmtree(spills_dir, ignore_errors=True)
            if own_dir:
                shutil.rmtree(workdir, ignore_errors=True)
        outcome = settle(watch, limits)
        outcome.stdout, outcome.stderr = watch.stdout, watch.stderr
        outcome.seconds = watch.seconds
        outcome.imported = watch.imported if module and watch.stopped != "cancelled" else None
        return outcome

    def _new(self) -> Worker:
        worker = Worker(self.preload)
        self._all.add(worker)
        return worker

    def _take(self) -> Worker:
        with self._lock:
            if self._closing:
                raise SandboxError(_("the sandbox is closed"))
            return self._idle.pop() if self._idle else self._new()

    def _give(self, worker: Worker) -> None:
        """Keep a worker that may serve again; else kill it and start its replacement now, while the judge goes on."""
        with self._lock:
            if worker.serves and not self._closing:
                self._idle.append(worker)
                return
            self._all.discard(worker)
            worker.kill()
            if not self._idle and not self._closing:
                self._idle.append(self._new())

    def close(self) -> None:
        """Kill every worker and what it started, so that nothing outlives the grader."""
        with self._lock:
            self._closing = True
            workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            worker.kill()


def import_roots(target) -> list[str]:
    """Where a worker must import ``target``'s module from, outside the kit (a test's target)."""
    top = (getattr(target, "__module__", None) or "").split(".")[0]
    module = sys.modules.get(top)
    if not top or top == "grader" or module is None or not getattr(module, "__file__", None):
        return []
    folder = os.path.dirname(os.path.abspath(module.__file__))
    return [os.path.dirname(folder) if hasattr(module, "__path__") else folder]


class _Gone(Exception):
    """The worker was dead before it got the task."""


class Worker:
    """One spawned worker: its process, and a thread that reads its frames into a queue (pipes cannot be polled on Windows)."""

    def __init__(self, preload: list[str]):
        # its own session (process group on Windows): a terminal's Ctrl-C reaches the judge alone, and a kill, all it started
        apart = {"start_new_session": True} if os.name == "posix" else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        self.process = subprocess.Popen(
            environment.python("grader.sandbox.spawned", json.dumps({"preload": preload})),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=environment.clean(), **apart,
        )  # fmt: skip
        self.frames: queue.Queue = queue.Queue()
        self.ready, self.serves = False, True
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        reader = frames.Reader(RESULT_CAP)
        try:
            while chunk := self.process.stdout.read(1 << 16):
                reader.feed(chunk)
                for frame in reader.frames:
                    self.frames.put(frame)
                reader.frames.clear()
        except frames.TooBig:
            self.frames.put(TOO_BIG)
        except (OSError, ValueError):  # closed by kill
            pass
        self.frames.put(None)

    def _next(self, timeout: float):
        try:
            return self.frames.get(timeout=timeout)
        except queue.Empty:
            return EMPTY

    def run(self, task: bytes, limits: Limits, cancel, spills: list[Spill], latest: Latest | None = None) -> _Watch:
        """Send ``task``, keep its limits until its result is in, and read the worker's word on itself."""
        if not self.ready:
            if self._next(READY_TIMEOUT) != READY:
                self.serves = False
                raise SandboxError(_("the portable runner's worker ended before it was ready; see the messages above"))
            self.ready = True
        try:
            frames.send(self.process.stdin.fileno(), task)
        except OSError:
            self.serves = False
            raise _Gone from None
        watch, began = _Watch(latest), time.monotonic()
        deadline, baseline = began + limits.timeout, None
        while watch.result is None and watch.stopped is None and not watch.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                watch.stopped = RunStatus.TIMEOUT
                break
            watch.take(self._next(min(left, TICK)))
            for spill in spills:
                spill.check()
            if cancel is not None and cancel.is_set():
                watch.stopped = "cancelled"
            elif limits.memory and watch.result is None:
                rss = self.resident()
                baseline = rss if baseline is None else baseline
                if rss - baseline > limits.memory:
                    watch.stopped = RunStatus.MEMORY
        watch.seconds = time.monotonic() - began
        self.serves = watch.result is not None and watch.stopped is None and self._next(VERDICT_TIMEOUT) == AGAIN
        if self.serves and self.started_any():  # a process the task started outlives it: it goes, with the worker
            self.serves = False
        if not self.serves:
            self.kill()
            watch.status = wait_status(self.process.returncode)
        watch.stdout, watch.stderr = (spill.text() for spill in spills)
        return watch

    def resident(self) -> int:
        """The worker's resident memory, less the pages of files it maps where the system says (Linux): those (torch's
        libraries) come in as its code runs, and would count against a student who allocated nothing."""
        try:
            info = psutil.Process(self.process.pid).memory_info()
        except psutil.Error:
            return 0
        return info.rss - getattr(info, "shared", 0)

    def started_any(self) -> bool:
        try:
            return bool(psutil.Process(self.process.pid).children())
        except psutil.Error:
            return False

    def kill(self) -> None:
        """Kill the worker and every process below it or in its session, then reap it."""
        self.serves, below = False, []
        with contextlib.suppress(psutil.Error):
            below = psutil.Process(self.process.pid).children(recursive=True)
        if os.name == "posix":
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.process.kill()
        for process in below:
            with contextlib.suppress(psutil.Error):
                process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


def wait_status(returncode: int | None) -> int | None:
    """Popen's return code as the wait status :func:`grader.sandbox.watcher.settle` reads: the zygote's word on Linux."""
    if returncode is None:
        return None
    if os.name != "posix":
        return returncode << 8  # Windows: os.waitstatus_to_exitcode takes the code back out
    return -returncode if returncode < 0 else (returncode & 0xFF) << 8


class _Watch:
    """What one task did, as :func:`grader.sandbox.watcher.settle` reads it (the attributes of a ``RunPipes``)."""

    def __init__(self, latest: Latest | None = None):
        self.latest = latest  # where the probe's progress frames go; None: they are dropped
        self.stopped: str | None = None
        self.result: bytes | None = None
        self.status: int | None = None
        self.settled = self.imported = self.ended = False
        self.stdout = self.stderr = ""
        self.seconds = 0.0

    def take(self, item) -> None:
        """One item of the worker's queue, read as ``RunPipes`` reads a Linux child's frames; then the newest progress
        is handed on, if it is news and the last was long enough ago."""
        self._take(item)
        if self.latest is not None:
            self.latest.hand_on()

    def _take(self, item) -> None:
        if item is EMPTY:
            return
        if item is None:
            self.ended = True
        elif item is TOO_BIG:
            self.stopped = "too big"
        else:
            take_frame(self, item)


class Spill:
    """A task's output file, cut to its first ``cap`` bytes as it grows (the runner truncates it each tick), so a flood
    fills neither the disk nor the judge's memory; the note says about how much was cut."""

    SLACK = 1 << 20  # bytes past the cap before a truncation: a few a task, not one each tick

    def __init__(self, path: str, cap: int):
        self.path, self.cap, self.dropped = path, cap, 0
        with open(path, "wb"):
            pass

    def check(self) -> None:
        try:
            size = os.path.getsize(self.path)
            if size > self.cap + self.SLACK:
                os.truncate(self.path, self.cap)  # the worker appends: its next write lands at the cap
                self.dropped += size - self.cap
        except OSError:
            pass

    def text(self) -> str:
        capped = Capped(self.cap)
        with contextlib.suppress(OSError), open(self.path, "rb") as file:
            capped.add(file.read(self.cap))
            capped.dropped += self.dropped + max(0, os.fstat(file.fileno()).st_size - self.cap)
        return capped.text()
