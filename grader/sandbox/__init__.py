"""Run untrusted student code in a child process and bring back only plain data.

This package is the one place in the kit that starts processes. One module per job:
:mod:`.zygote` forks the children, :mod:`.child` builds each child's sandbox and runs its task,
:mod:`.mounts`, :mod:`.confine` (Landlock) and :mod:`.syscalls` are the layers it builds with,
:mod:`.watcher` keeps a run's limits and turns its end into an :class:`Outcome`, :mod:`.sweep`
cleans up where there are no namespaces, :mod:`.judge` holds the state (:class:`Sandbox`),
:mod:`.layers` says which layers held, and :mod:`.workers` starts the batch's trusted workers.

Nothing a child does reaches the caller except the bytes it sends, which :mod:`grader.wire`
reads as JSON and safetensors: no pickle.
"""

from __future__ import annotations

import atexit

from grader.sandbox.judge import MARK, Sandbox
from grader.sandbox.layers import Isolation, IsolationError
from grader.sandbox.limits import DEFAULT_MEMORY, DEFAULT_TIMEOUT, GiB, Limits, Outcome
from grader.sandbox.watcher import SandboxError
from grader.sandbox.workers import WORKER_MARK, kill_marked, start_worker, stop_worker

__all__ = [
    "DEFAULT_MEMORY", "DEFAULT_TIMEOUT", "MARK", "WORKER_MARK", "GiB", "Isolation", "IsolationError", "Limits", "Outcome",
    "Sandbox", "SandboxError", "current", "isolation", "kill_marked", "run", "shutdown", "start", "start_worker", "stop_worker",
]  # fmt: skip

_current: Sandbox | None = None


def start(preload=(), fork: bool = False, hide=(), huge_pages: bool = False) -> Sandbox:
    """Start this process's sandbox now, its zygote importing torch and ``preload``; later calls change nothing.

    ``fork`` forks the zygote from this process instead, once it has imported those (~5 s of CPU saved
    where the caller needs them anyway): only in a worker started by :func:`start_worker`. ``huge_pages``
    moves the zygote's heap into 2 MiB pages, which makes each child cheaper for long runs
    (:mod:`.hugepages`). ``hide``: folders no child may read, besides the reference solutions.
    """
    global _current
    if _current is None:
        _current = Sandbox(preload, fork=fork, hide=hide, huge_pages=huge_pages).start()
    return _current


def current() -> Sandbox:
    return _current if _current is not None else start()


def run(target, *args, **options) -> Outcome:
    """``Sandbox.run`` on this process's sandbox: ``target(student_module, *args)`` in a fresh child."""
    return current().run(target, *args, **options)


def isolation() -> Isolation:
    return current().isolation()


@atexit.register
def shutdown() -> None:
    """Stop the spare child and the zygote, so that nothing outlives the grader."""
    global _current
    sandbox, _current = _current, None
    if sandbox is not None:
        sandbox.close()
