"""The one reader of a submission's exercise file, for ``grade``, ``grade watch``, ``grade batch``, the Gradescope bundle
and the notebooks alike.

Every command reads a submission as it is: never through a link (a file or an ``exercises/`` folder that links to the
kit's ``solutions/`` would otherwise pass for the student's own work), never blocking on a FIFO, never more than
:data:`MAX_FILE` bytes. Python itself imports a file whose only bytes that are not UTF-8 sit in a comment, so the source
rule is the kit's too: the file must decode as its coding declaration says (UTF-8 without one), and hold no binary data.
"""

from __future__ import annotations

import os
import stat
import tokenize
from io import BytesIO
from pathlib import Path

from grader.i18n import _

MiB = 1 << 20
MAX_FILE = 2 * MiB  # one exercise file


class Unreadable(ValueError):
    """A file the grader will not read; the message, for people, names it and says what to do. ``kind`` is the reason
    a batch records."""

    kind = "unreadable"


class TooLarge(Unreadable):
    kind = "too_large"


class NotPython(Unreadable):
    kind = "not_python"


def link_in(submission: Path, path: Path) -> str | None:
    """The first part of ``path`` below ``submission`` that is a link, as the submission names it, else None."""
    here = Path(submission)
    for part in Path(path).relative_to(submission).parts:
        here = here / part
        if here.is_symlink():
            return here.relative_to(submission).as_posix()
    return None


def linked(name: str) -> str:
    """What every command says of a link in a submission (:func:`link_in`)."""
    return _("{name} is a link, and the grader never follows one: submit the file itself").format(name=name)


def read_file(root: Path, path: Path) -> bytes:
    """The bytes of ``path``, a regular file inside ``root``, at most :data:`MAX_FILE`; raises :class:`Unreadable`."""
    name = Path(path).relative_to(root).as_posix()
    if found := link_in(root, path):
        raise Unreadable(linked(found))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise Unreadable(_("{name} is not a regular file").format(name=name))
            data = file.read(MAX_FILE + 1)
    except OSError as exc:
        raise Unreadable(_("{name} cannot be read: {problem}").format(name=name, problem=exc.strerror or exc)) from None
    if len(data) > MAX_FILE:
        raise too_large(name)
    return data


def too_large(name: str) -> TooLarge:
    return TooLarge(_("{name} is larger than {size} MiB").format(name=name, size=MAX_FILE // MiB))


def read_exercise(root: Path, path: Path) -> bytes:
    """The exercise file ``path`` of the submission ``root`` as UTF-8 Python source (:func:`read_file`, :func:`python_source`)."""
    return python_source(Path(path).name, read_file(root, path))


def python_source(name: str, data: bytes) -> bytes:
    """``data``, the file ``name``, as UTF-8 Python source; raises :class:`NotPython` for binary or undecodable text."""
    if b"\0" in data:
        raise NotPython(_("{name} is not Python source (it holds binary data)").format(name=name))
    try:
        encoding, _lines = tokenize.detect_encoding(BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        raise NotPython(_("{name} is not UTF-8 text (saved in another encoding?); save it as UTF-8").format(name=name)) from None
    return text.encode("utf-8") if encoding not in ("utf-8", "utf-8-sig") else data
