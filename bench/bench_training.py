"""How much does grading add to MNIST training? Two numbers, measured side by side in one run.

(a) The ``mnist_accuracy`` check on the reference (sandboxed child, data loading, 5 epochs of
    ``fit``, the state_dict's trip back, the judge's own test accuracy) against the bare
    training of the same 5 epochs in a plain script (data loading and ``fit``, nothing else).
    Both are timed after their imports, alternately, on one thread as the check runs;
    target <= 1.2x.
(b) ``grade all --submission solutions``, the whole command; target <= 20 s.

    python bench/bench_training.py [--runs 3] [--grade-runs 3]

Medians go to stdout. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
TARGET_RATIO, TARGET_GRADE_S = 1.2, 20.0
sys.path.insert(0, str(KIT))

BARE = """
import sys, time
import torch
from grader.checking import mnist_tensors
from grader.data import ensure_mnist
from solutions import exercise6_training as s
torch.set_num_threads({threads})
torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # its lazy import of torch._dynamo (~1.5 s) is not training
began = time.perf_counter()
root = str(ensure_mnist())
x, y = mnist_tensors.load(root, train=True)
tx, ty = mnist_tensors.load(root, train=False)
torch.manual_seed(0)
model = s.MNISTClassifier()
s.fit(model, mnist_tensors.batch_loader(x, y, 64, shuffle=True, seed=0),
      mnist_tensors.batch_loader(tx[:1000], ty[:1000], 1000), epochs={epochs})
print(time.perf_counter() - began, file=sys.stderr)
"""


def bare_seconds(epochs: int, threads: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BARE.format(epochs=epochs, threads=threads)], cwd=KIT, capture_output=True, text=True, check=True
    )
    return float(done.stderr.strip().splitlines()[-1])


class Timer:
    """A pytest plugin that times each check from the start of its setup to the end of its teardown."""

    def __init__(self):
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.collected = None

    def pytest_collection_finish(self, session):
        self.collected = time.perf_counter()  # a head-started child begins here, before the check's setup

    def pytest_runtest_logstart(self, nodeid, location):
        self.started[nodeid] = min(time.perf_counter(), self.collected or float("inf"))

    def pytest_runtest_logfinish(self, nodeid, location):
        self.seconds[nodeid.rsplit("::", 1)[-1]] = time.perf_counter() - self.started[nodeid]


def check_seconds(seed: int) -> tuple[float, str]:
    """Run the mnist_accuracy check on the solutions, in this process, as `grade 6` would."""
    import pytest

    from grader import registry
    from grader.judge.engine import PLUGINS, PYTEST_ARGS
    from grader.judge.plugin import Grading
    from grader.settings import Settings

    timer = Timer()
    plugin = Grading(Settings(submission=KIT / "solutions", seed=seed))
    exercise = registry.resolve("6")
    pytest.main(
        [str(exercise.check_file), "-k", "mnist_accuracy", *PYTEST_ARGS, "--timeout-method=signal"], plugins=[plugin, timer, *PLUGINS]
    )
    (result,) = [r for r in plugin.results if r.name == "mnist_accuracy"]
    return timer.seconds["test_mnist_accuracy"], result.status


def grade_seconds() -> float:
    script = Path(sys.executable).with_name("grade")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]
    began = time.perf_counter()
    done = subprocess.run([*command, "all", "--submission", "solutions", "--format", "json"], cwd=KIT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"grade all failed with exit code {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--grade-runs", type=int, default=3)
    args = parser.parse_args()
    from grader import registry
    from grader.checking import mnist_tensors
    from grader.judge import engine

    engine.warm_up([registry.resolve("6")])
    epochs, _ = mnist_tensors.goal()
    checks, bares = [], []
    for run in range(args.runs):
        seconds, status = check_seconds(seed=run)
        if status != "passed":
            raise SystemExit(f"the mnist_accuracy check did not pass on the reference: {status}")
        checks.append(seconds)
        bares.append(bare_seconds(epochs, threads=1))
        print(f"  run {run + 1}: check {checks[-1]:.2f} s, bare {bares[-1]:.2f} s", flush=True)
    ratio = statistics.median(checks) / statistics.median(bares)
    print(
        f"(a) mnist_accuracy check {statistics.median(checks):.2f} s vs bare {epochs}-epoch training "
        f"{statistics.median(bares):.2f} s (medians of {args.runs}): {ratio:.2f}x, target <= {TARGET_RATIO}x"
    )
    grades = []
    for run in range(args.grade_runs):
        grades.append(grade_seconds())
        print(f"  grade all run {run + 1}: {grades[-1]:.2f} s", flush=True)
    median = statistics.median(grades)
    print(f"(b) grade all --submission solutions: {median:.2f} s (median of {args.grade_runs}), target <= {TARGET_GRADE_S:g} s")
    print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a busy machine inflates every number)")
    return 0 if ratio <= TARGET_RATIO and median <= TARGET_GRADE_S else 1


if __name__ == "__main__":
    sys.exit(main())
