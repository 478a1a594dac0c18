"""A child's own view of the file system, in its own mount namespace: an allow-list (bubblewrap's recipe, by hand).

The child's root is an empty tmpfs; what is not bound into it does not exist there. :func:`allowed` says, in one
place, what is bound, read-only: the interpreter, its standard library and the installed packages (found from the
interpreter's real sys.path and site folders, wherever they are), and the few system files the loader, Python and
torch read. Then each child gets its own /tmp, /dev/shm and working directory (tmpfs, gone with it), a /dev with the
harmless devices and a GPU's, and a /proc of its own PID namespace; at its task, its student's folder (read-only),
what the task reads (MNIST) and the working directory it is given. Not the kit's folder, not HOME, not the
submission's parents, classmates or the judge's files: a copy of the reference anywhere on the machine is unseen.
Where a secret lies inside an allowed folder (the kit installed into site-packages), it is covered by an empty mount.

The child keeps every capability of its user namespace while it builds this, then drops them
all (:func:`grader.sandbox.syscalls.drop_capabilities`), so the mounts can never be undone.
"""

from __future__ import annotations

import errno
import os
import sys
import sysconfig
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
    pivot_root,
    umount,
)

TMP = "/tmp"
HOST = "/.host"  # the machine's root, below the child's new one until its task is placed; then gone
DEVICES = ("null", "zero", "full", "random", "urandom")
GPU_DEVICES = ("nvidia",)  # /dev/nvidia0, nvidiactl, nvidia-uvm, nvidia-caps/ ...
OWN_WORKDIR = "/tmp/grade-work"  # a child given no working directory gets this one, in its private /tmp
SUBMISSION = "/submission"  # where a child sees its student's folder: the same wherever the machine keeps it
# What the loader, Python, torch and CUDA read of the system: its libraries (CUDA's too), the loader's cache, the
# time zone, and /sys (the CPUs' topology for OpenMP, a GPU's PCI details). /lib and the like are links on most systems.
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/ld.so.conf",
          "/etc/ld.so.conf.d", "/etc/localtime", "/sys")  # fmt: skip


FROM_THE_MACHINE = ("/proc", "/dev")  # read where no namespace gives a child its own (Landlock's allow-list)


KIT_SECRETS = ("checks", "__pycache__")  # of the kit's package: the checks' source, and compiled checks among the rest
KIT_PACKAGES = ("grader", "solutions")  # the kit's own, where it is installed into site-packages: never granted whole


@dataclass
class View:
    """What :func:`enter` leaves for :func:`place` to finish once the task is known."""

    bound: list[str] = field(default_factory=list)  # what is bound from the machine, at the same place
    covered: list[str] = field(default_factory=list)  # the hidden folders covered inside bound ones

    def shows(self, path: str) -> bool:
        """Whether ``path`` is bound, or lies inside something bound (not merely a folder made to bind below)."""
        return any(under(path, bound) for bound in self.bound)


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def outermost(paths) -> list[str]:
    """The given paths without those inside another one of them."""
    found: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(under(path, kept) for kept in found):
            found.append(path)
    return found


def allowed(kit: str) -> list[str]:
    """Everything a child reads besides its task's folders: the one list both the mounts and Landlock grant.

    The interpreter's folders and every folder on its real sys.path (a .pth file may name site-packages outside
    sys.prefix), each as it is named and as it really is; never the kit's folder ``kit`` nor one above it (a test
    run from a checkout has the checkout on sys.path), only the kit's package without its checks; where the kit was
    installed into site-packages, that folder's other entries one by one.
    """
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)]
    found += list(sysconfig.get_paths().values())
    found += [path for path in sys.path if path and os.path.isabs(path)]
    found = [os.path.abspath(path) for path in found if os.path.exists(path)]  # a zip or an egg on sys.path too
    found += [os.path.realpath(path) for path in found]
    found += [path for path in SYSTEM if os.path.lexists(path)]
    kept = {path for path in found if not under(kit, path)}
    if installed_into(kit):  # the packages beside the kit's, one by one: never the reference nor the whole kit
        entries = [os.path.join(kit, name) for name in os.listdir(kit) if name not in KIT_PACKAGES]
        kept |= {*entries, *(os.path.realpath(path) for path in entries)}  # each as it is named and as it really is
    return sorted(kept | set(kit_package()))


def listed(kit: str) -> list[str]:
    """Folders a child may list without reading what is in them: the packages folder the kit was installed into, where
    Landlock grants the entries one by one (:func:`allowed`) and Python's import system must still list the folder."""
    return [kit] if installed_into(kit) else []


def installed_into(kit: str) -> bool:
    """Whether the kit's folder is a packages folder (``pip install .`` without ``-e``), not a checkout of its own."""
    import site

    folders = [*site.getsitepackages(), site.getusersitepackages(), *(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))]
    return os.path.realpath(kit) in {os.path.realpath(folder) for folder in folders}


def kit_package() -> list[str]:
    """The kit's own package, which a child imports from where the zygote has not (a lazy import), entry by entry:
    never its checks (the hidden ones' source) nor the compiled files beside them."""
    from grader.registry import PACKAGE_DIR

    package = str(PACKAGE_DIR)
    return [os.path.join(package, name) for name in sorted(os.listdir(package)) if name not in KIT_SECRETS]


def enter(allow: list[str], hidden: list[str]) -> View:
    """Build the view but the task's part (the mount namespace is this process's own already)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here propagates back to the machine
    mount("tmpfs", TMP, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")  # the new root, where bubblewrap makes it
    os.mkdir(TMP + HOST)
    pivot_root(TMP, TMP + HOST)
    os.chdir("/")
    os.mkdir(TMP)  # its own /tmp first: what it must read below the machine's /tmp (a clone's venv) is bound into it
    mount("tmpfs", TMP, "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMPFS_CAP},mode=1777")
    view = View()
    for path in allow:
        _bind(view, path, writable=False)
    for path in hidden:
        if view.shows(path) and os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
            view.covered.append(path)
    _devices()
    os.makedirs("/proc", exist_ok=True)
    mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return view


def place(view: View, workdir: str | None, module: str | None, reads=()) -> tuple[str, str | None]:
    """Finish the view for one task: bind the student's folder at SUBMISSION and what the task reads in place,
    read-only, and its working directory; let go of the machine's root. Return the working directory and where
    the student's module is now."""
    try:
        for folder in (real(path) for path in reads):
            for path in [p for p in view.covered if under(folder, p)]:
                umount(path)
                view.covered.remove(path)
            _bind(view, folder, writable=False)
        if module:
            module = real(module)
            _bind(view, os.path.dirname(module), writable=False, at=SUBMISSION)
            module = os.path.join(SUBMISSION, os.path.basename(module))
        if workdir is None:
            os.makedirs(OWN_WORKDIR, exist_ok=True)
            workdir = OWN_WORKDIR
        else:
            workdir = real(workdir)
            _bind(view, workdir, writable=True)
    finally:
        umount(HOST)
    os.rmdir(HOST)
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return workdir, module


def real(path: str) -> str:
    """``path`` with every link resolved as the machine sees it (through HOST, whose absolute links point out of it)."""
    parts, done, links = [p for p in os.path.abspath(path).split("/") if p], "/", 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            done = os.path.dirname(done)
            continue
        candidate = os.path.join(done, part)
        if os.path.islink(HOST + candidate):
            links += 1
            if links > 40:
                raise OSError(errno.ELOOP, f"{path}: too many links")
            target = os.readlink(HOST + candidate)
            parts = [p for p in target.split("/") if p and p != "."] + parts
            done = "/" if target.startswith("/") else done
        else:
            done = candidate
    return done


def _bind(view: View, path: str, writable: bool, at: str | None = None) -> None:
    """Bind the machine's ``path`` at the same place in the new root, or ``at`` (a link is made again as a link)."""
    target = at or path
    if at is None and view.shows(path):
        return
    if at is None and os.path.islink(HOST + path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            os.symlink(os.readlink(HOST + path), path)
        return
    source = HOST + real(path)
    if not os.path.exists(source):
        return
    _make_point(source, target)
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY))
    view.bound.append(target)


def _make_point(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))


def _devices() -> None:
    """A /dev of its own: the harmless devices, a GPU's, and a private /dev/shm; no disks, no terminals."""
    for name in os.listdir(f"{HOST}/dev"):
        if name in DEVICES or name.startswith(GPU_DEVICES):
            _make_point(f"{HOST}/dev/{name}", f"/dev/{name}")
            mount(f"{HOST}/dev/{name}", f"/dev/{name}", None, MS_BIND | MS_REC)
    os.makedirs("/dev/shm", exist_ok=True)
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMPFS_CAP},mode=1777")
    os.symlink("/proc/self/fd", "/dev/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", f"/dev/{name}")
