"""Confine a sandbox child's file access, for good, with Landlock (Linux 5.13+).

Refusing ``import solutions`` is not enough: a student could open the reference's file and run
it, or rewrite the kit's checks or a gradebook for a later run. Landlock lets an unprivileged
process give up rights that it and its descendants never get back. The child keeps reading
everything but the files below the hidden folders (it may read each entry beside them and
beside each of their parents, and only list those parents), and writes only in its own
working directory and in /dev (shared memory, /dev/null). Landlock also stops it from
tracing or reading the memory of a process outside its sandbox, such as the judge.
Best effort: where the kernel has no Landlock, :func:`confine` changes nothing and says so.
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
PR_SET_NO_NEW_PRIVS = 38
RULE_PATH_BENEATH = 1
READ_FILE, READ_DIR = 1 << 2, 1 << 3
WRITE = (1 << 1) | sum(1 << bit for bit in range(4, 13))  # write a file; remove or make files, folders, links, devices
REFER, TRUNCATE = 1 << 13, 1 << 14  # Landlock ABI 2 and 3
WRITABLE = ("/dev",)  # besides the working directory: /dev/shm for DataLoader workers, /dev/null, a GPU's device files


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def rules(hidden: list[str], writable: list[str] = (), write: int = WRITE) -> list[tuple[str, int]]:
    """(path, rights) that leave everything readable but the files below the ``hidden`` folders,
    and give ``write`` rights below the ``writable`` ones."""
    hidden = [os.path.realpath(path) for path in hidden]
    parents = set()
    for path in hidden:
        while path != os.path.dirname(path):
            path = os.path.dirname(path)
            parents.add(path)
    found = [(parent, READ_DIR) for parent in sorted(parents)] if hidden else [("/", READ_FILE | READ_DIR)]
    for parent in sorted(parents):
        try:
            entries = sorted(os.scandir(parent), key=lambda e: e.name)
        except OSError:  # a hidden folder not made yet, in a folder not made yet
            continue
        for entry in entries:
            path = entry.path
            if path in parents or path in hidden or _reaches(os.path.realpath(path) if entry.is_symlink() else path, hidden):
                continue
            found.append((path, READ_FILE | (READ_DIR if entry.is_dir() else 0)))
    return found + [(path, write) for path in writable]


def _reaches(target: str, hidden: list[str]) -> bool:
    """Is ``target`` a hidden folder, inside one, or above one (a link to any of these)?"""
    return any(target == path or target.startswith(path + "/") or path.startswith(target.rstrip("/") + "/") for path in hidden)


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """Landlock's ABI version on this kernel (asked, which changes nothing); 0 where it has none."""
    return max(0, _libc().syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def available() -> bool:
    return abi() > 0


def confine(hidden: list[str], workdir: str) -> str | None:
    """Confine this process and its children as the module says; None if done, else why not."""
    version = abi()
    if not version:
        return "no Landlock on this kernel"
    write = WRITE | (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)  # REFER: renames across folders
    libc = _libc()
    attr = _RulesetAttr(READ_FILE | READ_DIR | write)
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"no Landlock here ({os.strerror(ctypes.get_errno())})"
    try:
        for path, rights in rules(hidden, [workdir, *WRITABLE], write):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # gone, or a dangling link: nothing to allow
            try:
                rule = _PathBeneath(rights, fd)
                if (
                    libc.syscall(
                        SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)
                    )
                    < 0
                ):
                    return f"Landlock refused a rule for {path} ({os.strerror(ctypes.get_errno())})"
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"no_new_privs failed ({os.strerror(ctypes.get_errno())})"
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            return f"Landlock refused to restrict ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return None
