"""Length-prefixed frames over a pipe: the task one way, the result the other.

A frame is 8 bytes of big-endian length, then the bytes. The reader enforces a cap before it
buffers anything, so a child announcing 100 GB costs the grader nothing.
"""

from __future__ import annotations

import os
import struct

HEADER = struct.Struct("!Q")
STATUS = struct.Struct("!i")  # a child's wait status, as the zygote sends it to the grader on the child's status pipe


class TooBig(ValueError):
    """A frame longer than the reader's cap."""


def send(fd: int, data: bytes) -> None:
    """Write one whole frame to ``fd`` (blocking)."""
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def receive(fd: int) -> bytes | None:
    """Read one whole frame from ``fd`` (blocking); None at the end of the pipe."""
    header = _exactly(fd, HEADER.size)
    if header is None:
        return None
    return _exactly(fd, HEADER.unpack(header)[0])


def _exactly(fd: int, count: int) -> bytes | None:
    chunks, left = [], count
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Reader:
    """Frames from chunks as they arrive (the grader's side, which never blocks on a child)."""

    def __init__(self, cap: int):
        self.cap, self.buffer, self.frames = cap, bytearray(), []

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while len(self.buffer) >= HEADER.size:
            length = HEADER.unpack_from(self.buffer)[0]
            if length > self.cap:
                raise TooBig(length)
            if len(self.buffer) < HEADER.size + length:
                return
            self.frames.append(bytes(self.buffer[HEADER.size : HEADER.size + length]))
            del self.buffer[: HEADER.size + length]
