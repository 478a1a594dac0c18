"""The grader's own files in a submission (``.grade/``: the history, the curves' picture, the reference run's cache),
opened without following a link.

The student owns the submission folder: a ``.grade`` that is a link, or a ``.grade/history.jsonl`` that is one,
would have the grader write wherever the student named (their teacher's files, the kit's). So the folder and the
file are opened relative to the submission's own descriptor with ``O_NOFOLLOW``, a link is refused (``ELOOP``),
and so is anything that is not a regular file (a FIFO would block a read): the caller reports the OSError as it
reports any other.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from grader.i18n import _

FOLDER = ".grade"


def open_file(submission: Path, name: str, flags: int = os.O_RDONLY, folder: str = FOLDER) -> int:
    """A descriptor of ``<submission>/<folder>/<name>``; ``flags`` with ``os.O_CREAT`` make the folder too."""
    root = os.open(submission, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if flags & os.O_CREAT:
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder, 0o755, dir_fd=root)
        inside = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=root)
    except OSError as exc:
        raise _said(exc, folder) from None
    finally:
        os.close(root)
    try:
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644, dir_fd=inside)
    except OSError as exc:
        raise _said(exc, f"{folder}/{name}") from None
    finally:
        os.close(inside)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, _("{name} is not a regular file").format(name=f"{folder}/{name}"))
    os.set_blocking(fd, True)
    return fd


def _said(exc: OSError, name: str) -> OSError:
    """A refused link said as such: ELOOP's own words ("too many levels of symbolic links") mislead, and a link to a
    folder fails O_DIRECTORY | O_NOFOLLOW with ENOTDIR."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return OSError(exc.errno, _("{name} is a link, and the grader never writes or reads its own files through one").format(name=name))
    return exc


def read_bytes(submission: Path, name: str) -> bytes:
    with os.fdopen(open_file(submission, name), "rb") as file:
        return file.read()


def write_bytes(submission: Path, name: str, data: bytes, folder: str = FOLDER) -> Path:
    """Replace the file with ``data`` at once, and return its path: written beside it, then renamed over it, so that a
    reader never sees half of it and a link put in its place is replaced, never written through."""
    path = Path(submission) / folder / name
    if path.is_symlink():  # replacing it would be harmless, but the grader's own files are never links: said, as on a read
        raise _said(OSError(errno.ELOOP, os.strerror(errno.ELOOP)), f"{folder}/{name}")
    temporary = f".{name}.{os.getpid()}.tmp"
    with os.fdopen(open_file(submission, temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, folder), "wb") as file:
        file.write(data)
    os.replace(path.with_name(temporary), path)
    return path
