"""Where training checks run: ``cpu`` or ``cuda``, decided once per grading, in a sandbox child.

The grader's own process never initialises CUDA: it forks the sandbox's zygote, and a process
that forks must not have touched the GPU first.
"""

from __future__ import annotations

from grader.errors import UsageProblem

CHOICES = ("auto", "cpu", "cuda")


class DeviceError(UsageProblem, ValueError):
    """CUDA was asked for where there is none, or the choice is not one of CHOICES."""


def resolve(choice: str, asked_by: str = "--device") -> str:
    """``cpu`` or ``cuda`` for ``choice`` (auto takes CUDA when a child sees it); ``asked_by`` names the setting in messages."""
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise DeviceError(f"{asked_by}={choice!r}: set it to auto, cpu or cuda")
    if choice == "cpu":
        return "cpu"
    from grader import sandbox
    from grader.checking import cuda_available
    from grader.status import Run

    outcome = sandbox.run(cuda_available, limits=sandbox.Limits(timeout=60, memory=None))
    available = outcome.status == Run.OK and outcome.value is True
    if choice == "cuda" and not available:
        raise DeviceError(f"{asked_by} cuda: no CUDA device is available here; use {asked_by} cpu or auto")
    return "cuda" if available else "cpu"
