"""``grade watch``: re-grade the exercise a student works on each time its file is saved, in one process.

Torch, the checks and the sandbox's zygote stay loaded between gradings, so a re-grade costs only
its checks' children, not a fresh ``grade`` (which spends ~2 s importing torch). Student code still runs
only in fresh sandboxed children, one per check, exactly as in ``grade``: this process never imports
the student's module, so nothing of one save survives into the next.

Grading runs in the main thread (pytest-timeout's signal method needs it). Watchfiles' events, the
keys (when stdin is a terminal) and Ctrl-C come from other threads into one queue; a save, ``n``,
``r``, ``s``, ``t`` or ``q`` also cancels the grading that is running, a training check's child included.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import select
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import click
import watchfiles

from grader import registry, status
from grader.data import DataError
from grader.errors import UsageProblem
from grader.i18n import N_, _, ngettext, number
from grader.judge import engine, expected
from grader.registry import Exercise, find_module
from grader.sandbox.layers import notes as layer_notes
from grader.settings import Settings
from grader.status import ANSWERED, CheckStatus
from grader.student import history, progress, screen, ticker

KEYS = {"h": N_("hints"), "l": N_("list"), "n": N_("next"), "r": N_("re-grade"), "s": N_("new seed"), "t": N_("train now"),
        "q": N_("quit")}  # fmt: skip
CANCELLING = {"save", "n", "r", "s", "t", "q"}  # what makes the running grading worthless
FAILED_SAVES = 2  # a check that failed on this many saves in a row shows its full hint, not its nudge
ARROWS = {"\x1b[A": "up", "\x1b[B": "down", "\x1bOA": "up", "\x1bOB": "down"}  # ↑ and ↓, in both cursor-key modes
REDRAWING = {"up", "down", "resize"}  # what only draws the last report again, fitted anew
STEP_MS = 20  # watchfiles yields a save once the folder has been quiet this long (an editor's save takes a few ms)


class WatchError(UsageProblem):
    """The saves can no longer be watched (the folder is gone, the system's watches are used up): the message says which."""


class Watch:
    def __init__(self, settings: Settings, exercise: Exercise, fixed_seed: bool, keys: bool):
        self.settings, self.exercise, self.fixed_seed, self.keys = settings, exercise, fixed_seed, keys
        # SimpleQueue: Ctrl-C's handler puts into it from the main thread, maybe while that thread is inside get();
        # a Queue's lock is not reentrant, and the watch then hung for good (CI).
        self.events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.cancel = threading.Event()  # the running grading's; a fresh one for each
        self.stop = threading.Event()
        self.train = False  # the student pressed t since the last save: the long checks run whatever the others did
        # One seed until the student presses s: the numbers in the messages stay put from one save to the next.
        self.seed = settings.seed if fixed_seed else expected.run_seed(None)
        self.saved = False  # the grading running was asked for by a save
        self.failed_saves: dict[str, int] = {}  # check -> on how many saves in a row it has failed
        self.view: tuple[dict, list[str], list[str]] | None = None  # the last report: its document, head and notes
        self.offset = 0  # the first failing check on the screen (↓ and ↑ move it)
        self.doc: dict | None = None
        self.problem: str | None = None  # why the watch had to stop
        self.totals = progress.totals(engine.collect(registry.EXERCISES))
        self.long: dict[str, list[str]] = {}
        for stem, name in engine.long_checks(registry.EXERCISES):
            self.long.setdefault(stem, []).append(name)

    # -- the sources of events, each in a thread of its own
    def post(self, event: str) -> None:
        if event in CANCELLING:
            self.cancel.set()
        self.events.put(event)

    def watch_files(self) -> None:
        folders = [f for f in (self.settings.submission, self.settings.submission / "exercises") if f.is_dir()]
        try:
            for changes in watchfiles.watch(
                *folders, watch_filter=self._watched, step=STEP_MS, stop_event=self.stop, recursive=False, raise_interrupt=False
            ):
                if changes:
                    self.post("save")
        except Exception as exc:  # noqa: BLE001 - any failure of the watcher ends the watch with its reason, never silently
            self.problem = _("cannot watch {folder} for saves: {problem}").format(folder=self.settings.submission, problem=exc)
            self.post("q")

    def _watched(self, change, path: str) -> bool:
        return Path(path) in candidates(self.settings.submission, self.exercise)

    def read_keys(self, fd: int) -> None:
        while not self.stop.is_set():
            if not select.select([fd], [], [], 0.1)[0]:
                continue
            data = os.read(fd, 64)
            if not data:
                return  # the terminal is gone
            text = data.decode("utf-8", "ignore")
            for sequence, event in ARROWS.items():
                if sequence in text:
                    self.post(event)
                    text = text.replace(sequence, "")
            for char in text.lower():
                if char in KEYS:
                    self.post(char)

    # -- the main thread
    def run(self) -> None:
        """Grade, then re-grade on each save and answer the keys until the student quits."""
        # The terminal, kept apart from file descriptor 0, which pytest points at /dev/null while it grades.
        terminal = os.dup(sys.stdin.fileno()) if self.keys else None
        threads = [threading.Thread(target=self.watch_files, daemon=True)]
        if terminal is not None:
            threads.append(threading.Thread(target=self.read_keys, args=(terminal,), daemon=True))
        previous = signal.signal(signal.SIGINT, lambda *_: self.post("q"))
        # Windows has no SIGWINCH: the screen is redrawn at its size on the next event instead
        winch = getattr(signal, "SIGWINCH", None)
        resized = signal.signal(winch, lambda *_: self.post("resize")) if terminal is not None and winch is not None else None
        try:
            with cbreak(terminal):
                for thread in threads:
                    thread.start()
                self.grade()
                while self.handle(self.next_events()):
                    pass
        finally:
            self.stop.set()
            signal.signal(signal.SIGINT, previous)
            if resized is not None:
                signal.signal(winch, resized)
            for thread in threads:
                thread.join(2)
            if terminal is not None:
                os.close(terminal)
        if self.problem:
            raise WatchError(self.problem)

    def next_events(self) -> list[str]:
        """What arrived since the last look, at least one event: many saves in a row make one re-grade."""
        while True:
            with contextlib.suppress(queue.Empty):
                events = [self.events.get(timeout=0.5)]  # a timeout, so that Ctrl-C's handler gets its turn
                break
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self.events.get_nowait())
        return events

    def handle(self, events: list[str]) -> bool:
        """Act on ``events``; False once the student quits."""
        if "q" in events:
            return False
        regrade = False
        self.saved = "save" in events
        for event in events:
            if event == "n":
                self.exercise, self.doc, self.train = progress.following(self.standings(), self.exercise), None, False
                self.failed_saves = {}
            elif event == "save":
                self.train = False
            elif event == "t":
                self.train = True
            elif event == "s":
                self.seed = fresh_seed(self.seed)
            regrade = regrade or event in CANCELLING
        if regrade:
            self.grade()
        elif REDRAWING.intersection(events) and self.view is not None:
            self.offset += events.count("down") - events.count("up")
            self.draw()
        for event in events:
            if event == "h":
                self.show(screen.fitted(self.hint_lines(), self.size(), self.footer()))
            elif event == "l":
                columns = min(self.size().columns, progress.COLUMNS)
                listed = progress.course_lines(self.totals, self.standings(), columns, watching=self.exercise)
                self.show(screen.fitted(listed, self.size(), self.footer()))
        return True

    def grade(self) -> None:
        self.cancel = threading.Event()
        settings = dataclasses.replace(self.settings, seed=self.seed, defer_long=not self.train)
        self.show([self.grading_line(self.seed)], clear=False)
        began = time.monotonic()
        try:
            with ticker.on_terminal(sys.stdout) as training:  # a training check's epochs, on the row below, as it runs
                doc, internal = engine.grade(settings, [self.exercise], cancel=self.cancel, progress=training)
        except engine.Cancelled:
            return  # the event that cancelled it is in the queue: it says what comes next
        except (engine.GraderError, DataError) as exc:
            self.doc = None
            said = _("{exercise} could not be graded: {problem}").format(exercise=self.exercise.name, problem=exc)
            self.show(screen.fitted([said], self.size(), self.footer()))
            return
        notes = [history.record(self.settings.submission, doc, by="watch")]
        if internal:
            said = ngettext(
                "{count} check failed inside the grader itself; please report this.",
                "{count} checks failed inside the grader itself; please report this.",
                internal,
            )
            notes.append(said.format(count=internal))
        self.doc = doc
        if self.saved:
            self.count_failures(doc)
        self.view, self.offset = (doc, self.head_lines(time.monotonic() - began), [*self.note_lines(doc), *filter(None, notes)]), 0
        self.draw()

    def draw(self) -> None:
        """The last report, fitted to the terminal as it is now (after a resize, or ↓ and ↑, too)."""
        doc, head, notes = self.view
        doc = compact(doc)
        failing = sum(c["status"] not in ANSWERED for c in doc["exercises"][0]["checks"])
        self.offset = max(0, min(self.offset, failing - 1))
        self.show(screen.layout(doc, head, notes, self.footer(), self.size(), self.offset, self.full_hints()))

    def size(self) -> screen.Size:
        """The terminal's size, read at each drawing; without a terminal, nothing folds nor wraps (a log keeps whole lines)."""
        if not sys.stdout.isatty():
            return screen.Size(screen.UNBOUNDED)
        columns, rows = shutil.get_terminal_size()
        return screen.Size(columns, rows if self.keys else None)

    def count_failures(self, doc: dict) -> None:
        """After a save: how many saves in a row each check has failed on (a pass, or a skip, starts it again)."""
        for item in doc["exercises"][0]["checks"]:
            if item["status"] in ANSWERED:
                self.failed_saves.pop(item["name"], None)
            else:
                self.failed_saves[item["name"]] = self.failed_saves.get(item["name"], 0) + 1

    def full_hints(self) -> set[str]:
        """The checks whose report shows the full hint: those that failed on FAILED_SAVES saves in a row."""
        return {name for name, count in self.failed_saves.items() if count >= FAILED_SAVES}

    # -- what the screen shows
    def show(self, lines: list[str], clear: bool = True) -> None:
        if clear:
            click.clear()  # only on a terminal: elsewhere each report follows the last
        click.echo("\n".join(lines))

    def standings(self) -> dict[str, history.Standing]:
        return history.standings(self.settings.submission)

    def file(self) -> str:
        found = find_module(self.settings.submission, self.exercise.stem) or candidates(self.settings.submission, self.exercise)[0]
        return str(found.relative_to(self.settings.submission))

    def grading_line(self, seed: int) -> str:
        long, exercise = ", ".join(self.long.get(self.exercise.stem, [])), self.exercise.name
        if not long:
            return _("Grading {exercise} with seed {seed} ...").format(exercise=exercise, seed=seed)
        if self.train:
            said = _("Grading {exercise} with seed {seed}, {long} included as you asked (it trains a model for a while) ...")
        else:
            said = _("Grading {exercise} with seed {seed}; {long} runs only if the other checks pass ...")
        return said.format(exercise=exercise, seed=seed, long=long)

    def head_lines(self, took: float) -> list[str]:
        head = _("grade watch · {exercise} ({number} of {total}) · {file} · graded at {time} in {seconds} s").format(
            exercise=self.exercise.name, number=self.exercise.number, total=len(registry.EXERCISES), file=self.file(),
            time=time.strftime("%H:%M:%S"), seconds=number(took, 2),
        )  # fmt: skip
        return [head, _("seed {seed}: the same inputs on every save until you press s").format(seed=self.seed)]

    def note_lines(self, doc: dict) -> list[str]:
        """What the report says besides the checks: a weaker sandbox, the long checks, full marks, the course's bar."""
        part = doc["exercises"][0]
        lines = [*layer_notes(doc), *self.long_lines(part)]
        standings = self.standings()
        if history.score_of(part).full:
            following = progress.following(standings, self.exercise)
            lines.append("✓ " + self.done_line(standings, following))
        return [*lines, progress.bar(standings)]

    def long_lines(self, part: dict) -> list[str]:
        """Whether each long check ran, and why: the screen says which."""
        lines = []
        for name in self.long.get(self.exercise.stem, []):
            item = next((c for c in part["checks"] if c["name"] == name), None)
            if item is None:
                continue
            if item["status"] == CheckStatus.SKIPPED and item["max_score"] > 0:
                if self.keys:
                    said = _(
                        "{name} has not run: it trains a model for a while, so it runs once the other checks pass; press t to run it now."
                    )
                else:
                    said = _("{name} has not run: it trains a model for a while, so it runs once the other checks pass.")
            elif self.train:
                said = _("{name} ran because you pressed t.")
            else:
                said = _("{name} ran because the other checks pass.")
            lines.append(said.format(name=name))
        return lines

    def hint_lines(self) -> list[str]:
        if self.doc is None:
            return [_("{exercise} has no report yet: save {file} to grade it.").format(exercise=self.exercise.name, file=self.file())]
        part = compact(self.doc)["exercises"][0]
        if part["status"] == status.ExerciseStatus.MISSING:
            return [_("There is no {file} in the submission yet: create it and save, and its checks run.").format(file=self.file())]
        failing = [c for c in part["checks"] if c["status"] not in ANSWERED and c["hint"]]
        if not failing:
            said = _("Every check of {exercise} that has run passes: there is no hint to show.")
            return [said.format(exercise=self.exercise.name)]
        names: dict[str, list[str]] = {}  # hint -> the checks that give it (a parametrized check gives one hint for all)
        for check in failing:
            names.setdefault(check["hint"], []).append(check["name"])
        lines = [_("Hints for the checks of {exercise} that do not pass yet:").format(exercise=self.exercise.name)]
        lines += [f"  {', '.join(found)}: {hint}" for hint, found in names.items()]
        return lines

    def footer(self) -> list[str]:
        if not self.keys:
            return [_("Watching {file}: save it to grade it again; Ctrl-C quits.").format(file=self.file())]
        keys = {k: _(v) for k, v in KEYS.items() if k != "t" or self.exercise.stem in self.long}
        watching = _("Watching {file}: save it to grade it again.").format(file=self.file())
        return [watching, "  ".join(f"{k} {v}" for k, v in keys.items())]

    def done_line(self, standings, following) -> str:
        """What full marks mean: in a student release, full marks on the public checks, and the grade is still to come."""
        public = registry.in_release()
        if progress.first_to_do(standings) is None:
            said = (_("{exercise} has full marks on its public checks, and so has every exercise: the teacher's checks give the grade.")
                    if public else _("{exercise} has full marks, and so has every exercise: the course is done."))  # fmt: skip
        elif self.keys:
            said = (_("{exercise} has full marks on its public checks. Press n for {next} ({title}).")
                    if public else _("{exercise} has full marks. Press n for {next} ({title})."))  # fmt: skip
        else:
            said = (_("{exercise} has full marks on its public checks. Next: grade watch {number} ({title}).")
                    if public else _("{exercise} has full marks. Next: grade watch {number} ({title})."))  # fmt: skip
        return said.format(exercise=self.exercise.name, next=following.name, number=following.number, title=_(following.title))


def fresh_seed(old: int) -> int:
    """Another seed than ``old`` where there is one to draw (a release has only its public seeds)."""
    for _attempt in range(10):
        seed = expected.run_seed(None)
        if seed != old:
            return seed
    return seed


def candidates(submission: Path, exercise: Exercise) -> list[Path]:
    """The files ``grade`` would grade for ``exercise``, in the order it looks."""
    return registry.candidates(submission, exercise.stem)


def compact(doc: dict) -> dict:
    """``doc`` with an exercise that is missing or does not import said once, not once per check with the same message."""
    parts = []
    for part in doc["exercises"]:
        if part["status"] == status.ExerciseStatus.MISSING:
            part = {**part, "checks": []}  # the report's own line says that the file is missing
        elif part["status"] == status.ExerciseStatus.ERROR and part["checks"]:
            first = part["checks"][0]
            hint = _("Every check needs the file to import: fix what the message names, save, and the checks run again.")
            check = {
                **first,
                "name": "import",
                "max_score": part["max_score"],
                "hint": hint,
                "message": part.get("message", first["message"]),
            }
            part = {key: value for key, value in part.items() if key != "message"} | {"checks": [check]}  # said by its one check
        parts.append(part)
    return {**doc, "exercises": parts}


@contextlib.contextmanager
def cbreak(fd: int | None):
    """Keys arrive one by one, unechoed, while Ctrl-C still interrupts; the terminal is restored however the watch ends."""
    if fd is None:
        yield
        return
    import termios  # POSIX terminals only: a watch with keys (stdin a terminal) on Windows has none, and no fd here
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def start_on(submission: Path) -> Exercise:
    """The first exercise without full marks in the history, else the first."""
    return progress.first_to_do(history.standings(submission)) or registry.EXERCISES[0]
