"""``grade batch --cluster`` on Dask, on loopback only: the same records as ``--jobs``, each student recorded exactly once.

The class is test_batch's, less its three slowest students (a hang, a memory bomb, an output
flood): folders and zips, good, partial, broken and unreadable files, a crash and a fork. Workers
are killed with SIGKILL, poisoned and left without their driver; after each, every student is in
``results.jsonl`` once and no process of the batch is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.batch.test_batch import (
    E1,
    E2,
    SEED,
    files,
    graded_before_the_kill,
    make_class,
    marked,
    results,
    solution,
    wait_until_gone,
    write,
)
from tests.helpers import KIT

pytest.importorskip("distributed", reason="Dask is not installed: pip install -e '.[cluster]' to run the cluster tests")

from grader import registry
from grader.batch import cluster, packing  # after the skip: imports Dask
from grader.batch.layouts import Entry
from grader.judge import engine

pytestmark = pytest.mark.slow  # Dask clusters, each started for its test
OPTIONS = ["--exercises", "1,2", "--seed", str(SEED), "--timeout-scale", "0.5", "--memory-limit", "512M"]
SLOW = ("gus", "hana", "kim")
QUICK_CONNECT = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}


def grade(*args: str, mark: str = "", env: dict | None = None, **popen) -> subprocess.Popen:
    """``grade ARGS`` in a session of its own; every process below it carries ``GRADER_TEST_MARK=mark``."""
    return subprocess.Popen(
        [sys.executable, "-m", "grader.cli", *args],
        env={**os.environ, **(env or {}), "GRADER_TEST_MARK": mark or uuid.uuid4().hex},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen,
    )


def batch(root: Path, out: Path, *extra: str, mark: str = "", **popen) -> subprocess.Popen:
    return grade("batch", str(root), "--out", str(out), *OPTIONS, *extra, mark=mark, **popen)


def lines_per_student(out: Path) -> Counter:
    return Counter(json.loads(line)["batch"]["student"] for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines())


def wait_for(predicate, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class and its results from ``grade batch --jobs 2``: (submissions, out)."""
    root = make_class(tmp_path_factory.mktemp("class") / "submissions")
    for name in SLOW:
        shutil.rmtree(root / name)
    out = tmp_path_factory.mktemp("jobs") / "grades"
    process = batch(root, out, "--jobs", "2")
    _stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return root, out


def test_a_local_cluster_gives_the_same_records_and_files_as_jobs(reference, tmp_path):
    root, expected = reference
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    process = batch(root, out, "--cluster", "local:2", mark=mark)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert f"Grading 14 of 14 students (0 already graded in {out}) with seed {SEED} on the Dask cluster local:2 ..." in stderr
    assert "14/14 students" in stderr
    assert "0 in flight · 0 retried · 0 failed" in stderr
    assert results(out) == results(expected)
    assert files(out) == files(expected)
    assert next(r for r in results(out) if r["batch"]["student"] == "lou")["submission"] == str(root / "lou.zip")
    assert "14 students, 14 graded in this run" in stdout
    assert wait_until_gone(mark, 20) == []
    rerun = batch(root, out, "--cluster", "local:2", mark=mark)
    _stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert "Grading 0 of 14 students (14 already graded" in stderr
    assert lines_per_student(out) == Counter({r["batch"]["student"]: 1 for r in results(expected)})


def test_a_rerun_on_the_cluster_regrades_a_student_whose_files_changed_and_lists_the_change(reference, tmp_path):
    root, expected = reference
    changed = tmp_path / "class"
    shutil.copytree(root, changed, symlinks=True)
    stem = "exercise2_reshape"
    source = (registry.KIT_ROOT / "solutions" / f"{stem}.py").read_text(encoding="utf-8")
    (changed / "ben" / f"{stem}.py").write_text(source + "\n\ndef flatten_batch(images):\n    return images\n", encoding="utf-8")
    out = tmp_path / "grades"
    out.mkdir()
    shutil.copy(expected / "results.jsonl", out)
    process = batch(changed, out, "--cluster", "local:2")
    _stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "Grading 1 of 14 students (13 already graded" in stderr
    [kept] = (out / "history").iterdir()
    assert (kept / "grades.csv").read_bytes() == (expected / "grades.csv").read_bytes()
    rows = (out / "changes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[-1].startswith("ben,total,30/30,")
    assert rows[-1].endswith(",files changed")
    assert any(row.startswith(f"ben,{stem},12/12,") and row.endswith(",files changed") for row in rows)


SLEEPER = """
import ctypes, time


def make_scalar(value):
    ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)  # named, so that the test finds it from outside the sandbox
    time.sleep(4)
    return torch.tensor(float(value))
"""


def named(name: str, mark: str) -> int | None:
    """The process of the batch ``mark`` that took ``name`` as its name (``/proc/<pid>/comm``)."""
    for pid in marked(mark):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == name[:15]:
                return pid
    return None


def grading_processes(mark: str) -> list[int]:
    """The kit's grading processes (and their forkservers and children) of the batch ``mark``."""
    found = []
    for pid in marked(mark):
        with contextlib.suppress(OSError):
            if b"grader.batch.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def grading_process_above(pid: int) -> int:
    """The kit's grading process above a sandbox child: the topmost ancestor running grader.batch.worker (its zygote forks too)."""
    found = pid
    while b"grader.batch.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
        found, pid = pid, parent(pid)
    return found


def dask_worker_above(pid: int) -> int:
    """The Dask worker process above a sandbox child: the first ancestor that is not the kit's grading process or its zygote."""
    return parent(grading_process_above(pid))


CLASS = ("amy", "bob", "cat", "dan", "eve", "sam")


def test_a_worker_killed_while_it_grades_has_its_task_retried_and_every_student_recorded_once(tmp_path):
    name = f"gs{uuid.uuid4().hex[:12]}"
    root = tmp_path / "class"
    for student in CLASS:
        write(root / student / f"{E1}.py", solution(E1, SLEEPER.format(name=name) if student == "sam" else ""))
        write(root / student / f"{E2}.py", solution(E2))
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    process = batch(root, out, "--cluster", "local:2", mark=mark)
    wait_for(lambda: named(name, mark) is not None, process)
    worker = dask_worker_above(named(name, mark))
    command = Path(f"/proc/{worker}/cmdline").read_bytes()
    assert b"multiprocessing" in command or command.startswith(b"dask worker")  # Dask's worker, spawned by its nanny
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: named(name, mark) is not None, process)  # the task runs again, on a worker that lives
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert lines_per_student(out) == Counter(dict.fromkeys(CLASS, 1))
    assert {r["batch"]["student"]: r["batch"]["status"] for r in results(out)} == dict.fromkeys(CLASS, "graded")
    assert "6/6 students" in stderr
    assert "0 in flight · 1 retried · 0 failed" in stderr
    assert "sam: attempt 1 of 3 failed" in (out / "batch.log").read_text(encoding="utf-8")
    assert wait_until_gone(mark, 20) == []


POISON = {"mallory": grading_process_above, "oscar": dask_worker_above}  # whose process dies under them each time they are graded
POISONED = "import ctypes, time\nctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)\ntime.sleep(30)\n"  # found by its name


def kill_under(names: dict, mark: str, process: subprocess.Popen) -> None:
    """Until the batch ends, kill, above each named student's sandbox child, the process ``names`` picks: as a submission
    would that killed its worker, which the sandbox keeps from it (tests/sandbox/test_hostile.py)."""
    while process.poll() is None:
        for name, pick in names.items():
            found = named(name, mark)
            with contextlib.suppress(OSError, ValueError, IndexError):
                if found is not None:
                    os.kill(pick(found), signal.SIGKILL)
        time.sleep(0.05)


def test_a_submission_that_kills_its_worker_every_time_is_a_grader_error_and_the_class_is_graded(tmp_path):
    root = tmp_path / "class"
    for name in ("amy", "bob", "cat"):
        write(root / name / f"{E2}.py", solution(E2))
    names = {}
    for student, pick in POISON.items():
        name = f"gp{uuid.uuid4().hex[:12]}"
        names[name] = pick
        write(root / student / f"{E2}.py", POISONED.format(name=name))
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    process = grade("batch", str(root), "--out", str(out), "--exercises", "2", "--seed", "5", "--cluster", "local:2", mark=mark)
    killer = threading.Thread(target=kill_under, args=(names, mark, process), daemon=True)
    killer.start()
    stdout, stderr = process.communicate(timeout=240)
    killer.join()
    assert process.returncode == 3, stderr  # a grader_error in the gradebook, as with --jobs
    by_student = {r["batch"]["student"]: r for r in results(out)}
    assert lines_per_student(out) == Counter(dict.fromkeys(["amy", "bob", "cat", "mallory", "oscar"], 1))
    full = engine.max_points(registry.EXERCISES[1])
    for name in ("amy", "bob", "cat"):
        assert by_student[name]["batch"]["status"] == "graded"
        assert by_student[name]["score"] == by_student[name]["max_score"] == full
    for name in POISON:
        batch_part = by_student[name]["batch"]
        assert batch_part["status"] == "grader_error"
        assert by_student[name]["score"] == 0
        assert batch_part["note"] == (
            "grading this submission failed 3 times, each time its grading process or Dask worker died (does it kill processes?); "
            f"it is graded again on a rerun; see {out / 'batch.log'}"
        )
        assert batch_part["key"] == packing.key(packing.pack(Entry(name, "folder", root / name), [E2]), 5)
        assert by_student[name]["submission"] == str(root / name)
    assert "5/5 students" in stderr
    assert "0 in flight · 4 retried · 2 failed" in stderr
    assert "status: 3 graded, 2 grader_error" in stdout
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "mallory: attempt 3 of 3 failed: the grading process of the Dask worker at tcp://127.0.0.1:" in log
    assert "oscar: attempt 3 of 3 failed: Attempted to run task" in log
    assert wait_until_gone(mark, 20) == []


def test_a_driver_killed_after_some_records_resumes_with_only_the_missing_students(reference, tmp_path):
    root, expected = reference
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    process = batch(root, out, "--cluster", "local:2", mark=mark)
    wait_for(lambda: (out / "results.jsonl").exists() and len((out / "results.jsonl").read_bytes().splitlines()) >= 3, process)
    os.kill(process.pid, signal.SIGKILL)  # the driver alone: its workers must notice and go
    process.communicate()
    assert wait_until_gone(mark, 30) == [], "processes outlived the killed driver"
    done = graded_before_the_kill(out)
    assert 3 <= done < 14
    with open(out / "results.jsonl", "ab") as file:  # as if the kill had landed mid-write
        file.write(b'{"schema": 1, "submission": "/half/writ')
    rerun = batch(root, out, "--cluster", "local:2", mark=mark)
    _stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert "1 unreadable line dropped" in stderr
    assert f"Grading {14 - done} of 14 students ({done} already graded" in stderr
    assert lines_per_student(out) == Counter({r["batch"]["student"]: 1 for r in results(expected)})
    assert results(out) == results(expected)
    assert files(out) == files(expected)
    assert wait_until_gone(mark, 20) == []


def test_a_batch_on_a_running_scheduler_with_grade_worker_on_loopback(reference, tmp_path):
    root, expected = reference
    mark, address_file = uuid.uuid4().hex, tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
            *("--scheduler-file", str(address_file)),
        ],
        env={**os.environ, "GRADER_TEST_MARK": mark},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    workers = None
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = grade("worker", f"scheduler-file:{address_file}", "--nworkers", "2", mark=mark)
        out = tmp_path / "grades"
        run = batch(root, out, "--cluster", address, mark=mark)
        _stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
        assert f"with seed {SEED} on the Dask cluster {address} ..." in stderr
        assert results(out) == results(expected)
        assert files(out) == files(expected)
        deadline = time.monotonic() + 20
        while grading_processes(mark) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert grading_processes(mark) == [], "the grading processes should stop with the batch that started them"
        assert workers.poll() is None
        workers.send_signal(signal.SIGTERM)
        _stdout, stderr = workers.communicate(timeout=60)
        assert workers.returncode == 0, stderr
        threads = max(1, len(os.sched_getaffinity(0)) // 2)
        assert stderr.startswith(f"Starting 2 Dask workers for scheduler-file:{address_file}, each using {threads} torch thread(s) ...")
    finally:
        for process in (workers, scheduler):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=60)
    assert wait_until_gone(mark, 20) == []


def test_ctrl_c_stops_the_driver_and_its_workers_quietly(tmp_path):
    root = tmp_path / "class"
    for name in ("amy", "bob", "cat", "dan"):
        write(root / name / f"{E2}.py", solution(E2, "def arange_float(n):\n    while True:\n        pass\n" if name == "bob" else ""))
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    # As a terminal's foreground job, whose Ctrl-C reaches the driver and the Dask workers it started alike.
    process = batch(root, out, "--cluster", "local:2", mark=mark, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for(lambda: (out / "results.jsonl").exists() and (out / "results.jsonl").read_bytes().count(b"\n") >= 2, process)
    os.killpg(process.pid, signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "rerun the same command to grade the rest." in stderr.splitlines()[-1]
    assert "Traceback" not in stderr
    assert wait_until_gone(mark, 20) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("local:3", cluster.Spec("local:3", local=3)),
        ("tcp://127.0.0.1:8786", cluster.Spec("tcp://127.0.0.1:8786", address="tcp://127.0.0.1:8786")),
        ("tls://scheduler:8786", cluster.Spec("tls://scheduler:8786", address="tls://scheduler:8786")),
    ],
)
def test_a_cluster_is_local_or_a_scheduler_address(text, expected):
    assert cluster.parse(text) == expected


def test_a_scheduler_file_must_exist(tmp_path):
    (tmp_path / "s.json").write_text("{}")
    assert cluster.parse(f"scheduler-file:{tmp_path / 's.json'}").scheduler_file == str(tmp_path / "s.json")


USAGE = [
    (["--cluster", "local:0"], "Error: Invalid value for '--cluster': 'local:0' needs a number of workers, like local:4"),
    (
        ["--cluster", "127.0.0.1:8786"],
        "Error: Invalid value for '--cluster': '127.0.0.1:8786' is not a Dask cluster; "
        "write local:N, tcp://HOST:PORT or scheduler-file:PATH",
    ),
    (
        ["--cluster", "scheduler-file:/nowhere/s.json"],
        "Error: Invalid value for '--cluster': scheduler file /nowhere/s.json does not exist; "
        "start a scheduler with dask scheduler --scheduler-file /nowhere/s.json",
    ),
    (
        ["--cluster", "local:2", "--jobs", "2"],
        "Error: --jobs and --cluster cannot be combined: with --cluster, local:N says how many workers to start",
    ),
]


@pytest.mark.parametrize(("args", "message"), USAGE)
def test_a_bad_cluster_is_a_usage_error(tmp_path, args, message):
    write(tmp_path / "class" / "amy" / f"{E2}.py", solution(E2))
    process = grade("batch", str(tmp_path / "class"), "--out", str(tmp_path / "g"), *args)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines()[-1] == message
    assert not (tmp_path / "g").exists()


def test_an_unreachable_scheduler_stops_the_batch_with_a_usage_error(tmp_path):
    write(tmp_path / "class" / "amy" / f"{E2}.py", solution(E2))
    process = grade("batch", str(tmp_path / "class"), "--out", str(tmp_path / "g"), "--cluster", "tcp://127.0.0.1:9", env=QUICK_CONNECT)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("grade batch: cannot reach the Dask scheduler at tcp://127.0.0.1:9 (")
    assert last.endswith("); check the address and that the scheduler runs")


def test_grade_worker_takes_only_a_scheduler(tmp_path):
    process = grade("worker", "local:2")
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines()[-1] == (
        "Error: Invalid value for 'ADDRESS': 'local:2' is not a Dask scheduler; write tcp://HOST:PORT or scheduler-file:PATH"
    )


def test_without_dask_the_cluster_options_say_what_to_install(tmp_path):
    blocked = "import sys; sys.modules['distributed'] = None; from grader.cli import entry; entry()"
    for args in (["batch", str(tmp_path), "--cluster", "local:2"], ["worker", "tcp://127.0.0.1:8786"]):
        process = subprocess.run([sys.executable, "-c", blocked, *args], capture_output=True, text=True, timeout=60, cwd=KIT)
        assert process.returncode == 2
        assert "needs Dask, which is not installed (" in process.stderr
        assert process.stderr.strip().endswith("); install it with pip install -e '.[cluster]'")


def test_grade_batch_without_cluster_never_imports_dask(tmp_path):
    write(tmp_path / "class" / "amy" / f"{E2}.py", solution(E2))
    script = (
        "import sys\nfrom grader.cli import main\n"
        "try:\n    main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    args = ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "g"), "--exercises", "2", "--jobs", "1", "--seed", "1"]
    process = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300, cwd=KIT)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "g" / "results.jsonl").read_text(encoding="utf-8").count("\n") == 1
