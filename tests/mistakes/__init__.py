"""Realistic wrong implementations, one module per exercise stem, each with a ``MISTAKES`` list.

A mistake is the reference solution with some definitions appended that replace the right
ones; grading it must cost points on the check meant to catch it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    name: str
    code: str  # appended to the reference solution, replacing definitions
    catches: tuple[str, ...]  # check names that must lose points (any one is enough)
    env: dict[str, str] = field(default_factory=dict)  # set while grading it, e.g. a shorter MNIST training


def of(exercise) -> list[Mistake]:
    """The mistakes of one exercise (``tests/mistakes/<stem>.py``)."""
    return importlib.import_module(f"tests.mistakes.{exercise.stem}").MISTAKES


def every(exercises):
    """(exercise, mistake) pytest parameters for all of them, named ``exercise1-<the mistake's name>``."""
    import pytest

    return [pytest.param(exercise, mistake, id=f"{exercise.name}-{mistake.name}") for exercise in exercises for mistake in of(exercise)]
