"""Does a training check's progress read as each language writes it, and redraw one row of the terminal in place?"""

from __future__ import annotations

import fcntl
import io
import os
import select
import struct
import termios

import pytest

from grader import i18n
from grader.sandbox.progress import Progress
from grader.student import ticker
from grader.student.ticker import ERASE, Ticker


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "training: epoch 2/5 · 45%"), ("ru", "обучение: эпоха 2 из 5 · 45\xa0%")],  # a space that never breaks there
)
def test_the_line_in_each_language(language, said):
    i18n.use(language)
    try:
        assert ticker.line(Progress(2, 5, 45)) == said
    finally:
        i18n.use(i18n.SOURCE)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_report_redraws_the_same_row_and_clear_takes_it_back(monkeypatch):
    # COLUMNS, not a patched shutil.get_terminal_size: that is the process's own, and pytest's reporter calls it too.
    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    drawn = Ticker(screen)
    drawn(Progress(1, 5, 0))
    drawn(Progress(1, 5, 30))
    drawn.clear()
    drawn.clear()  # nothing drawn: nothing to take back
    assert screen.getvalue() == f"{ERASE}training: epoch 1/5 · 0%{ERASE}training: epoch 1/5 · 30%{ERASE}"


def test_a_narrow_terminal_gets_the_line_cut_not_wrapped(monkeypatch):
    monkeypatch.setenv("COLUMNS", "12")
    screen = Terminal()
    Ticker(screen)(Progress(2, 5, 45))
    assert screen.getvalue() == ERASE + "training: …"


def test_no_ticker_off_a_terminal_or_for_a_program():
    for stream in (io.StringIO(), None):
        with ticker.on_terminal(stream) as drawn:
            assert drawn is None


def written(main: int) -> str:
    """All a pseudo-terminal was sent: it may hand over each write on its own, so read until it is drained (EIO once
    its other end is closed)."""
    data = b""
    while select.select([main], [], [], 1.0)[0]:
        try:
            chunk = os.read(main, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8")


def test_a_ticker_draws_on_a_copy_of_the_terminal_and_takes_its_row_back():
    """A copy made before grading: pytest points the process's own stdout and stderr elsewhere while checks run."""
    main, other = os.openpty()
    with os.fdopen(other, "w", encoding="utf-8") as terminal, ticker.on_terminal(terminal) as drawn:
        assert isinstance(drawn, Ticker)
        os.dup2(os.open(os.devnull, os.O_WRONLY), other)  # the stream's own descriptor is pointed elsewhere
        drawn(Progress(3, 5, 60))
    assert written(main).endswith(f"{ERASE}training: epoch 3/5 · 60%{ERASE}")
    os.close(main)


def test_the_width_is_the_terminals_own_whatever_stdout_is_meanwhile():
    main, other = os.openpty()
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 15, 0, 0))  # 15 columns
    with os.fdopen(other, "w", encoding="utf-8") as terminal, ticker.on_terminal(terminal) as drawn:
        drawn(Progress(3, 5, 60))
    assert written(main).startswith(f"{ERASE}training: epo…{ERASE}")  # 14 cells, the last left free
    os.close(main)


def test_a_closed_terminal_costs_the_line_not_the_grading():
    screen = Terminal()
    drawn = Ticker(screen)
    screen.close()
    drawn(Progress(1, 5, 10))  # no ValueError: the grading goes on
    assert not drawn.drawn
