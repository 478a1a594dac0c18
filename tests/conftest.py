"""The fixtures of the kit's tests: the sandboxes, the kit and a copy of the solutions (helpers are in tests/helpers.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader import registry, sandbox
from grader.judge import engine
from grader.sandbox import layers
from grader.student import history
from tests.helpers import KIT, namespaces_here

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


@pytest.fixture
def kit() -> Path:
    return KIT


@pytest.fixture
def solutions_copy(tmp_path) -> Path:
    target = tmp_path / "solutions"
    shutil.copytree(KIT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target
