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

# Where a child leaves evidence for its test (pids, logs): a confined child writes only in its own
# working directory, which is removed after it, and in /dev.
EVIDENCE = Path("/dev/shm") if os.path.isdir("/dev/shm") else Path(tempfile.gettempdir())


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
    """Start ``count`` exec'd sleepers (half in new sessions) and ``count`` bare forks (half setsid)."""
    env = {**os.environ, "HOSTILE_MARKER": marker}
    for i in range(count):
        subprocess.Popen(["sleep", "120"], env=env, start_new_session=i % 2 == 1)
    pids = EVIDENCE / marker
    pids.mkdir(exist_ok=True)
    for i in range(count):
        if os.fork() == 0:
            if i % 2:
                os.setsid()
            (pids / str(os.getpid())).write_text("")
            time.sleep(120)
            os._exit(0)
    if then_hang:
        hang(module)
    return "spawned"


def sigterm_ignored(module):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hang(module)


def pid(module, *_):
    return os.getpid()


def wait_for_sleeper(module, seconds):
    """Start a ``sleep`` below this child and wait for it: its return code is -9 if anything killed it."""
    return subprocess.run(["sleep", str(seconds)]).returncode


def niceness(module):
    return os.nice(0)


def huge_pages_kb(module):
    """How much of this child's memory sits in huge pages (what it shares with the forkserver)."""
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
    in no session or group of the child's and has lost its parent. Only the sandbox's mark finds it."""
    pids = EVIDENCE / marker
    pids.mkdir(exist_ok=True)
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
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
