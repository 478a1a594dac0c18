"""How fast is ``grade batch``? Measured side by side on one generated class, in one run.

(a) A class of 30 submissions (correct, untouched stubs, and realistic mistakes from
    ``tests/mistakes``) graded on exercises 1-5 with ``grade batch --jobs 2``, against
    ``grade 1 2 3 4 5 --submission X`` run once per student in a fresh process; target: >= 5x
    faster per submission. Both use the same seed, and every student's score must agree.
    Beside it, on the same class and seed, ``grade batch --cluster local:2`` (Dask, when the
    ``cluster`` extra is installed); target: its throughput >= 0.9x that of ``--jobs 2``, and the
    same records apart from timings. It also prints what the 10,000-student model in the README
    is built from: each driver's peak memory and results.jsonl's bytes per student.
(b) With ``--training``: a class of as many correct submissions (so that every student trains)
    on exercise 6 only, against a floor of 30 x one student's exercise-6 grading time / jobs;
    target: <= 1.3x that floor. ``GRADER_MNIST_EPOCHS`` shortens the training for both alike.

(c) With ``--recording N``: what the driver's own work costs once N students are recorded, from
    copies of (a)'s records: loading results.jsonl (seconds, memory) and recording one more
    student (feedback file, fsynced line, grades.csv rewritten), for the README's scaling model.

    python bench/bench_batch.py [--students 30] [--jobs 2] [--baseline N] [--training] [--recording N]

Only the standard library measures; the numbers go to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
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
TARGET_SPEEDUP, TARGET_FLOOR, TARGET_CLUSTER = 5.0, 1.3, 0.9


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


def run_batch(root: Path, out: Path, numbers: str, jobs: int, cluster: str | None = None) -> tuple[float, dict[str, dict], int]:
    """Grade the class with --jobs (or --cluster): the seconds, the records by student, and the driver's peak resident memory."""
    how = ["--cluster", cluster] if cluster else ["--jobs", str(jobs)]
    command = [*grade_command(), "batch", str(root), "--out", str(out), "--exercises", numbers, *how, "--seed", str(SEED), "--force"]
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, cwd=KIT, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _peak_rss(process.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - began
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"{' '.join(command)} exited {process.returncode}:\n{errors.read()[-2000:]}")
    records = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[record["batch"]["student"]] = record
    return seconds, records, peak


def _peak_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def run_fresh(folder: Path, numbers: str) -> tuple[float, dict]:
    command = [*grade_command(), *numbers.split(","), "--submission", str(folder), "--seed", str(SEED), "--format", "json"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def bench_recording(work: Path, records: dict[str, dict], count: int) -> None:
    import tracemalloc

    from grader.batch import gradebook

    out = work / "recording"
    out.mkdir()
    samples = list(records.values())
    with open(out / gradebook.RESULTS, "w", encoding="utf-8") as file:
        for i in range(count):
            record = samples[i % len(samples)]
            file.write(json.dumps({**record, "batch": {**record["batch"], "student": f"s{i:06d}"}}, ensure_ascii=False) + "\n")
    size = (out / gradebook.RESULTS).stat().st_size
    book = gradebook.Gradebook(out)
    tracemalloc.start()
    began = time.perf_counter()
    book.open(SEED, [part["exercise"] for part in samples[0]["exercises"]], False)
    loading = time.perf_counter() - began
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    began, more = time.perf_counter(), 20
    for i in range(more):
        book.add({**samples[0], "batch": {**samples[0]["batch"], "student": f"t{i:06d}"}})
    adding = (time.perf_counter() - began) / more
    print(f"(c) the driver with {count} students recorded (copies of (a)'s records)")
    print(f"    loading results.jsonl ({size / 2**20:.1f} MiB): {loading:.2f} s, {memory / 2**20:.0f} MiB of Python objects")
    print(f"    recording one more student (feedback, fsynced line, grades.csv rewritten): {adding * 1000:.1f} ms")


def bench_class(work: Path, students: int, jobs: int, baseline: int, recording: int = 0) -> bool:
    chosen = [e for e in registry.EXERCISES if e.number <= 5]
    numbers = ",".join(str(e.number) for e in chosen)
    root = make_class(work / "class", [e.stem for e in chosen], students)
    folders = sorted(root.iterdir())[:baseline]
    # Half the fresh runs before the batch and half after, so that a drift in load hits both sides alike.
    fresh = {folder.name: run_fresh(folder, numbers) for folder in folders[: len(folders) // 2]}
    batch_seconds, records, batch_peak = run_batch(root, work / "grades", numbers, jobs)
    cluster_ok = bench_cluster(root, work / "grades-cluster", numbers, jobs, (batch_seconds, records, batch_peak))
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
    print(cluster_ok[1])
    if recording:
        bench_recording(work, records, recording)
    return speedup >= TARGET_SPEEDUP and agree == len(folders) and cluster_ok[0]


def bench_cluster(root: Path, out: Path, numbers: str, jobs: int, beside: tuple[float, dict[str, dict], int]) -> tuple[bool, str]:
    """``--cluster local:JOBS`` right after ``--jobs JOBS``: the throughput ratio, the records compared, the memory figures."""
    if importlib.util.find_spec("distributed") is None:
        return True, "    grade batch --cluster: skipped, Dask is not installed (pip install -e '.[cluster]')"
    jobs_seconds, jobs_records, jobs_peak = beside
    seconds, records, peak = run_batch(root, out, numbers, jobs, f"local:{jobs}")
    ratio = jobs_seconds / seconds
    same = sum(_untimed(records.get(name)) == _untimed(record) for name, record in jobs_records.items())
    scores = sum(_scores(records.get(name)) == _scores(record) for name, record in jobs_records.items())
    differ = [f"{name} {check}" for name, record in jobs_records.items() for check in _differ(record, records.get(name))]
    size = (out / "results.jsonl").stat().st_size / len(records)
    lines = [
        f"    grade batch --cluster local:{jobs}:     {seconds:7.1f} s in all, {seconds / len(records):5.2f} s per submission;"
        f" throughput {ratio:.2f}x that of --jobs {jobs} (target >= {TARGET_CLUSTER:g}x)"
        f" -> {'OK' if ratio >= TARGET_CLUSTER else 'MISSED'}",
        f"    records agree with --jobs {jobs} for {same} of {len(jobs_records)} students (apart from timings),"
        f" scores and statuses for {scores}; checks that differ: {', '.join(differ) or 'none'}",
        f"    driver peak memory: --jobs {jobs} {jobs_peak / 2**20:.0f} MiB, --cluster local:{jobs} {peak / 2**20:.0f} MiB"
        f" (its scheduler and nannies included); results.jsonl {size / 1024:.1f} KiB per student",
    ]
    return ratio >= TARGET_CLUSTER and scores == len(jobs_records), "\n".join(lines)


def _untimed(record: dict | None) -> dict | None:
    return record and {**record, "batch": {k: v for k, v in record["batch"].items() if k != "seconds"}}


def _scores(record: dict | None) -> list | None:
    return record and [record["batch"]["status"], *((c["name"], c["score"], c["status"]) for p in record["exercises"] for c in p["checks"])]


def _differ(one: dict, other: dict | None) -> list[str]:
    """The checks whose results differ between two records of a student (a student whose code draws unseeded random numbers)."""
    if other is None:
        return ["(missing)"]
    theirs = {f"{p['exercise']}::{c['name']}": c for p in other["exercises"] for c in p["checks"]}
    mine = {f"{p['exercise']}::{c['name']}": c for p in one["exercises"] for c in p["checks"]}
    return [name for name, check in mine.items() if theirs.get(name) != check]


def bench_training(work: Path, students: int, jobs: int) -> bool:
    six = registry.by_stem("exercise6_training")
    if six is None:
        print("(b) exercise 6 is not registered: skipped")
        return True
    one = make_class(work / "one", [six.stem], 1, mixed=False)
    _, single, _ = run_batch(one, work / "grades-one", "6", 1)
    single_seconds = single["student00"]["batch"]["seconds"]
    root = make_class(work / "class6", [six.stem], students, mixed=False)
    total, records, _ = run_batch(root, work / "grades6", "6", jobs)
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
    parser.add_argument("--recording", type=int, default=0, metavar="N", help="also run (c): the driver's costs at N students recorded")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        ok = True
        if not args.only_training:
            ok &= bench_class(work, args.students, args.jobs, min(args.baseline or args.students, args.students), args.recording)
        if args.training or args.only_training:
            ok &= bench_training(work, args.students, args.jobs)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
