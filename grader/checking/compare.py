"""Compare a student's value with the reference's and say exactly where they differ.

Type, then shape and dtype, then values: the student's tensor is never broadcast, so a
(3, 1) answer to a (3,) question fails on its shape rather than passing by accident.
"""

from __future__ import annotations

import math

import torch

from grader.i18n import _, ngettext, number

ATOL = 1e-5
RTOL = 1e-5
# Weights an adaptive optimizer trained (expect_trained): at most this share of their elements may differ past the
# tolerance, and the difference as a whole may be at most TRAINED_SPREAD of what training moved them.
TRAINED_ELEMENTS = 1e-3
TRAINED_SPREAD = 0.1


class CheckFailed(AssertionError):
    """A student's value is wrong; the message is what the student reads."""


def fail(message: str):
    raise CheckFailed(message)


def returned(call: str, got: str, want: str) -> str:
    """The commonest message, defined once: what a call returned and what was expected, both described already."""
    return _("{call} returned {got}; expected {want}").format(call=call, got=got, want=want)


def describe(value) -> str:
    """A short description of any plain value, for messages."""
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {shape} and dtype {dtype}").format(
            shape=tuple(value.shape), dtype=str(value.dtype).removeprefix("torch.")
        )
    if isinstance(value, (list, tuple)) and type(value) is not torch.Size:
        count = len(value)
        return ngettext("a {kind} of {count} item", "a {kind} of {count} items", count).format(kind=type(value).__name__, count=count)
    if value is None or type(value) is torch.Size:  # its repr names its type already: not "Size torch.Size([3])"
        return repr(value)
    return f"{type(value).__name__} {value!r}"


def expect_tensor(got, expected: torch.Tensor, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    if not isinstance(got, torch.Tensor):
        fail(returned(call, describe(got), describe(expected)))
    if got.dtype != expected.dtype:
        fail(_("{call} returned dtype {got}; expected {want}").format(call=call, got=got.dtype, want=expected.dtype))
    if got.shape != expected.shape:
        fail(_("{call} returned shape {got}; expected {want}").format(call=call, got=tuple(got.shape), want=tuple(expected.shape)))
    close = torch.isclose(got, expected, atol=atol, rtol=rtol, equal_nan=True) if expected.is_floating_point() else got == expected
    if not bool(close.all()):
        index = tuple(int(i) for i in (~close).nonzero()[0])
        values = {"call": call, "got": f"{got[index].item():.6g}", "want": f"{expected[index].item():.6g}"}
        if index:
            where, total = f"[{', '.join(map(str, index))}]", close.numel()
            said = ngettext(
                "{call} has the wrong value at {where}: got {got}, expected {want} (wrong in {count} of {total} element)",
                "{call} has the wrong value at {where}: got {got}, expected {want} (wrong in {count} of {total} elements)",
                total,
            )
            fail(said.format(where=where, count=number(int((~close).sum())), total=number(total), **values))
        fail(_("{call} has the wrong value: got {got}, expected {want}").format(**values))  # a 0-d tensor: its one element


def expect_number(got, expected: float, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        if isinstance(got, torch.Tensor):
            fail(
                _("{call} returned {got}; expected a Python number; use .item() to turn a one-element tensor into a Python number").format(
                    call=call, got=describe(got)
                )
            )
        fail(_("{call} returned {got}; expected a Python number").format(call=call, got=describe(got)))
    if not math.isclose(got, expected, abs_tol=atol, rel_tol=rtol):
        fail(returned(call, f"{got:.6g}", f"{expected:.6g}"))


def expect_same(got, expected, call: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    """Compare any plain value: tensors, numbers, and tuples, lists and dicts of them, recursively."""
    if isinstance(expected, torch.Tensor):
        return expect_tensor(got, expected, call, atol, rtol)
    if isinstance(expected, float):
        return expect_number(got, expected, call, atol, rtol)
    if isinstance(expected, (tuple, list)) and type(expected) is not torch.Size:
        if type(got) is not type(expected):
            fail(returned(call, describe(got), describe(expected)))
        if len(got) != len(expected):
            said = ngettext("{call} returned {got} item; expected {want}", "{call} returned {got} items; expected {want}", len(got))
            fail(said.format(call=call, got=len(got), want=len(expected)))
        for i, (g, e) in enumerate(zip(got, expected)):
            expect_same(g, e, f"{call}[{i}]", atol, rtol)
        return None
    if isinstance(expected, dict):
        if type(got) is not dict:
            fail(_("{call} returned {got}; expected a dict").format(call=call, got=describe(got)))
        if set(got) != set(expected):
            fail(_("{call} has keys {got}; expected {want}").format(call=call, got=sorted(map(str, got)), want=sorted(map(str, expected))))
        for key in expected:
            expect_same(got[key], expected[key], f"{call}[{key!r}]", atol, rtol)
        return None
    if type(got) is not type(expected) or got != expected:
        fail(returned(call, describe(got), describe(expected)))
    return None


def expect_trained(got, expected: dict, start: dict, call: str) -> None:
    """Weights trained by Adam (a state_dict), against the reference's trained from the same ``start``.

    Adam divides each gradient by its own running size, so where a gradient is nearly zero, a difference in its last
    bits (another summation order, thread count or CPU, an extra ``.item()``) moves that weight by up to a whole step:
    a correct training may differ from the reference's in a few such weights (1 of 100,352 was seen). A wrong learning
    rate, a lost optimizer state or another optimizer changes nearly every weight. So a few elements may differ
    (TRAINED_ELEMENTS of them), as long as the difference stays small beside what training moved (TRAINED_SPREAD)."""
    if type(got) is not dict or set(got) != set(expected):
        expect_same(got, expected, call)  # the structure's failure, worded as for any dict
        return
    differing = total = 0
    spread = moved = 0.0
    for key, want in expected.items():
        value = got[key]
        if not (isinstance(value, torch.Tensor) and want.is_floating_point() and value.dtype == want.dtype and value.shape == want.shape):
            expect_tensor(value, want, f"{call}[{key!r}]")
            continue
        close = torch.isclose(value, want, atol=ATOL, rtol=RTOL, equal_nan=True)
        differing, total = differing + int((~close).sum()), total + close.numel()
        spread += float((value.double() - want.double()).square().sum())
        moved += float((want.double() - start[key].double()).square().sum())
    if differing == 0 or (differing <= TRAINED_ELEMENTS * total and math.sqrt(spread) <= TRAINED_SPREAD * math.sqrt(moved)):
        return
    for key, want in expected.items():  # the first element that differs, said as for any tensor
        expect_tensor(got[key], want, f"{call}[{key!r}]")
