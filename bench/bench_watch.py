"""How fast does ``grade watch`` re-grade after a save, and does its memory stay flat? Measured side by side in one run.

(a) exercise 1: from writing the file to the redrawn report in a real ``grade watch`` (a pseudo-terminal,
    as a student's), interleaved with a fresh ``grade 1`` of the same folder; target: median <= 0.5 s,
    and the ratio of the two medians is printed.
(b) exercises 2-5, reached with ``n`` in the same watch: target median <= 1 s each.
(c) the watch process's resident memory after 10 and after ``--regrades`` re-grades of exercise 1.

    python bench/bench_watch.py [--runs 9] [--regrades 200]

pexpect (the kit's test extras) drives the terminal; the numbers go to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))
from grader import registry  # noqa: E402 - the kit's registry, found from this file

ENV = {**os.environ, "PYTHONPATH": str(KIT)}  # this checkout's grader, whatever the venv has installed
FOOTER = "q quit"
TARGET_FIRST, TARGET_OTHERS = 0.5, 1.0


def grade_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


class Watched:
    """A ``grade watch`` in a pseudo-terminal, and the folder it watches."""

    def __init__(self, folder: Path):
        self.folder, self.saves = folder, 0
        command = grade_command()
        self.process = pexpect.spawn(
            command[0],
            [*command[1:], "watch", "1", "--submission", str(folder)],
            cwd=str(KIT),
            env=ENV,
            encoding="utf-8",
            timeout=300,
            dimensions=(80, 200),
        )
        self.process.expect(FOOTER)

    def regrade(self, exercise) -> float:
        """Save the reference solution (a line changed each time) and wait for the redrawn report."""
        self.saves += 1
        source = (KIT / "solutions" / f"{exercise.stem}.py").read_text(encoding="utf-8") + f"\n# save {self.saves}\n"
        began = time.perf_counter()
        (self.folder / "exercises" / f"{exercise.stem}.py").write_text(source, encoding="utf-8")
        self.process.expect("graded at")
        self.process.expect(FOOTER)
        return time.perf_counter() - began

    def next_exercise(self, exercise) -> None:
        self.process.send("n")
        self.process.expect(f"grade watch · {exercise.name} ")
        self.process.expect(FOOTER)

    def resident_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def quit(self) -> None:
        self.process.send("q")
        self.process.expect(pexpect.EOF)
        self.process.close()


def fresh_grade(folder: Path) -> float:
    began = time.perf_counter()
    subprocess.run(
        [*grade_command(), "1", "--submission", str(folder)], cwd=KIT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - began


def spread(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed re-grades per exercise, and fresh grade 1 runs (at least 5)")
    parser.add_argument("--regrades", type=int, default=200, help="re-grades of exercise 1 before the last memory reading (at least 10)")
    args = parser.parse_args()
    if args.runs < 5 or args.regrades < 10:
        parser.error("--runs must be at least 5 and --regrades at least 10")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    first, *others = registry.EXERCISES[:5]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        folder = Path(tmp) / "course"
        shutil.copytree(KIT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__", ".*"))
        watch = Watched(folder)
        try:
            watch.regrade(first), fresh_grade(folder)  # untimed: the first of each warms caches
            rounds = [(watch.regrade(first), fresh_grade(folder)) for _ in range(args.runs)]
            regrades, fresh = [r for r, _ in rounds], [f for _, f in rounds]
            while watch.saves < 10:
                watch.regrade(first)
            after_10 = watch.resident_mib()
            while watch.saves < args.regrades:
                regrades.append(watch.regrade(first))
            after_many = watch.resident_mib()
            median = statistics.median(regrades[: args.runs])
            ratio = statistics.median(fresh) / median
            print(f"(a) exercise1, save to redrawn report: {spread(regrades[: args.runs])} (target <= {TARGET_FIRST} s) -> ", end="")
            print(verdict(median <= TARGET_FIRST))
            print(f"    fresh grade 1, side by side:       {spread(fresh)}; fresh / watch = {ratio:.1f}x")
            print(f"    all {len(regrades)} timed re-grades of exercise1: {spread(regrades)}")
            ok &= median <= TARGET_FIRST
            for exercise in others:
                watch.next_exercise(exercise)
                watch.regrade(exercise)  # untimed, as above
                times = [watch.regrade(exercise) for _ in range(args.runs)]
                good = statistics.median(times) <= TARGET_OTHERS
                print(f"(b) {exercise.name}: {spread(times)} (target <= {TARGET_OTHERS:g} s) -> {verdict(good)}")
                ok &= good
            growth = after_many - after_10
            print(
                f"(c) resident memory of the watch: {after_10:.0f} MiB after 10 re-grades, {after_many:.0f} MiB after"
                f" {args.regrades} ({growth:+.0f} MiB)"
            )
        finally:
            watch.quit()
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
