"""The Linux calls the sandbox needs and Python 3.10 lacks: namespaces, mounts, capabilities.

Each wrapper raises ``OSError`` with the call's name, so a refusal reads as what was refused
("mount /tmp: Operation not permitted"), never as a bare errno.
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1  # 442 on every architecture
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# noroot, no_setuid_fixup and no_ambient_raise, each locked, and keep_caps locked off: uid 0 is never special again
SECUREBITS_LOCKED_DOWN = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CAPABILITY_VERSION_3 = 0x20080522

libc = ctypes.CDLL(None, use_errno=True)  # the kit's one handle on the C library (confine and hugepages use it too)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.syscall.restype = ctypes.c_long


def _check(result: int, what: str) -> None:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, flags: int) -> None:
    _check(libc.setns(ctypes.c_int(fd), ctypes.c_int(flags)), "setns")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data)), f"mount {target}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def umount(target: str) -> None:
    """Detach the mount at ``target`` (lazily, as ``umount -l`` does)."""
    _check(libc.umount2(target.encode(), ctypes.c_int(MNT_DETACH)), f"umount {target}")


class _MountAttr(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("attr_set", "attr_clr", "propagation", "userns_fd")]


def read_only_tree(path: str = "/") -> None:
    """Make ``path`` and every mount below it read-only, in this mount namespace (Linux 5.12+)."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    result = libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr))
    _check(result, f"mount_setattr {path}")


def prctl(option: int, arg: int = 0) -> None:
    _check(libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl {option}")


def die_with_parent(signal_number: int) -> None:
    """Have the kernel send ``signal_number`` to this process when its parent ends."""
    prctl(PR_SET_PDEATHSIG, signal_number)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability for good: none now, none on exec, none as uid 0 (securebits), no new privileges."""
    with open("/proc/sys/kernel/cap_last_cap") as file:
        last = int(file.read())
    prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN)
    for capability in range(last + 1):
        prctl(PR_CAPBSET_DROP, capability)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    _check(libc.capset(ctypes.byref(_CapHeader(CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def map_user(pid: str | int, uid: int, gid: int) -> None:
    """Map uid and gid 0 inside ``pid``'s new user namespace to ``uid`` and ``gid`` outside (what ``unshare -r`` does)."""
    with open(f"/proc/{pid}/setgroups", "w") as file:
        file.write("deny")
    with open(f"/proc/{pid}/uid_map", "w") as file:
        file.write(f"0 {uid} 1")
    with open(f"/proc/{pid}/gid_map", "w") as file:
        file.write(f"0 {gid} 1")


def pid_of(pidfd: int) -> int | None:
    """The pid, as this process sees it, of the process a pidfd refers to (None once it has been reaped)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}") as file:
            for line in file:
                if line.startswith("Pid:"):
                    pid = int(line.split()[1])
                    return pid if pid > 0 else None
    except (OSError, ValueError):
        return None
    return None


SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217, "riscv64": 41}


def pivot_root(new_root: str, put_old: str) -> None:
    """Make ``new_root`` this mount namespace's root, the old one moved to ``put_old`` (glibc has no wrapper)."""
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(f"pivot_root: not known on {os.uname().machine}")
    _check(libc.syscall(ctypes.c_long(number), new_root.encode(), put_old.encode()), "pivot_root")
