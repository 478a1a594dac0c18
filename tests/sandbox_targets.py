"""What the sandbox tests run in a child: module-level functions, so the child imports them by reference.

Kept light (no pytest, no torch at import) because every child imports this module afresh.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Where a child leaves evidence for its test: a sandboxed child writes only in its own working directory
# (a test passes one it can read), and its /tmp and /dev/shm are its own.


def name_process(marker: str) -> None:
    """Name this process ``marker`` (as ``/proc/<pid>/comm`` shows it, at most 15 characters): a way to find it
    from outside its PID namespace, where the pid it has inside means nothing."""
    import ctypes

    ctypes.CDLL(None).prctl(15, marker[:15].encode(), 0, 0, 0)  # PR_SET_NAME


def nothing(module):
    return None


def echo(module, value):
    return value


def raises(module, message):
    raise ValueError(message)


def speak(module, out, err):
    print(out)
    print(err, file=sys.stderr)
    return "spoke"


def flood(module, megabytes):
    line = "y" * 1023 + "\n"
    for _ in range(megabytes * 1024):
        sys.stdout.write(line)
        sys.stderr.write(line)
    return "flooded"


def hang(module):
    while True:
        time.sleep(0.1)


def spin(module):
    while True:
        pass


def hoard(module):
    kept = []
    while True:
        kept.append(bytearray(32 << 20))


def big_tensor(module, megabytes):
    import torch

    return torch.zeros(megabytes << 18)  # float32: 4 bytes each


def kill_self(module, signum):
    os.kill(os.getpid(), signum)
    time.sleep(5)


def hard_exit(module, code):
    os._exit(code)


def soft_exit(module, code):
    sys.exit(code)


def read_stdin(module):
    return sys.stdin.read()


def where_am_i(module):
    Path("left-behind.txt").write_text("written by the child")
    return os.getcwd()


def import_solutions(module):
    import solutions.exercise1_tensors  # noqa: F401


def not_plain(module):
    return {"fine": 1, "bad": [1, object()]}


def threads(module):
    import torch

    return torch.get_num_threads()


def student_function(module, name, *args):
    return getattr(module, name)(*args)


def spawn_sleepers(module, marker, count, then_hang):
    """Start ``count`` exec'd sleepers (half in new sessions) and ``count`` bare forks (half setsid), each noted
    in the working directory's folder ``marker``."""
    env = {**os.environ, "HOSTILE_MARKER": marker}
    pids = Path(marker)
    pids.mkdir(exist_ok=True)
    for i in range(count):
        process = subprocess.Popen(["sleep", "120"], env=env, start_new_session=i % 2 == 1)
        (pids / f"exec-{process.pid}").write_text("")
    for i in range(count):
        if os.fork() == 0:
            if i % 2:
                os.setsid()
            name_process(marker)
            (pids / f"fork-{os.getpid()}").write_text("")
            time.sleep(120)
            os._exit(0)
    if then_hang:
        hang(module)
    return "spawned"


def sigterm_ignored(module):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hang(module)


def token(module, *_):
    """Something no other child returns: a child's pid is 2 in its own PID namespace, whichever child it is."""
    return os.urandom(8).hex()


def wait_for_sleeper(module, seconds):
    """Start a ``sleep`` below this child and wait for it: its return code is -9 if anything killed it."""
    return subprocess.run(["sleep", str(seconds)]).returncode


def niceness(module):
    return os.nice(0)


def huge_pages_kb(module):
    """How much of this child's memory sits in huge pages (what it shares with the zygote)."""
    with open("/proc/self/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("AnonHugePages:"))


def open_files(module):
    """What this child's file descriptors point at."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
    return found


def daemonize(module, marker):
    """Leave a daemon: fork, setsid, fork again and let the middle process exit, so that the sleeper is
    in no session or group of the child's and has lost its parent. Only the sandbox's mark finds it
    where there are no namespaces; it is noted in the working directory's folder ``marker``."""
    pids = Path(marker)
    pids.mkdir(exist_ok=True)
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
            name_process(marker)
            (pids / str(os.getpid())).write_text("")
            time.sleep(120)
        os._exit(0)
    os.waitpid(middle, 0)
    while not any(pids.iterdir()):
        time.sleep(0.01)
    return "daemonized"


def read_text(module, path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_text(module, path, text):
    """Write ``text`` to ``path`` (relative: in the working directory); where it went, or the error's name."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return os.path.realpath(path)
    except OSError as exc:
        return type(exc).__name__


def temp_file(module):
    fd, path = tempfile.mkstemp()
    os.close(fd)
    return os.path.dirname(path) == os.getcwd()


def loader_workers(module, workers):
    """Sum 0..9 through a DataLoader with worker processes (shared memory, semaphores)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=5, num_workers=workers)
    return int(sum(batch[0].sum() for batch in loader))


def _listing(folder: str):
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        return type(exc).__name__


def view(module):
    """What a child sees of the machine: its pid and parent, /proc, /, /dev, /run, /tmp, and its capabilities."""
    with open("/proc/self/status") as status:
        capabilities = {line.split(":")[0]: line.split()[1] for line in status if line.startswith("Cap")}
    listing = {folder: _listing(folder) for folder in ("/", "/dev", "/run", "/tmp")}
    return {"pid": os.getpid(), "parent": os.getppid(), "proc": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "capabilities": capabilities, **listing}  # fmt: skip


def connect(module, host, port, kind):
    """Open a TCP connection or send a UDP datagram; what happened, as a word."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    sock.settimeout(2)
    try:
        if kind == "tcp":
            sock.connect((host, port))
            sock.sendall(b"escaped")
        else:
            sock.sendto(b"escaped", (host, port))
        return "connected"
    except OSError as exc:
        return type(exc).__name__
    finally:
        sock.close()


def fork_many(module, count):
    """Fork ``count`` sleeping children; how many forks succeeded before one was refused."""
    started = 0
    for _ in range(count):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        except OSError:
            break
        started += 1
    return started


def signal_parent(module):
    """Try to kill the process that forked this one; what happened."""
    parent = os.getppid()
    if parent in (0, 1):
        return f"no parent to signal (ppid {parent})"
    try:
        os.kill(parent, signal.SIGKILL)
        return "killed"
    except OSError as exc:
        return type(exc).__name__


def broken_probe(module):
    """A probe with a bug of its own: it raises in the kit's frame, whatever the student wrote."""
    return {"found": {}}["missing"]


def broken_call(module):
    """A probe whose own bug is a TypeError (it calls a number), next to a student's module holding a constant."""
    return len(module.__name__)()


def call_student(module, name):
    return getattr(module, name)()


def make_loss(module):
    """A probe that builds torch's loss itself, as exercise 6's do."""
    import torch

    return str(torch.nn.CrossEntropyLoss())


def failing_canary():
    """the test's canary"""
    raise RuntimeError("the canary found torch changed")


def guarded(module):
    return "ran"


guarded.canaries = (failing_canary,)


def counted_backward(module):
    """A probe that counts backward passes, as exercise 3's does."""
    from grader.checking.probing import BackwardPasses

    with BackwardPasses() as passes:
        module.train()
    return passes.count


def _counts_backward_passes():
    """the grader's counter of backward passes"""  # grader.checking.probing's own canary, imported late: this module stays light
    from grader.checking.probing import counts_backward_passes

    counts_backward_passes()


counted_backward.canaries = (_counts_backward_passes,)


def sing(module, name):
    """Run the registered canary ``name`` in the child."""
    from grader.checking.canaries import CANARIES

    CANARIES[name]()
    return "held"


def read_each(module, paths):
    """Each of ``paths`` that this child could read (a file) or list (a folder), with what it found."""
    return {path: found for path in paths if (found := _read_one(path)) is not None}


def _read_one(path: str):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, "rb") as file:
            return file.read(4096).decode(errors="replace")
    except OSError:
        return None


def picky_probe(module):
    """A probe that trusts the module too far: it raises in the kit's own frame only where ``LABEL`` is odd."""
    return {"ok": 1}[getattr(module, "LABEL", "ok")]


def fork_bomb(module, marker):
    """A shell that starts two copies of itself eight levels deep (511 processes, each ending as ``sleep 30``), then
    waits forever: bounded on a machine others share, even where nothing contains it (tests/hostile/escapes)."""
    bomb = 'bomb() { if [ "$1" -gt 0 ]; then bomb $(($1 - 1)) & bomb $(($1 - 1)) & fi; exec sleep 30; }; bomb 8'
    with contextlib.suppress(OSError):
        subprocess.Popen(["/bin/sh", "-c", bomb], env={**os.environ, "HOSTILE_MARKER": marker})
    hang(module)


def default_dtype(module, dtype):
    """Set torch's default dtype (a change of global state a worker must not carry to the next task); the one before."""
    import torch

    before = str(torch.get_default_dtype())
    if dtype:
        torch.set_default_dtype(getattr(torch, dtype))
    return before


def has_fork(module):
    return hasattr(os, "fork")


def announce_then_hang(module, path):
    """Write ``path`` (the test's sign that the task runs), then never return."""
    Path(path).write_text("running")
    hang(module)
