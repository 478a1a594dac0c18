"""The reference solution's training curves with the student's seed, drawn beside the student's.

The run is the very child the MNIST accuracy check starts (:func:`grader.checking.training.mnist_training`), with the reference
solution as the module: the same seed, epochs, device and threads, so a correct ``fit`` draws the
same curve. It is a whole training (~8 s of CPU), so it is never paid in the way:

- it runs in the background from the start, in a sandbox child below the checks' priority, on
  the core the other checks leave idle while the student's model trains (the cost on 2 cores is
  measured side by side in ``bench/bench_curves.py``);
- a cache file keeps its curves under everything they depend on: ``grade batch`` keeps one in
  ``--out``, so a batch pays once per seed (every student shares it) and a rerun nothing;
  ``grade`` keeps one in the submission's ``.grade/``, so a replay with ``--seed`` is free.

Only a picture uses it: grading never waits for it, and when it fails the picture has no reference.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from pathlib import Path

import torch

from grader import own_files, registry, sandbox, status
from grader.checking import check_seed, mnist_tensors, training
from grader.data import data_dir
from grader.formats import curves
from grader.i18n import _
from grader.settings import Settings

STEM, CHECK = "exercise6_training", "test_mnist_accuracy"
CHECK_MODULE = f"grader.checks.test_{STEM}"
NICE = 10  # below a check's child while a head start trains (HEAD_START_NICE): it takes only idle CPU
CACHE_NAME = "reference_curves.json"
KEEP = 16  # entries a cache file keeps, the newest


def wanted(exercises) -> bool:
    """Whether a run of ``exercises`` draws training curves."""
    return any(exercise.stem == STEM for exercise in exercises)


class Failed(RuntimeError):
    """The reference run gave no curves; the message says why, for the picture's caption."""


class Run:
    """``Run(settings, cache)`` starts the reference training for ``settings`` unless ``cache`` holds it;
    ``result()`` waits for its curves (None if it failed, and ``problem`` says why); ``cancel()`` stops it
    when no picture needs it, and must be called on every way out, so that its child never outlives the run."""

    def __init__(self, settings: Settings, cache: Path | None = None):
        self.cache, self.key = cache, key(settings)
        self.problem = ""
        self._curves = read(cache, self.key) if cache else None
        self._cancel = threading.Event()
        self._thread = None
        if self._curves is None:
            sandbox.start(preload=("grader.judge.plugin", CHECK_MODULE))  # a batch's first child here; in grade, started already
            self._thread = threading.Thread(target=self._train, args=(settings,), daemon=True)
            self._thread.start()

    def _train(self, settings: Settings) -> None:
        try:
            found = train(settings, self._cancel)
        except Exception as exc:  # noqa: BLE001 - only a picture needs it: the picture goes without, and says why
            self.problem = str(exc) if isinstance(exc, Failed) else f"{type(exc).__name__}: {exc}"
            return
        if self.cache is not None and not self._cancel.is_set():
            write(self.cache, self.key, found)
        self._curves = found

    def ready(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def result(self) -> dict | None:
        try:
            if self._thread is not None:
                self._thread.join()
        except BaseException:  # Ctrl-C while waiting: the child must not outlive the run
            self.cancel()
            raise
        return self._curves

    def cancel(self) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join()


def reference():
    return importlib.import_module(f"{registry.REFERENCE_PACKAGE}.{STEM}")


def key(settings: Settings) -> str:
    """Everything the curves depend on: the check's seed, the goal, where and how it trains, torch, and the reference's code."""
    epochs, goal = mnist_tensors.goal()
    code = hashlib.sha256(Path(reference().__file__).read_bytes()).hexdigest()[:16]
    seed = check_seed(settings.seed, CHECK)
    return json.dumps([seed, epochs, goal, settings.device, settings.threads, torch.__version__, code])


def train(settings: Settings, cancel: threading.Event | None = None) -> dict:
    """Train the reference as the accuracy check trains the student's model: its curves; raises Failed."""
    probe, args = training.mnist_training(settings, check_seed(settings.seed, CHECK))
    limits = sandbox.Limits(
        timeout=mnist_tensors.training_limit() * settings.timeout_scale,
        memory=settings.memory,
        threads=settings.threads,
        address_space=settings.device != "cuda",
        nice=NICE,
    )
    reads = (str(data_dir(settings.data_dir)),)  # MNIST, which the allow-list shows a child only where its task reads it
    outcome = sandbox.run(probe, *args, module=Path(reference().__file__), limits=limits, cancel=cancel, reads=reads)
    if outcome.status != status.RunStatus.OK:
        raise Failed(
            _("the reference run ended with {status}: {message}").format(status=outcome.status, message=outcome.error.get("message", ""))
        )
    epochs, goal = mnist_tensors.goal()
    measured = training.measured_accuracy(outcome.value["state"], args[0])
    return curves.record(outcome.value.get("history"), goal, epochs, measured)


def read(cache: Path, wanted_key: str) -> dict | None:
    """The curves kept under ``wanted_key``; None when there are none, or the file is not a cache (then it is rewritten)."""
    try:
        entries = json.loads(_read(Path(cache)))
        return next((curves.clean(entry["curves"]) for entry in entries if entry["key"] == wanted_key), None)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _read(cache: Path) -> str:
    """The cache's text, read without following a link (in grade, .grade/ is the student's)."""
    with os.fdopen(own_files.open_file(cache.parent.parent, cache.name, folder=cache.parent.name), "rb") as file:
        return file.read().decode("utf-8")


def write(cache: Path, new_key: str, found: dict) -> None:
    """Keep ``found`` under ``new_key``, with the newest others; best effort, as the cache only saves time."""
    cache = Path(cache)
    try:
        entries = json.loads(_read(cache)) if cache.exists() else []
        entries = [entry for entry in entries if isinstance(entry, dict) and entry.get("key") != new_key]
    except (OSError, ValueError):
        entries = []
    entries = [*entries, {"key": new_key, "curves": found}][-KEEP:]
    try:
        cache.parent.parent.mkdir(parents=True, exist_ok=True)
        own_files.write_bytes(cache.parent.parent, cache.name, json.dumps(entries, indent=1).encode("utf-8"), folder=cache.parent.name)
    except OSError:
        pass
