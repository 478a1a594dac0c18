"""Do the plugin's hooks grade what pytest reports: points, statuses, order, marks, head starts and the outer guard?

Each test runs a whole pytest, in this process, on a small check file of its own (``pytester``),
with the grading plugin as ``grade`` installs it.
"""

from __future__ import annotations

import pytest

from grader.judge import engine
from grader.judge.plugin import Grading
from grader.settings import Settings
from grader.status import CheckStatus

pytest_plugins = ["pytester"]
ARGS = ("--disable-plugin-autoload", "-p", "no:cacheprovider", "--assert=plain")  # as grading runs pytest
CHECKS = """
import time
import pytest
from grader.checking import check
from grader.checking.compare import fail

@check(points=2, hint="add them")
def test_passes():
    assert 1 + 1 == 2

@check(points=3, hint="multiply them")
def test_fails(credit):
    credit.award(0.5)
    fail("2 * 2 gave 5")  # as every check says what went wrong

@check(points=1, hint="cannot run here")
def test_skipped():
    pytest.skip("no GPU here")

@check(points=1, hint="a grader bug")
def test_breaks():
    {}["missing"]

@check(points=1, hint="long", cuda=True)
@pytest.mark.head_start.with_args(lambda settings, seed: (None, ()))
def test_last(data, student):
    data["ran"] = True
"""


@pytest.fixture(autouse=True)
def torch_loaded():
    """torch is imported here, before a run: pytester unloads what a run imported, and torch cannot be loaded twice."""
    import torch

    return torch


def grade(pytester, source: str, reference=None, **settings) -> Grading:
    pytester.makepyfile(test_exercise1_tensors=source)
    (pytester.path / "exercise1_tensors.py").write_text("VALUE = 1\n")
    plugin = Grading(Settings(submission=pytester.path, seed=5, **settings), source=reference)
    pytester.runpytest_inprocess(*ARGS, "--timeout-method=signal", plugins=[plugin, *engine.PLUGINS])
    return plugin


def by_name(plugin: Grading) -> dict:
    return {result.name: result for result in plugin.results}


def test_each_check_gets_its_points_its_status_and_its_hint(pytester, monkeypatch):
    monkeypatch.setattr(Grading, "pytest_collection_finish", lambda self, session: None)  # no head start: no child here
    found = by_name(grade(pytester, CHECKS.replace("def test_last(data, student)", "def test_last(data)")))
    assert (found["passes"].status, found["passes"].score, found["passes"].max_score) == (CheckStatus.PASSED, 2.0, 2.0)
    assert (found["fails"].status, found["fails"].score, found["fails"].message) == (CheckStatus.FAILED, 1.5, "2 * 2 gave 5")
    assert found["fails"].hint == "multiply them"
    assert (found["skipped"].status, found["skipped"].max_score) == (CheckStatus.SKIPPED, 0.0)  # not graded here: 0 of 0
    assert found["breaks"].internal
    assert found["breaks"].message.startswith("internal error in the grader's check: KeyError")
    assert found["last"].data == {"ran": True}


def test_results_keep_the_files_order_though_a_head_started_check_runs_last(pytester, monkeypatch):
    ran = []
    monkeypatch.setattr(Grading, "pytest_collection_finish", lambda self, session: ran.extend(i.name for i in session.items))
    plugin = grade(pytester, CHECKS.replace("def test_last(data, student)", "def test_last(data)"))
    assert ran[-1] == "test_last"
    assert [r.name for r in plugin.results] == ["passes", "fails", "skipped", "breaks", "last"]


def test_the_marks_are_registered(pytester):
    pytester.makepyfile(test_exercise1_tensors="def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess(
        *ARGS, "--markers", plugins=[Grading(Settings(submission=pytester.path, seed=1)), *engine.PLUGINS]
    )
    marks = [
        "@pytest.mark.check(points, hint, cuda=False, hidden=False, nudge='')*",
        "@pytest.mark.head_start(call)*",
        "@pytest.mark.exercise1*",
    ]
    result.stdout.fnmatch_lines(marks)


HIDDEN = """
from grader.checking import check

@check(points=2, hint="public")
def test_public(reference):
    pass

@check(points=1, hint="the teacher's", hidden=True)
def test_teachers(reference):
    pass

@check(points=1, hint="asks the reference nothing")
def test_own():
    pass
"""


def test_a_hidden_check_is_graded_and_said_to_be_hidden_in_the_teachers_kit(pytester):
    found = by_name(grade(pytester, HIDDEN))
    graded = {name: (r.score, r.hidden) for name, r in found.items()}
    assert graded == {"public": (2.0, False), "teachers": (1.0, True), "own": (1.0, False)}


def test_a_recording_leaves_out_the_hidden_checks_and_those_that_ask_the_reference_nothing(pytester):
    from grader.judge import expected

    assert set(by_name(grade(pytester, HIDDEN, reference=expected.Recorder()))) == {"public"}


def test_only_a_check_marked_cuda_lifts_the_address_space_cap_on_a_cuda_run(pytester, monkeypatch):
    cuda = {}

    def look(self, session):
        cuda.update({(self.options.device, item.name): self._cuda(item) for item in session.items})

    monkeypatch.setattr(Grading, "pytest_collection_finish", look)
    for device in ("cuda", "cpu"):
        grade(pytester, CHECKS.replace("def test_last(data, student)", "def test_last(data)"), device=device)
    assert [key for key, lifted in cuda.items() if lifted] == [("cuda", "test_last")]


def test_a_check_past_its_outer_guard_is_a_timeout_told_by_its_type(pytester, monkeypatch):
    import grader.judge.plugin

    monkeypatch.setattr(grader.judge.plugin, "GRACE", 0.5)
    source = (
        "import time\nimport pytest\nfrom grader.checking import check\n\n\n@check(points=1, hint='quick')\n"
        "@pytest.mark.timeout(0.1)\ndef test_hangs():\n    time.sleep(30)\n"
    )
    found = by_name(grade(pytester, source, timeout_scale=1.0))
    assert (found["hangs"].status, found["hangs"].message) == (CheckStatus.TIMEOUT, "the check ran past 0.6 s")


def test_collect_gives_every_check_with_its_points_and_hint_without_running_any():
    found = {(c.stem, c.name): (c.points, c.hint) for c in engine.collect(engine.registry.EXERCISES[:1])}
    assert found[("exercise1_tensors", "make_scalar")][0] == 1
    assert all(points > 0 and hint.strip() for points, hint in found.values())


THREADS = """
import torch
from grader.checking import check

@check(points=1, hint="none")
def test_threads(data):
    data["threads"] = torch.get_num_threads()
"""


def test_a_check_computes_on_as_many_threads_as_its_probes_and_the_judge_gets_its_own_back(pytester, monkeypatch, torch_loaded):
    from grader.sandbox.limits import PROBE_THREADS

    monkeypatch.setattr(Grading, "pytest_collection_finish", lambda self, session: None)
    before = torch_loaded.get_num_threads()
    torch_loaded.set_num_threads(PROBE_THREADS + 1)
    try:
        found = by_name(grade(pytester, THREADS))
        assert found["threads"].data == {"threads": PROBE_THREADS}
        assert torch_loaded.get_num_threads() == PROBE_THREADS + 1
    finally:
        torch_loaded.set_num_threads(before)
