"""Confine a sandbox child, for good, with Landlock (Linux 5.13+): files, TCP, signals, abstract sockets.

Landlock lets an unprivileged process give up rights that it and its descendants never get back.
A child gives up:
- writing anywhere but its working directory and the few folders it is given (/dev; its private
  /tmp where namespaces give it one);
- where no mount namespace gives it a view of its own, reading anything but the allow-list of
  :func:`grader.sandbox.mounts.allowed` and its task's folders;
- binding and connecting TCP sockets (ABI 4, Linux 6.7+);
- signalling processes and connecting to abstract Unix sockets outside its own sandbox (ABI 6,
  Linux 6.12+), so no other child, nor the grader, can be reached that way.
Landlock also stops it from tracing or reading the memory of any process outside its sandbox.
Best effort: where the kernel lacks a part, :func:`confine` applies the rest and says what is missing.
"""

from __future__ import annotations

import ctypes
import os

from grader.i18n import _
from grader.sandbox.syscalls import PR_SET_NO_NEW_PRIVS, libc

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
RULE_PATH_BENEATH = 1
READ_FILE, READ_DIR = 1 << 2, 1 << 3
WRITE = (1 << 1) | sum(1 << bit for bit in range(4, 13))  # write a file; remove or make files, folders, links, devices
REFER, TRUNCATE = 1 << 13, 1 << 14  # Landlock ABI 2 and 3
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2  # ABI 6
WRITABLE = ("/dev",)  # besides the working directory: /dev/shm for DataLoader workers, /dev/null, a GPU's device files


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def allow(readable: list[str], writable: list[str], write: int = WRITE, listed: list[str] = ()) -> list[tuple[str, int]]:
    """(path, rights) that let read ``readable`` alone, list the ``listed`` folders, and read and write the ``writable`` ones."""
    found = [(path, READ_FILE | (READ_DIR if os.path.isdir(path) else 0)) for path in readable]
    return found + [(path, READ_DIR) for path in listed] + [(path, write | READ_FILE | READ_DIR) for path in writable]


def abi() -> int:
    """Landlock's ABI version on this kernel (asked, which changes nothing); 0 where it has none."""
    return max(0, libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def available() -> bool:
    return abi() > 0


def missing_parts(version: int) -> list[str]:
    """What this kernel's Landlock cannot do of what :func:`confine` asks, in words."""
    found = [] if version >= 4 else ["TCP (needs Linux 6.7+)"]
    return found + ([] if version >= 6 else ["signal and abstract-socket scoping (needs Linux 6.12+)"])


def confine(workdir: str, writable: tuple[str, ...] = WRITABLE, readable: list[str] | None = None, listed: list[str] = ()) -> str | None:
    """Confine this process and its children as the module says; None if done, else why not.

    ``readable``: an allow-list, the only paths it may read besides the writable ones; None leaves reading
    alone (a mount namespace gives the child a view of its own), which costs a handful of rules. ``listed``: folders
    it may list, but not read in, with ``readable``.
    """
    version = abi()
    if not version:
        return _("no Landlock on this kernel")
    write = WRITE | (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)  # REFER: renames across folders
    attr = _RulesetAttr(
        write | (READ_FILE | READ_DIR if readable is not None else 0),
        NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,  # handled, and no rule allows any: no TCP at all
        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0,
    )
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if version >= 6 else 2 if version >= 4 else 1)  # older kernels know fewer fields
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return _("no Landlock here ({problem})").format(problem=os.strerror(ctypes.get_errno()))
    try:
        writes = [workdir, *writable]
        chosen = [(path, write) for path in writes] if readable is None else allow(readable, writes, write, listed)
        for path, rights in chosen:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # gone, or a dangling link: nothing to allow
            try:
                rule = _PathBeneath(rights, fd)
                added = libc.syscall(
                    SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)
                )
                if added < 0:
                    return _("Landlock refused a rule for {path} ({problem})").format(path=path, problem=os.strerror(ctypes.get_errno()))
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # which Landlock requires of an unprivileged process
            return _("no_new_privs failed ({problem})").format(problem=os.strerror(ctypes.get_errno()))
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            return _("Landlock refused to restrict ({problem})").format(problem=os.strerror(ctypes.get_errno()))
    finally:
        os.close(ruleset)
    return None
