"""Shared helpers for the kit's tests: grade a folder in-process and look up checks."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import uuid
from pathlib import Path

import pytest

from grader import registry, sandbox
from grader.formats.document import validate
from grader.judge import engine
from grader.sandbox import layers
from grader.settings import Settings
from grader.student import history

KIT = registry.KIT_ROOT
EX1_POINTS = engine.max_points(registry.EXERCISES[0])  # what full marks on exercise 1 are, hidden checks included
# No test writes a history into the kit's own exercises/ (grade 1 would); the tests of the history turn it on in tmp_path.
os.environ[history.ENV] = "off"


@pytest.fixture(autouse=True)
def language_of_click_put_back(monkeypatch):
    """A test that runs the CLI in this process sets LANGUAGE for click's texts (grader.i18n.tell_click): put it back,
    so that the programs later tests start (git, pip, nbgrader) speak as they would have."""
    monkeypatch.setenv("LANGUAGE", os.environ.get("LANGUAGE", ""))
    if not os.environ["LANGUAGE"]:
        monkeypatch.delenv("LANGUAGE")


@pytest.fixture(scope="session", autouse=True)
def zygote_with_every_check():
    """Start the sandbox's zygote with every exercise's checks (and so torchvision) preloaded.

    Otherwise the first test to grade decides what is preloaded, and every sandbox child of a
    later exercise that uses torchvision imports it again: about 2 s a child, 6x slower tests.
    """
    engine.warm_up(registry.EXERCISES)


def namespaces_here() -> bool:
    """Whether this machine gives sandbox children namespaces (the tests' own sandbox says)."""
    return layers.NAMESPACES in sandbox.isolation().held


@pytest.fixture(scope="session")
def fallback():
    """A sandbox without namespaces, as on a machine that refuses them: the fallback layers alone."""
    box = sandbox.Sandbox(namespaces=False).start()
    yield box
    box.close()


@pytest.fixture(params=["namespaces", "fallback"])
def box(request, fallback):
    """Each sandbox this machine can give: with namespaces (where it allows them) and without."""
    if request.param == "fallback":
        return fallback
    if not namespaces_here():
        pytest.skip(f"no namespaces here: {sandbox.isolation().missing.get(layers.NAMESPACES)}")
    return sandbox.current()


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


@pytest.fixture
def kit() -> Path:
    return KIT


@pytest.fixture
def solutions_copy(tmp_path) -> Path:
    target = tmp_path / "solutions"
    shutil.copytree(KIT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


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
