"""Is grading in a student release as fast as in the full kit? One ratio, measured side by side in one run.

``grade release`` writes a release of EXERCISES into a temporary folder (1 public seed); then
``grade EXERCISES --submission <the reference solutions> --seed <that seed>`` runs alternately in the
release (replaying the recorded answers) and in the full kit (asking the live reference), and the
medians are compared. The release runs the public checks only (its hidden ones are cut out), so the
fair figure is the time per check: target release / full kit <= 1.0 per check (the machine's noise is a
few percent either way). Also printed: the whole runs' ratio and the size of the release's expectations.

    python bench/bench_release.py [--runs 5] [--exercises 1,2,3,4,5,7]

Only the standard library measures; the numbers go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.0


def grade(kit: Path, *args: str) -> subprocess.CompletedProcess:
    """``grade`` of the kit in ``kit`` (a release is not installed: its own grader comes first on the path)."""
    env = dict(os.environ, PYTHONPATH=str(kit))
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=kit, env=env, capture_output=True, text=True)


def timed(kit: Path, args: list[str]) -> float:
    began = time.perf_counter()
    done = grade(kit, *args)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"grade {' '.join(args)} in {kit} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def checks(kit: Path, args: list[str]) -> int:
    """How many checks ``grade`` runs in ``kit``: the release has no hidden ones."""
    done = grade(kit, *args, "--format", "json")
    if done.returncode != 0:
        sys.exit(f"grade {' '.join(args)} in {kit} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return sum(len(part["checks"]) for part in json.loads(done.stdout)["exercises"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--exercises", default="1,2,3,4,5,7", help="comma-separated numbers (6 trains MNIST: minutes a run)")
    args = parser.parse_args()
    numbers = [n.strip() for n in args.exercises.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-release-") as folder:
        out, submission = Path(folder) / "release", Path(folder) / "submission"
        began = time.perf_counter()
        made = grade(KIT, "release", str(out), *numbers, "--seeds", "1")
        if made.returncode != 0:
            sys.exit(f"grade release exited {made.returncode}:\n{made.stderr[-2000:]}")
        print(f"grade release of exercises {', '.join(numbers)} at 1 seed: {time.perf_counter() - began:.1f} s")
        manifest = json.loads((out / "grader" / "recorded" / "manifest.json").read_text(encoding="utf-8"))
        seed = str(manifest["seeds"][0])
        recorded = sum(p.stat().st_size for p in (out / "grader" / "recorded").iterdir())
        print(f"expectations: {recorded / 1024:.0f} KiB for {len(manifest['exercises'])} exercise(s) at 1 seed")
        shutil.copytree(KIT / "solutions", submission)
        command = [*numbers, "--submission", str(submission), "--seed", seed]
        counts = {kit: checks(kit, command) for kit in (out, KIT)}  # one untimed run of each, too: caches warm alike
        release, full = [], []
        for i in range(args.runs):
            pair = [(out, release), (KIT, full)]
            for kit, times in pair if i % 2 == 0 else pair[::-1]:  # alternate, so that load drifts hit both alike
                times.append(timed(kit, command))
    for name, times in (("release", release), ("full kit", full)):
        print(f"{name:>9}: median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}) over {args.runs} runs")
    whole = statistics.median(release) / statistics.median(full)
    per_check = (statistics.median(release) / counts[out]) / (statistics.median(full) / counts[KIT])
    verdict = "meets" if per_check <= TARGET_RATIO else "misses"
    print(f"checks: {counts[out]} in the release, {counts[KIT]} in the full kit")
    print(f"release / full kit = {whole:.2f}x a run, {per_check:.2f}x a check ({verdict} the target <= {TARGET_RATIO:.1f}x a check)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
