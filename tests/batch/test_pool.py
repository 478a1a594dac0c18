"""The workers of ``grade batch``: a submission that kills its worker, a worker that will not stop, a broken setup."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader import sandbox
from grader.batch import pool as pool_module
from grader.batch.layouts import Entry
from grader.batch.pool import Fatal, Pool
from grader.settings import Settings
from tests.helpers import KIT

STEM = "exercise2_reshape"


def config(**changes) -> dict:
    """A batch worker's configuration, as grader.batch.runner makes it."""
    settings = Settings(submission=KIT, seed=11, memory=1 << 30, threads=1, **changes)
    return {"exercises": [STEM], "settings": settings.to_json(), "hide": []}


def student(root: Path, name: str, source: str) -> Entry:
    (root / name).mkdir(parents=True)
    (root / name / f"{STEM}.py").write_text(source, encoding="utf-8")
    return Entry(name, "folder", root / name)


@pytest.mark.slow
def test_a_student_whose_worker_dies_twice_is_crashed_and_the_batch_goes_on(tmp_path, monkeypatch):
    """A worker can die under a student (the sandbox keeps a submission from killing it, so the test does it):
    the student is retried once in a fresh worker, then recorded as crashed, and the next one is graded."""
    ask = pool_module.Handle.ask

    def dies_under_mallory(handle, message=None):
        if message and message["student"] == "mallory":
            handle.process.kill()
        return ask(handle, message)

    monkeypatch.setattr(pool_module.Handle, "ask", dies_under_mallory)
    killer = student(tmp_path, "mallory", (KIT / "solutions" / f"{STEM}.py").read_text(encoding="utf-8"))
    honest = student(tmp_path, "amy", (KIT / "solutions" / f"{STEM}.py").read_text(encoding="utf-8"))
    with open(tmp_path / "batch.log", "w") as log, Pool(1, config(), log, "batch.log") as pool:
        records = {r["batch"]["student"]: r for r in pool.grade([killer, honest])}
    mallory = records["mallory"]
    assert mallory["batch"]["status"] == "crashed"
    assert mallory["batch"]["note"].startswith("the grading process died twice while grading this submission")
    assert mallory["score"] == 0
    assert mallory["max_score"] == records["amy"]["max_score"] == records["amy"]["score"] > 0


def test_stop_worker_kills_a_worker_that_ignores_its_stdin_and_everything_below_it(tmp_path):
    # timeit never reads stdin; its statement starts a grandchild that would sleep for ten minutes.
    statement = "import subprocess; subprocess.Popen(['sleep', '600']); import time; time.sleep(600)"
    worker = sandbox.start_worker("timeit", "-n", "1", statement)
    deadline = time.monotonic() + 30
    while len(marked(worker.mark)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(marked(worker.mark)) == 2
    began = time.monotonic()
    sandbox.stop_worker(worker, grace=0.5)
    assert time.monotonic() - began < 5
    assert worker.returncode == -9
    time.sleep(0.2)
    assert marked(worker.mark) == []


def test_a_worker_runs_in_its_own_session(tmp_path):
    worker = sandbox.start_worker("timeit", "-n", "1", "import time; time.sleep(600)")
    try:
        assert os.getsid(worker.pid) == worker.pid != os.getsid(0)
    finally:
        sandbox.stop_worker(worker, grace=0.1)


def marked(mark: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if f"{sandbox.WORKER_MARK}={mark}".encode() in environ.split(b"\0"):
                found.append(int(proc.name))
    return found


def test_an_unavailable_cuda_device_stops_the_batch_with_a_usage_error(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with open(tmp_path / "log", "w") as log, Pool(1, config(device="cuda"), log, "log") as pool, pytest.raises(Fatal) as raised:
        list(pool.grade([Entry("amy", "folder", tmp_path)]))
    assert raised.value.code == 2
    assert str(raised.value) == "--device cuda: no CUDA device is available here; use --device cpu or auto"
