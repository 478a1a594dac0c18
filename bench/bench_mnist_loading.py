"""How long does `grade 5 --submission solutions` spend loading MNIST? The budget is 1 second.

Run it from the kit's root:  python bench/bench_mnist_loading.py [--runs 5] [--baseline-runs 3]

It grades exercise 5 for real, several times, with torchvision's ``MNIST.__init__`` (reading
the files) and ``MNIST.__getitem__`` (PIL image, ToTensor, Normalize) timed in every process
that calls them: the judge, and every sandbox child, because the timing hooks are installed in
the sandbox's zygote, which every child is forked from. Each call appends its duration to
a log file; a run's loading time is the sum.

Printed side by side, medians over the runs, measured on this machine in this process:
  - MNIST loading during grade 5 (judge + children), against the 1 s budget;
  - the whole grade 5, for scale;
  - the baseline: one plain pass over the 10,000 test images through the tutorial's
    transform, which is what a check that read a whole split would cost at the least.
Exit status 1 when the loading median is over budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

LOG = "BENCH_MNIST_TIMING_LOG"
BUDGET = 1.0
KIT = Path(__file__).resolve().parent.parent


def install_timers() -> None:
    """Wrap MNIST's constructor and item access so each call logs its duration (outermost calls only)."""
    from torchvision import datasets

    if getattr(datasets.MNIST, "_bench_timed", False):
        return
    depth = [0]

    def timed(original):
        def wrapper(*args, **kwargs):
            depth[0] += 1
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0 and os.environ.get(LOG):
                    with open(os.environ[LOG], "a") as log:
                        log.write(f"{os.getpid()} {original.__name__} {time.perf_counter() - began:.6f}\n")

        return wrapper

    datasets.MNIST.__init__ = timed(datasets.MNIST.__init__)
    datasets.MNIST.__getitem__ = timed(datasets.MNIST.__getitem__)
    datasets.MNIST._bench_timed = True


if __name__ != "__main__" and os.environ.get(LOG):
    install_timers()  # imported by the sandbox's zygote: every child inherits the timers


def read_log(path: Path) -> dict:
    judge, children, calls = 0.0, 0.0, {"__init__": 0, "__getitem__": 0}
    for line in path.read_text().splitlines():
        pid, name, seconds = line.split()
        calls[name] += 1
        if int(pid) == os.getpid():
            judge += float(seconds)
        else:
            children += float(seconds)
    return {"judge": judge, "children": children, "total": judge + children, **calls}


def grade_runs(runs: int) -> list[dict]:
    from grader import registry, sandbox
    from grader.judge import engine
    from grader.settings import Settings

    exercise = registry.resolve("5")
    # The zygote imports its preload by name from its own sys.path (3.11 ignores the parent's), so name this folder.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
    sandbox.start(preload=("grader.judge.plugin", exercise.check_module, Path(__file__).stem))
    install_timers()
    results = []
    for run in range(runs):
        log = Path(os.environ[LOG])
        log.write_text("")
        began = time.perf_counter()
        doc, internal = engine.grade(Settings(submission=KIT / "solutions", seed=1000 + run), [exercise])
        wall = time.perf_counter() - began
        if internal or doc["score"] != doc["max_score"]:
            sys.exit(f"grade 5 on the solutions did not give full marks (seed {1000 + run}); fix that before timing it")
        results.append({**read_log(log), "wall": wall})
        if not results[-1]["children"]:
            sys.exit("no MNIST timing came back from the sandbox children: the zygote did not load the timers")
    return results


def baseline_runs(runs: int) -> list[float]:
    """One pass over MNIST test through the tutorial's transform: the cheapest whole-split read."""
    from torchvision import datasets, transforms

    from grader.data import ensure_mnist

    root = str(ensure_mnist())
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        dataset = datasets.MNIST(root, train=False, download=False, transform=transform)
        for i in range(len(dataset)):
            dataset[i]
        times.append(time.perf_counter() - began)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="grading runs to take the median of (default 5)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="baseline passes to take the median of (default 3)")
    options = parser.parse_args()
    sys.path.insert(0, str(KIT))
    with tempfile.NamedTemporaryFile(prefix="mnist-timing-", suffix=".log") as log:
        os.environ[LOG] = log.name  # set before the zygote starts, so it and every child see it
        graded = grade_runs(options.runs)
        os.environ.pop(LOG)
        baseline = baseline_runs(options.baseline_runs)

    median = {key: statistics.median(r[key] for r in graded) for key in graded[0]}
    base = statistics.median(baseline)
    print(
        f"grade 5 --submission solutions: {options.runs} runs; baseline: {options.baseline_runs} runs; medians, seconds "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"{'':44}{'seconds':>9}{'vs baseline':>13}")
    rows = [
        ("MNIST loading in grade 5 (judge + children)", median["total"]),
        ("  of which in the judge", median["judge"]),
        ("  of which in sandbox children", median["children"]),
        ("whole grade 5", median["wall"]),
        ("baseline: one pass over the 10k test images", base),
    ]
    for label, seconds in rows:
        print(f"{label:44}{seconds:9.3f}{seconds / base:12.2f}x")
    print(f"MNIST calls per run: {median['__init__']:g} datasets built, {median['__getitem__']:g} items read")
    verdict = "within" if median["total"] <= BUDGET else "OVER"
    print(f"MNIST loading {median['total']:.3f} s is {verdict} the {BUDGET:g} s budget")
    return 0 if median["total"] <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
