"""Compare a student's value with the reference's and say exactly where they differ.

Type, then shape and dtype, then values: the student's tensor is never broadcast, so a
(3, 1) answer to a (3,) question fails on its shape rather than passing by accident.
"""

from __future__ import annotations

import math

import torch

ATOL = 1e-5
RTOL = 1e-5


class CheckFailed(AssertionError):
    """A student's value is wrong; the message is what the student reads."""


def fail(message: str):
    raise CheckFailed(message)


def describe(value) -> str:
    """A short description of any plain value, for messages."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, (list, tuple)) and type(value) is not torch.Size:
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    if value is None:
        return "None"
    return f"{type(value).__name__} {value!r}"


def expect_tensor(got, expected: torch.Tensor, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    if not isinstance(got, torch.Tensor):
        fail(f"{call} returned {describe(got)}; expected {describe(expected)}")
    if got.dtype != expected.dtype:
        fail(f"{call} returned dtype {got.dtype}; expected {expected.dtype}")
    if got.shape != expected.shape:
        fail(f"{call} returned shape {tuple(got.shape)}; expected {tuple(expected.shape)}")
    close = torch.isclose(got, expected, atol=atol, rtol=rtol, equal_nan=True) if expected.is_floating_point() else got == expected
    if not bool(close.all()):
        index = tuple(int(i) for i in (~close).nonzero()[0])
        where = f"[{', '.join(map(str, index))}]" if index else ""
        fail(
            f"{call} has the wrong value{' at ' + where if where else ''}: "
            f"got {got[index].item():.6g}, expected {expected[index].item():.6g}"
            f" ({int((~close).sum())} of {close.numel()} elements differ)"
        )


def expect_number(got, expected: float, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        extra = "; use .item() to turn a one-element tensor into a Python number" if isinstance(got, torch.Tensor) else ""
        fail(f"{call} returned {describe(got)}; expected a Python number{extra}")
    if not math.isclose(got, expected, abs_tol=atol, rel_tol=rtol):
        fail(f"{call} returned {got:.6g}; expected {expected:.6g}")


def expect_same(got, expected, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    """Compare any plain value: tensors, numbers, and tuples, lists and dicts of them, recursively."""
    if isinstance(expected, torch.Tensor):
        return expect_tensor(got, expected, call, atol, rtol)
    if isinstance(expected, float):
        return expect_number(got, expected, call, atol, rtol)
    if isinstance(expected, (tuple, list)) and type(expected) is not torch.Size:
        if type(got) is not type(expected):
            fail(f"{call} returned {describe(got)}; expected {describe(expected)}")
        if len(got) != len(expected):
            fail(f"{call} returned {len(got)} items; expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            expect_same(g, e, f"{call}[{i}]", atol, rtol)
        return None
    if isinstance(expected, dict):
        if type(got) is not dict:
            fail(f"{call} returned {describe(got)}; expected a dict")
        if set(got) != set(expected):
            fail(f"{call} has keys {sorted(map(str, got))}; expected {sorted(map(str, expected))}")
        for key in expected:
            expect_same(got[key], expected[key], f"{call}[{key!r}]", atol, rtol)
        return None
    if type(got) is not type(expected) or got != expected:
        fail(f"{call} returned {describe(got)}; expected {describe(expected)}")
    return None
