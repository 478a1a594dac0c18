"""Grade one submission: run the checks of some exercises under the plugin and build the result document."""

from __future__ import annotations

import importlib
import os
import signal
import threading

import pytest
import pytest_timeout

from grader import registry, sandbox
from grader.checking import budgets
from grader.checking.results import as_dict, exercise_message
from grader.errors import InternalError
from grader.formats import document as result_document
from grader.i18n import _
from grader.judge import expected
from grader.judge.listing import Listed
from grader.judge.plugin import Grading
from grader.registry import find_module
from grader.settings import Settings
from grader.status import ANSWERED, ExerciseStatus

# Only the plugins grading needs: other installed plugins would change how checks run, and loading
# every entry point (and pytest's own terminal, cache and unraisable-exception hooks) costs a beginner's wait.
# pytest-timeout is passed as a module (PLUGINS), not as "-p pytest_timeout": that would have pluggy read the
# entry points of every installed distribution on each run (~10 ms here, up to 100 ms under load; grade watch runs often).
PLUGINS = (pytest_timeout,)
PYTEST_ARGS = (
    "-c",
    os.devnull,
    "--rootdir",
    str(registry.CHECKS_DIR),
    "--disable-plugin-autoload",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:terminal",
    "-p",
    "no:unraisableexception",
    "-p",
    "no:logging",
)


class GraderError(InternalError):
    """The grader itself failed (a broken check file, say): exit code 3, never the student's fault."""


class Cancelled(Exception):
    """The caller set ``cancel`` while the grading ran: its result would be half a grading, so there is none."""


def warm_up(exercises, huge_pages: bool = False, fork: bool = False, hide=()) -> None:
    """Start the sandbox's zygote with the checks preloaded, before the caller imports torch itself.
    For long runs: ``huge_pages`` makes each child cheaper for ~1 s once (:mod:`grader.sandbox.hugepages`), and
    ``fork`` forks the zygote from the caller, once it has imported all that (see :func:`sandbox.start`).
    ``hide``: folders no child may read (a batch's submissions and --out)."""
    sandbox.start(preload=("grader.judge.plugin", *(e.check_module for e in exercises)), fork=fork, hide=hide, huge_pages=huge_pages)


def grade(settings: Settings, exercises, cancel: threading.Event | None = None, source: expected.Source | None = None,
          progress=None) -> tuple[dict, int]:  # fmt: skip
    """Grade ``exercises`` of ``settings.submission``: the document ``grade --format json`` prints,
    and how many checks broke inside the grader itself. Setting ``cancel`` from another thread
    stops the running child and the checks after it, and raises :class:`Cancelled` here.
    ``source``: where the reference's answers come from (:mod:`grader.judge.expected`; by default this kit's own).
    ``progress``: called with the latest :class:`grader.sandbox.progress.Progress` of a training check as it runs,
    a few times a second at most, from the thread that runs its child (another than this one for a head start)."""
    exercises = list(exercises)
    warm_up(exercises)
    for exercise in exercises:  # torch and the checks, here, while the zygote imports them too: not one after the other
        importlib.import_module(exercise.check_module)
    isolation = sandbox.isolation()
    isolation.require(settings.require)  # an IsolationError here: before any student code runs
    if any(e.needs_mnist for e in exercises):
        from grader.checking.mnist_tensors import goal
        from grader.data import ensure_mnist

        ensure_mnist(settings.data_dir)  # a missing or corrupt file stops here with a DataError, before any check
        goal()  # and so does a bad GRADER_MNIST_EPOCHS or GRADER_MNIST_THRESHOLD
    plugin = Grading(settings, cancel, source, progress)
    args = [str(e.check_file) for e in exercises] + [
        *PYTEST_ARGS,
        # Windows has no SIGALRM: there a hang in this process ends it (pytest-timeout's thread method), a kit fault
        "--timeout-method=" + ("signal" if hasattr(signal, "SIGALRM") else "thread"),
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    code = pytest.main(args, plugins=[plugin, *PLUGINS])
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"the grading of {', '.join(e.name for e in exercises)} was cancelled")
    if plugin.collect_errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        detail = plugin.collect_errors[0] if plugin.collect_errors else f"pytest exit code {int(code)}"
        raise GraderError(f"the checks could not run: {detail}")
    return document(settings, exercises, plugin, isolation), sum(r.internal for r in plugin.results)


class _Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, items):
        self.items.extend(items)


def _collected(exercises) -> list[pytest.Item]:
    collector = _Collector()
    pytest.main([str(e.check_file) for e in exercises] + ["--collect-only", *PYTEST_ARGS], plugins=[collector, *PLUGINS])
    return collector.items


def _name(item: pytest.Item) -> tuple[str, str]:
    return item.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"), item.name.removeprefix("test_")


def collect(exercises) -> list[Listed]:
    """Every check of ``exercises``, without running any."""
    found = []
    for item in _collected(exercises):
        marker = item.get_closest_marker("check")
        kwargs = marker.kwargs if marker else {}
        found.append(Listed.marked(*_name(item), kwargs))
    return found


def long_checks(exercises) -> list[tuple[str, str]]:
    """The (stem, name) of every check of ``exercises`` that is started as the run begins (``head_start``: MNIST training)."""
    return [_name(item) for item in _collected(exercises) if item.get_closest_marker("head_start")]


def max_points(exercise) -> float:
    return sum(listed.points for listed in collect([exercise]))


def document(settings: Settings, exercises, plugin: Grading, isolation: sandbox.Isolation) -> dict:
    parts = []
    for exercise in exercises:
        failed, message = plugin.imports.get(exercise.stem), None
        if find_module(settings.submission, exercise.stem) is None:
            status, message = ExerciseStatus.MISSING, exercise_message(failed) if failed is not None else None
        elif failed is not None:
            status, message = ExerciseStatus.ERROR, exercise_message(failed)
        else:
            status = ExerciseStatus.GRADED
        checks = [as_dict(r) for r in plugin.results if r.exercise == exercise.stem]
        parts.append(result_document.part(exercise.stem, _(exercise.title), status, checks, message))
    doc = result_document.build(settings.shown_as or str(settings.submission), settings.seed, settings.device, parts, isolation.document())
    if isinstance(plugin.source, expected.Replay):
        doc["release"] = plugin.source.release.summary(e.stem for e in exercises)
    return budgets.fit(doc)


def passed(doc: dict) -> bool:
    return all(c["status"] in ANSWERED for e in doc["exercises"] for c in e["checks"]) and all(
        e["status"] == ExerciseStatus.GRADED for e in doc["exercises"]
    )
