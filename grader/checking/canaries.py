"""What the checks rely on that a new torch or Python could change under them: each in one place, with its canary.

A canary raises where what it guards no longer works. The sandbox runs a probe's canaries in the
child before the student's module is loaded (a probe lists them in its ``canaries`` attribute), so
that a torch release that breaks one makes the check the grader's internal error (exit 3), never a
student's failure; run again after a failure, they tell a student's tampering apart. The kit's own
tests run every canary here (``tests/checking/test_canaries.py``), so such a release fails them first.
"""

from __future__ import annotations

from grader.checking.probing import counts_backward_passes


def torch_says_when_memory_ran_out() -> None:
    """torch's message for a CPU allocation that failed, which the sandbox tells a memory bomb by"""
    import sys

    if sys.platform != "linux":  # no RLIMIT_AS to trip there (macOS ignores it): the portable runner's watchdog tells memory
        return
    import resource

    import torch

    from grader.sandbox.child import out_of_memory

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as file:
        now = int(file.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (now + (256 << 20), hard))
    try:
        torch.empty(1 << 34, dtype=torch.uint8)  # 16 GiB, refused at once
    except BaseException as exc:  # noqa: BLE001 - what it raises is what this canary looks at
        if not out_of_memory(exc):
            raise RuntimeError(f"torch's failed allocation no longer reads as out of memory: {type(exc).__name__}: {exc}") from None
    else:
        raise RuntimeError("torch allocated 16 GiB past the address-space limit")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


CANARIES = {
    # Exercise 3's autograd checks: torch's public function modes see every backward pass, however it is called.
    "torch.overrides.TorchFunctionMode sees Tensor.backward, torch.autograd.backward and torch.autograd.grad": counts_backward_passes,
    # torch raises a plain RuntimeError when the CPU allocator fails: its words are the only sign of a memory bomb.
    "torch's DefaultCPUAllocator says it can't allocate memory": torch_says_when_memory_ran_out,
}
