"""What the checks rely on that a new torch or Python could change under them: each in one place, with its canary.

A canary raises where what it guards no longer works. The sandbox runs a probe's canaries in the
child before the student's module is loaded (a probe lists them in its ``canaries`` attribute), so
that a torch release that breaks one makes the check the grader's internal error (exit 3), never a
student's failure; run again after a failure, they tell a student's tampering apart. The kit's own
tests run every canary here (``tests/test_canaries.py``), so such a release fails them first.
"""

from __future__ import annotations

from grader.probing import counts_backward_passes


def pytest_timeout_names_its_failures() -> None:
    """pytest-timeout's message for a check it stopped, which the plugin tells a timeout by"""
    import pytest_timeout

    if "%s" not in pytest_timeout.PYTEST_FAILURE_MESSAGE:
        raise RuntimeError(f"pytest-timeout's failure message changed: {pytest_timeout.PYTEST_FAILURE_MESSAGE!r}")


CANARIES = {
    # Exercise 3's autograd checks: torch's public function modes see every backward pass, however it is called.
    "torch.overrides.TorchFunctionMode sees Tensor.backward, torch.autograd.backward and torch.autograd.grad": counts_backward_passes,
    # The plugin tells a timed-out check by pytest-timeout's own message constant, not by searching the text.
    "pytest_timeout.PYTEST_FAILURE_MESSAGE": pytest_timeout_names_its_failures,
}
