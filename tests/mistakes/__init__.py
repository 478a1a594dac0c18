"""Realistic wrong implementations, one module per exercise stem, each with a ``MISTAKES`` list.

A mistake is the reference solution with some definitions appended that replace the right
ones; grading it must cost points on the check meant to catch it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    name: str
    code: str  # appended to the reference solution, replacing definitions
    catches: tuple[str, ...]  # check names that must lose points (any one is enough)
    env: dict[str, str] = field(default_factory=dict)  # set while grading it, e.g. a shorter MNIST training
