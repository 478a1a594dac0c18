"""The grader's handle on the sandbox: its zygote, the spare child forked ahead, and ``run``.

All of a sandbox's state lives in one :class:`Sandbox`; ``grader.sandbox.run`` uses the
process's current one. Each child is forked while the previous one works and waits, already
set up, for its task, so a run seldom waits for a fork; no child is ever reused.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from grader.i18n import _
from grader.sandbox import environment, layers, sweep, syscalls
from grader.sandbox.child import BLOCKED_PACKAGES
from grader.sandbox.environment import PRELOAD
from grader.sandbox.frames import send
from grader.sandbox.limits import Limits, Outcome
from grader.sandbox.progress import Latest
from grader.sandbox.watcher import RunPipes, SandboxError, settle
from grader.sandbox.workers import WORKER_MARK

MARK = "GRADER_SANDBOX_MARK"  # in the environment of a spawned zygote, so of every child and all they start
READY_TIMEOUT = 600.0  # the zygote imports torch and the checks first: seconds on a loaded machine


class Sandbox:
    def __init__(self, preload=(), *, fork: bool = False, hide=(), huge_pages: bool = False, namespaces: bool | None = None):
        """``preload``: modules the zygote imports once for all children. ``fork``: fork the zygote from this process,
        which has imported them (a batch worker, see :func:`grader.sandbox.start`). ``hide``: folders no child may read,
        besides the reference solutions. ``namespaces=False``: the fallback layers only (default: unless
        ``GRADER_NO_NAMESPACES=1``)."""
        self.preload = list(dict.fromkeys([*PRELOAD, *preload]))
        self.fork = fork and bool(os.environ.get(WORKER_MARK))
        self.hide, self.huge_pages = [str(path) for path in hide], huge_pages
        self.namespaces_allowed = os.environ.get(layers.NO_NAMESPACES_ENV) != "1" if namespaces is None else namespaces
        self.control: socket.socket | None = None
        self.process: subprocess.Popen | int | None = None  # the zygote (or, with namespaces, the process outside it)
        self.ready: dict | None = None  # the zygote's first message: its pid and the isolation it achieved
        self._requests = threading.Lock()  # one question to the zygote at a time, each with its answer
        self._spare: _Child | None = None
        self._spare_lock = threading.Lock()
        self._closing = False
        self._active: set[int] = set()  # children running now, in other threads too: a sweep spares them
        mark = os.environ.get(WORKER_MARK) if self.fork else f"{os.getpid()}-{time.time_ns()}"
        self.mark_env = {} if self.fork else {MARK: mark}
        self.sweeper = sweep.Sweeper(f"\0{WORKER_MARK if self.fork else MARK}={mark}\0".encode(), sweep.start_time(), self._spared)

    # -- the zygote

    def start(self) -> Sandbox:
        """Start the zygote now, so that it imports torch while the caller imports its own modules. Idempotent."""
        with self._requests:
            if self.control is not None:
                return self
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            config = {"preload": self.preload, "hide": self.hide, "huge_pages": self.huge_pages, "namespaces": self.namespaces_allowed}
            try:
                if self.fork:
                    self.process = self._fork_zygote(ours, theirs, config)
                else:
                    self.process = subprocess.Popen(
                        environment.python("grader.sandbox.zygote", str(theirs.fileno()), json.dumps(config)),
                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        start_new_session=True, env=environment.clean(**self.mark_env),
                    )  # fmt: skip
            finally:
                theirs.close()
            self.control = ours
        return self

    def _fork_zygote(self, ours: socket.socket, theirs: socket.socket, config: dict) -> int:
        """Import the preloaded modules here, then fork the zygote off this process: one import of torch, not two.

        Only for a trusted worker (its mark is the one the children carry) that has started no thread, touched
        no GPU and loaded no reference solution yet, since the zygote and so every child inherit its memory.
        """
        from grader.sandbox import zygote

        if any(name.split(".")[0] in BLOCKED_PACKAGES for name in sys.modules):
            raise RuntimeError("the zygote cannot be forked once the reference solutions are loaded: children would inherit them")
        for name in self.preload:
            importlib.import_module(name)
        pid = os.fork()
        if pid == 0:  # the zygote: it keeps none of this process's files (a worker's reply pipe, say) for children to find
            try:
                ours.close()
                os.dup2(os.open(os.devnull, os.O_RDWR), 0)
                for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
                    if fd not in (0, 1, 2, theirs.fileno()):
                        with contextlib.suppress(OSError):
                            os.close(fd)
                zygote.serve(theirs, config, forked=True)
            finally:
                os._exit(0)  # never this process's exit handlers
        return pid

    def _await_ready(self) -> dict:
        """The zygote's first message (the caller holds ``_requests``)."""
        if self.ready is None:
            self.control.settimeout(READY_TIMEOUT)
            try:
                message = self.control.recv(1 << 16)
            except OSError as exc:
                raise SandboxError(_("the sandbox's zygote did not start ({problem})").format(problem=exc)) from None
            finally:
                self.control.settimeout(None)
            if not message.startswith(b"ready "):
                raise SandboxError(_("the sandbox's zygote ended before it was ready; see the messages above"))
            self.ready = json.loads(message[len(b"ready ") :])
        return self.ready

    def isolation(self) -> layers.Isolation:
        """The layers that hold for this sandbox's children, once its zygote has said."""
        self.start()
        with self._requests:
            found = self._await_ready()["isolation"]
        return layers.Isolation(tuple(found["held"]), dict(found["missing"]))

    def namespaces(self) -> bool:
        return layers.NAMESPACES in self.isolation().held

    def _request(self, child_ends: list[int]) -> tuple[int, list[int]]:
        """Ask the zygote for a child holding ``child_ends``: its pid there, and pidfds of it and of its init."""
        if self.control is None:
            raise SandboxError(_("the sandbox is closed"))
        with self._requests:
            self._await_ready()
            socket.send_fds(self.control, [b"child"], child_ends)
            message, pidfds, _flags, _address = socket.recv_fds(self.control, 1024, 2)
        if not message:
            raise SandboxError(_("the sandbox's zygote has ended; see the messages above"))
        if not message.startswith(b"ok "):
            for fd in pidfds:
                os.close(fd)
            raise SandboxError(_("the sandbox's zygote could not fork a child: {problem}").format(problem=message.decode(errors="replace")))
        return int(message.split()[1]), pidfds

    # -- runs

    def run(self, target, *args, module=None, limits: Limits | None = None, workdir=None, cancel: threading.Event | None = None,
            reads=(), progress=None) -> Outcome:  # fmt: skip
        """Call ``target(student_module, *args)`` in a fresh child and return how it went.

        ``target`` must be importable by reference (a module-level function). ``module`` is the
        student's file, loaded by path in the child; without it ``target`` gets None. ``reads``
        are folders the child must be able to read (MNIST). Setting ``cancel`` (from another
        thread) stops the child early.
        """
        limits = limits or Limits()
        reads = [*reads, *folders_to_import(target)]
        self.start()
        own_dir = workdir is None and not self.namespaces()  # with namespaces, the child makes its own in its private /tmp
        workdir = tempfile.mkdtemp(prefix="grade-") if own_dir else workdir
        where = str(workdir) if workdir else None
        # The call apart: the child loads it once its view is placed, so that it can import the target's module
        place = (str(module) if module else None, limits, where, [str(path) for path in reads])
        task = pickle.dumps((place, pickle.dumps((target, args))))
        child = self._take_spare()
        began = time.monotonic()
        try:
            try:
                send(child.task_w, task)
            except OSError:  # the spare died while it waited: start another
                child.kill()
                child.close()
                child = _Child(self)
                send(child.task_w, task)
            began = time.monotonic()
            self._active.add(child.pid)
            self._make_spare_soon()
            latest = Latest(progress) if progress is not None else None
            watch = RunPipes(child.result_r, child.out_r, child.err_r, child.status_r, limits.output, latest=latest)
            try:
                watch.until_done(child.pid, limits, began, cancel)
            finally:
                self._active.discard(child.pid)
                child.kill()
                watch.drain(2.0)
                if watch.result is None and watch.stopped is None:
                    watch.wait_status(5.0)
                watch.close()
        finally:
            child.close()
            if own_dir:
                shutil.rmtree(workdir, ignore_errors=True)
        outcome = settle(watch, limits)
        outcome.stdout, outcome.stderr = watch.stdout.text(), watch.stderr.text()
        outcome.seconds = time.monotonic() - began
        outcome.imported = watch.imported if module and watch.stopped != "cancelled" else None
        return outcome

    def _take_spare(self) -> _Child:
        with self._spare_lock:
            child, self._spare = self._spare, None
        return child or _Child(self)

    def _make_spare_soon(self) -> None:
        threading.Thread(target=self._make_spare, daemon=True).start()

    def _make_spare(self) -> None:
        if self._spare is not None or self._closing:
            return
        try:
            child = _Child(self)
        except (OSError, SandboxError):  # the zygote is gone (shutdown) or failing: the next run forks its own, and says why
            return
        with self._spare_lock:
            child, self._spare = (child, None) if self._spare is not None or self._closing else (None, child)
        if child is not None:  # another thread made one first, or this sandbox is closing
            child.kill()
            child.close()

    def _spared(self) -> set[int]:
        """What a fallback sweep must not kill: the zygote (and so the spare it forks) and the other runs' children."""
        zygote = (self.ready or {}).get("pid")
        return {*self._active, *([zygote] if zygote else [])}

    # -- the end

    def close(self) -> None:
        """Stop the spare child and the zygote, so that nothing outlives the grader (with namespaces, the zygote's
        end ends every process of the sandbox)."""
        with self._spare_lock:
            spare, self._spare, self._closing = self._spare, None, True
        if spare is not None:
            spare.kill()
            spare.close()
        with self._requests:
            control, self.control = self.control, None
        if control is None:
            return
        control.close()
        self._reap(2.0)

    def _reap(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the zygote to end on its own (it sees its socket close), then kill it."""
        process, end = self.process, time.monotonic() + grace
        while time.monotonic() < end:
            if isinstance(process, subprocess.Popen):
                if process.poll() is not None:
                    return
            elif os.waitpid(process, os.WNOHANG)[0]:
                return
            time.sleep(0.005)
        with contextlib.suppress(OSError):
            if isinstance(process, subprocess.Popen):
                process.kill()
                process.wait()
            else:
                os.kill(process, signal.SIGKILL)
                os.waitpid(process, 0)


def folders_to_import(target) -> list[str]:
    """Where a child must import ``target``'s module from, outside the kit (a test's target): the zygote has imported
    the kit's own, and a child sees no more of the kit's folder than that (:mod:`.mounts`)."""
    top = (getattr(target, "__module__", None) or "").split(".")[0]
    module = sys.modules.get(top)
    if not top or top == "grader" or module is None:
        return []
    paths = list(getattr(module, "__path__", None) or [])
    return paths or ([os.path.dirname(module.__file__)] if getattr(module, "__file__", None) else [])


class _Child:
    """A child forked ahead of its task: the grader's ends of its five pipes, and pidfds of it and of its init."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        pipes = [os.pipe2(os.O_CLOEXEC) for _pipe in range(5)]  # task, result, stdout, stderr, status
        (task_r, self.task_w), (self.result_r, result_w), (self.out_r, out_w), (self.err_r, err_w), (self.status_r, status_w) = pipes
        try:
            pid, self.pidfds = sandbox._request([task_r, result_w, out_w, err_w, status_w])
        except BaseException:
            for fd in (self.task_w, self.result_r, self.out_r, self.err_r, self.status_r):
                os.close(fd)
            raise
        finally:
            for fd in (task_r, result_w, out_w, err_w, status_w):
                os.close(fd)
        self.pid = syscalls.pid_of(self.pidfds[0]) if self.pidfds else pid  # as this process sees it
        self.closed = False

    def kill(self) -> None:
        """Kill it and all it left behind: with namespaces its init, whose end ends the namespace; else a sweep."""
        for pidfd in reversed(self.pidfds):
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        if len(self.pidfds) < 2:  # no PID namespace of its own
            self.sandbox.sweeper.kill(self.pid)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.task_w, self.result_r, self.out_r, self.err_r, self.status_r, *self.pidfds):
            with contextlib.suppress(OSError):
                os.close(fd)
