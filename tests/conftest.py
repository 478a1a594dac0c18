"""Shared helpers for the kit's tests: grade a folder in-process and look up checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader import engine, history, registry
from grader.plugin import Settings

KIT = registry.KIT_ROOT
# No test writes a history into the kit's own exercises/ (grade 1 would); the tests of the history turn it on in tmp_path.
os.environ[history.ENV] = "off"


@pytest.fixture(scope="session", autouse=True)
def forkserver_with_every_check():
    """Start the sandbox's forkserver with every exercise's checks (and so torchvision) preloaded.

    Otherwise the first test to grade decides what is preloaded, and every sandbox child of a
    later exercise that uses torchvision imports it again: about 2 s a child, 6x slower tests.
    """
    engine.warm_up(registry.EXERCISES)


def grade(submission: Path, exercises=None, seed: int = 1234, **options) -> tuple[dict, int]:
    chosen = list(exercises or registry.EXERCISES)
    return engine.grade(Settings(submission=Path(submission), seed=seed, **options), chosen)


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
