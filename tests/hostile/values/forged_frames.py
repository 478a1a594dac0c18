"""Write forged frames straight to the result pipe, then end before the real result: each is its check's failure.

The result pipe is the one pipe past stdout and stderr that the child may write to. ``describe`` forges the
status of a sandbox that could not be built (the grader's own failure, were it believed), ``random_matrix``
sends a pickle, ``make_scalar`` an error report whose fields are not what the child writes, ``zeros_matrix`` one
that says a name the exercise asks for is missing, but not as a name, ``ones_matrix`` one that blames the kit's own
code (a grader's fault, were it believed: the reference passes the same probe), and ``elementwise_sum`` announces a frame of a
terabyte.
"""

import contextlib
import json
import os
import pickle
import struct


def _forge(data: bytes, length: int | None = None) -> None:
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            if int(name) > 2 and os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                os.write(int(name), struct.pack("!Q", len(data) if length is None else length) + data)
    os._exit(0)


def _plain(tree) -> bytes:
    structure = json.dumps(tree).encode()
    return b"plain1" + struct.pack("!Q", len(structure)) + structure


def describe(t):
    _forge(_plain({"dict": [["status", "setup"], ["error", {"dict": [["message", "the grader broke, not me"]]}]]}))


def random_matrix(rows, cols):
    _forge(pickle.dumps({"status": "ok", "value": None}))


def make_scalar(value):
    _forge(_plain({"dict": [["status", "raised"], ["error", {"dict": [["message", ["not", "a", "str"]], ["line", "x"]]}]]}))


def zeros_matrix(rows, cols):
    _forge(_plain({"dict": [["status", "raised"], ["error", {"dict": [["message", "x"], ["asked", {"dict": [["name", 1]]}]]}]]}))


def ones_matrix(rows, cols):
    _forge(
        _plain(
            {"dict": [["status", "raised"], ["error", {"dict": [["type", "KeyError"], ["message", "the kit broke"], ["origin", "kit"]]}]]}
        )
    )


def elementwise_sum(a, b):
    _forge(b"", length=1 << 40)
