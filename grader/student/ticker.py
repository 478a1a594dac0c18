"""A training check's progress on the student's terminal: one line, redrawn in place as its epochs go by.

Exercise 6's accuracy check trains for 8 to 20 s; without this its screen stood still that long. The judge hands
on what the training child reports (:mod:`grader.sandbox.progress`, a few times a second at most), from the thread
that runs the child, so drawing takes a lock. Only on a terminal: a log, a pipe or a document on stdout never sees it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from typing import TextIO

from grader.i18n import _, number, percent
from grader.sandbox.progress import Progress
from grader.student.screen import one_line

ERASE = "\r\x1b[K"  # back to the row's start, and clear it


def line(progress: Progress) -> str:
    """``training: epoch 2/5 · 45%``; Russian «обучение: эпоха 2 из 5 · 45 %»."""
    said = _("training: epoch {epoch}/{epochs} · {percent}")
    return said.format(epoch=number(progress.epoch), epochs=number(progress.epochs), percent=percent(progress.percent, 0))


class Ticker:
    """Draws each progress it is called with on ``stream``'s current row, cut to the terminal's width; :meth:`clear`
    takes the row back before the report is written."""

    def __init__(self, stream: TextIO):
        self.stream, self.lock, self.drawn = stream, threading.Lock(), False

    def __call__(self, progress: Progress) -> None:
        text = one_line(line(progress), max(self.columns() - 1, 1))  # a character in the last cell would wrap the row
        self._write(ERASE + text, drawn=True)

    def columns(self) -> int:
        """The width of the terminal drawn on, asked of its own descriptor: while checks run, the process's stdout
        is pytest's capture file, and ``shutil.get_terminal_size`` would guess 80."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # no descriptor (a test's stream), or not a terminal after all
            columns = 0
        return columns or shutil.get_terminal_size().columns  # 0: a terminal that does not know its size

    def clear(self) -> None:
        if self.drawn:
            self._write(ERASE, drawn=False)

    def _write(self, text: str, drawn: bool) -> None:
        with self.lock, contextlib.suppress(OSError, ValueError):  # a terminal gone (or closed) costs the line, not the grading
            self.stream.write(text)
            self.stream.flush()
            self.drawn = drawn


@contextlib.contextmanager
def on_terminal(stream: TextIO | None) -> Iterator[Ticker | None]:
    """A ticker for the terminal ``stream`` is on, for the block, its row taken back at the end; None off a terminal
    (or for no ``stream``: a format for programs).

    It writes to a copy of the stream's descriptor, made before grading starts: while the checks run, pytest points
    the process's own stdout and stderr at its capture files, and what went there would never be seen.
    """
    try:
        fd = stream.fileno() if stream is not None and stream.isatty() else None
    except (AttributeError, ValueError, OSError):  # a closed or odd stream (a test's capture)
        fd = None
    if fd is None:
        yield None
        return
    with os.fdopen(os.dup(fd), "w", encoding=getattr(stream, "encoding", None) or "utf-8", errors="replace") as terminal:
        ticker = Ticker(terminal)
        try:
            yield ticker
        finally:
            ticker.clear()
