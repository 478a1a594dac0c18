"""Tools for probes: the check code that runs in the sandbox child, next to the student's code.

A probe may patch torch for the length of one call (to simulate a GPU, or to record what
the student passed to ``torch.load``) and must turn whatever the student built into plain
data before it crosses back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import torch
from torch.overrides import TorchFunctionMode

from grader.i18n import N_, _
from grader.sandbox.limits import PROBE_THREADS

# A canary's docstring names it in the message of a student whose code broke it (grader.sandbox.child translates it):
# counts_backward_passes's, marked here for the catalog.
BACKWARD_COUNTER = N_("the grader's counter of backward passes")


def few_threads(threads: int | None = None) -> None:
    """Run the rest of this child on ``threads`` CPU threads, PROBE_THREADS by default, as the judge computes the
    check's expected values. The checks' models are small, so more threads gain little, while OpenMP threads spinning
    on a busy machine slow training several-fold (measured on 2 loaded cores: 0.17 s on one thread, 0.5-1.1 s on two)."""
    torch.set_num_threads(threads or PROBE_THREADS)


def plain_view(value, depth: int = 0):
    """``value`` as plain data: mappings become dicts, lists and tuples keep their type,
    tensors stay tensors (detached, on the CPU), and any other object becomes the string
    ``'<TypeName>'``, so a student's odd return value is described rather than refused."""
    if depth > 20:
        return _("<too deeply nested>")
    if isinstance(value, (bool, int, float, str, type(None), torch.dtype, torch.device)):
        return value
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            return _("<tensor on meta of shape {shape}>").format(shape=tuple(value.shape))
        return value.detach().cpu()
    if isinstance(value, Mapping):
        return {(k if isinstance(k, (str, int)) else repr(k)): plain_view(v, depth + 1) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(plain_view(v, depth + 1) for v in value)
    return f"<{type(value).__name__}>"


def state_of(model: torch.nn.Module) -> dict:
    """A model's state_dict as a plain dict of CPU tensors."""
    return {key: tensor.detach().cpu() for key, tensor in model.state_dict().items()}


@contextlib.contextmanager
def replaced(module, owner, name: str, replacement):
    """Replace ``owner.name`` for the block, and every alias of it in the student's
    ``module`` (``from torch import load`` binds its own name), then put them back."""
    original = getattr(owner, name)
    aliases = [alias for alias, value in vars(module).items() if value is original] if module is not None else []
    setattr(owner, name, replacement)
    for alias in aliases:
        setattr(module, alias, replacement)
    try:
        yield original
    finally:
        setattr(owner, name, original)
        for alias in aliases:
            setattr(module, alias, original)


class Trace:
    """Records, at each forward pass, whether the model was in training mode and whether autograd
    was on; and, as each backward pass reaches the model, whether gradients from before were
    still there (zero_grad forgotten)."""

    def __init__(self, model: torch.nn.Module):
        self.modes, self.grad, self.stale = [], [], []
        model.register_forward_pre_hook(self._forward)
        model.register_full_backward_pre_hook(self._backward)

    def _forward(self, module, args):
        self.modes.append(module.training)
        self.grad.append(torch.is_grad_enabled())

    def _backward(self, module, grad_output):
        self.stale.append(any(p.grad is not None and bool(p.grad.any()) for p in module.parameters()))


class WatchedSGD(torch.optim.SGD):
    """SGD that remembers, at each step, whether any parameter had a gradient yet: a step taken
    before loss.backward() has none."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.had_grad: list[bool] = []

    def step(self, closure=None):
        self.had_grad.append(any(p.grad is not None for group in self.param_groups for p in group["params"]))
        return super().step(closure)


class LoadRecorder:
    """Stands in for ``torch.load`` and records the ``map_location`` of each call.

    ``onto`` makes the real load use that location instead of the one asked for, so a probe
    can ask for the meta device (a stand-in for a GPU) and still get weights with values.
    """

    def __init__(self, real_load, onto=None):
        self.real_load, self.onto = real_load, onto
        self.locations: list = []

    def __call__(self, f, map_location=None, *args, **kwargs):
        self.locations.append(map_location)
        return self.real_load(f, self.onto if self.onto is not None else map_location, *args, **kwargs)

    def devices(self) -> list:
        """Each recorded map_location as a torch.device (None when none was given, or a
        description when it was something else, such as a function or a dict)."""
        found = []
        for location in self.locations:
            if location is None:
                found.append(None)
                continue
            try:
                found.append(torch.device(location))
            except (TypeError, RuntimeError, ValueError):
                found.append(f"<{type(location).__name__}>")
        return found


@contextlib.contextmanager
def recording_load(module, onto=None):
    """Record every ``torch.load`` the student's code makes in the block (see LoadRecorder)."""
    recorder = LoadRecorder(torch.load, onto)
    with replaced(module, torch, "load", recorder), replaced(None, torch.serialization, "load", recorder):
        yield recorder


class BackwardPasses(TorchFunctionMode):
    """Counts the backward passes run in its block, however the student reached them: ``Tensor.backward``,
    ``torch.autograd.backward`` and ``torch.autograd.grad`` all pass through torch's public function modes."""

    PASSES = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.PASSES:
            self.count += 1
        return func(*args, **(kwargs or {}))


def counts_backward_passes() -> None:
    """the grader's counter of backward passes"""  # (how a student's breaking it is named, in the message: BACKWARD_COUNTER)
    x = torch.tensor(1.0, requires_grad=True)
    with BackwardPasses() as passes:
        (x * x).backward()
        torch.autograd.backward(x * x)
        torch.autograd.grad(x * x, x)
    if passes.count != 3:
        raise RuntimeError(
            _("the backward-pass counter saw {count} of 3 passes with torch {version}").format(
                count=passes.count, version=torch.__version__
            )
        )
