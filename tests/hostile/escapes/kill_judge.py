"""make_vector sends SIGKILL to the processes above it (the forkserver that forked it, the judge: ``grade`` or
a batch worker, and the batch itself) and to every process of the run whose command line names grade,
grader or pytest.

Scoped to the test's own run, since others run ``grade`` and ``pytest`` on the same machine: only the chain
of parents strictly below TARGETS["stop_at"] (the test's pytest, spared with all above it; a chain that does
not reach it is left alone), and processes whose environment carries TARGETS["marker"], which the test
sets for its own ``grade``. The test replaces the TARGETS line.
"""

import os
import signal

TARGETS: dict = {}
NAMES = (b"grade", b"pytest")  # "grader" holds "grade"


def _proc(pid: int, name: str) -> bytes:
    with open(f"/proc/{pid}/{name}", "rb") as f:
        return f.read()


def _parents() -> list[int]:
    chain, pid = [], os.getppid()
    while pid > 1 and pid != TARGETS["stop_at"]:
        chain.append(pid)
        try:
            pid = int(_proc(pid, "stat").rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return []
    return chain if pid == TARGETS["stop_at"] else []


def _marked() -> list[int]:
    needle = f"HOSTILE_MARKER={TARGETS['marker']}".encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (os.getpid(), TARGETS["stop_at"]):
            try:
                if needle in _proc(int(name), "environ"):
                    found.append(int(name))
            except OSError:
                continue
    return found


def make_vector(values):
    tried = []
    for pid in dict.fromkeys([*_parents(), *_marked()]):
        try:
            if not any(name in _proc(pid, "cmdline") for name in NAMES):
                continue
            os.kill(pid, signal.SIGKILL)
            tried.append(f"killed {pid}")
        except OSError as exc:
            tried.append(f"{pid}: {type(exc).__name__}: {exc}")
    raise RuntimeError(f"kill attack: {'; '.join(tried) or 'no process of the judge to be found'}")
