"""The whole module is the reference solution, imported: refused, so no check can pass."""

from solutions.exercise1_tensors import *  # noqa: F403
