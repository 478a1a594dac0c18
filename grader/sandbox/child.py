"""A sandbox child, from its fork to its result: set itself up, wait for its task, run it, send plain data back.

The zygote forks a child ahead of its task (a spare). While it waits it does the part of its setup
that needs no task: its own session, its output pipes, its own mount and IPC namespaces with the
file system view of :mod:`.mounts`. Given the task, it finishes the view, then gives up for good
every capability, writing outside its folders (Landlock), TCP, signals and sockets beyond its
sandbox, memory, processes and file sizes beyond the limits, and, as root without namespaces,
root itself. Only then does it load the student's module.

Everything the child sends the grader is a frame on its result pipe: ``IMPORTED`` once the student's
module has loaded, then :mod:`grader.sandbox.wire` bytes (JSON and safetensors, no pickle) of
``{"status": ..., "value"/"error": ...}``. ``SETTLED`` goes first, once the sandbox is built: a
``SETUP`` status after it can only be student code's forgery. A long probe may send :mod:`.progress` frames
between the two, which the judge shows and never takes for the result.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import inspect
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

try:  # loaded here, so once in the zygote: every child seeds it (same_random_state); imported in a child it took 15 ms
    import numpy.random
except ImportError:  # NumPy is optional to torch
    numpy = None

from grader.i18n import _
from grader.registry import REFERENCE_PACKAGE
from grader.sandbox import blame, frames, progress
from grader.sandbox.limits import FILE_CAP, MESSAGE_BUDGET, NAME_BUDGET, PROCESS_CAP, TRACEBACK_BUDGET, Limits
from grader.status import RunStatus

if sys.platform == "linux":  # the layers a child builds: Linux calls; the portable runner uses only how a task runs (answer)
    import resource

    from grader.sandbox import confine, mounts
    from grader.sandbox.syscalls import CLONE_NEWIPC, CLONE_NEWNS, die_with_parent, drop_capabilities, unshare

BLOCKED_PACKAGES = (REFERENCE_PACKAGE,)
IMPORTED = b"imported"  # sent ahead of the result once the student's module is loaded (a result starts wire.MAGIC)
SETTLED = b"settled"  # sent once the sandbox is built, before any student code runs
SETUP = "setup"  # the status of a child whose sandbox could not be built: the grader's failure, never the student's
NOBODY = 65534
RANDOM_STATE = 0  # the seed of every child's random generators before student code runs


@dataclass
class Context:
    """What the zygote found out once and every child it forks needs."""

    namespaces: bool  # each child gets its own mount and IPC namespaces (PID and network: from the zygote)
    solutions: list[str] = field(default_factory=list)  # the reference solutions' folders
    private: list[str] = field(default_factory=list)  # other folders student code must not read (a batch's submissions, --out)
    allowed: list[str] = field(default_factory=list)  # all a child reads besides its task's folders (mounts.allowed)
    kit_secrets: list[str] = field(default_factory=list)  # the checks' source: covered where an allowed folder holds it
    listed: list[str] = field(default_factory=list)  # folders Landlock lets list, not read in (mounts.listed)
    landlock: bool = False
    switch_uid: bool = False  # as root without namespaces: become nobody before student code runs
    processes_before: int = 0  # without namespaces, the processes this user already runs (RLIMIT_NPROC counts them all)


class RefusedImport(blame.StudentMistake, ImportError):
    """An import of the reference solutions, refused: the student's doing, though the kit's frame raises it."""


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuse the reference solutions to student code."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise RefusedImport(
                _("{name!r} is not available to submissions: the grader keeps the reference solutions to itself").format(name=name)
            )
        return None


_tripwire: blame.Tripwire | None = None  # torch's names as the zygote left them (before_children)


def before_children() -> None:
    """What every child needs, done once in the zygote before it forks any: the reference solutions forgotten and
    refused, and torch's names noted for the Tripwire. Done in each child, the two took ~9 ms of CPU a child: they
    touch objects all over the heap, and each write copies a page the child shared with the zygote."""
    global _tripwire
    for name in [m for m in sys.modules if m.split(".")[0] in BLOCKED_PACKAGES]:
        del sys.modules[name]
    if not any(isinstance(finder, _Blocker) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Blocker())
    _tripwire = blame.Tripwire()


def package_folders(names=BLOCKED_PACKAGES) -> list[str]:
    """Where these packages live, found without importing them."""
    folders = []
    for name in names:
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(name)
            folders += list(spec.submodule_search_locations or []) if spec else []
    return [os.path.realpath(folder) for folder in folders]


def main(task_r: int, result_w: int, out_w: int, err_w: int, context: Context):
    """The child's whole life; never returns. The zygote has closed every other descriptor of its own."""
    try:
        view = _prepare(out_w, err_w, context)
        data = frames.receive(task_r)
        if data is None:  # a spare that was not needed: the grader has closed its end
            os._exit(0)
        os.close(task_r)
        (module_path, limits, workdir, reads), call = pickle.loads(data)  # the grader's own task: trusted
        workdir, module_path = contain(view, context, limits, workdir, module_path, reads)
        target, args = pickle.loads(call)  # once the view is placed: a target outside the kit (a test's) is imported now
    except BaseException as exc:  # noqa: BLE001 - a sandbox that cannot be built is reported, never run
        _send_quietly(result_w, {"status": SETUP, "error": {"type": type(exc).__name__, "message": str(exc)}})
        os._exit(0)
    _run(result_w, target, args, module_path)


def _prepare(out_w: int, err_w: int, context: Context) -> mounts.View | None:
    os.setsid()
    die_with_parent(signal.SIGKILL)
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # what a student's script would have
    signal.set_wakeup_fd(-1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.close(out_w)
    os.close(err_w)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _tripwire is None:  # a zygote that skipped before_children: never a child without the blocker
        before_children()
    return isolate(context)[0]


def isolate(context: Context) -> tuple[mounts.View | None, bool]:
    """A child's own namespaces, the first half of its setup: its mounts (the allow-list view) and IPC, and its cap on
    processes. Returns the view (None without namespaces) and whether the cap is the namespace's own."""
    if not context.namespaces:
        return None, False
    unshare(CLONE_NEWNS | CLONE_NEWIPC)
    capped = cap_processes_in_namespace()
    if not capped:
        # Counted for the zygote's user namespace, so shared by its children at work (a head start and a check).
        # Never for a root grader, whose children are uid 0 too: the zygote's probe says so (see layers).
        resource.setrlimit(resource.RLIMIT_NPROC, (4 * PROCESS_CAP, 4 * PROCESS_CAP))
    return mounts.enter(context.allowed, context.solutions + context.private + context.kit_secrets), capped


def cap_processes_in_namespace() -> bool:
    """At most PROCESS_CAP processes and threads in this child's PID namespace, whoever it runs as.

    Linux 6.14+ scopes pid_max to a PID namespace, and pids are all a namespace can hand out.
    """
    try:
        with open("/proc/sys/kernel/pid_max", "w") as file:
            file.write(str(PROCESS_CAP + 1))
        with open("/proc/sys/kernel/pid_max") as file:
            return int(file.read()) == PROCESS_CAP + 1
    except (OSError, ValueError):
        return False


def probe(report_w: int, context: Context):
    """A dry run of a child's whole sandbox, with no task: JSON on ``report_w`` says whether it held. Never returns.

    It calls the child's own setup (:func:`isolate`, then :func:`contain`, with a check's default limits), so what it
    reports is what a child gets: the same steps in the same order, the limits and the uid switch included.
    """
    import json

    found = {"why": None, "process_cap": False}
    try:
        view, found["process_cap"] = isolate(context)
        workdir, _module = contain(view, context, Limits(), None, None, ())
        with open(os.path.join(workdir, "probe"), "w") as file:
            file.write("the working directory is writable")
        try:
            os.mkdir("/probe-of-the-grader")
            found["why"] = _("the file system stayed writable")
        except OSError:
            pass
        found["file_cap"] = resource.getrlimit(resource.RLIMIT_FSIZE)[0] == FILE_CAP
        found["uid"] = os.getuid()
    except BaseException as exc:  # noqa: BLE001 - whatever was refused is the answer
        found["why"] = str(exc) or type(exc).__name__
    with os.fdopen(report_w, "w") as out:
        json.dump(found, out)
    os._exit(0)


def contain(view, context: Context, limits, workdir: str | None, module_path: str | None, reads) -> tuple[str, str | None]:
    """The task's part of a child's setup, the second half, in an order that matters: mounts, capabilities, Landlock,
    limits, uid. Its one home: a child and the dry run (:func:`probe`) both call it (nsjail's containProc is the model).
    Returns the working directory and the student's module as the child sees them (:data:`mounts.SUBMISSION`)."""
    if limits.nice:
        os.nice(limits.nice)
    here = os.path.realpath(module_path) if module_path else ""
    if view is not None:
        workdir, module_path = mounts.place(view, workdir, module_path, reads)
        drop_capabilities()
    if context.landlock:
        if view is not None:  # the mounts hide what must not be read: Landlock need only keep writes in
            why = confine.confine(workdir, (mounts.TMP, "/dev"))
        else:  # the same allow-list the mounts give, and the task's folders
            readable = [*context.allowed, *mounts.FROM_THE_MACHINE, *([os.path.dirname(here)] if here else []), *reads]
            why = confine.confine(workdir, confine.WRITABLE, readable, context.listed)
        if why:
            raise OSError(f"Landlock: {why}")
    if limits.memory and limits.address_space:
        _limit_address_space(limits.memory)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_CAP, FILE_CAP))
    if view is None:
        processes = context.processes_before + PROCESS_CAP
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    if context.switch_uid:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    if limits.threads:
        import torch

        torch.set_num_threads(limits.threads)
    os.chdir(workdir)
    os.environ["TMPDIR"] = tempfile.tempdir = workdir  # where tempfile, and any program it starts, can write
    # Student code that starts processes (DataLoader(num_workers=2)) forks them, as a script run on Linux does,
    # rather than starting a forkserver of its own (~3 s).
    multiprocessing.set_start_method("fork", force=True)
    return workdir, module_path


def _limit_address_space(extra: int) -> None:
    """Cap virtual memory at what the child has now plus ``extra``: torch alone maps ~3 GiB."""
    with open("/proc/self/statm") as f:
        now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (now + extra, now + extra))


def same_random_state() -> None:
    """Every child starts from one random state (torch's CPU generator, Python's and NumPy's global one):
    a student's unseeded draw (a layer's initial weights, a shuffle) is then the same in every grading of the submission,
    so feedback replays with its seed. A check that needs other numbers seeds them itself (``torch.manual_seed(seed)``)."""
    import random

    import torch

    torch.random.default_generator.manual_seed(RANDOM_STATE)  # the CPU's; torch.manual_seed imports every device's (4 ms)
    random.seed(RANDOM_STATE)
    if numpy is not None:
        numpy.random.seed(RANDOM_STATE)


def _run(result_w: int, target, args, module_path: str | None):
    """Run the task and send its answer; never returns."""
    _finish(result_w, *answer(result_w, target, args, module_path))


def answer(result_w: int, target, args, module_path: str | None) -> tuple:
    """Check the probe's canaries, load the student's module, call the probe; whose fault a failure is goes with it.
    Returns what :func:`_finish` sends: the encoder, the payload and the module's path (the portable runner sends it too)."""
    from grader.sandbox import wire

    frames.send(result_w, SETTLED)
    progress.open_channel(result_w)  # a probe's progress frames (a training's epochs) go to the judge as it runs
    same_random_state()
    save = wire.encode  # taken before student code runs, though a forgery only hurts its author
    canaries = getattr(target, "canaries", ())
    try:
        for canary in canaries:  # before any student code: a failure here is the kit's alone
            canary()
    except BaseException as exc:  # noqa: BLE001 - reported as the grader's own failure
        return save, describe(exc, None, blame.KIT), None
    try:
        module = None
        if module_path:
            module = _load(module_path)
            frames.send(result_w, IMPORTED)
    except BaseException as exc:  # noqa: BLE001 - whatever a module does at import is the student's
        return save, describe(exc, module_path, blame.STUDENT), None
    try:
        payload = {"status": RunStatus.OK.value, "value": wire.plain(target(module, *args))}
    except BaseException as exc:  # noqa: BLE001 - every way student code fails is data
        whose = _whose(exc, module_path, target, canaries)
        # A kit frame asking for a name the module lacks, or cannot call: what the exercise asks for is the student's.
        asked = blame.asked_for(exc, module, _kit_files(target)) if whose == blame.KIT else None
        payload = describe(exc, module_path, blame.STUDENT if asked else whose)
        if asked:
            payload["error"]["asked"] = asked
    return save, payload, module_path


def _whose(exc: BaseException, module_path: str | None, target, canaries) -> str:
    """A kit frame's failure is still the student's where their code changed what the probe relies on."""
    folder = os.path.dirname(os.path.realpath(module_path)) if module_path else None
    whose = blame.origin(exc, folder, _kit_files(target))
    if whose == blame.KIT:
        replaced = _tripwire.changed() + [_broken(canary) for canary in canaries if not _holds(canary)]
        if replaced:
            said = _("your code changed {names}, which the grader relies on; leave torch as it is ({problem})")
            exc.args = (said.format(names=", ".join(replaced), problem=exc),)
            return blame.STUDENT
    return whose


def _holds(canary) -> bool:
    try:
        canary()
    except BaseException:  # noqa: BLE001 - it worked before the student's code ran: their code broke it
        return False
    return True


def _broken(canary) -> str:
    """A canary's name in words (its docstring, in the catalog too: grader.checking.probing), else its function's."""
    doc = getattr(canary, "__doc__", "")
    return _(doc) if doc else canary.__name__


def _kit_files(target) -> set[str]:
    """The probe's own file, which is the kit's wherever it lives (the kit's tests keep probes of their own)."""
    return {os.path.abspath(inspect.getsourcefile(target) or "")}


def _finish(result_w: int, save, payload: dict, module_path: str | None = None):
    """Send ``payload`` as the result and end; never returns."""
    data = encoded(save, payload, module_path)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # the output ends here, so the grader need not wait for this process to exit to read it
    os.dup2(quiet, 2)
    frames.send(result_w, data)
    os._exit(0)


def encoded(save, payload: dict, module_path: str | None = None) -> bytes:
    """``payload``'s bytes, the output flushed first. A value the wire cannot write (too large) is the student's
    failure, named without the kit's frames."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        return save(payload)
    except BaseException as exc:  # noqa: BLE001 - a value the wire cannot write is the student's too
        try:
            return save(describe(exc, module_path, blame.STUDENT))
        except BaseException:  # noqa: BLE001 - a hostile exception describe cannot make plain: the judge says so
            return b""


def _send_quietly(result_w: int, payload: dict) -> None:
    from grader.sandbox import wire

    with contextlib.suppress(OSError):
        frames.send(result_w, wire.encode(payload))


def _load(path: str):
    file = Path(path)
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    return module


ALLOCATOR_FAILED = "DefaultCPUAllocator: can't allocate memory"  # torch's CPU allocator (a canary watches it)


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: by its type, and for torch's CPU allocator, which raises a plain
    RuntimeError, by its words (``grader.checking.canaries`` watches them)."""
    import torch

    if isinstance(exc, (MemoryError, getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError))):  # torch.OutOfMemoryError: 2.5+
        return True
    try:
        return isinstance(exc, RuntimeError) and ALLOCATOR_FAILED in str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__ says nothing of memory
        return False


def describe(exc: BaseException, module_path: str | None, whose: str) -> dict:
    """An exception as data: type, message, the student's frames, whose it is, and whether it was memory;
    each text cut to its budget (:mod:`grader.sandbox.limits`), since all of it is the student's to shape."""
    from grader.sandbox.wire import cut

    try:
        message = str(exc)
        if isinstance(exc, SyntaxError):
            message = _("{problem} (line {line}: {text})").format(problem=exc.msg, line=exc.lineno, text=str(exc.text or "").strip())
        elif isinstance(exc, SystemExit):
            message = _("sys.exit({code!r}) was called").format(code=exc.code)
        message = str.__str__(message)  # exactly a str: a subclass could not cross
    except Exception:  # noqa: BLE001 - a hostile __str__ must not take the report down with it
        message = _("(the {kind} could not be shown: its __str__ failed)").format(kind=type(exc).__name__)
    stack = traceback.extract_tb(exc.__traceback__)
    if module_path:
        root = str(Path(module_path).parent)
        stack = [f for f in stack if f.filename.startswith(root)]
        for frame in stack:  # named as in the submission: a batch grades a copy in a temporary folder, whose name is noise
            frame.filename = os.path.relpath(frame.filename, root)
    line = stack[-1].lineno if stack else getattr(exc, "lineno", None)
    error = {
        "type": cut(type(exc).__name__, NAME_BUDGET),
        "message": cut(message, MESSAGE_BUDGET),
        "traceback": cut("".join(traceback.format_list(stack)), TRACEBACK_BUDGET),
        "line": line if type(line) is int else None,
        "origin": whose,
    }
    status = RunStatus.MEMORY if out_of_memory(exc) else RunStatus.RAISED
    return {"status": status.value, "error": error}  # a plain str: it crosses back
