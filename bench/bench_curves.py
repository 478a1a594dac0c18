"""What do exercise 6's training curves cost? Measured side by side in one run (A/B interleaved, medians).

(a) ``grade 6 --format json`` on the reference with its reference run training alongside (a fresh seed,
    so no cache holds it) against the same command with that seed's reference run already in the
    submission's ``.grade/`` cache (so nothing but the student's model trains): when the document is
    printed (the picture is drawn after it) and when the command exits; target for the exit <= 1.1x.
    On 2 cores that is about the floor: the reference's ~10 s of training and the other checks'
    ~2 s share the core the student's training leaves.
(b) matplotlib: its import and the first picture (what ``grade 6`` pays once), a picture after that,
    a report row's curve, and ``report.html`` for a class of ``--students`` with curves.

    python bench/bench_curves.py [--runs 5] [--students 200]

The numbers go to stdout. Exit status 1 when the target of (a) is missed.
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

KIT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.1
sys.path.insert(0, str(KIT))

DRAW = """
import time
began = time.perf_counter()
from grader.formats import curves
found = curves.record([{"train_loss": 0.3 / n, "test_loss": 0.2 / n, "accuracy": 97 - 2 / n} for n in range(1, 6)], 97.0, 5, 97.5)
curves.picture(found, found)
first = time.perf_counter() - began
began = time.perf_counter()
for _ in range(10):
    curves.picture(found, found)
print(first, (time.perf_counter() - began) / 10)
"""


def grade(folder: Path, seed: int) -> tuple[float, float]:
    """Seconds until the document is on stdout (what a student waits for to read the result), and until ``grade 6`` exits."""
    command = [sys.executable, "-m", "grader.cli", "6", "--submission", str(folder), "--seed", str(seed), "--format", "json"]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=KIT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = None
    for line in process.stdout:  # the document ends with its closing brace alone on a line
        if line.rstrip() == "}":
            shown = time.perf_counter() - began
    stderr = process.stderr.read()
    code = process.wait()
    ended = time.perf_counter() - began
    if code != 0 or "Training curves:" not in stderr or shown is None:
        sys.exit(f"grade 6 exited {code}: {stderr[-2000:]}")
    return shown, ended


def cache_for(folder: Path, seed: int) -> None:
    """Put ``seed``'s reference run in the submission's cache, as an earlier ``grade 6 --seed`` would have."""
    from grader.course import reference_run
    from grader.formats import curves
    from grader.settings import Settings

    found = curves.record([{"train_loss": 0.3, "test_loss": 0.2, "accuracy": 97.0}], 97.0, 1, 97.0)
    key = reference_run.key(Settings(submission=folder, seed=seed))
    reference_run.write(folder / curves.FOLDER / reference_run.CACHE_NAME, key, found)


def bench_grade(runs: int) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "submission"
        folder.mkdir()
        shutil.copy(KIT / "solutions" / "exercise6_training.py", folder)
        grade(folder, 1)  # untimed: the page cache warms up for both
        training, cached = [], []
        for i in range(runs):
            fresh, known = 1000 + 2 * i, 1001 + 2 * i
            cache_for(folder, known)
            pair = [(training, fresh), (cached, known)] if i % 2 == 0 else [(cached, known), (training, fresh)]
            for times, seed in pair:
                times.append(grade(folder, seed))
    shown = statistics.median(t[0] for t in training) / statistics.median(t[0] for t in cached)
    ratio = statistics.median(t[1] for t in training) / statistics.median(t[1] for t in cached)
    for label, times in (("with the reference run training alongside", training), ("with it cached (nothing else trains)   ", cached)):
        print(
            f"(a) grade 6 {label}: the document after {statistics.median(t[0] for t in times):.1f} s, "
            f"the exit after {statistics.median(t[1] for t in times):.1f} s (medians of {runs})"
        )
    print(f"    ratio of medians: the document {shown:.2f}x, the exit {ratio:.2f}x (target <= {TARGET_RATIO}x)")
    print(f"    -> {'OK' if ratio <= TARGET_RATIO else 'MISSED'}, at load average {os.getloadavg()[0]:.2f}")
    return ratio <= TARGET_RATIO


def bench_drawing(students: int) -> None:
    drawn = subprocess.run([sys.executable, "-c", DRAW], cwd=KIT, capture_output=True, text=True, check=True)
    first, later = map(float, drawn.stdout.split())
    from grader.batch import webpage
    from grader.batch.records import record
    from grader.formats import curves

    found = curves.record([{"train_loss": 0.3 / n, "test_loss": 0.2 / n, "accuracy": 97 - 2 / n} for n in range(1, 6)], 97.0, 5, 97.5)
    began = time.perf_counter()
    for _ in range(20):
        curves.sparkline(found, found)
    sparkline = (time.perf_counter() - began) / 20
    check = {"name": "mnist_accuracy", "score": 5.0, "max_score": 5.0, "status": "passed", "message": "", "hint": "h"}
    part = {"exercise": "exercise6_training", "title": "t", "score": 5.0, "max_score": 5.0, "status": "graded"}
    part["checks"] = [{**check, "data": {"curves": found}}]
    doc = {"schema": 1, "submission": "class/s", "seed": 1, "device": "cpu", "score": 5.0, "max_score": 5.0, "exercises": [part]}
    records = [record(doc, f"s{i:03d}", "graded", "", 20.0) for i in range(students)]
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        path = webpage.write(Path(out), records, [], found)
        page, size = time.perf_counter() - began, path.stat().st_size
    print(f"(b) matplotlib's import and the first picture: {first:.2f} s; a picture after that: {later * 1000:.0f} ms")
    print(f"    a report row's curve: {sparkline * 1000:.2f} ms; report.html for {students} students: {page:.1f} s, {size / 1e6:.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="A/B pairs for (a), at least 3")
    parser.add_argument("--students", type=int, default=200, help="the class size for (b)'s report")
    parser.add_argument("--only", choices=["grade", "drawing"], help="run one of the two")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    ok = True
    if args.only in (None, "grade"):
        ok &= bench_grade(args.runs)
    if args.only in (None, "drawing"):
        bench_drawing(args.students)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
