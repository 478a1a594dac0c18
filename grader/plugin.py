"""The pytest plugin that turns the checks in ``grader/checks`` into graded results.

Checks run here, in the trusted process, next to the reference solutions; the fixtures below
give them the student's module only through :mod:`grader.sandbox`.
"""

from __future__ import annotations

import importlib
import threading
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
from pytest_timeout import PYTEST_FAILURE_MESSAGE

from grader import blame, registry, sandbox

STATUSES = ("passed", "failed", "error", "timeout", "memory", "crashed", "skipped")
GRACE = 10.0  # the outer pytest-timeout guard waits this long past a check's own limit
TIMED_OUT = PYTEST_FAILURE_MESSAGE.split("%")[0]  # how pytest-timeout's failure begins (a canary watches it)


def check(points: float, hint: str):
    """Mark a test as a graded check worth ``points``, with the hint a student sees when it fails."""
    if not points > 0 or not hint.strip():
        raise ValueError("a check needs positive points and a hint")
    return pytest.mark.check(points=points, hint=hint)


class StudentFailure(Exception):
    """Student code did not give a value: it raised, hung, ran out of memory or crashed."""

    def __init__(self, status: str, message: str, output: str = "", line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.output, self.line = status, message, output, line  # line: where their code raised


@dataclass(frozen=True)
class Settings:
    submission: Path
    seed: int
    device: str = "cpu"
    timeout_scale: float = 1.0
    memory: int | None = sandbox.DEFAULT_MEMORY
    data_dir: Path | None = None
    threads: int | None = None
    require: tuple[str, ...] = ()  # isolation layers the sandbox must have, or no check runs (--require-isolation)
    defer_long: bool = False  # grade watch: a head-started check (MNIST training) runs only once its exercise's other checks pass


@dataclass
class Result:
    exercise: str
    name: str
    score: float
    max_score: float
    status: str
    message: str
    hint: str
    output: str = ""
    line: int | None = None  # of the student's file, where their code raised
    data: dict = field(default_factory=dict)  # what the check recorded with the ``data`` fixture
    internal: bool = field(default=False, repr=False)
    position: int = field(default=0, repr=False)  # in the check files, whatever order the checks ran in


def find_module(submission: Path, stem: str) -> Path | None:
    """A submission holds ``exercises/<stem>.py`` or ``<stem>.py``."""
    for candidate in (submission / "exercises" / f"{stem}.py", submission / f"{stem}.py"):
        if candidate.is_file():
            return candidate
    return None


def cuda_available(module) -> bool:
    """Asked in a child, so the trusted process never initialises CUDA."""
    import torch

    return torch.cuda.is_available()


def call(module, name: str, args: tuple = (), kwargs: dict | None = None):
    """The plainest probe: call one of the student's functions and return what it returns."""
    return getattr(module, name)(*args, **(kwargs or {}))


def call_each(module, name: str, arg_tuples: list):
    """Call one of the student's functions once per argument tuple, in one child: what each call returned."""
    from grader.wire import plain

    function = getattr(module, name)
    return [plain(function(*args)) for args in arg_tuples]  # each checked here, so a message names "the result", as call's does


class Student:
    """One exercise of the submission, reachable only through the sandbox."""

    def __init__(
        self,
        path: Path,
        settings: Settings,
        budget: float,
        cuda: bool = False,
        imports: dict | None = None,
        cancel: threading.Event | None = None,
    ):
        self.path, self.settings = path, settings
        self.budget = budget
        self.cancel = cancel  # the run's: setting it (from another thread) stops this student's children
        self.cuda = cuda  # the check trains on CUDA: its children watch memory use but cannot cap the address space
        self.imports = {} if imports is None else imports  # the run's: stem -> None (it imports) or the failure to import
        self.output = ""
        self._spent = 0.0
        self.head_start: HeadStart | None = None

    def run(self, probe, *args):
        """Run ``probe(student_module, *args)`` in a child and return its plain-data result."""
        early, self.head_start = self.head_start, None
        if early is not None and early.call == (probe, args):
            outcome = early.outcome()
        else:
            # While a head-started child trains, the short children of other checks yield the CPU to it.
            nice = HEAD_START_NICE if HeadStart.live else 0
            outcome = sandbox.run(
                probe, *args, module=self.path, limits=self.limits(self.budget - self._spent, nice), cancel=self.cancel, reads=self.reads()
            )
        self._spent += outcome.seconds
        self.output = outcome.output
        self._note_import(outcome)
        if outcome.status == "ok":
            return outcome.value
        raise failure(outcome, self.path)

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
        """``call`` once per argument tuple, all in one child (a child costs ~20 ms of CPU; a check may call several times)."""
        return self.run(call_each, name, list(arg_tuples))

    def reads(self) -> tuple[str, ...]:
        """What the child must read besides the student's file: MNIST, wherever it lives."""
        from grader.data import data_dir

        return (str(data_dir(self.settings.data_dir)),)

    def limits(self, left: float, nice: int = 0) -> sandbox.Limits:
        return sandbox.Limits(
            timeout=max(left, 0.5), memory=self.settings.memory, threads=self.settings.threads, address_space=not self.cuda, nice=nice
        )


HEAD_START_NICE = 5


class HeadStart:
    """A check's longest child, started when the run begins, so that it works on a spare core while
    the other checks run (MNIST training: ~10 s on one thread). The check collects its outcome."""

    live: ClassVar[set[HeadStart]] = set()  # those whose child is still at work, in this process

    def __init__(self, student: Student, probe, args: tuple):
        self.call = (probe, args)
        self._cancel = threading.Event()
        self._run_cancel = student.cancel  # a cancelled run stops this child too, though its check waits for it
        self._result: sandbox.Outcome | Exception | None = None  # an exception is the grader's own, raised in the check
        self._thread = threading.Thread(target=self._run, args=(student,), daemon=True)
        HeadStart.live.add(self)
        self._thread.start()

    def _run(self, student: Student) -> None:
        probe, args = self.call
        try:
            self._result = sandbox.run(
                probe, *args, module=student.path, limits=student.limits(student.budget), cancel=self._cancel, reads=student.reads()
            )
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


class ProbeError(RuntimeError):
    """The kit's own code in the child (a probe, or a canary of what it relies on) failed: the grader's bug, exit 3."""


def failure(outcome: sandbox.Outcome, path: Path) -> StudentFailure:
    """Turn a child's bad ending into the failure a student reads; a kit frame's failure is raised, as the grader's."""
    error = outcome.error
    if outcome.status in ("raised", "memory") and error.get("origin") == blame.KIT:
        raise ProbeError(f"{error.get('type', 'Exception')}: {error.get('message', '')}")
    if outcome.status == "raised":
        kind, message = error.get("type", "Exception"), error.get("message", "")
        if kind == "NotImplementedError":
            return StudentFailure("failed", f"not implemented yet{': ' + message if message else ''}", outcome.output)
        where = f" at line {error['line']} of {path.name}" if error.get("line") else ""
        text = f"your code raised {kind}{where}: {message}"
        if error.get("traceback"):
            text += "\n" + error["traceback"].rstrip()
        return StudentFailure("error", text, outcome.output, error.get("line"))
    status = "memory" if outcome.status == "memory" else outcome.status
    return StudentFailure(status, error.get("message", status), outcome.output)


def import_failure(outcome: sandbox.Outcome, path: Path) -> StudentFailure:
    found = failure(outcome, path)
    found.message = f"could not import {path.name}: {found.message}"
    found.status = "error" if found.status == "failed" else found.status
    return found


class Credit:
    """Partial credit: a check may award a fraction of its points before it fails."""

    def __init__(self):
        self.fraction = 0.0

    def award(self, fraction: float) -> None:
        self.fraction = min(max(float(fraction), 0.0), 1.0)


class Grading:
    """The plugin object of one grading run; it holds the run's settings and results."""

    def __init__(self, settings: Settings, cancel: threading.Event | None = None):
        self.options = settings
        self.cancel = cancel  # set from another thread: the running child stops and no further check starts
        self.results: list[Result] = []
        self.imports: dict[str, StudentFailure | None] = {}  # stem -> None if its module imports, else why not
        self.collect_errors: list[str] = []
        self.head_starts: dict[str, HeadStart] = {}

    # -- configuration
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "check(points, hint): a graded check and what it is worth")
        config.addinivalue_line("markers", "head_start(call): start call(settings, seed) -> (probe, args) when the run begins")
        for exercise in registry.EXERCISES:
            config.addinivalue_line("markers", f"{exercise.name}: the checks of {exercise.stem}")

    def pytest_collection_modifyitems(self, items):
        for position, item in enumerate(items):
            item.stash[_POSITION] = position
            exercise = registry.by_stem(item.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
            if exercise:
                item.add_marker(exercise.name)
            limit = item.get_closest_marker("timeout")
            budget = (limit.args[0] if limit and limit.args else sandbox.DEFAULT_TIMEOUT) * self.options.timeout_scale
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
            if marker and path is not None and not self.collect_errors and not self.options.defer_long:
                probe, args = marker.args[0](self.options, self._seed(item))
                student = Student(path, self.options, item.stash[_BUDGET], cuda=self._cuda(item), imports=self.imports, cancel=self.cancel)
                self.head_starts[item.nodeid] = HeadStart(student, probe, args)

    def pytest_sessionfinish(self):
        for head_start in self.head_starts.values():
            head_start.cancel()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.cancel is not None and self.cancel.is_set():
            item.session.shouldstop = "the grading was cancelled"
            pytest.skip("the grading was cancelled before this check ran")
        if self.options.defer_long and item.get_closest_marker("head_start") and not self._all_passed(_stem(item)):
            item.stash[_DEFERRED] = True
            pytest.skip(DEFERRED)

    def _all_passed(self, stem: str) -> bool:
        return all(r.status in ("passed", "skipped") and r.score == r.max_score for r in self.results if r.exercise == stem)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    # -- fixtures
    @pytest.fixture
    def student(self, request) -> Student:
        stem = _stem(request.node)
        path = find_module(self.options.submission, stem)
        if path is None:
            raise StudentFailure("failed", f"no {stem}.py in {self.options.submission} (looked for exercises/{stem}.py and {stem}.py)")
        if self.imports.get(stem) is not None:
            raise self.imports[stem]
        student = Student(
            path, self.options, request.node.stash[_BUDGET], cuda=self._cuda(request.node), imports=self.imports, cancel=self.cancel
        )
        student.head_start = self.head_starts.get(request.node.nodeid)
        return student

    def _cuda(self, item) -> bool:
        return self.options.device == "cuda" and "device" in item.fixturenames

    @pytest.fixture
    def reference(self, request):
        return importlib.import_module(f"solutions.{_stem(request.node)}")

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
        hint = marker.kwargs["hint"] if marker else ""
        result = Result(
            _stem(item), item.name.removeprefix("test_"), 0.0, points, "passed", "", hint, position=item.stash.get(_POSITION, 0)
        )
        recorded = item.funcargs.get("data") if hasattr(item, "funcargs") else None
        result.data = dict(recorded) if isinstance(recorded, dict) else {}
        if report.passed:
            result.score = points
            return result
        if report.skipped:  # a check that cannot run here (a CUDA check on a CPU run) is not graded: 0 of 0 points
            result.status, result.message = "skipped", str(call.excinfo.value) if call.excinfo else "skipped"
            result.max_score = points if item.stash.get(_DEFERRED, False) else 0.0  # a deferred check still counts: not run is not passed
            return result
        error = call.excinfo.value
        credit = item.funcargs.get("credit") if hasattr(item, "funcargs") else None
        result.score = points * credit.fraction if credit else 0.0
        student = item.funcargs.get("student") if hasattr(item, "funcargs") else None
        result.output = student.output if isinstance(student, Student) else ""
        if isinstance(error, StudentFailure):
            result.status, result.message, result.output = error.status, error.message, error.output or result.output
            result.line = error.line
        elif isinstance(error, AssertionError):
            result.status, result.message = "failed", str(error) or "the check failed"
        elif isinstance(error, pytest.fail.Exception) and str(error).startswith(TIMED_OUT):
            result.status, result.message = "timeout", f"the check ran past {item.stash[_BUDGET] + GRACE:g} s"
        else:
            result.status, result.internal = "error", True
            result.message = f"internal error in the grader's check: {type(error).__name__}: {error}"
        return result


_BUDGET = pytest.StashKey[float]()
_POSITION = pytest.StashKey[int]()
_DEFERRED = pytest.StashKey[bool]()
DEFERRED = "not run yet: this check trains a model for a while, so it runs once the exercise's other checks pass"


def check_seed(run_seed: int, test_name: str) -> int:
    """Each check draws its inputs from the run's seed and its own name, so a replay is exact."""
    return zlib.crc32(f"{run_seed}:{test_name}".encode())


def _stem(node) -> str:
    return node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")


def as_dict(result: Result) -> dict:
    """A check in the JSON document's shape; what the student's code printed joins the message."""
    data = asdict(result)
    if result.output and result.status != "passed":
        data["message"] += f"\n--- your code printed ---\n{result.output}"
    entry = {key: data[key] for key in ("name", "score", "max_score", "status", "message", "hint", "line")}
    if result.data:
        entry["data"] = data["data"]
    return entry
