"""Plain data across the sandbox boundary: ``torch.save`` bytes one way, ``weights_only`` loads the other.

The child may be hostile, so the trusted side never unpickles what it sends: only tensors,
numbers, strings, None, torch.Size, dtypes, devices and lists, tuples and dicts of these.
"""

from __future__ import annotations

import io

import torch

from grader.blame import StudentMistake
from grader.i18n import _

PLAIN_SCALARS = (bool, int, float, str, bytes, type(None), torch.dtype, torch.device)


class NotPlainData(StudentMistake, TypeError):
    """A value that cannot cross the boundary; the message names where it sits."""


def plain(value, where: str | None = None):
    """Return ``value`` as exact built-in types, or raise NotPlainData naming the culprit.

    Exact types matter: a subclass of ``tuple`` or ``Tensor`` could carry a forged ``__eq__``.
    """
    where = _("the result") if where is None else where
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return value
    if kind is torch.Size:
        return torch.Size(tuple(int(n) for n in value))
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            raise NotPlainData(_("{where} is a tensor on the meta device, which holds no values").format(where=where))
        # Parameters and other subclasses become plain tensors; a probe reports the device itself if it matters.
        return value.detach().cpu().as_subclass(torch.Tensor)
    if kind in (list, tuple):
        return kind(plain(item, f"{where}[{i}]") for i, item in enumerate(value))
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) not in (str, int):
                raise NotPlainData(_("{where} has a key of type {kind}; use str or int keys").format(where=where, kind=type(key).__name__))
            out[key] = plain(item, f"{where}[{key!r}]")
        return out
    said = _("{where} is a {kind}, not plain data (a tensor, a number, a string, or a list, tuple or dict of these)")
    raise NotPlainData(said.format(where=where, kind=f"{kind.__module__}.{kind.__qualname__}"))


def encode(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def decode(data: bytes):
    """Load what a child sent, allowing plain data only and never touching a GPU here."""
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


encode(None)  # torch.save imports more on its first call: once here (in the zygote too), not in every child
