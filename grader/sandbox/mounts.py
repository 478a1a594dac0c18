"""A child's own view of the file system, in its own mount namespace (bubblewrap's recipe, done by hand).

Everything is read-only. /tmp, /dev/shm and the working directory are the child's own (tmpfs,
gone with it); /dev holds only the harmless devices and a GPU's; /run (sockets of the system's
services) is empty; the hidden folders (the reference solutions, the batch's submissions and
--out) are covered by empty, unreadable mounts; /proc shows the child's own PID namespace alone.
What the child must still read below /tmp (a virtual environment or the kit in a clone under
/tmp, the student's file, a given working directory) is bound back into its private /tmp.

The child keeps every capability of its user namespace while it builds this, then drops them
all (:func:`grader.sandbox.syscalls.drop_capabilities`), so the mounts can never be undone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from grader.sandbox.limits import TMPFS_CAP
from grader.sandbox.syscalls import (
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    mount,
    read_only_tree,
    umount,
)

TMP = "/tmp"
DEVICES = ("null", "zero", "full", "random", "urandom")
GPU_DEVICES = ("nvidia",)  # /dev/nvidia0, nvidiactl, nvidia-uvm, nvidia-caps/ ...
OWN_WORKDIR = "/tmp/grade-work"  # a child given no working directory gets this one, in its private /tmp


@dataclass
class View:
    """What :func:`enter` leaves for :func:`place` to finish once the task is known."""

    host_tmp: int  # an O_PATH descriptor of the machine's /tmp, from before it was covered; closed by place()
    covered: list[str] = field(default_factory=list)


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def outermost(paths) -> list[str]:
    """The given paths without those inside another one of them."""
    found: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(under(path, kept) for kept in found):
            found.append(path)
    return found


def enter(hidden: list[str], keep: list[str]) -> View:
    """Build the view (the mount namespace is this process's own already): all but the task's parts."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here propagates back to the machine
    # Looked up before /tmp is covered. Never the machine's /tmp itself (a grader started there has it on sys.path):
    # the child's /tmp would be the machine's, and read-only, so that no sandbox could be built.
    kept = outermost(p for p in keep if under(p, TMP) and p != TMP and os.path.exists(p))
    view = View(os.open(TMP, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
    read_only_tree("/")
    mount("tmpfs", TMP, "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMPFS_CAP},mode=1777")
    _devices()
    for run in ("/run", "/var/run"):
        if os.path.isdir(run) and not os.path.islink(run):
            mount("tmpfs", run, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=755")
    for path in kept:
        _bind_back(view, path, writable=False)
    for path in hidden:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
            view.covered.append(path)
    mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return view


def place(view: View, workdir: str | None, module: str | None, reads=()) -> str:
    """Finish the view for one task: uncover the student's file, bind what it must read and its working
    directory; return that directory."""
    try:
        folders = [os.path.dirname(os.path.realpath(module))] if module else []
        for folder in [*folders, *(os.path.realpath(path) for path in reads)]:
            for path in [p for p in view.covered if under(folder, p)]:  # the kit's tests grade the reference itself
                umount(path)
                view.covered.remove(path)
            if under(folder, TMP) and not os.path.exists(folder) and os.path.exists(_host(view, folder)):
                _bind_back(view, folder, writable=False)
        if workdir is None:
            os.makedirs(OWN_WORKDIR, exist_ok=True)
            return OWN_WORKDIR
        workdir = os.path.realpath(workdir)
        if under(workdir, TMP):
            _bind_back(view, workdir, writable=True)
        else:
            mount(workdir, workdir, None, MS_BIND)
            mount(None, workdir, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)
        return workdir
    finally:
        os.close(view.host_tmp)  # a way back to the machine's /tmp: never left for student code


def _bind_back(view: View, path: str, writable: bool) -> None:
    """Bind ``path`` (below the machine's /tmp) to the same place in the private /tmp."""
    source = _host(view, path)
    if os.path.isdir(source):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    mount(source, path, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY)
    mount(None, path, None, flags)


def _host(view: View, path: str) -> str:
    """Where ``path`` (below /tmp) is on the machine, through the descriptor kept from before /tmp was covered."""
    return f"/proc/self/fd/{view.host_tmp}/{os.path.relpath(path, TMP)}"


def _devices() -> None:
    """A /dev of its own: the harmless devices, a GPU's, and a private /dev/shm; no disks, no terminals."""
    keep = [name for name in os.listdir("/dev") if name in DEVICES or name.startswith(GPU_DEVICES)]
    descriptors = {name: os.open(f"/dev/{name}", os.O_PATH | os.O_CLOEXEC) for name in keep}
    try:
        mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
        for name, fd in descriptors.items():
            target = f"/dev/{name}"
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(target)
            else:
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
            mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    finally:
        for fd in descriptors.values():
            os.close(fd)
    os.mkdir("/dev/shm")
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMPFS_CAP},mode=1777")
    os.symlink("/proc/self/fd", "/dev/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", f"/dev/{name}")
