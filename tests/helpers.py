"""What the kit's tests share besides fixtures: where the kit is, grading in this process, and hostile runs' traces.

Fixtures live in conftest.py, which pytest loads itself; a test imports these helpers from here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

from grader import registry, sandbox
from grader.checking import mnist_tensors
from grader.formats.document import validate
from grader.judge import engine, listing
from grader.sandbox import layers
from grader.settings import Settings

KIT = registry.KIT_ROOT
TRAINS = "exercise6_training"  # the exercise whose grading trains MNIST (6-10 s): slow, out of the fast lane
# One epoch against a 90% goal (the reference reaches about 95% in one): a training check that trains once, in about
# 3 s, for the tests whose subject is not the default 5 epochs and 97% (tests/checking/test_exercises.py grades those).
QUICK_TRAINING = {mnist_tensors.EPOCHS_ENV: "1", mnist_tensors.THRESHOLD_ENV: "90"}
TESTS = Path(__file__).resolve().parent  # the kit's tests, and the hostile submissions and variants they grade


def __getattr__(name: str):
    """``EX1_POINTS``, full marks on exercise 1 (hidden checks included), read from its check file when a test first
    imports it: a sandbox child imports this module with a test's own target, and the checks are hidden from it."""
    if name == "EX1_POINTS":
        return sum(c.points for c in listing.listed(registry.EXERCISES[:1]))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def namespaces_here() -> bool:
    """Whether this machine gives sandbox children namespaces (the tests' own sandbox says)."""
    return layers.NAMESPACES in sandbox.isolation().held


def grade(submission: Path, exercises=None, seed: int = 1234, source=None, **options) -> tuple[dict, int]:
    """Grade in this process; every document the kit makes is held to the schema it ships.
    ``source``: where the reference's answers come from (:mod:`grader.judge.expected`), by default the live reference."""
    chosen = list(exercises or registry.EXERCISES)
    doc, internal = engine.grade(Settings(submission=Path(submission), seed=seed, **options), chosen, source=source)
    validate(doc)
    return doc, internal


def checks(doc: dict) -> dict[str, dict]:
    """Every check of a document by 'stem::name'."""
    return {f"{e['exercise']}::{c['name']}": c for e in doc["exercises"] for c in e["checks"]}


def submission_from(tmp_path: Path, stem: str, source: str) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.py").write_text(source, encoding="utf-8")
    return folder


def solution_with(stem: str, override: str) -> str:
    """The reference solution with some definitions replaced: a realistic mistake."""
    return (KIT / "solutions" / f"{stem}.py").read_text(encoding="utf-8") + "\n\n" + override


def survivors(marker: str, settle: float = 0.5) -> list[int]:
    """Live processes a hostile run started, as seen from outside its namespaces: exec'd ones carry
    ``marker`` in their environment, forked ones took it as their name (``targets.name_process``)."""
    time.sleep(settle)  # a forked child that escaped has long named itself by now
    pids = set()
    needle = f"HOSTILE_MARKER={marker}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (proc / "environ").read_bytes() or (proc / "comm").read_text().strip() == marker[:15]:
                    pids.add(int(proc.name))
    return sorted(pid for pid in pids if _alive(pid))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def new_marker() -> str:
    return f"gh{uuid.uuid4().hex[:12]}"  # short enough to be a whole process name


def clean_up(marker: str) -> None:
    for pid in survivors(marker, settle=0):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def each_exercise() -> list:
    """Every exercise as a pytest parameter named after it; the one whose grading trains MNIST is marked slow."""
    import pytest

    return [pytest.param(e, id=e.name, marks=pytest.mark.slow if e.stem == TRAINS else ()) for e in registry.EXERCISES]
