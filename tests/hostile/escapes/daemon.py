"""elementwise_sum leaves two daemons behind, each after a double fork and setsid, so that neither the
check's session, its process group nor its parent leads to them. One execs ``sleep`` with an empty
environment and TARGETS["marker"] as its argv[0]; the other stays a bare fork that names itself after the
marker (prctl PR_SET_NAME) and wipes its environment block, so that no mark inherited from the sandbox is
left in its /proc/<pid>/environ either. Both end within two minutes, wherever nothing stops them.
The test finds them from outside by their command line and name, and replaces the TARGETS line.
"""

import contextlib
import ctypes
import os
import shutil
import time

TARGETS: dict = {}
PR_SET_NAME = 15


def _wipe_environment() -> None:
    """Zero the memory /proc/<pid>/environ shows (env_start and env_end are fields 50 and 51 of stat)."""
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    start, end = int(fields[47]), int(fields[48])
    ctypes.memset(start, 0, end - start)


def _daemons(ready: int) -> None:
    """In the middle process: leave the session, fork the two daemons, and go. ``ready`` closes in each
    daemon once it is set up (at exec, or by hand), so that the check waits for both."""
    os.setsid()
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    if os.fork() == 0:
        os.execve(shutil.which("sleep") or "/bin/sleep", [TARGETS["marker"], "120"], {})
    if os.fork() == 0:
        os.closerange(3, ready)
        os.closerange(ready + 1, 4096)
        ctypes.CDLL(None).prctl(PR_SET_NAME, TARGETS["marker"].encode()[:15], 0, 0, 0)
        _wipe_environment()
        os.close(ready)
        time.sleep(120)
        os._exit(0)


def elementwise_sum(a, b):
    try:
        _leave_daemons()
    except OSError as exc:  # a cap on processes may refuse the first fork
        raise RuntimeError(f"daemon attack: could not fork ({exc})") from None
    raise RuntimeError("daemon attack: two daemons left behind")


def _leave_daemons() -> None:
    ready_r, ready_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        with contextlib.suppress(BaseException):
            os.close(ready_r)
            _daemons(ready_w)
        os._exit(0)
    os.close(ready_w)
    while os.read(ready_r, 1):  # end of file: every daemon is set up
        pass
    os.close(ready_r)
    os.waitpid(middle, 0)
