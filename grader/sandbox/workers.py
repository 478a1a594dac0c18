"""Trusted worker processes of the grader itself (``grade batch``): started here, since the sandbox starts every process.

A worker is never student code: it grades students one after another, each check in its own
sandbox. It has a session of its own, so a terminal's Ctrl-C reaches only the batch, which stops
it, and a mark in its environment that every process below it inherits, so that all of them
can be found and killed once orphaned or in another session.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from grader.sandbox import environment

WORKER_MARK = "GRADER_WORKER"  # in the environment of a worker and of every process below it


def start_worker(module: str, *args: str, stderr=None):
    """Start ``python -m module *args`` (:func:`environment.python`): a TRUSTED process of the grader itself (never student code)
    that reads JSON lines on stdin and answers JSON lines on stdout, like ``grader.batch.worker``.

    It gets its own session, so a Ctrl-C in the terminal reaches only the caller, which stops it
    with :func:`stop_worker`. Should the caller die instead, the worker sees its stdin close and
    must stop, calling :func:`kill_marked` itself. Its environment carries a mark that every
    process below it inherits, so that those can be found even once orphaned or in another session.
    """
    import subprocess
    import uuid

    mark = uuid.uuid4().hex
    worker = subprocess.Popen(
        environment.python(module, *args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        encoding="utf-8",
        bufsize=1,
        start_new_session=True,
        close_fds=True,
        env=environment.clean(**{WORKER_MARK: mark}),
    )
    worker.mark = mark
    return worker


def stop_worker(worker, grace: float = 10.0) -> None:
    """Close the worker's stdin, give it ``grace`` seconds to clean up and exit, then kill it and every
    process that carries its mark."""
    import subprocess

    with contextlib.suppress(OSError, ValueError):
        worker.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(grace)
    kill_marked(worker.mark)
    worker.wait()
    with contextlib.suppress(OSError, ValueError):
        worker.stdout.close()


def kill_marked(mark: str) -> None:
    """SIGKILL every process (but this one) whose environment carries ``WORKER_MARK=mark``."""
    if not mark:
        return
    needle = f"\0{WORKER_MARK}={mark}\0".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            with contextlib.suppress(OSError, ProcessLookupError):
                if needle in b"\0" + (proc / "environ").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)
