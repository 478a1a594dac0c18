"""Does the portable runner (no fork, no Linux layers) grade as the Linux sandbox does, and keep what it promises?

Here, on Linux, it runs beside the Linux sandbox: a worker spawned with ``python -I`` that runs the tasks one after
another. Its guarantees are fewer (no namespaces, no Landlock, no cap on processes), and these tests hold it to the
ones it gives: a timeout, a crash, a flood and a memory hog each cost only their own task, and the worker that ran
them is replaced. A test venv whose ``sitecustomize`` removes ``os.fork`` and its kin in every process proves that
nothing of the kit needs them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import psutil
import pytest

from grader import i18n, registry, sandbox
from grader.errors import UsageProblem
from grader.sandbox import choice, layers
from grader.sandbox.portable import PortableSandbox
from grader.sandbox.progress import Progress
from grader.status import RunStatus
from tests import mistakes
from tests import sandbox_targets as targets
from tests.cli_support import grade_cli
from tests.helpers import EX1_POINTS, KIT, TRAINS, clean_up, grade, new_marker, solution_with, survivors
from tests.sandbox import pipe_targets

EVERY_CHECK = ("grader.judge.plugin", *(e.check_module for e in registry.EXERCISES))
PORTABLE = {choice.ENV: choice.PORTABLE}


@pytest.fixture(scope="module")
def bare():
    """A portable runner that preloads only what a child needs: the hostile tests replace its worker often."""
    box = PortableSandbox(why="tests").start()
    yield box
    box.close()


@pytest.fixture(scope="module")
def portable():
    box = PortableSandbox(EVERY_CHECK, why="tests").start()
    yield box
    box.close()


@pytest.fixture
def graded_portably(portable, monkeypatch):
    """This process grades through the portable runner, as ``GRADER_SANDBOX=portable`` makes ``grade`` do."""
    monkeypatch.setattr(sandbox, "_current", portable)
    return portable


# ---------------------------------------------------------------- the choice


@pytest.mark.parametrize(
    ("asked", "platform", "drop", "expected"),
    [
        ("", "linux", None, choice.LINUX),
        ("portable", "linux", None, choice.PORTABLE),
        (" Portable ", "linux", None, choice.PORTABLE),
        ("", "darwin", None, choice.PORTABLE),
        ("", "win32", None, choice.PORTABLE),
        ("", "linux", "fork", choice.PORTABLE),
        ("", "linux", "pidfd_open", choice.PORTABLE),
        ("linux", "darwin", None, choice.LINUX),
    ],
)
def test_which_runner_is_chosen(monkeypatch, asked, platform, drop, expected):
    monkeypatch.setenv(choice.ENV, asked)
    monkeypatch.setattr(sys, "platform", platform)
    if drop:
        monkeypatch.delattr(os, drop)
    runner, why = choice.chosen()
    assert runner == expected
    assert (why is None) == (expected == choice.LINUX)


def test_a_bad_grader_sandbox_is_a_usage_problem(monkeypatch):
    monkeypatch.setenv(choice.ENV, "bsd-jail")
    with pytest.raises(UsageProblem, match="names no sandbox"):
        choice.chosen()


def test_a_bad_grader_sandbox_is_one_line_and_exit_2():
    done = grade_cli("1", "--submission", "solutions", env={choice.ENV: "bsd-jail"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "grade: GRADER_SANDBOX='bsd-jail' names no sandbox; set it to linux or portable, or unset it"
    ]


@pytest.mark.slow  # a grade that imports torch to refuse
def test_require_isolation_refuses_the_portable_runner_with_one_line_before_any_check():
    done = grade_cli("1", "--submission", "solutions", "--format", "json", "--require-isolation", "namespaces", env=PORTABLE)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("grade: the sandbox here lacks namespaces (portable runner: asked for with GRADER_SANDBOX=portable)")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "sandbox: portable runner, so this is local feedback; the official grade runs on Linux with every layer of the sandbox"),
        (
            "ru",
            "песочница: переносимый запуск, поэтому это отзыв только для вас; "
            "официальную оценку выставляют на Linux, со всеми слоями песочницы",
        ),
    ],
)
def test_the_report_says_in_one_line_that_this_is_local_feedback(language, said):
    doc = PortableSandbox(why="tests").isolation().document()  # started by nothing: its isolation is known without a worker
    assert doc["isolation"] == ["process"]
    assert set(doc["isolation_missing"]) == {layers.NAMESPACES, layers.LANDLOCK, layers.RLIMITS}
    assert all(why.startswith("portable runner: ") for why in doc["isolation_missing"].values())
    before = i18n.current()
    i18n.use(language)
    try:
        assert layers.notes(doc) == [said]
    finally:
        i18n.use(before)


# ---------------------------------------------------------------- what it still guarantees


def test_answers_cross_the_same_wire_and_a_run_after_a_timeout_is_unaffected(bare):
    assert bare.run(targets.echo, [1, 2]).value == [1, 2]
    speaking = bare.run(targets.speak, "to stdout", "to stderr")
    assert (speaking.value, speaking.stdout, speaking.stderr) == ("spoke", "to stdout\n", "to stderr\n")
    raised = bare.run(targets.raises, "no")
    assert (raised.status, raised.error["type"], raised.error["message"]) == ("raised", "ValueError", "no")
    assert bare.run(targets.not_plain).status == "raised"
    assert bare.run(targets.spin, limits=sandbox.Limits(timeout=0.5)).status == "timeout"
    assert bare.run(targets.echo, 3).value == 3


@pytest.mark.slow  # each replaces the worker: a fresh import of torch
@pytest.mark.parametrize(
    ("target", "args", "status", "said"),
    [
        (targets.kill_self, (signal.SIGSEGV,), "crashed", "killed by SIGSEGV"),
        (targets.kill_self, (signal.SIGABRT,), "crashed", "killed by SIGABRT"),
        (targets.hard_exit, (3,), "crashed", "exited with code 3"),
        (targets.hoard, (), "memory", "used more than 256 MiB of memory"),
    ],
    ids=["segfault", "abort", "os._exit", "memory hog"],
)
def test_a_crash_or_a_memory_hog_costs_only_its_task_and_the_next_gets_a_fresh_worker(bare, target, args, status, said):
    first = bare.run(target, *args, limits=sandbox.Limits(timeout=30, memory=256 << 20))
    assert first.status == status
    assert said in first.error["message"]
    assert bare.run(targets.echo, "next").value == "next"


def test_a_flood_of_output_is_cut_to_the_cap_with_a_note(bare):
    flooded = bare.run(targets.flood, 8)
    assert flooded.value == "flooded"
    for text in (flooded.stdout, flooded.stderr):
        kept, note = text.rsplit("\n", 1)
        assert len(kept.encode()) <= sandbox.Limits().output
        assert note.startswith("[... ")
        assert note.endswith(" more bytes of output cut]")
    assert bare.run(targets.echo, 1).stdout == "", "none of the flood reaches the next task"


@pytest.mark.slow  # replaces the worker
def test_a_worker_killed_from_outside_is_replaced_and_the_next_task_graded(bare):
    assert bare.run(targets.echo, 1).value == 1
    for worker in list(bare._idle):
        worker.process.kill()
        worker.process.wait()
    assert bare.run(targets.echo, 2).value == 2


@pytest.mark.slow  # replaces the worker
@pytest.mark.parametrize("then_hang", [False, True], ids=["returns", "times out"])
def test_no_process_a_task_started_outlives_it(bare, then_hang):
    marker = new_marker()
    try:
        outcome = bare.run(targets.spawn_sleepers, marker, 4, then_hang, limits=sandbox.Limits(timeout=3))
        assert outcome.status == ("timeout" if then_hang else "ok")
        assert survivors(marker) == []
    finally:
        clean_up(marker)


@pytest.mark.slow  # replaces the worker
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here: a fork bomb cannot go off")
def test_a_fork_bomb_is_killed_with_its_task(bare):
    """No cap on processes here (RLIMIT_NPROC counts all of a user's): the bomb is bounded by its timeout, then every
    process below the worker or in its session is killed."""
    marker = new_marker()
    try:
        assert bare.run(targets.fork_bomb, marker, limits=sandbox.Limits(timeout=3)).status == "timeout"
        assert survivors(marker) == []
    finally:
        clean_up(marker)


@pytest.mark.slow  # replaces the worker
def test_a_task_that_changes_torchs_state_retires_its_worker(bare):
    assert bare.run(targets.default_dtype, "float64").value == "torch.float32"
    assert bare.run(targets.default_dtype, None).value == "torch.float32"


def test_a_students_modules_are_fresh_in_each_task(bare, tmp_path):
    """The worker serves again, but a save of the student's helper module is what the next task imports."""
    (tmp_path / "helper.py").write_text("ANSWER = 1\n")
    module = tmp_path / "exercise1_tensors.py"
    module.write_text("from helper import ANSWER\n\n\ndef answer():\n    return ANSWER\n")
    assert bare.run(targets.student_function, "answer", module=module).value == 1
    (tmp_path / "helper.py").write_text("ANSWER = 22\n")
    assert bare.run(targets.student_function, "answer", module=module).value == 22
    module.write_text("import sys, types\n\nsys.modules['made'] = types.SimpleNamespace(ANSWER=3)\n\n\ndef answer():\n    return 3\n")
    assert bare.run(targets.student_function, "answer", module=module).value == 3
    module.write_text("def answer():\n    import made\n\n    return made.ANSWER\n")
    assert bare.run(targets.student_function, "answer", module=module).status == "raised", "a module made in code stays in its task"


JUDGE = """
import sys
from grader.sandbox import Limits
from grader.sandbox.portable import PortableSandbox
from tests import sandbox_targets as targets

box = PortableSandbox(why="tests").start()
print(box._idle[0].process.pid, flush=True)
box.run(targets.announce_then_hang, sys.argv[1], limits=Limits(timeout=600))
"""


@pytest.mark.slow  # a judge of its own, killed mid-task
def test_a_worker_whose_judge_died_mid_task_ends_too(tmp_path):
    """The zygote dies with its grader (PR_SET_PDEATHSIG); a worker left running a task that hangs must end as well."""
    running = tmp_path / "running"
    env = {**os.environ, "PYTHONPATH": str(KIT)}
    judge = subprocess.Popen([sys.executable, "-c", JUDGE, str(running)], cwd=KIT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        worker = psutil.Process(int(judge.stdout.readline()))
        deadline = time.monotonic() + 300
        while not running.exists():  # the worker writes it once the task has started
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.1)
    finally:
        judge.kill()
        judge.wait()
    try:
        worker.wait(timeout=30)
    except psutil.TimeoutExpired:
        worker.kill()  # an orphan this test made: not left running on a shared machine
        raise


# ---------------------------------------------------------------- grading: the same scores as the Linux sandbox


def scores(doc: dict) -> dict[str, float]:
    return {f"{e['exercise']}::{c['name']}": c["score"] for e in doc["exercises"] for c in e["checks"]}


def mistaken(folder: Path) -> Path:
    """One realistic mistake in every exercise but the one that trains (its mistakes retrain MNIST)."""
    folder.mkdir()
    for exercise in registry.EXERCISES:
        if exercise.stem != TRAINS:
            (folder / f"{exercise.stem}.py").write_text(solution_with(exercise.stem, mistakes.of(exercise)[0].code), encoding="utf-8")
    return folder


@pytest.mark.slow  # every exercise, graded twice
@pytest.mark.parametrize("which", ["stubs", "mistakes"])
def test_stubs_and_mistakes_score_as_under_the_linux_sandbox(tmp_path, monkeypatch, portable, which):
    folder = KIT / "exercises" if which == "stubs" else mistaken(tmp_path / "mistakes")
    exercises = [e for e in registry.EXERCISES if which == "stubs" or e.stem != TRAINS]
    on_linux, _ = grade(folder, exercises, seed=5)
    monkeypatch.setattr(sandbox, "_current", portable)
    here, internal = grade(folder, exercises, seed=5)
    assert internal == 0
    assert here["isolation"] == ["process"]
    assert scores(here) == scores(on_linux)
    assert here["score"] < here["max_score"]


@pytest.mark.slow  # every exercise, MNIST's training once
def test_the_reference_solutions_get_full_marks(graded_portably):
    doc, internal = grade(KIT / "solutions", seed=5)
    assert internal == 0
    assert doc["score"] == doc["max_score"] > 0
    assert doc["isolation"] == ["process"]


@pytest.mark.slow  # a watch on the portable runner: the stubs, then a save of the solution
def test_the_watch_regrades_on_the_portable_runner(graded_portably, tmp_path, capsys):
    from tests.student.test_watch import EX1, FULL_MARKS, NO_MARKS, quiet_watch, save, solution

    folder = tmp_path / "course"
    shutil.copytree(KIT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__", ".*"))
    watch = quiet_watch(folder)
    watch.grade()
    first = capsys.readouterr().out
    assert NO_MARKS in first
    assert first.count("sandbox: portable runner") == 1
    save(folder, EX1, solution(EX1))
    watch.handle(["save"])
    assert FULL_MARKS in capsys.readouterr().out


# ---------------------------------------------------------------- without fork in any process of the kit

NO_FORK = """import os, sys
for _name in ("fork", "forkpty", "pidfd_open", "unshare"):  # os.register_at_fork stays: torch calls it everywhere but Windows
    if hasattr(os, _name):
        delattr(os, _name)
# Nor the Linux sandbox's own modules, nor the POSIX modules Windows lacks: the portable path must import none of them
for _name in ("grader.sandbox.zygote", "grader.sandbox.parent", "grader.sandbox.sweep", "grader.sandbox.hugepages",
              "grader.sandbox.workers", "termios", "tty", "fcntl"):
    sys.modules[_name] = None
"""


@pytest.fixture(scope="module")
def forkless_python(tmp_path_factory) -> str:
    """A venv on the kit's own packages whose every process (``python -I`` ones too) starts without os.fork and its kin,
    and cannot import the Linux sandbox's modules or the POSIX ones Windows lacks."""
    venv = tmp_path_factory.mktemp("forkless") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True,
                               capture_output=True, text=True).stdout.strip())  # fmt: skip
    kits = sysconfig.get_paths()["purelib"]  # this venv's: torch and the kit, its .pth files read as site does
    (site / "kit.pth").write_text(f"import site; site.addsitedir({kits!r})\n")
    (site / "sitecustomize.py").write_text(NO_FORK)
    return str(python)


@pytest.mark.slow  # a whole grade in a fresh venv
def test_without_fork_or_linux_modules_in_any_process_grade_1_gets_full_marks_on_the_portable_runner(forkless_python, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    probe = "\n\nimport os as _os\nassert not hasattr(_os, 'fork'), 'the worker has os.fork'\n"  # the worker's, not the judge's
    (folder / "exercise1_tensors.py").write_text(solution_with("exercise1_tensors", probe), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in (choice.ENV, "PYTHONPATH")}
    done = subprocess.run(
        [forkless_python, "-m", "grader.cli", "1", "--submission", str(folder), "--format", "json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["score"] == doc["max_score"] == EX1_POINTS
    assert doc["isolation"] == ["process"]
    assert doc["isolation_missing"][layers.NAMESPACES] == "portable runner: this Python has no os.fork"


def test_progress_crosses_from_a_worker_beside_its_result_and_is_never_taken_for_it(bare):
    """The training probe's epochs reach the judge on the portable runner too, and a progress frame is no answer."""
    seen = []
    steps = [(1, 3, 0.0), (2, 3, 0.5), (3, 3, 0.99)]
    outcome = bare.run(pipe_targets.reports, steps, "trained", progress=seen.append)
    assert (outcome.status, outcome.value) == (RunStatus.OK, "trained")
    assert seen
    assert set(seen) <= {Progress(1, 3, 0), Progress(2, 3, 50), Progress(3, 3, 99)}
    assert bare.run(pipe_targets.reports, steps, "again").value == "again"  # without a callback: dropped
