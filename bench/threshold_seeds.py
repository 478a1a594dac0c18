"""How far above the accuracy goal does the reference land? Train it over many seeds and print the spread.

    python bench/threshold_seeds.py [--seeds 20] [--epochs 5] [--threshold 97]

Each seed runs exactly what ``mnist_accuracy`` runs (the check's probe, on the reference
solution, in this process on one thread), and the accuracy is measured the way the check
measures it: the reference architecture on all 10,000 test images. The seeds are the ones a
grading run would derive for the check, for runs seeded 0, 1, 2, ...
Exit status 1 when any seed falls below the threshold.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import mnist_tensors
from grader.checks import test_exercise6_training as checks
from grader.data import ensure_mnist
from solutions import exercise6_training as reference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=mnist_tensors.DEFAULT_EPOCHS)
    parser.add_argument("--threshold", type=float, default=mnist_tensors.DEFAULT_THRESHOLD)
    args = parser.parse_args()
    root = str(ensure_mnist())
    accuracies = []
    print(f"reference MNISTClassifier + fit, {args.epochs} epochs, {args.seeds} seeds, threshold {args.threshold:g}%")
    for run in range(args.seeds):
        seed = zlib.crc32(f"{run}:test_mnist_accuracy".encode())  # as the plugin's seed fixture derives it
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # fit prints a line per epoch
            got = checks.probe_fit_mnist(reference, root, args.epochs, seed, "cpu", None)
        accuracy = checks.measured_accuracy(got["state"], root)
        accuracies.append(accuracy)
        print(f"  seed {seed:>10}: {accuracy:6.2f}%  ({time.perf_counter() - began:.1f} s)", flush=True)
    ordered = sorted(accuracies)
    below = sum(a < args.threshold for a in accuracies)
    print(
        f"min {ordered[0]:.2f}  median {statistics.median(ordered):.2f}  mean {statistics.mean(ordered):.2f}  "
        f"max {ordered[-1]:.2f}  stdev {statistics.stdev(ordered):.3f}  (percent)"
    )
    print(
        f"margin of the worst seed over {args.threshold:g}%: {ordered[0] - args.threshold:+.2f} points; "
        f"{below} of {len(ordered)} seeds below the threshold"
    )
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
