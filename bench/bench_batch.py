"""How fast is ``grade batch``? Measured side by side on one generated class, in one run.

(a) A class of 30 submissions (correct, untouched stubs, and realistic mistakes from
    ``tests/mistakes``) graded on exercises 1-5 with ``grade batch --jobs 2``, against
    ``grade 1 2 3 4 5 --submission X`` run once per student in a fresh process; target: >= 5x
    faster per submission. Both use the same seed, and every student's score must agree.
(b) With ``--training``: a class of as many correct submissions (so that every student trains)
    on exercise 6 only, against a floor of 30 x one student's exercise-6 grading time / jobs;
    target: <= 1.3x that floor. ``GRADER_MNIST_EPOCHS`` shortens the training for both alike.

    python bench/bench_batch.py [--students 30] [--jobs 2] [--baseline N] [--training]

Only the standard library measures; the numbers go to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))
from grader import registry  # noqa: E402

SEED = 2024
TARGET_SPEEDUP, TARGET_FLOOR = 5.0, 1.3


def grade_command() -> list[str]:
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


def make_class(root: Path, stems: list[str], students: int, mixed: bool = True) -> Path:
    """Student i: correct (i % 3 == 0), the untouched stubs (i % 3 == 1), else one realistic mistake per
    exercise; every student correct unless ``mixed``."""
    for i in range(students):
        folder = root / f"student{i:02d}"
        folder.mkdir(parents=True)
        kind = i % 3 if mixed else 0
        for stem in stems:
            source = (KIT / ("exercises" if kind == 1 else "solutions") / f"{stem}.py").read_text(encoding="utf-8")
            if kind == 2:
                mistakes = [m for m in importlib.import_module(f"tests.mistakes.{stem}").MISTAKES if not m.env]
                if mistakes:
                    source += "\n\n" + mistakes[i % len(mistakes)].code
            (folder / f"{stem}.py").write_text(source, encoding="utf-8")
    return root


def run_batch(root: Path, out: Path, numbers: str, jobs: int) -> tuple[float, dict[str, dict]]:
    command = [
        *grade_command(),
        "batch",
        str(root),
        "--out",
        str(out),
        "--exercises",
        numbers,
        "--jobs",
        str(jobs),
        "--seed",
        str(SEED),
        "--force",
    ]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    records = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[record["batch"]["student"]] = record
    return seconds, records


def run_fresh(folder: Path, numbers: str) -> tuple[float, dict]:
    command = [*grade_command(), *numbers.split(","), "--submission", str(folder), "--seed", str(SEED), "--format", "json"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def bench_class(work: Path, students: int, jobs: int, baseline: int) -> bool:
    chosen = [e for e in registry.EXERCISES if e.number <= 5]
    numbers = ",".join(str(e.number) for e in chosen)
    root = make_class(work / "class", [e.stem for e in chosen], students)
    folders = sorted(root.iterdir())[:baseline]
    # Half the fresh runs before the batch and half after, so that a drift in load hits both sides alike.
    fresh = {folder.name: run_fresh(folder, numbers) for folder in folders[: len(folders) // 2]}
    batch_seconds, records = run_batch(root, work / "grades", numbers, jobs)
    fresh.update({folder.name: run_fresh(folder, numbers) for folder in folders[len(folders) // 2 :]})
    fresh_seconds = [seconds for seconds, _ in fresh.values()]
    agree = sum(
        doc["score"] == records[name]["score"] and doc["max_score"] == records[name]["max_score"] for name, (_, doc) in fresh.items()
    )
    per_batch, per_fresh = batch_seconds / students, sum(fresh_seconds) / len(fresh_seconds)
    speedup = per_fresh / per_batch
    grading = sorted(r["batch"]["seconds"] for r in records.values())
    print(f"(a) {students} submissions, exercises {numbers}, seed {SEED}")
    print(
        f"    grade batch --jobs {jobs}:               {batch_seconds:7.1f} s in all, {per_batch:5.2f} s per submission"
        f" (in a worker: median {grading[len(grading) // 2]:.2f} s per submission)"
    )
    print(
        f"    grade {numbers.replace(',', ' ')} --submission X, fresh each: {sum(fresh_seconds):7.1f} s for {len(folders)},"
        f" {per_fresh:5.2f} s per submission"
    )
    print(
        f"    speed-up per submission: {speedup:.1f}x (target >= {TARGET_SPEEDUP:g}x) -> {'OK' if speedup >= TARGET_SPEEDUP else 'MISSED'}"
    )
    print(f"    scores agree for {agree} of {len(folders)} students")
    return speedup >= TARGET_SPEEDUP and agree == len(folders)


def bench_training(work: Path, students: int, jobs: int) -> bool:
    six = registry.by_stem("exercise6_training")
    if six is None:
        print("(b) exercise 6 is not registered: skipped")
        return True
    one = make_class(work / "one", [six.stem], 1, mixed=False)
    _, single = run_batch(one, work / "grades-one", "6", 1)
    single_seconds = single["student00"]["batch"]["seconds"]
    root = make_class(work / "class6", [six.stem], students, mixed=False)
    total, records = run_batch(root, work / "grades6", "6", jobs)
    floor = students * single_seconds / jobs
    ratio = total / floor
    epochs = os.environ.get("GRADER_MNIST_EPOCHS", "the default")
    print(f"(b) {students} correct submissions, exercise 6 only (GRADER_MNIST_EPOCHS {epochs}), so every one trains")
    print(f"    one student's exercise 6 alone: {single_seconds:.1f} s; floor {students} x {single_seconds:.1f} / {jobs} = {floor:.1f} s")
    print(
        f"    grade batch --jobs {jobs}: {total:.1f} s in all -> {ratio:.2f}x the floor (target <= {TARGET_FLOOR:g}x)"
        f" -> {'OK' if ratio <= TARGET_FLOOR else 'MISSED'}"
    )
    inside = sorted(r["batch"]["seconds"] for r in records.values())
    print(
        f"    in a worker, per student: first {max(inside):.1f} s, median {inside[len(inside) // 2]:.1f} s "
        f"(a worker pays once what a fresh process pays every time); statuses {sorted({r['batch']['status'] for r in records.values()})}"
    )
    return ratio <= TARGET_FLOOR


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline", type=int, help="time the fresh-process baseline on the first N students only [default: all]")
    parser.add_argument("--training", action="store_true", help="also run (b), which trains MNIST for every student")
    parser.add_argument("--only-training", action="store_true", help="run (b) alone")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        ok = True
        if not args.only_training:
            ok &= bench_class(work, args.students, args.jobs, min(args.baseline or args.students, args.students))
        if args.training or args.only_training:
            ok &= bench_training(work, args.students, args.jobs)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
