"""What a check file uses: ``@check``, the ``student`` it grades (reachable only through the sandbox), and ``Credit``.

A check is a pytest test marked with :func:`check`; the plugin (:mod:`grader.judge.plugin`) gives it its
fixtures. Functions that run in the child, next to the student's code, are probes: module-level
functions, so that a child imports them by name.

Layer: what the check files (:mod:`grader.checks`) import, and the only thing they import of the kit
besides the base modules, the sandbox and the formats; the judge is above it.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path
from typing import ClassVar

import pytest

from grader import registry, sandbox
from grader.checking.results import ProbeError, StudentFailure, failure, import_failure
from grader.i18n import _
from grader.sandbox import blame
from grader.settings import Settings
from grader.status import CheckStatus, RunStatus

HEAD_START_NICE = 5  # while a head-started child trains, the short children of other checks yield the CPU to it


def check(points: float, hint: str, cuda: bool = False, hidden: bool = False, nudge: str = ""):
    """Mark a test as a graded check worth ``points``, with the hint a student sees when it fails.

    ``nudge``: what a report shows first: what to look at, in words, with the tutorial's section, and no code of the
    solution; the full ``hint`` comes on request (``grade N --hints``, ``h`` in the watch) or after two failed saves.
    A check without one shows its hint at once, as before nudges existed.
    ``cuda``: on a CUDA run, the check's children train on the GPU, whose driver maps far more memory
    than it uses, so their address space is not capped (their resident memory still is).
    ``hidden``: a teacher's check, left out of the student release (``grade release``): other shapes, edge
    cases, other hyperparameters, where answers hard-coded for the public checks would pass those alone.
    """
    if not points > 0 or not hint.strip():
        raise ValueError(_("a check needs positive points and a hint"))
    return pytest.mark.check(points=points, hint=hint, nudge=nudge, cuda=cuda, hidden=hidden)


def is_hidden(item) -> bool:
    """Whether a collected check is a teacher's hidden one (``@check(..., hidden=True)``)."""
    marker = item.get_closest_marker("check")
    return bool(marker and marker.kwargs.get("hidden"))


def check_seed(run_seed: int, test_name: str) -> int:
    """Each check draws its inputs from the run's seed and its own name, so a replay is exact."""
    return zlib.crc32(f"{run_seed}:{test_name}".encode())


class Credit:
    """Partial credit: a check may award a fraction of its points before it fails."""

    def __init__(self):
        self.fraction = 0.0

    def award(self, fraction: float) -> None:
        self.fraction = min(max(float(fraction), 0.0), 1.0)


# ------------------------------------------------------------------ probes every check may use


def cuda_available(module) -> bool:
    """Asked in a child, so the trusted process never initialises CUDA."""
    import torch

    return torch.cuda.is_available()


def call(module, name: str, args: tuple = (), kwargs: dict | None = None):
    """The plainest probe: call one of the student's functions and return what it returns."""
    return getattr(module, name)(*args, **(kwargs or {}))


def call_each(module, name: str, arg_tuples: list):
    """Call one of the student's functions once per argument tuple, in one child: what each call returned."""
    from grader.sandbox.wire import plain

    function = getattr(module, name)
    return [plain(function(*args)) for args in arg_tuples]  # each checked here, so a message names "the result", as call's does


# ------------------------------------------------------------------ the student


class Student:
    """One exercise of the submission, reachable only through the sandbox."""

    def __init__(self, path: Path, settings: Settings, budget: float, cuda: bool = False, imports: dict | None = None,
                 cancel: threading.Event | None = None, progress=None):  # fmt: skip
        self.path, self.settings = path, settings
        self.progress = progress  # the run's: called with a training child's progress as it runs (sandbox.run)
        self.budget = budget
        self.cancel = cancel  # the run's: setting it (from another thread) stops this student's children
        self.cuda = cuda  # the check trains on CUDA: its children watch memory use but cannot cap the address space
        self.imports = {} if imports is None else imports  # the run's: stem -> None (it imports) or the failure to import
        self.output = ""
        self._spent = 0.0
        self.head_start: HeadStart | None = None

    def run(self, probe, *args):
        """RunStatus ``probe(student_module, *args)`` in a child and return its plain-data result."""
        nice = HEAD_START_NICE if HeadStart.live else 0
        limits = self.limits(self.budget - self._spent, nice)
        outcome = sandbox.run(probe, *args, module=self.path, limits=limits, cancel=self.cancel, reads=self.reads(), progress=self.progress)
        return self._settle(outcome, probe, args)

    def run_head_start(self, call, seed: int):
        """RunStatus the child ``call(settings, seed) -> (probe, args)`` names: the one started as the run began, if the run
        started it (``@pytest.mark.head_start.with_args(call)``), else one now."""
        early, self.head_start = self.head_start, None
        if early is not None and early.token is call:
            return self._settle(early.outcome(), early.probe, early.args)
        probe, args = call(self.settings, seed)
        return self.run(probe, *args)

    def _settle(self, outcome: sandbox.Outcome, probe, args: tuple):
        self._spent += outcome.seconds
        self.output = outcome.output
        try:
            self._note_import(outcome)
            if outcome.status == RunStatus.OK:
                return outcome.value
            raise failure(outcome, self.path)
        except ProbeError as fault:
            raise self._kit_fault(fault, outcome, probe, args) from None

    def _kit_fault(self, fault: ProbeError, outcome: sandbox.Outcome, probe, args: tuple) -> Exception:
        """A child says the kit's own code failed, which the student's code beside it could have written itself: it is
        the grader's fault (exit 3) only where the same probe fails so on the reference too, else the student's.

        A release has no reference; there the child's word stands, since only the student's own run believes it."""
        reference = registry.REFERENCE_DIR / self.path.name
        if not reference.is_file():
            return fault
        again = sandbox.run(probe, *args, module=reference, limits=self.limits(self.budget), cancel=self.cancel, reads=self.reads())
        if again.status in (RunStatus.RAISED, RunStatus.MEMORY) and again.error.get("origin") == blame.KIT:
            return fault
        said = _("the check's own code failed on what your code did, though not on the reference solution's: {problem}")
        return StudentFailure(CheckStatus.ERROR, said.format(problem=fault), outcome.output)

    def _note_import(self, outcome: sandbox.Outcome) -> None:
        """The first child to end tells whether the module imports. If it does not, this check and every
        later one of the exercise fail with why, and no more children are started for them."""
        stem = self.path.stem
        if stem not in self.imports and outcome.imported is not None:
            self.imports[stem] = None if outcome.imported else import_failure(outcome, self.path)
        if self.imports.get(stem) is not None:
            raise self.imports[stem]

    def call(self, name: str, *args, **kwargs):
        return self.run(call, name, args, kwargs)

    def call_each(self, name: str, *arg_tuples: tuple) -> list:
        """``call`` once per argument tuple, all in one child (a child costs ~10 ms of CPU; a check may call several times)."""
        return self.run(call_each, name, list(arg_tuples))

    def reads(self) -> tuple[str, ...]:
        """What the child must read besides the student's file: MNIST, wherever it lives."""
        from grader.data import data_dir

        return (str(data_dir(self.settings.data_dir)),)

    def limits(self, left: float, nice: int = 0) -> sandbox.Limits:
        return sandbox.Limits(
            timeout=max(left, 0.5), memory=self.settings.memory, threads=self.settings.threads, address_space=not self.cuda, nice=nice
        )


class HeadStart:
    """A check's longest child, started when the run begins, so that it works on a spare core while the other
    checks run (MNIST training: ~10 s on one thread). Its check collects the outcome by its ``token``: the call
    that named the child in the check's ``head_start`` marker."""

    live: ClassVar[set[HeadStart]] = set()  # those whose child is still at work, in this process

    def __init__(self, student: Student, probe, args: tuple, token=None):
        self.token = token
        self.probe, self.args = probe, args  # to run again on the reference, should the child blame the kit
        self._cancel = threading.Event()
        self._run_cancel = student.cancel  # a cancelled run stops this child too, though its check waits for it
        self._result: sandbox.Outcome | Exception | None = None  # an exception is the grader's own, raised in the check
        self._thread = threading.Thread(target=self._run, args=(student, probe, args), daemon=True)
        HeadStart.live.add(self)
        self._thread.start()

    def _run(self, student: Student, probe, args: tuple) -> None:
        try:
            self._result = sandbox.run(
                probe, *args, module=student.path, limits=student.limits(student.budget), cancel=self._cancel, reads=student.reads(),
                progress=student.progress,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a grader bug: the check reports it as an internal error
            self._result = exc
        finally:
            HeadStart.live.discard(self)

    def outcome(self) -> sandbox.Outcome:
        while self._thread.is_alive():
            self._thread.join(0.05)
            if self._run_cancel is not None and self._run_cancel.is_set():
                self._cancel.set()
        if isinstance(self._result, Exception):
            raise self._result
        return self._result

    def cancel(self) -> None:
        """Stop the child if its check never collected it (the run was cut short, or the check did not run)."""
        self._cancel.set()
        self._thread.join()
