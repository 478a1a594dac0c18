"""How fast is the portable runner (``GRADER_SANDBOX=portable``)? Measured side by side in one run (interleaved, medians).

(a) ``grade exercise1 --submission solutions`` on the portable runner against ``python -c "import torch"``;
    target <= 1.5x. The Linux sandbox's ``grade exercise1`` is timed in the same rounds, for comparison.
(b) a re-grade of exercise 1 in a real ``grade watch`` on the portable runner, from writing the file to the
    redrawn report; target: median <= 1 s.

    python bench/bench_portable.py [--runs 7]

The watch is driven as bench_watch.py drives it (pexpect, the kit's test extras); the numbers go to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

os.environ["GRADER_SANDBOX"] = "portable"  # before bench_watch reads the environment: every grade below is portable
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grade import KIT, grade_command, wall
from bench_watch import Watched, spread, verdict

from grader import registry

TARGET_RATIO, TARGET_REGRADE = 1.5, 1.0


def rounds(commands: dict[str, tuple[list[str], dict]], runs: int) -> dict[str, list[float]]:
    """Each command once untimed, then ``runs`` rounds of all of them, the order turned each round against drifting load."""
    names = list(commands)
    for name in names:
        run(*commands[name])
    times = {name: [] for name in names}
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            times[name].append(run(*commands[name]))
    return times


def run(command: list[str], env: dict) -> float:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return wall(command)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (at least 5)")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    portable, linux = dict(os.environ), {k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"}
    grade_1 = [*grade_command(), "exercise1", "--submission", "solutions"]
    times = rounds(
        {
            "import torch": ([sys.executable, "-c", "import torch"], linux),
            "grade 1, portable": (grade_1, portable),
            "grade 1, Linux sandbox": (grade_1, linux),
        },
        args.runs,
    )
    torch_median = statistics.median(times["import torch"])
    ratio = statistics.median(times["grade 1, portable"]) / torch_median
    for name, measured in times.items():
        print(f"    {name:<24} {spread(measured)}; / import torch = {statistics.median(measured) / torch_median:.2f}x")
    good = ratio <= TARGET_RATIO
    print(f"(a) grade 1 on the portable runner / import torch = {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {verdict(good)}")
    ok = good
    with tempfile.TemporaryDirectory(prefix="bench-portable-") as tmp:
        folder = Path(tmp) / "course"
        shutil.copytree(KIT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__", ".*"))
        watch = Watched(folder)
        try:
            first = registry.EXERCISES[0]
            watch.regrade(first)  # untimed: the first warms caches
            regrades = [watch.regrade(first) for _ in range(args.runs)]
        finally:
            watch.quit()
    median = statistics.median(regrades)
    print(f"(b) grade watch on the portable runner, exercise1 save to redrawn report: {spread(regrades)}", end="")
    print(f" (target <= {TARGET_REGRADE:g} s) -> {verdict(median <= TARGET_REGRADE)}")
    ok &= median <= TARGET_REGRADE
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
