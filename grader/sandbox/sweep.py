"""Without namespaces, find and kill what a child left behind: the fallback to a PID namespace's end.

A child's PID namespace ends everything in it when its init dies. Where there is none, the
grader sweeps ``/proc`` instead: whatever is below the child, in its group or session, or carries
the mark every sandbox process inherits in its environment (which outlives setsid and
orphaning). Only a process that both cleared its environment and lost its parent slips through.
"""

from __future__ import annotations

import contextlib
import os
import signal


class Sweeper:
    def __init__(self, needle: bytes, since: int, spared):
        self.needle = needle  # the mark as it reads in /proc/<pid>/environ: b"\0NAME=value\0"
        self.since = since  # when the grader started, in clock ticks since boot: nothing older can carry the mark
        self.spared = spared  # () -> the pids whose processes a sweep must spare (other runs, the zygote and its spare)

    def kill(self, pid: int | None) -> None:
        """Kill ``pid`` and what it left; sweep until a pass finds nothing new."""
        if not pid:
            return
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill()
        me = os.getpid()
        killed = {pid}  # a process with SIGKILL pending can no longer fork, so a sweep that finds none new ends it
        for _ in range(20):
            table = processes()
            spared = self.spared()
            below, kept = descendants(table, {pid}), descendants(table, spared)
            doomed = [
                proc
                for proc, (parent, group, session, started) in table.items()
                if proc != me
                and proc not in killed
                and (
                    proc in below
                    or pid in (group, session)
                    or (started >= self.since and parent != me and proc not in kept and marked(proc, self.needle))
                )
            ]
            if not doomed:
                return
            killed.update(doomed)
            for proc in doomed:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(proc, signal.SIGKILL)


def processes() -> dict[int, tuple[int, int, int, int]]:
    """pid -> (parent, group, session, start time) of every live process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():  # /proc/self, /proc/meminfo...
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = read(f"/proc/{name}/stat").rsplit(b")", 1)[1].split()
            if fields[0] not in (b"Z", b"X"):
                table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]))
    return table


def descendants(table: dict, roots) -> set[int]:
    """``roots`` and every process below them in ``table``."""
    below, grew = set(roots), True
    while grew:
        grew = False
        for proc, (parent, *_) in table.items():
            if parent in below and proc not in below:
                below.add(proc)
                grew = True
    return below


def marked(pid: int, needle: bytes) -> bool:
    """Whether a process's environment carries the mark (only our own processes' can be read)."""
    try:
        return needle in b"\0" + read(f"/proc/{pid}/environ")
    except OSError:
        return False


def start_time() -> int:
    """When this process started, in clock ticks since boot."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(read("/proc/self/stat").rsplit(b")", 1)[1].split()[19])
    return 0


def read(path: str) -> bytes:
    """A whole /proc file, without the buffered file object that ``open`` builds (a sweep reads hundreds)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
