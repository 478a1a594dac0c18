"""Does ``grade watch`` re-grade on every save, answer its keys, survive hostile saves and leave nothing behind?

The real command runs in a pseudo-terminal (pexpect), as a student's terminal runs it, on a fresh
copy of the stubs in tmp_path, so the kit's own ``exercises/`` is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import click
import pexpect
import pytest
from pexpect.popen_spawn import PopenSpawn

from grader import registry, sandbox
from grader.judge import engine
from grader.sandbox import choice
from grader.student import history
from grader.student.watch import Watch, compact
from tests import sandbox_targets as targets
from tests.helpers import EX1_POINTS, KIT, clean_up, new_marker, survivors

EX1, EX2 = registry.EXERCISES[:2]
FOOTER = "q quit"  # the last words of every screen on a terminal
FULL_MARKS = f"Total: {EX1_POINTS:g}/{EX1_POINTS:g} points"  # exercise 1 solved
NO_MARKS = f"Total: 0/{EX1_POINTS:g} points"  # its stubs
EX2_POINTS = engine.max_points(registry.EXERCISES[1])
WAIT = 300  # seconds for one screen: a loaded shared machine is slow to start torch


@pytest.fixture
def submission(tmp_path) -> Path:
    """A fresh copy of the stubs, as a student has them on the first day."""
    folder = tmp_path / "course"
    shutil.copytree(KIT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return folder


def environment() -> dict:
    """The test's environment, less the history switch (the watch keeps its history in tmp_path) and COLUMNS and LINES:
    pytest-xdist's workers set them to 80x24, and shutil.get_terminal_size reads them before the terminal's own size."""
    env = {k: v for k, v in os.environ.items() if k not in (history.ENV, "COLUMNS", "LINES")}
    return {**env, "PYTHONPATH": str(KIT)}


def spawn(submission: Path, *args: str, dimensions: tuple[int, int] = (60, 200)) -> pexpect.spawn:
    watch = pexpect.spawn(
        sys.executable,
        ["-m", "grader.cli", "watch", *args, "--submission", str(submission)],
        cwd=str(KIT),
        env=environment(),
        encoding="utf-8",
        timeout=WAIT,
        dimensions=dimensions,
    )
    watch.expect(FOOTER)
    return watch


def save(submission: Path, exercise, source: str) -> None:
    path = submission / "exercises" / f"{exercise.stem}.py"
    path.write_text(source, encoding="utf-8")


def solution(exercise) -> str:
    return (KIT / "solutions" / f"{exercise.stem}.py").read_text(encoding="utf-8")


def left_behind(pid: int) -> list[str]:
    """Live processes of the watch's session, or carrying its sandbox's mark (children start sessions of their own)."""
    mark = f"{sandbox.MARK}={pid}-".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError, IndexError):
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X"):
                continue
            environ = b"\0" + (proc / "environ").read_bytes()
            if int(fields[3]) == pid or b"\0" + mark in environ:
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ")[:80].decode(errors="replace"))
    return found


def quit_cleanly(watch: pexpect.spawn) -> None:
    watch.send("q")
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 0, watch.before
    assert left_behind(watch.pid) == []


# ---------------------------------------------------------------- the proof the issue asks for


@pytest.mark.slow  # a real grade watch in a terminal
def test_stubs_then_the_solution_then_next_hints_and_quit(submission, monkeypatch):
    monkeypatch.delenv(history.ENV)  # to read the history here, as the watch wrote it
    watch = spawn(submission)
    assert NO_MARKS in watch.before, "the first report shows the stubs' 0 points"
    save(submission, EX1, solution(EX1))
    watch.expect(FULL_MARKS)
    watch.expect(f"exercise1 has full marks. Press n for exercise2 \\({EX2.title}\\)")
    watch.expect(FOOTER)
    watch.send("n")
    watch.expect(r"grade watch · exercise2 \(2 of 7\)")
    watch.expect(f"Total: 0/{EX2_POINTS:g} points")
    watch.expect(FOOTER)
    watch.send("h")
    watch.expect("Hints for the checks of exercise2 that do not pass yet:")
    watch.expect("arange_float: torch.arange")
    watch.expect(FOOTER)
    quit_cleanly(watch)
    standings = history.standings(submission)
    assert standings[EX1.stem].last.full
    assert (standings[EX2.stem].last.score, standings[EX2.stem].last.max_score) == (0, EX2_POINTS)


@pytest.mark.slow  # a real grade watch in a terminal
def test_a_syntax_error_shows_its_line_once_and_a_good_save_recovers(submission):
    watch = spawn(submission, "1")
    broken = solution(EX1).replace("def make_scalar(", "def make_scalar((", 1)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "def make_scalar((" in text)
    save(submission, EX1, broken)
    watch.expect(f"could not import exercise1_tensors.py: your code raised SyntaxError at line {line} of exercise1_tensors.py")
    watch.expect(FOOTER)
    assert watch.before.count("raised SyntaxError") == 0, "the error is shown once, not once per check"
    save(submission, EX1, solution(EX1))
    watch.expect(FULL_MARKS)
    watch.expect(FOOTER)
    quit_cleanly(watch)


@pytest.mark.slow  # a real grade watch in a terminal
def test_l_lists_the_course_r_regrades_and_ctrl_c_quits(submission):
    watch = spawn(submission, "2")
    watch.send("l")
    watch.expect(rf"2  exercise2  reshape .* best 0/{EX2_POINTS:g} · last 0/{EX2_POINTS:g}")
    watch.expect(r"0 of 7 exercises have full marks")
    watch.expect(r"next after exercise2: press n for exercise3")
    watch.expect(FOOTER)
    watch.send("r")
    watch.expect("Grading exercise2 with seed")
    watch.expect(f"Total: 0/{EX2_POINTS:g} points")
    watch.expect(FOOTER)
    watch.sendintr()  # SIGINT to the terminal's whole foreground group: the forkserver's too
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 0
    assert left_behind(watch.pid) == []


@pytest.mark.slow  # a real grade watch in a terminal
def test_without_a_terminal_it_regrades_on_save_and_reads_no_keys(submission):
    watch = PopenSpawn(
        [sys.executable, "-m", "grader.cli", "watch", "1", "--submission", str(submission)],
        cwd=str(KIT),
        env=environment(),
        encoding="utf-8",
        timeout=WAIT,
    )
    watch.expect("Ctrl-C quits.")
    assert NO_MARKS in watch.before
    watch.send("q\n")  # not a key here: a pipe is not a terminal
    save(submission, EX1, solution(EX1))
    watch.expect(FULL_MARKS)
    watch.expect("Ctrl-C quits.")
    watch.kill(signal.SIGINT)
    watch.expect(pexpect.EOF)
    assert watch.wait() == 0


CLEAR = "\x1b[2J"  # click.clear(): each report starts a fresh screen
WRONG_SCALAR = """

def make_scalar(value):
    return torch.tensor(value, dtype=torch.float64)  # later definitions win: the wrong dtype
"""


def last_screen(watch: pexpect.spawn) -> list[str]:
    """The rows of the last screen the watch drew, up to its footer, without colours."""
    text = click.unstyle((watch.before + watch.after).split(CLEAR)[-1]).replace("\x1b[1;1H", "")
    return text.replace("\r\n", "\n").split("\n")


@pytest.mark.slow  # a real grade watch in a terminal
@pytest.mark.parametrize(("rows", "columns"), [(24, 80), (40, 120)])
def test_the_screen_fits_the_terminal_and_shows_the_total_and_the_first_failing_check(submission, rows, columns):
    watch = spawn(submission, "1", dimensions=(rows, columns))
    shown = last_screen(watch)
    assert len(shown) < rows, shown
    assert max(map(len, shown)) <= columns, shown
    assert any(line.startswith(NO_MARKS) for line in shown), "the exercise's total"
    first = shown.index("  ✗ make_scalar  0/1")
    assert shown[first + 1] == "      not implemented yet", "the first failing check and what came back"
    watch.send("\x1b[B")  # ↓: the next failing checks, without grading again
    watch.expect(FOOTER)
    shown = last_screen(watch)
    assert "  ✗ make_scalar  0/1" not in shown
    assert any(line.startswith("  1 more above, press ↑") for line in shown)
    watch.setwinsize(rows + 10, columns + 20)  # a resize draws the report again, fitted to the new size
    watch.expect(FOOTER)
    wider = last_screen(watch)
    assert len(wider) < rows + 10
    assert max(map(len, wider)) <= columns + 20
    assert sum(line.startswith("  ✗ ") for line in wider) > sum(line.startswith("  ✗ ") for line in shown)
    watch.setwinsize(rows, columns)
    watch.expect(FOOTER)
    save(submission, EX1, solution(EX1) + WRONG_SCALAR)
    watch.expect(r"Total: 17/18 points.*" + FOOTER)  # the report after the save, whole
    shown = last_screen(watch)
    assert len(shown) < rows, shown
    assert max(map(len, shown)) <= columns, shown
    assert any(line.startswith("Total: 17/18 points") for line in shown)
    first = shown.index("  ✗ make_scalar  0/1")
    said = " ".join(line.strip() for line in shown[first + 1 : first + 3])
    assert "returned dtype torch.float64; expected torch.float32" in said, "what was expected and what came back"
    assert any("checks pass: make_vector" in line for line in shown), "one line for the passing checks"
    quit_cleanly(watch)


# ---------------------------------------------------------------- hostile saves

FORK_BOMB = """
import ctypes, os, time
for _ in range(6):  # up to 64 processes, each forking as fast as it can: a fork bomb kept small for a shared machine
    os.fork()
ctypes.CDLL(None).prctl(15, b"MARKER", 0, 0, 0)  # named, to be found from outside the sandbox's namespaces
print("the bomb went off", flush=True)
time.sleep(600)
"""
KILL_PARENT = """
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
"""
KILL_PARENTS_GROUP = """
import os, signal
os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
"""


def hostile(source: str, marker: str) -> str:
    return source.replace("MARKER", marker)


@pytest.mark.slow
def test_a_loop_at_import_and_a_fork_bomb_cost_only_their_regrade(submission):
    marker = new_marker()
    watch = spawn(submission, "1", "--timeout-scale", "0.5")
    try:
        save(submission, EX1, (KIT / "tests" / "hostile" / "loop_at_import.py").read_text(encoding="utf-8"))
        watch.expect(NO_MARKS)  # the total first, then the failing check
        watch.expect(r"import \[timeout\]")
        watch.expect(FOOTER)
        save(submission, EX1, hostile(FORK_BOMB, marker) + solution(EX1))
        watch.expect(r"import \[timeout\]")
        watch.expect(FOOTER)
        assert "the bomb went off" in watch.before, "the fork bomb did not run"
        assert survivors(marker) == [], "a forked process survived its check"
        save(submission, EX1, solution(EX1))
        watch.expect(FULL_MARKS)
        watch.expect(FOOTER)
        quit_cleanly(watch)
    finally:
        clean_up(marker)


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get(choice.ENV, "").strip().lower() == choice.PORTABLE or choice.linux_layers_missing() is not None,
    reason="on the portable runner the worker is the watch's own child, and student code can signal it (README)",
)
@pytest.mark.parametrize(
    "source",
    [
        pytest.param(KILL_PARENT, id="parent"),  # the zygote, which a child can neither see nor signal
        pytest.param(KILL_PARENTS_GROUP, id="parents-group"),  # the watch itself, were they in one group
    ],
)
def test_sigkill_sent_to_the_parent_costs_only_that_regrade(submission, source):
    watch = spawn(submission, "1")
    try:
        save(submission, EX1, source + solution(EX1))
        watch.expect("Grading exercise1")
        watch.expect(FOOTER)
        save(submission, EX1, solution(EX1))
        watch.expect(FULL_MARKS)
        watch.expect(FOOTER)
        quit_cleanly(watch)
    finally:
        with contextlib.suppress(OSError):
            watch.close(force=True)


# ---------------------------------------------------------------- in this process


def quiet_watch(submission: Path, exercise=EX1) -> Watch:
    return Watch(engine_settings(submission), exercise, fixed_seed=True, keys=False)


def engine_settings(submission: Path):
    from grader.settings import Settings

    return Settings(submission=submission, seed=7, timeout_scale=0.5)


def test_nothing_of_the_students_module_is_imported_by_the_watch(submission, capsys, monkeypatch):
    monkeypatch.delenv(history.ENV)
    save(submission, EX1, solution(EX1))
    watch = quiet_watch(submission)
    watch.grade()
    watch.handle(["save"])
    assert FULL_MARKS in capsys.readouterr().out
    inside = [name for name, module in list(sys.modules.items()) if str(getattr(module, "__file__", "") or "").startswith(str(submission))]
    assert inside == []
    assert EX1.stem not in sys.modules


def test_saves_in_a_row_make_one_regrade_and_n_moves_on(submission, capsys, monkeypatch):
    graded = []
    real = engine.grade
    monkeypatch.setattr(
        engine, "grade", lambda settings, exercises, cancel=None, progress=None: graded.append(exercises[0]) or real(settings, exercises)
    )
    watch = quiet_watch(submission)
    assert watch.handle(["save", "save", "save"]) is True
    assert graded == [EX1]
    watch.handle(["n", "h"])
    assert graded == [EX1, EX2]
    assert watch.exercise == EX2
    out = capsys.readouterr().out
    assert out.rstrip().endswith("Ctrl-C quits.")
    assert "Hints for the checks of exercise2 that do not pass yet:" in out
    assert watch.handle(["save", "q"]) is False, "q quits at once"
    assert graded == [EX1, EX2], "q quits at once"


def test_the_seed_stays_across_saves_until_s_draws_another(submission, monkeypatch):
    seeds = []

    def graded(settings, exercises, cancel=None, progress=None):
        seeds.append(settings.seed)
        raise engine.Cancelled()

    monkeypatch.setattr(engine, "grade", graded)
    watch = Watch(engine_settings(submission), EX1, fixed_seed=False, keys=False)
    watch.grade()
    for events in (["save"], ["save", "save"], ["r"], ["n"]):
        watch.handle(events)
    assert len(seeds) == 5
    assert len(set(seeds)) == 1, "saves, r and n keep the seed"
    watch.handle(["s"])
    watch.handle(["save"])
    assert seeds[5] != seeds[0], "s draws a new seed"
    assert seeds[6] == seeds[5], "the next saves keep it"


def test_a_check_that_failed_on_two_saves_in_a_row_shows_its_full_hint(submission, capsys):
    nudge, hint = "nudge: A scalar is a tensor with no dimensions", "hint: torch.tensor(value, dtype=torch.float32) makes"
    watch = quiet_watch(submission)
    watch.grade()  # the first report: no save yet
    watch.handle(["save"])
    out = capsys.readouterr().out
    assert nudge in out
    assert hint not in out
    watch.handle(["r"])  # a re-grade asked for is no save
    assert hint not in capsys.readouterr().out
    watch.handle(["save"])
    out = capsys.readouterr().out
    assert hint in out
    assert nudge not in out
    assert "nudge: A list of whole numbers" not in out, "every stub failed twice: every check shows its hint"
    save(submission, EX1, solution(EX1).replace("def make_scalar(", "def make_scalar_unused(", 1) + MAKE_SCALAR_WRONG)
    watch.handle(["save"])
    assert hint in capsys.readouterr().out, "a third failed save keeps the hint"
    watch.handle(["n"])
    assert watch.failed_saves == {}, "another exercise starts counting afresh"


MAKE_SCALAR_WRONG = """

def make_scalar(value):
    return torch.tensor([value])  # a vector of one, not a scalar: fails
"""


def test_a_save_cancels_the_grading_that_is_running(submission, monkeypatch):
    save(submission, EX1, solution(EX1) + "\n\ndef make_scalar(value):\n    while True:\n        pass\n")  # later definitions win
    watch = quiet_watch(submission)
    monkeypatch.setattr(watch, "show", lambda lines, clear=True: None)
    assert sandbox.run(targets.nothing).status == "ok"  # the forkserver is up: the time below is the cancel's alone
    began = time.monotonic()
    threading.Timer(1.0, watch.post, args=("save",)).start()
    watch.grade()  # make_scalar hangs for its 5 s; the save stops it
    assert time.monotonic() - began < 4.5
    assert watch.doc is None
    assert watch.events.get_nowait() == "save"


def test_a_module_that_does_not_import_or_is_missing_is_said_once():
    failed = {"name": "make_scalar", "score": 0.0, "max_score": 1.0, "status": "timeout", "message": "could not import", "hint": "h"}
    doc = {"exercises": [{**part(EX1, 0, 17, "error"), "checks": [failed, {**failed, "name": "make_vector"}]}]}
    (shown,) = compact(doc)["exercises"][0]["checks"]
    assert (shown["name"], shown["status"], shown["message"], shown["max_score"]) == ("import", "timeout", "could not import", 17)
    assert compact({"exercises": [{**part(EX1, 0, 17, "missing"), "checks": [failed]}]})["exercises"][0]["checks"] == []
    assert compact({"exercises": [{**part(EX1, 0, 17), "checks": [failed]}]})["exercises"][0]["checks"] == [failed]


def test_it_starts_on_the_first_exercise_without_full_marks(submission, monkeypatch):
    from grader.student.watch import start_on

    monkeypatch.delenv(history.ENV)
    assert start_on(submission) == EX1
    history.record(submission, {"seed": 1, "device": "cpu", "exercises": [part(EX1, 17, 17)]}, by="grade")
    assert start_on(submission) == EX2


def part(exercise, score: float, max_score: float, status: str = "graded") -> dict:
    return {"exercise": exercise.stem, "title": exercise.title, "score": score, "max_score": max_score, "status": status, "checks": []}


def test_grade_watch_rejects_an_unknown_exercise_and_a_missing_folder(tmp_path):
    from click.testing import CliRunner

    from grader import cli

    result = CliRunner().invoke(cli.main, ["watch", "nosuch", "--submission", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown exercise 'nosuch'" in result.stderr
    result = CliRunner().invoke(cli.main, ["watch", "1", "--submission", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_in_a_student_release_full_marks_are_those_of_the_public_checks(monkeypatch, tmp_path):
    from grader.settings import Settings
    from grader.student import progress

    first, second = registry.EXERCISES[:2]
    watching = Watch(Settings(submission=tmp_path, seed=1), first, fixed_seed=True, keys=False)
    assert watching.done_line({}, second) == f"{first.name} has full marks. Next: grade watch 2 ({second.title})."
    assert progress.bar({}).endswith(f"0 of {len(registry.EXERCISES)} exercises have full marks")
    monkeypatch.setattr(registry, "in_release", lambda: True)  # a kit with recorded answers
    said = f"{first.name} has full marks on its public checks. Next: grade watch 2 ({second.title})."
    assert watching.done_line({}, second) == said
    assert progress.bar({}).endswith(f"0 of {len(registry.EXERCISES)} exercises have full marks on their public checks")
