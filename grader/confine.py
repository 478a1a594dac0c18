"""Make some folders unreadable to a sandbox child, for good, with Landlock (Linux 5.13+).

Refusing ``import solutions`` is not enough: a student could open the reference's file and run
it, or read a classmate's feedback in a batch's ``--out`` folder, which names expected values.
Landlock lets an unprivileged process give up rights that it and its descendants never get back.
The child keeps every right but reading files below the hidden folders: it may read each entry
beside them and beside each of their parents, and only list those parents. Landlock also stops it
from tracing or reading the memory of a process outside its sandbox, such as the judge.
Best effort: where the kernel has no Landlock, :func:`hide` changes nothing and says so.
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
PR_SET_NO_NEW_PRIVS = 38
RULE_PATH_BENEATH = 1
READ_FILE, READ_DIR = 1 << 2, 1 << 3


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def rules(hidden: list[str]) -> list[tuple[str, int]]:
    """(path, rights) that leave everything readable but the files below the ``hidden`` folders."""
    hidden = [os.path.realpath(path) for path in hidden]
    parents = set()
    for path in hidden:
        while path != os.path.dirname(path):
            path = os.path.dirname(path)
            parents.add(path)
    found = [(parent, READ_DIR) for parent in sorted(parents)]
    for parent in sorted(parents):
        try:
            names = sorted(os.listdir(parent))
        except OSError:  # a hidden folder not made yet, in a folder not made yet
            continue
        for name in names:
            entry = os.path.join(parent, name)
            if entry in parents or entry in hidden or _reaches(os.path.realpath(entry), hidden):
                continue
            found.append((entry, READ_FILE | (READ_DIR if os.path.isdir(entry) else 0)))
    return found


def _reaches(target: str, hidden: list[str]) -> bool:
    """Is ``target`` a hidden folder, inside one, or above one (a link to any of these)?"""
    return any(target == path or target.startswith(path + "/") or path.startswith(target.rstrip("/") + "/") for path in hidden)


def available() -> bool:
    """Whether this kernel has Landlock (asked for its ABI version, which changes nothing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)) > 0


def hide(hidden: list[str]) -> str | None:
    """Make the files below ``hidden`` unreadable to this process and its children; None if done, else why not."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    attr = _RulesetAttr(READ_FILE | READ_DIR)
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"no Landlock here ({os.strerror(ctypes.get_errno())})"
    try:
        for path, rights in rules(hidden):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # gone, or a dangling link: nothing to allow
            try:
                rule = _PathBeneath(rights, fd)
                if libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                                ctypes.c_uint32(0)) < 0:
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
