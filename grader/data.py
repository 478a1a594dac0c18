"""The shipped MNIST: unpack the ``.gz`` files once into torchvision's layout and verify them.

Grading is offline, so nothing here downloads. Unpacking is idempotent and safe when two
processes do it at once: each file is written under a lock, to a temporary name, then renamed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

from grader import registry
from grader.errors import UsageProblem
from grader.i18n import _

ENV = "GRADER_DATA"
FILES = {  # the md5s of the unpacked files, as listed in data/README.md
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class DataError(UsageProblem):
    """MNIST is missing or damaged; the message says what to do."""


def data_dir(option: str | os.PathLike | None = None) -> Path:
    """Where MNIST lives: the option, else $GRADER_DATA, else the kit's ``data/``."""
    chosen = option or os.environ.get(ENV) or registry.KIT_ROOT / "data"
    return Path(chosen).expanduser().resolve()


def ensure_mnist(root: str | os.PathLike | None = None) -> Path:
    """Make sure ``root/MNIST/raw`` holds the four verified files and return ``root``.

    A ``.verified`` stamp per file records its size, so later calls cost a stat, not an md5.
    """
    root = data_dir(root)
    raw = root / "MNIST" / "raw"
    for name, md5 in FILES.items():
        target = raw / name
        if _stamped(target):
            continue
        source = root / f"{name}.gz"
        if not source.is_file():
            raise DataError(
                _(
                    "MNIST file {file} is missing: restore data/ from the kit (git checkout data/) "
                    "or point --data-dir/{variable} at a folder holding the four .gz files"
                ).format(file=source, variable=ENV)
            )
        try:
            raw.mkdir(parents=True, exist_ok=True)
            with open(raw / ".lock", "w") as lock:
                _lock(lock)
                if not _stamped(target):
                    _unpack(source, target, md5)
        except PermissionError as exc:
            raise DataError(
                _(
                    "cannot write the unpacked MNIST into {folder} ({problem}): set {variable} or --data-dir to a writable copy of data/"
                ).format(folder=raw, problem=exc.strerror, variable=ENV)
            ) from None
    return root


def _stamped(target: Path) -> bool:
    stamp = target.with_name(target.name + ".verified")
    try:
        return stamp.read_text() == str(target.stat().st_size)
    except (OSError, ValueError):
        return False


def _unpack(source: Path, target: Path, md5: str) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.md5()
    try:
        with gzip.open(source) as packed, open(partial, "wb") as out:
            while chunk := packed.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        partial.unlink(missing_ok=True)
        raise DataError(
            _("MNIST file {file} is corrupt ({problem}): restore it from the kit (git checkout data/)").format(file=source, problem=exc)
        ) from None
    if digest.hexdigest() != md5:
        partial.unlink(missing_ok=True)
        raise DataError(
            _("MNIST file {file} is corrupt (md5 {found}, expected {md5}): restore it from the kit (git checkout data/)").format(
                file=source, found=digest.hexdigest(), md5=md5
            )
        )
    os.replace(partial, target)
    target.with_name(target.name + ".verified").write_text(str(target.stat().st_size))


def _lock(file) -> None:
    """Hold ``file`` exclusively until it is closed, so two gradings never unpack one file at once (Windows has no flock)."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(file.fileno(), msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(file, fcntl.LOCK_EX)
