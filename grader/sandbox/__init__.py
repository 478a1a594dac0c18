"""Run untrusted student code in a child process and bring back only plain data.

This package is the one place in the kit that starts processes. One module per job:
:mod:`.zygote` forks the children, :mod:`.child` builds each child's sandbox and runs its task,
:mod:`.mounts`, :mod:`.confine` (Landlock) and :mod:`.syscalls` are the layers it builds with,
:mod:`.watcher` keeps a run's limits and turns its end into an :class:`Outcome`, :mod:`.sweep`
cleans up where there are no namespaces, :mod:`.parent` holds the state (:class:`Sandbox`),
:mod:`.layers` says which layers held, and :mod:`.workers` starts the batch's trusted workers.

Where those Linux layers are missing (macOS, Windows, no ``os.fork``), :mod:`.choice` picks the portable runner
instead: :mod:`.portable` keeps the limits of workers that :mod:`.spawned` runs, spawned rather than forked, each
running tasks one after another over the same wire. ``GRADER_SANDBOX`` (``linux`` or ``portable``) asks for one.

Nothing a child does reaches the caller except the bytes it sends, which :mod:`.wire` reads as JSON
and safetensors: no pickle. :mod:`.blame` tells, in the child, whose frame raised.

Layer: just above the base modules of :mod:`grader`, which are all it may import of the kit; its names
are imported when first used, so that one who needs only the limits or the layers' names starts nothing.
"""

from __future__ import annotations

import atexit
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.layers import Isolation
    from grader.sandbox.limits import Outcome
    from grader.sandbox.parent import Sandbox
    from grader.sandbox.portable import PortableSandbox

# Each public name and its module, imported when first asked for: a caller that needs only the layers' names (the
# report) or the limits (the command line's options) must not pay for the machinery that starts children.
_HOMES = {
    "MARK": "parent", "Sandbox": "parent", "Isolation": "layers", "IsolationError": "layers", "DEFAULT_MEMORY": "limits",
    "DEFAULT_TIMEOUT": "limits", "GiB": "limits", "Limits": "limits", "Outcome": "limits", "SandboxError": "watcher",
    "WORKER_MARK": "workers", "kill_marked": "workers", "start_worker": "workers", "stop_worker": "workers",
}  # fmt: skip
__all__ = [*_HOMES, "current", "isolation", "run", "shutdown", "start"]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"grader.sandbox.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


_current: Sandbox | None = None


def start(preload=(), fork: bool = False, hide=(), huge_pages: bool = False) -> Sandbox | PortableSandbox:
    """Start this process's sandbox now, its zygote importing torch and ``preload``; later calls change nothing.

    ``fork`` forks the zygote from this process instead, once it has imported those (~5 s of CPU saved
    where the caller needs them anyway): only in a worker started by :func:`start_worker`. ``huge_pages``
    moves the zygote's heap into 2 MiB pages, which makes each child cheaper for long runs
    (:mod:`.hugepages`). ``hide``: folders no child may read, besides the reference solutions.
    """
    global _current
    if _current is None:
        from grader.sandbox import choice

        runner, why = choice.chosen()
        if runner == choice.PORTABLE:  # no fork, no Linux layers: a spawned worker (fork, hide and huge pages mean nothing there)
            from grader.sandbox.portable import PortableSandbox

            _current = PortableSandbox(preload, why).start()
        else:
            from grader.sandbox.parent import Sandbox

            _current = Sandbox(preload, fork=fork, hide=hide, huge_pages=huge_pages).start()
    return _current


def current() -> Sandbox | PortableSandbox:
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
