"""The pytest plugin that turns the checks in ``grader/checks`` into graded results: its hooks and fixtures.

Checks run here, in the trusted process, next to the reference solutions; the fixtures below
give them the student's module only through :mod:`grader.sandbox` (see :mod:`grader.checking`),
and :mod:`grader.checking.results` turns each check's end into its entry of the document.
"""

from __future__ import annotations

import signal
import threading

import pytest

from grader import registry, source
from grader.checking import Credit, HeadStart, Student, budgets, check_seed, is_hidden
from grader.checking.results import CheckOverran, Result, StudentFailure, from_error, import_failed
from grader.i18n import N_, _
from grader.judge import expected
from grader.registry import find_module
from grader.sandbox.limits import PROBE_THREADS
from grader.settings import DEFAULT_TIMEOUT, Settings
from grader.status import ANSWERED, CheckStatus

GRACE = 10.0  # the outer pytest-timeout guard waits this long past a check's own limit


class Grading:
    """The plugin object of one grading run; it holds the run's settings and results."""

    def __init__(self, settings: Settings, cancel: threading.Event | None = None, source: expected.Source | None = None, progress=None):
        self.options = settings
        self.progress = progress  # called with a training child's progress as it runs (engine.grade)
        self.source = source or expected.source(settings.seed)  # the reference's answers: live, recorded or replayed
        self.cancel = cancel  # set from another thread: the running child stops and no further check starts
        self.results: list[Result] = []
        self.imports: dict[str, StudentFailure | None] = {}  # stem -> None if its module imports, else why not
        self.collect_errors: list[str] = []
        self.head_starts: dict[str, HeadStart] = {}

    # -- configuration
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "check(points, hint, cuda=False, hidden=False, nudge=''): a graded check and what it is worth")
        config.addinivalue_line("markers", "head_start(call): start call(settings, seed) -> (probe, args) when the run begins")
        for exercise in registry.EXERCISES:
            config.addinivalue_line("markers", f"{exercise.name}: the checks of {exercise.stem}")

    def _left_out(self, item) -> bool:
        """Recording a release, or grading in one, has no hidden checks; a recording, no check that never asks the reference."""
        return (self.source.public_only and is_hidden(item)) or (self.source.asking_only and "reference" not in item.fixturenames)

    def pytest_collection_modifyitems(self, config, items):
        left_out = [item for item in items if self._left_out(item)]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not self._left_out(item)]
        for position, item in enumerate(items):
            item.stash[_POSITION] = position
            exercise = registry.by_stem(item.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
            if exercise:
                item.add_marker(exercise.name)
            limit = item.get_closest_marker("timeout")
            budget = (limit.args[0] if limit and limit.args else DEFAULT_TIMEOUT) * self.options.timeout_scale
            item.stash[_BUDGET] = budget
            item.add_marker(pytest.mark.timeout(budget + GRACE), append=False)
        # A head-started check runs last, so that every other check runs while its child works;
        # results keep the order of the check files.
        items.sort(key=lambda item: item.get_closest_marker("head_start") is not None)

    def pytest_collection_finish(self, session):
        # A failed check's message is its exception's own text (see _result); pytest's report of it would
        # parse the source of every frame, ~50 ms a failure. Collection errors, reported above, keep theirs.
        session.config.option.tbstyle = "value"
        for item in session.items:
            marker = item.get_closest_marker("head_start")
            path = find_module(self.options.submission, _stem(item))
            if marker and path is not None and not self.collect_errors and not self.options.defer_long and self._readable(item, path):
                call = marker.args[0]
                probe, args = call(self.options, self._seed(item))
                student = Student(path, self.options, item.stash[_BUDGET], cuda=self._cuda(item), imports=self.imports, cancel=self.cancel,
                                  progress=self.progress)  # fmt: skip
                self.head_starts[item.nodeid] = HeadStart(student, probe, args, token=call)

    def pytest_sessionfinish(self):
        for head_start in self.head_starts.values():
            head_start.cancel()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.cancel is not None and self.cancel.is_set():
            item.session.shouldstop = "the grading was cancelled"
            pytest.skip(_("the grading was cancelled before this check ran"))
        if self.options.defer_long and item.get_closest_marker("head_start") and not self._all_passed(_stem(item)):
            item.stash[_DEFERRED] = True
            pytest.skip(_(DEFERRED))

    def _all_passed(self, stem: str) -> bool:
        return all(r.status in ANSWERED and r.score == r.max_score for r in self.results if r.exercise == stem)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        """A check computes what it expects (the reference's answers, the grader's own models) on as many threads as
        its probes run the student's code (PROBE_THREADS): the same work on other thread counts sums in another order."""
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(PROBE_THREADS)
        try:
            return (yield)
        finally:
            torch.set_num_threads(before)

    # -- fixtures
    @pytest.fixture
    def student(self, request) -> Student:
        stem = _stem(request.node)
        path = find_module(self.options.submission, stem)
        if path is None:
            shown = self.options.shown_as or self.options.submission
            said = _("no {stem}.py in {folder} (looked for exercises/{stem}.py and {stem}.py)")
            self.imports.setdefault(
                stem, StudentFailure(CheckStatus.FAILED, said.format(stem=stem, folder=shown))
            )  # said once, for the exercise
            raise self.imports[stem]
        if stem not in self.imports:
            self._read(stem, path)
        if self.imports.get(stem) is not None:
            raise self.imports[stem]
        student = Student(
            path, self.options, request.node.stash[_BUDGET], cuda=self._cuda(request.node), imports=self.imports, cancel=self.cancel,
            progress=self.progress,
        )  # fmt: skip
        student.head_start = self.head_starts.get(request.node.nodeid)
        return student

    def _read(self, stem: str, path) -> None:
        """A file the one reader refuses (:mod:`grader.source`: a link, not a regular file, too large, not Python
        source) fails every check of its exercise, as ``grade batch`` refuses it, and no child ever reads it; Python
        alone would import one whose only stray bytes are in a comment, or follow a link to the kit's solutions."""
        try:
            source.read_exercise(self.options.submission, path)
        except source.Unreadable as exc:
            self.imports[stem] = StudentFailure(CheckStatus.ERROR, str(exc))

    def _readable(self, item, path) -> bool:
        """Whether the file of ``item``'s exercise is read (a head start is only for one that is)."""
        if _stem(item) not in self.imports:
            self._read(_stem(item), path)
        return self.imports.get(_stem(item)) is None

    def _cuda(self, item) -> bool:
        marker = item.get_closest_marker("check")
        return self.options.device == "cuda" and bool(marker and marker.kwargs.get("cuda"))

    @pytest.fixture
    def reference(self, request) -> expected.Reference:
        """The reference's answers for this check (:mod:`grader.judge.expected`): plain data, live or recorded."""
        return self.source.reference(_stem(request.node), request.node.name)

    @pytest.fixture
    def seed(self, request) -> int:
        return self._seed(request.node)

    def _seed(self, item) -> int:
        return check_seed(self.options.seed, item.name)

    @pytest.fixture
    def rng(self, seed):
        import torch

        return torch.Generator().manual_seed(seed)

    @pytest.fixture
    def credit(self) -> Credit:
        return Credit()

    @pytest.fixture
    def data(self) -> dict:
        """Plain JSON values (numbers, strings, None, lists, dicts) a check adds to its entry of the document,
        as ``"data"``: what a picture is drawn from (exercise 6's training curves). Kept whether the check
        passes or fails; a check that records nothing has no ``"data"``, so its entry stays as it was."""
        return {}

    @pytest.fixture
    def settings(self) -> Settings:
        return self.options

    @pytest.fixture
    def device(self) -> str:
        """Where training checks run: ``cpu`` or ``cuda``, decided once per run (never probed here)."""
        return self.options.device

    @pytest.fixture
    def mnist_root(self) -> str:
        """The verified MNIST folder (``<root>/MNIST/raw``), as a string a child can use."""
        from grader.data import ensure_mnist

        return str(ensure_mnist(self.options.data_dir))

    # -- results
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.results.append(self._result(item, call, report))
            self.results.sort(key=lambda result: result.position)
        return report

    def _result(self, item, call, report) -> Result:
        marker = item.get_closest_marker("check")
        points = float(marker.kwargs["points"]) if marker else 0.0
        hint, nudge = (marker.kwargs["hint"], marker.kwargs.get("nudge", "")) if marker else ("", "")
        position = item.stash.get(_POSITION, 0)
        result = Result(
            _stem(item), item.name.removeprefix("test_"), 0.0, points, CheckStatus.PASSED, "", hint, position=position, nudge=nudge
        )
        result.hidden = is_hidden(item)
        funcargs = getattr(item, "funcargs", {})
        recorded = funcargs.get("data")
        result.data = dict(recorded) if isinstance(recorded, dict) else {}
        if report.passed:
            result.score = points
            return result
        if report.skipped:  # a check that cannot run here (a CUDA check on a CPU run) is not graded: 0 of 0 points
            result.status, result.message = CheckStatus.SKIPPED, str(call.excinfo.value) if call.excinfo else _("skipped")
            result.max_score = points if item.stash.get(_DEFERRED, False) else 0.0  # a deferred check still counts: not run is not passed
            return result
        credit, student = funcargs.get("credit"), funcargs.get("student")
        result.score = points * credit.fraction if credit else 0.0
        result.output = student.output if isinstance(student, Student) else ""
        result = from_error(result, call.excinfo.value, item.stash[_BUDGET] + GRACE)
        budgets.fit_result(result)  # a message and an output of any length are the student's to make
        failed = self.imports.get(result.exercise)
        if failed is None or call.excinfo.value is not failed:
            return result
        return import_failed(result, missing=find_module(self.options.submission, result.exercise) is None)

    # -- the outer guard
    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item, settings):
        """pytest-timeout's guard past a check's own limit, raising a type of the kit's own (:class:`CheckOverran`):
        pytest-timeout's handler would ask for the terminal reporter, which grading leaves out."""

        def overran(signum, frame):
            raise CheckOverran(settings.timeout)

        if not hasattr(signal, "SIGALRM"):  # Windows: pytest-timeout's own thread method guards the judge instead
            return None

        signal.signal(signal.SIGALRM, overran)
        signal.setitimer(signal.ITIMER_REAL, settings.timeout)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item):
        if not hasattr(signal, "SIGALRM"):
            return None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        return True


_BUDGET = pytest.StashKey[float]()
_POSITION = pytest.StashKey[int]()
_DEFERRED = pytest.StashKey[bool]()
DEFERRED = N_("not run yet: this check trains a model for a while, so it runs once the exercise's other checks pass")


def _stem(node) -> str:
    return node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
