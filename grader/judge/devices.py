"""Where training checks run: ``cpu`` or ``cuda``, decided once per grading, in a sandbox child.

The grader's own process never initialises CUDA: it forks the sandbox's zygote, and a process
that forks must not have touched the GPU first.
"""

from __future__ import annotations

from grader.errors import UsageProblem
from grader.i18n import _

CHOICES = ("auto", "cpu", "cuda")


class DeviceError(UsageProblem, ValueError):
    """CUDA was asked for where there is none, or the choice is not one of CHOICES."""


def resolve(choice: str, asked_by: str = "--device") -> str:
    """``cpu`` or ``cuda`` for ``choice`` (auto takes CUDA when a child sees it); ``asked_by`` names the setting in messages."""
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise DeviceError(_("{setting}={choice!r}: set it to auto, cpu or cuda").format(setting=asked_by, choice=choice))
    if choice == "cpu":
        return "cpu"
    from grader import sandbox
    from grader.checking import cuda_available
    from grader.status import RunStatus

    outcome = sandbox.run(cuda_available, limits=sandbox.Limits(timeout=60, memory=None))
    available = outcome.status == RunStatus.OK and outcome.value is True
    if choice == "cuda" and not available:
        raise DeviceError(_("{setting} cuda: no CUDA device is available here; use {setting} cpu or auto").format(setting=asked_by))
    return "cuda" if available else "cpu"
