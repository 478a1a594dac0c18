"""The portable runner's worker: a process spawned (never forked) that runs sandbox tasks one after another.

It imports torch and the checks once, then reads tasks on its stdin and answers on its stdout, in
the frames and plain-data wire a Linux child uses (:func:`grader.sandbox.child.answer`); a task's
own output goes to two files the runner reads, so that none of it can pass for an answer. After each
task it puts back what the task may have changed (modules, ``sys.path``, the environment, the working
directory) and says whether it can serve again: a task that left a thread running or changed torch's
state retires it, and the runner starts a fresh one (:mod:`.portable`).

The protocol, one task at a time, the runner waiting for each answer:
    worker: READY once it has imported all it preloads
    runner: a task (pickle: the runner's own, trusted)  worker: SETTLED, IMPORTED, the result, then AGAIN or RETIRE
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import sys
import tempfile
import threading
import time

from grader.sandbox import child, frames

READY, AGAIN, RETIRE = b"ready", b"again", b"retire"
ORPHAN_CHECK = 1.0  # seconds between looks at whether the runner is still there


def serve(config: dict) -> None:
    """Be the worker until the runner closes its end; never returns."""
    task_r, result_w = os.dup(0), os.dup(1)  # the runner's pipes, kept apart from what student code reads and writes
    quiet = os.open(os.devnull, os.O_RDWR)
    os.dup2(quiet, 0)
    os.dup2(quiet, 1)
    own_err = os.dup(2)  # the worker's own failures reach the runner's terminal; a task's go to its file
    _speak()
    _no_core_files()
    threading.Thread(target=_end_with_runner, args=(os.getppid(),), daemon=True).start()
    for name in config.get("preload", []):
        importlib.import_module(name)
    child.before_children()  # the reference solutions forgotten and refused, torch's names noted
    sys.dont_write_bytecode = True  # no __pycache__ in the student's folder: a Linux child cannot write there either
    frames.send(result_w, READY)
    while True:
        data = frames.receive(task_r)
        if data is None:
            os._exit(0)
        place, call = pickle.loads(data)  # the runner's own task: trusted
        again = run_task(result_w, place, call, own_err)
        frames.send(result_w, AGAIN if again else RETIRE)
        if not again:
            os._exit(0)


def _end_with_runner(runner: int) -> None:
    """End once the runner has: an orphan would run a task that hangs forever (the zygote has PR_SET_PDEATHSIG for it).
    Idle, a worker ends sooner, when its stdin closes."""
    import psutil

    while True:
        time.sleep(ORPHAN_CHECK)
        if os.getppid() != runner or not psutil.pid_exists(runner):  # reparented (POSIX), or gone (Windows keeps the ppid)
            os._exit(0)


def _speak() -> None:
    from grader import i18n

    if os.environ.get(i18n.ENV) in i18n.LANGUAGES:
        i18n.use(os.environ[i18n.ENV])


def _no_core_files() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_task(result_w: int, place, call: bytes, own_err: int) -> bool:
    """Run one task and send its result; return whether this worker is as it was before it (so may serve again)."""
    module_path, limits, workdir, out_path, err_path, imports = place
    before = _State()
    sys.path[:0] = [folder for folder in imports if folder not in sys.path]  # a test's target, outside the kit
    out, err = (os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) for path in (out_path, err_path))
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    try:
        os.chdir(workdir)
        os.environ["TMPDIR"] = tempfile.tempdir = workdir
        if limits.threads:
            import torch

            torch.set_num_threads(limits.threads)
        target, args = pickle.loads(call)
        data = child.encoded(*child.answer(result_w, target, args, module_path))
    except BaseException as exc:  # noqa: BLE001 - a task that cannot start is the grader's failure, said as a Linux child says it
        from grader.sandbox.wire import encode

        data = child.encoded(encode, _setup(exc))
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # the task's output ends here: a thread it left behind writes nowhere
    os.dup2(own_err, 2)
    os.close(quiet)
    frames.send(result_w, data)
    return before.restore(os.path.dirname(os.path.realpath(module_path)) if module_path else None, workdir)


def _setup(exc: BaseException) -> dict:
    return {"status": child.SETUP, "error": {"type": type(exc).__name__, "message": str(exc)}}


class _State:
    """What a task may change in this process, taken before it: put back after, or the worker retires."""

    def __init__(self):
        self.modules, self.path, self.environ = set(sys.modules), list(sys.path), dict(os.environ)
        self.meta_path, self.threads = list(sys.meta_path), threading.active_count()
        self.torch = self.torch_state()
        self.cwd = os.getcwd()

    def students(self, name: str, module, folders: list[str]) -> bool:
        """Whether ``module`` came from the student's folder or from outside the trusted path, or was made in code
        outside a package loaded before. A module of torch's that the task imported first stays: imported again,
        its classes would no longer be the ones torch holds."""
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            return name.partition(".")[0] not in self.modules
        file = os.path.realpath(file)
        inside = lambda folder: file.startswith(os.path.join(os.path.realpath(folder), ""))  # noqa: E731
        return any(inside(folder) for folder in folders) or not any(inside(entry) for entry in self.path)

    @staticmethod
    def torch_state() -> tuple:
        import torch

        return (
            torch.get_default_dtype(), torch.is_grad_enabled(), torch.get_num_threads(),
            torch.are_deterministic_algorithms_enabled(), str(torch.get_default_device()),
            torch.is_inference_mode_enabled(), torch.is_anomaly_enabled(),
        )  # fmt: skip

    def restore(self, folder: str | None, workdir: str) -> bool:
        """Put back modules, path, environment and directory; True if nothing else changed (threads, torch's state)."""
        import torch

        for name in set(sys.modules) - self.modules:  # the student's modules: fresh next time (the next save's)
            if self.students(name, sys.modules[name], [f for f in (folder, workdir) if f]):
                del sys.modules[name]
        sys.path[:] = self.path
        os.environ.clear()
        os.environ.update(self.environ)
        tempfile.tempdir = None
        with contextlib.suppress(OSError):
            os.chdir(self.cwd)
        torch.set_num_threads(self.torch[2])
        clean = sys.meta_path == self.meta_path and threading.active_count() <= self.threads
        return clean and self.torch_state() == self.torch and not child._tripwire.changed()


if __name__ == "__main__":  # python -m grader.sandbox.spawned CONFIG: the portable runner's worker
    serve(json.loads(sys.argv[1]))
