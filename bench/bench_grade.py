"""How fast is grading? Two ratios, each measured side by side in one run (A/B interleaved, medians).

(a) ``grade exercise1 --submission solutions`` against ``python -c "import torch"``; target <= 1.3x.
(b) one sandboxed call that does nothing (``sandbox.run``, after warm-up) against a fresh
    ``python -c pass``; target: the call's median <= 20 ms.

    python bench/bench_grade.py [--runs 7] [--calls 40]

Only the standard library measures; the numbers go to stdout.
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
TARGET_RATIO = 1.3
TARGET_CALL_MS = 20.0


def grade_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


def wall(command: list[str], expect: int = 0) -> float:
    began = time.perf_counter()
    code = subprocess.run(command, cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - began
    if code != expect:
        sys.exit(f"{' '.join(command)} exited {code}, expected {expect}")
    return seconds


def side_by_side(a: list[str], b: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Alternate A and B (after one untimed run of each) so that load drifts hit both alike."""
    wall(a), wall(b)
    times_a, times_b = [], []
    for i in range(runs):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t_first, t_second = wall(first), wall(second)
        times_a.append(t_first if first is a else t_second)
        times_b.append(t_second if first is a else t_first)
    return times_a, times_b


def spread(times: list[float], unit: float = 1.0, fmt: str = "{:.2f}") -> str:
    return (
        "median "
        + fmt.format(statistics.median(times) * unit)
        + f" (min {fmt.format(min(times) * unit)}, max {fmt.format(max(times) * unit)})"
    )


def bench_grade(runs: int) -> bool:
    grade = [*grade_command(), "exercise1", "--submission", "solutions", "--seed", "1"]
    torch_import = [sys.executable, "-c", "import torch"]
    times_grade, times_torch = side_by_side(grade, torch_import, runs)
    ratio = statistics.median(times_grade) / statistics.median(times_torch)
    print(f"(a) grade exercise1 --submission solutions: {spread(times_grade)} s over {runs} runs")
    print(f"    python -c 'import torch':              {spread(times_torch)} s")
    print(f"    ratio of medians: {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {'OK' if ratio <= TARGET_RATIO else 'MISSED'}")
    return ratio <= TARGET_RATIO


def bench_call(calls: int) -> bool:
    sys.path.insert(0, str(KIT))
    from grader import sandbox

    nothing = bool  # importable by reference, as a check's probe is, and does next to nothing with the None it gets

    sandbox.start(preload=("grader.judge.plugin",))  # as grading does: the checks' module is already in the zygote
    limits = sandbox.Limits(timeout=30)
    for _ in range(5):  # warm-up: the first call waits for the zygote to import torch
        assert sandbox.run(nothing, limits=limits).status == "ok"
    # The same call without namespaces (its file system view, PID and network namespaces): the fallback layers alone,
    # Landlock's allow-list and the limits; the difference is what the namespaces cost.
    fallback = sandbox.Sandbox(("grader.judge.plugin",), namespaces=False).start()
    for _ in range(5):
        assert fallback.run(nothing, limits=limits).status == "ok"
    fresh = [sys.executable, "-c", "pass"]
    wall(fresh)
    times_call, times_fresh, times_fallback = [], [], []
    for _ in range(calls):
        began = time.perf_counter()
        outcome = sandbox.run(nothing, limits=limits)
        times_call.append(time.perf_counter() - began)
        assert outcome.status == "ok", outcome.error
        times_fresh.append(wall(fresh))
        began = time.perf_counter()
        assert fallback.run(nothing, limits=limits).status == "ok"
        times_fallback.append(time.perf_counter() - began)
    fallback.close()
    median = statistics.median(times_call) * 1000
    ratio = statistics.median(times_call) / statistics.median(times_fresh)
    print(f"(b) sandbox.run of a call that does nothing: {spread(times_call, 1000, '{:.1f}')} ms over {calls} calls")
    print(f"    fresh python -c pass:                    {spread(times_fresh, 1000, '{:.1f}')} ms")
    print(f"    the same without namespaces:             {spread(times_fallback, 1000, '{:.1f}')} ms", end="")
    print(f" (with namespaces minus without: {median - statistics.median(times_fallback) * 1000:+.1f} ms)")
    print(
        f"    call / fresh interpreter: {ratio:.2f}x; call median {median:.1f} ms (target <= {TARGET_CALL_MS:g} ms)"
        f" -> {'OK' if median <= TARGET_CALL_MS else 'MISSED'}"
    )
    return median <= TARGET_CALL_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="A/B pairs for (a), at least 5")
    parser.add_argument("--calls", type=int, default=40, help="interleaved calls for (b)")
    parser.add_argument("--only", choices=["grade", "call"], help="run one of the two")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    ok = True
    if args.only in (None, "grade"):
        ok &= bench_grade(args.runs)
    if args.only in (None, "call"):
        ok &= bench_call(args.calls)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
