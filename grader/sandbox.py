"""Run untrusted student code in a child process and bring back only plain data.

This is the one module that starts processes. Children come from a multiprocessing
forkserver that has imported torch but never run a parallel op, so a fork is cheap
(~10 ms instead of a 2 s ``import torch``) and OpenMP in the child does not hang. Each
child is forked while the previous one works and waits for its task, so a run seldom
waits for a fork; it is never reused.
Every way a child can end becomes an :class:`Outcome`; nothing it does reaches the caller
except the bytes it sends, which :mod:`grader.wire` loads with ``weights_only=True``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.abc
import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

GiB = 1 << 30
DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY = 4 * GiB
OUTPUT_CAP = 64 * 1024
RESULT_CAP = 256 * 1024 * 1024
BLOCKED_PACKAGES = ("solutions",)
IMPORTED = b"imported"  # sent ahead of the result once the student's module is loaded (a result is a zip: b"PK...")

_context = multiprocessing.get_context("forkserver")
_started = False
# In the forkserver's environment, so in every child and in every process below one, even after
# setsid, orphaning or exec: how _kill_tree finds what a child left behind.
MARK = "GRADER_SANDBOX"
_mark = f"{os.getpid()}-{time.time_ns()}"
_needle = f"\0{MARK}={_mark}\0".encode()  # the mark as it reads in /proc/<pid>/environ
_active: set[int] = set()  # children running now (other threads' runs), which a sweep must spare with their own children
_since = 0  # when this process started, in clock ticks since boot: nothing older can carry the mark
_server: int | None = None  # the forkserver's pid


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    memory: int | None = DEFAULT_MEMORY
    output: int = OUTPUT_CAP
    threads: int | None = None
    address_space: bool = True  # cap virtual memory too; off for CUDA, whose driver reserves far more than it uses
    nice: int = 0  # added to the child's niceness: a short check's child yields to a long one's


@dataclass
class Outcome:
    """How a child ended. ``status`` is one of ok, raised, timeout, memory, crashed."""

    status: str
    value: object = None
    error: dict = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    imported: bool | None = None  # whether the student's module loaded before the child ended; None: no module, or cancelled

    @property
    def output(self) -> str:
        return "\n".join(part for part in (self.stdout, self.stderr) if part)


def start(preload: tuple[str, ...] = (), fork: bool = False) -> None:
    """Start the forkserver now, importing torch and ``preload`` there, so that it warms up
    while the caller imports its own modules. Later calls change nothing.

    With ``fork``, this process imports them and the forkserver is forked from it: that saves the
    forkserver's own import (~5 s of CPU) where the caller needs those modules anyway. Only for a
    process started by :func:`start_worker` (its mark is the one the children carry) that has
    started no thread, touched no GPU and graded no one yet, since the children inherit its memory.
    """
    global _started, _since, _server, _needle
    if _started:
        return
    with contextlib.suppress(OSError, IndexError, ValueError), open("/proc/self/stat", "rb") as f:
        _since = int(f.read().rsplit(b")", 1)[1].split()[19])
    modules = list(dict.fromkeys(["torch", __name__, "grader.wire", "grader.confine", *preload]))
    from multiprocessing import forkserver, resource_tracker

    resource_tracker.ensure_running()  # started first, so that it does not carry the mark
    if fork and os.environ.get(WORKER_MARK):
        _needle = f"\0{WORKER_MARK}={os.environ[WORKER_MARK]}\0".encode()  # in this process's environ from its start
        _fork_forkserver(modules)
    else:
        _context.set_forkserver_preload(modules)
        os.environ[MARK] = _mark
        try:
            forkserver.ensure_running()
        finally:
            del os.environ[MARK]
    # Its children are ours alone (a student's process can never become one), and a spare being born
    # in another thread is among them before its pid is known: a sweep must spare them.
    _server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    _started = True


def _fork_forkserver(modules: list[str]) -> None:
    """Import ``modules`` here, then fork multiprocessing's forkserver loop off this process and
    tell multiprocessing where it listens, as its own ``ensure_running`` does for one it spawns."""
    import importlib
    import socket
    from multiprocessing import connection, forkserver

    if any(name.split(".")[0] in BLOCKED_PACKAGES for name in sys.modules):
        raise RuntimeError("the forkserver cannot be forked once the reference solutions are loaded: children would inherit them")
    for name in modules:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX)
    address = connection.arbitrary_address("AF_UNIX")
    listener.bind(address)
    os.chmod(address, 0o600)
    listener.listen()
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forkserver: it keeps none of this process's files (a worker's reply pipe, say) for children to find
        try:
            os.dup2(os.open(os.devnull, os.O_RDWR), 0)
            keep = {0, 1, 2, listener.fileno(), alive_r}
            for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
                if fd not in keep:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            if "grader.hugepages" in modules:
                sys.modules["grader.hugepages"].collapse()
            forkserver.main(listener.fileno(), alive_r, [])
        finally:
            os._exit(0)  # never this process's exit handlers
    os.close(alive_r)
    listener.close()
    server = forkserver._forkserver
    server._forkserver_address, server._forkserver_alive_fd, server._forkserver_pid = address, alive_w, pid


def run(
    target, *args, module: Path | None = None, limits: Limits = Limits(), workdir: Path | None = None, cancel: threading.Event | None = None
) -> Outcome:
    """Call ``target(student_module, *args)`` in a fresh child and return how it went.

    ``target`` must be importable by reference (a module-level function). ``module`` is the
    student's file, loaded by path in the child; without it ``target`` gets None. Setting
    ``cancel`` (from another thread) stops the child early.
    """
    start()
    own_dir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="grade-")) if own_dir else workdir
    task = (target, args, str(module) if module else None, limits, str(workdir))
    child = _take_spare()
    try:
        try:
            child.give(task, limits)
        except OSError:  # the spare died while it waited: start another
            child.close()
            child = _Child()
            child.give(task, limits)
        began = time.monotonic()
        _make_spare_soon()  # forks while this child works, so that the next run need not wait for a fork
        status = _watch(child.process, child.readers[0], limits, began, cancel)
        status = status or ("too big" if child.readers[0].too_big else None)
    finally:
        child.close()
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    result, out, err = child.readers
    outcome = _settle(status, child.process.exitcode, result.data, limits)
    outcome.stdout, outcome.stderr = out.text(), err.text()
    outcome.seconds = time.monotonic() - began
    outcome.imported = result.imported if module and status != "cancelled" else None
    return outcome


class _Child:
    """A child forked ahead of its task: it waits, already set up, for what to run."""

    def __init__(self):
        task_r, self.task_w = _context.Pipe(duplex=False)
        result_r, result_w = _context.Pipe(duplex=False)
        out_r, out_w = _context.Pipe(duplex=False)
        err_r, err_w = _context.Pipe(duplex=False)
        self.readers = [_Reader(result_r), _Capped(out_r, OUTPUT_CAP), _Capped(err_r, OUTPUT_CAP)]
        self.process = _context.Process(target=_child_main, args=(task_r, result_w, out_w, err_w), daemon=False)
        try:
            with _main_hidden():
                self.process.start()
            _active.add(self.process.pid)
        finally:
            for end in (task_r, result_w, out_w, err_w):
                end.close()
        for reader in self.readers[1:]:
            reader.start()

    def give(self, task: tuple, limits: Limits) -> None:
        for reader in self.readers[1:]:
            reader.cap = limits.output
        self.readers[0].start()  # now, so that it reads under the cap of now
        self.task_w.send(task)

    def close(self) -> None:
        """Kill it and all it left behind, and collect what it sent."""
        pid = self.process.pid
        self.task_w.close()
        _active.discard(pid)
        _kill_tree(pid)
        if pid:  # with a result in hand, or no task given, its exit status is not worth the forkserver's relay
            idle = self.readers[0].ident is None
            self.process.join(0 if idle or self.readers[0].data is not None else 5)
        for reader in self.readers:
            if reader.ident is not None:  # started
                reader.join(2)
            else:  # a spare that never got a task
                reader.end.close()


_spare: _Child | None = None
_spare_lock = threading.Lock()
_exiting = False


def _take_spare() -> _Child:
    global _spare
    with _spare_lock:
        child, _spare = _spare, None
    return child or _Child()


def _make_spare_soon() -> None:
    threading.Thread(target=_make_spare, daemon=True).start()


def _make_spare() -> None:
    global _spare
    if _spare is not None or _exiting:
        return
    try:
        child = _Child()
    except Exception:  # noqa: BLE001 - the forkserver is gone (shutdown) or failing: the next run forks its own, and says why
        return
    with _spare_lock:
        child, _spare = (child, None) if _spare is not None or _exiting else (None, child)
    if child is not None:  # another thread made one first, or this process is exiting
        child.close()


@atexit.register
def shutdown() -> None:
    """Stop the spare child, the forkserver and multiprocessing's resource tracker, so that nothing
    outlives the grader. At exit, before multiprocessing's own handler, which would wait for the spare forever."""
    global _spare, _exiting
    with _spare_lock:
        child, _spare, _exiting = _spare, None, True
    if child is not None:
        child.close()
    if _started and _server:
        # Killed, not asked: it holds nothing worth a clean exit, and its own teardown of torch takes ~0.5 s.
        # Reaped too (~50 ms), so that it is gone, not dying, when the grader's caller looks.
        with contextlib.suppress(OSError):
            os.kill(_server, signal.SIGKILL)
            os.waitpid(_server, 0)
        from multiprocessing import resource_tracker

        with contextlib.suppress(Exception):  # the method CPython's own tests use; without it, the tracker exits on EOF
            resource_tracker._resource_tracker._stop()


_main_lock = threading.Lock()


@contextlib.contextmanager
def _main_hidden():
    """Start a child without multiprocessing re-running the parent's ``__main__`` in it.

    That re-run is meant for user scripts; here ``__main__`` is ``grade``, pytest or a
    notebook kernel, and importing it again would cost every check its import time.
    """
    from multiprocessing import spawn

    with _main_lock:
        prepare = spawn.get_preparation_data

        def without_main(name):
            data = prepare(name)
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
            return data

        # Patched in multiprocessing alone, where only these starts (serialised by the lock) look;
        # sys.modules["__main__"] stays as it is for the thread that is grading meanwhile.
        spawn.get_preparation_data = without_main
        try:
            yield
        finally:
            spawn.get_preparation_data = prepare


def _watch(child, result: _Reader, limits: Limits, began: float, cancel: threading.Event | None) -> str | None:
    """Wait for the child's result or its end; return 'timeout', 'memory' or 'cancelled' if it had to be stopped.

    The result is enough: waiting for the exit as well would add the teardown of a process that
    maps torch, relayed by the forkserver, to every check.
    """
    deadline = began + limits.timeout
    baseline = None  # what the child shares with the forkserver (torch's heap) is not its own use
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        result.join(min(left, 0.05))
        if not result.is_alive() or child.exitcode is not None:
            return None
        if cancel is not None and cancel.is_set():
            return "cancelled"
        if limits.memory:
            rss = _rss(child.pid)
            baseline = rss if baseline is None else baseline
            if rss - baseline > limits.memory:
                return "memory"


def _settle(stopped: str | None, exitcode: int | None, data: bytes | None, limits: Limits) -> Outcome:
    if stopped == "timeout":
        return Outcome("timeout", error={"message": f"still running after {limits.timeout:g} s, so it was stopped"})
    if stopped == "memory":
        return Outcome("memory", error={"message": f"used more than {_size(limits.memory)} of memory, so it was stopped"})
    if stopped == "cancelled":
        return Outcome("crashed", error={"message": "stopped because grading ended before this check ran"})
    if stopped == "too big":
        return Outcome("crashed", error={"message": f"returned more than {_size(RESULT_CAP)} of data; return something smaller"})
    if data is not None:
        try:
            from grader import wire

            payload = wire.decode(data)
            status = payload["status"]
            if status not in ("ok", "raised", "memory"):
                raise ValueError(status)
            return Outcome(status, value=payload.get("value"), error=payload.get("error") or {})
        except Exception as exc:  # noqa: BLE001 - a child that wrote garbage to the result pipe: any error is its own
            return Outcome("crashed", error={"message": f"sent back something that is not plain data ({type(exc).__name__})"})
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return Outcome("crashed", error={"message": f"the process was killed by {name}{hint}"})
    return Outcome(
        "crashed", error={"message": f"the process exited with code {exitcode} before returning a result (sys.exit or os._exit?)"}
    )


def _size(n: int | None) -> str:
    return f"{n / GiB:g} GiB" if n and n >= GiB else f"{(n or 0) >> 20} MiB"


def _rss(pid: int) -> int:
    """The child's resident memory but the pages of files it maps: those (torch's libraries) come in as its
    code runs, a few hundred MB sooner or later, and would count against a student who allocated nothing."""
    try:
        resident, shared = _read(f"/proc/{pid}/statm").split()[1:3]
        return (int(resident) - int(shared)) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _kill_tree(pid: int | None) -> None:
    """Kill the child and every process it left: in its group or session, below it, or carrying the
    forkserver's mark (which outlives setsid and orphaning). No process outlives its check.

    Sweeps until one finds nothing, so that a process forked during a sweep is caught by the next.
    Only a process that both cleared its environment and lost its parent could slip through.
    """
    if not pid:
        return
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill()
    me, needle = os.getpid(), _needle
    killed = {pid}  # a process with SIGKILL pending can no longer fork, so a sweep that finds none new ends it
    for _ in range(20):
        table = {}  # pid -> (parent, group, session, whether it may carry the mark) of every live process
        for name in os.listdir("/proc"):
            if not name.isdigit():  # /proc/self, /proc/meminfo...
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = _read(f"/proc/{name}/stat").rsplit(b")", 1)[1].split()
                if fields[0] not in (b"Z", b"X"):
                    table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]) >= _since)
        below, spared = _descendants(table, {pid}), _descendants(table, _active)
        doomed = [
            proc
            for proc, (parent, group, session, young) in table.items()
            if proc != me
            and (
                proc in below
                or pid in (group, session)
                or (young and parent not in (me, _server) and proc not in spared and _marked(proc, needle))
            )
        ]
        doomed = [proc for proc in doomed if proc not in killed]
        if not doomed:
            return
        killed.update(doomed)
        for proc in doomed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(proc, signal.SIGKILL)


def _descendants(table: dict, roots) -> set[int]:
    """``roots`` and every process below them in ``table``."""
    below, grew = set(roots), True
    while grew:
        grew = False
        for proc, (parent, *_) in table.items():
            if parent in below and proc not in below:
                below.add(proc)
                grew = True
    return below


def _marked(pid: int, needle: bytes) -> bool:
    """Whether a process's environment carries this forkserver's mark (only ours can be read)."""
    try:
        return needle in b"\0" + _read(f"/proc/{pid}/environ")
    except OSError:
        return False


def _read(path: str) -> bytes:
    """A whole /proc file, without the buffered file object that ``open`` builds (a sweep reads hundreds)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class _Reader(threading.Thread):
    """Read the result in the background, so a large one cannot block the child; note IMPORTED ahead of it."""

    def __init__(self, end):
        super().__init__(daemon=True)
        self.end, self.data, self.too_big, self.imported = end, None, False, False

    def run(self):
        try:
            data = self.end.recv_bytes(RESULT_CAP)
            if data == IMPORTED:
                self.imported = True
                data = self.end.recv_bytes(RESULT_CAP)
            self.data = data
        except OSError as exc:  # multiprocessing's "bad message length": over RESULT_CAP
            self.too_big = "length" in str(exc)
        except EOFError:
            pass
        finally:
            self.end.close()


class _Capped(threading.Thread):
    """Drain a pipe to its end, keeping the first ``cap`` bytes, so a flood neither blocks nor fills memory."""

    def __init__(self, end, cap: int):
        super().__init__(daemon=True)
        self.end, self.cap, self.kept, self.dropped = end, cap, bytearray(), 0

    def run(self):
        try:
            while chunk := os.read(self.end.fileno(), 1 << 16):
                room = self.cap - len(self.kept)
                self.kept += chunk[:room]
                self.dropped += max(0, len(chunk) - room)
        except OSError:
            pass
        finally:
            self.end.close()

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        return text + (f"\n[... {self.dropped} more bytes of output cut]" if self.dropped else "")


# ---------------------------------------------------------------- in the child


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuse the reference solutions to student code."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"{name!r} is not available to submissions: the grader keeps the reference solutions to itself")
        return None


def _child_main(task_r, result_w, out_w, err_w):
    os.setsid()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out_w.fileno(), 1)
    os.dup2(err_w.fileno(), 2)
    out_w.close()
    err_w.close()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import torch

    hidden = _package_folders(BLOCKED_PACKAGES)  # found before the blocker below refuses to look for them
    if any(name in sys.modules for name in BLOCKED_PACKAGES):
        for name in [m for m in sys.modules if m.split(".")[0] in BLOCKED_PACKAGES]:
            del sys.modules[name]
    sys.meta_path.insert(0, _Blocker())
    from grader import wire

    try:
        target, args, module_path, limits, workdir = task_r.recv()
    except (EOFError, OSError):  # a spare that was not needed: the grader has closed its end
        os._exit(0)
    task_r.close()
    if limits.nice:
        os.nice(limits.nice)
    os.chdir(workdir)
    _confine(hidden, module_path, workdir)
    if limits.memory and limits.address_space:
        _limit_address_space(limits.memory)
    if limits.threads:
        torch.set_num_threads(limits.threads)
    save = wire.encode  # taken before student code runs, though a forgery only hurts its author
    try:
        module = None
        if module_path:
            module = _load(module_path)
            result_w.send_bytes(IMPORTED)
        payload = {"status": "ok", "value": wire.plain(target(module, *args))}
    except BaseException as exc:  # noqa: BLE001 - every way student code fails is data
        payload = _describe(exc, module_path)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        data = save(payload)
    except BaseException as exc:  # noqa: BLE001
        data = save(_describe(exc, module_path))
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # the output ends here, so the grader need not wait for this process to exit to read it
    os.dup2(quiet, 2)
    result_w.send_bytes(data)
    os._exit(0)


def _package_folders(names) -> list[str]:
    folders = []
    for name in names:
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(name)
            folders += list(spec.submodule_search_locations or []) if spec else []
    return folders


def _confine(folders: list[str], module_path: str | None, workdir: str) -> None:
    """Hide ``folders`` from student code and let it write only in ``workdir`` (:mod:`grader.confine`). A folder
    that holds the module graded stays readable: the kit's own tests and benches grade the reference solutions."""
    from grader import confine

    here = os.path.realpath(module_path) if module_path else ""
    confine.confine([f for f in folders if not here.startswith(os.path.realpath(f) + os.sep)], workdir)
    os.environ["TMPDIR"] = tempfile.tempdir = workdir  # where tempfile, and any program it starts, can write
    # Student code that starts processes (DataLoader(num_workers=2)) forks them, as a script run on Linux does,
    # rather than starting a forkserver of its own (~3 s), and keeps multiprocessing's files in workdir too.
    multiprocessing.set_start_method("fork", force=True)
    multiprocessing.current_process()._config.pop("tempdir", None)


def _limit_address_space(extra: int) -> None:
    """Cap virtual memory at what the child has now plus ``extra``: torch alone maps ~3 GiB."""
    with open("/proc/self/statm") as f:
        now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (now + extra, now + extra))


def _load(path: str):
    file = Path(path)
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    return module


def _describe(exc: BaseException, module_path: str | None) -> dict:
    """An exception as data: type, message, the student's frames, and whether it was memory."""
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__ must not take the report down with it
        message = f"(the {type(exc).__name__} could not be shown: its __str__ failed)"
    if isinstance(exc, SyntaxError):
        message = f"{exc.msg} (line {exc.lineno}: {(exc.text or '').strip()})"
    elif isinstance(exc, SystemExit):
        message = f"sys.exit({exc.code!r}) was called"
    frames = traceback.extract_tb(exc.__traceback__)
    if module_path:
        root = str(Path(module_path).parent)
        frames = [f for f in frames if f.filename.startswith(root)]
    error = {
        "type": type(exc).__name__,
        "message": message,
        "traceback": "".join(traceback.format_list(frames)),
        "line": frames[-1].lineno if frames else getattr(exc, "lineno", None),
    }
    out_of_memory = isinstance(exc, MemoryError) or "can't allocate memory" in message or "not enough memory" in message
    return {"status": "memory" if out_of_memory else "raised", "error": error}


# ---------------------------------------------------------------- trusted workers (grade batch)

WORKER_MARK = "GRADER_WORKER"  # in the environment of a worker and of every process below it


def start_worker(module: str, *args: str, stderr=None):
    """Start ``python -m module *args``: a TRUSTED process of the grader itself (never student code)
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
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        encoding="utf-8",
        bufsize=1,
        start_new_session=True,
        close_fds=True,
        env={**os.environ, WORKER_MARK: mark},
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
