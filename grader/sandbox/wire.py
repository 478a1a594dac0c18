"""Plain data across the sandbox boundary: a JSON structure plus the tensors as safetensors bytes, no pickle.

The child may be hostile, and may write any bytes it likes to its result pipe, so the trusted side
parses only formats with no code in them: JSON, with a tagged node for each type JSON lacks, and
tensors by name in one safetensors blob. Only tensors (dense, strided), numbers (NumPy's become
Python's), strings, bytes, None, torch.Size, dtypes, devices and lists, tuples and dicts of these
cross, within a depth, a count of values and a size; :func:`decode` refuses anything else as :class:`BadResult`, the
student's failure.

A frame is ``MAGIC``, 8 bytes of big-endian length, that much JSON, then the safetensors bytes.
"""

from __future__ import annotations

import base64
import json
import struct
import sys

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from grader.i18n import _, ngettext, number
from grader.sandbox.blame import StudentMistake

PLAIN_SCALARS = (bool, int, float, str, bytes, type(None), torch.dtype, torch.device)
MAX_DEPTH = 100  # lists in lists: a tensor's .tolist() is as deep as its dimensions
MAX_VALUES = 1_000_000  # values in one result, tensors counted as one each
MAX_STRUCTURE = 16 << 20  # bytes of JSON: large data should be a tensor, which crosses as raw bytes
MAGIC = b"plain1"
LENGTH = struct.Struct("!Q")
# What safetensors can carry (complex128, complex32 and the quantized types are not among them).
DTYPES = {str(t).removeprefix("torch."): t for t in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8,
    torch.uint8, torch.bool, torch.complex64, torch.uint16, torch.uint32, torch.uint64,
    torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz,
)}  # fmt: skip
ALL_DTYPES = {str(t).removeprefix("torch."): t for t in vars(torch).values() if isinstance(t, torch.dtype)}


class NotPlainData(StudentMistake, TypeError):
    """A value that cannot cross the boundary; the message names where it sits."""


class BadResult(StudentMistake, ValueError):
    """Bytes from a child that are not a result :func:`encode` could have written: a forged or broken frame."""


def plain(value, where: str | None = None):
    """Return ``value`` as exact built-in types, or raise NotPlainData naming the culprit.

    Exact types matter: a subclass of ``tuple`` or ``Tensor`` could carry a forged ``__eq__``.
    """
    where = _("the result") if where is None else where
    count = [0]
    return _plain(value, where, 0, count)


def _plain(value, where: str, depth: int, count: list):
    count[0] += 1
    if count[0] > MAX_VALUES:
        said = _("the result holds more than {count} values; return a tensor instead of so many numbers")
        raise NotPlainData(said.format(count=number(MAX_VALUES)))
    if depth > MAX_DEPTH:
        raise NotPlainData(_("{where} is nested more than {depth} deep").format(where=where, depth=MAX_DEPTH))
    kind = type(value)
    if kind in PLAIN_SCALARS:
        return value
    if kind is torch.Size:
        return torch.Size(tuple(int(n) for n in value))
    if isinstance(value, torch.Tensor):
        return _tensor(value, where)
    if kind in (list, tuple):
        return kind(_plain(item, f"{where}[{i}]", depth + 1, count) for i, item in enumerate(value))
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) not in (str, int):
                raise NotPlainData(_("{where} has a key of type {kind}; use str or int keys").format(where=where, kind=type(key).__name__))
            out[key] = _plain(item, f"{where}[{key!r}]", depth + 1, count)
        return out
    if kind in _numpy_numbers():  # last: asked only of what would be refused
        return sys.modules["numpy"].generic.item(value)  # numpy's own method: the type is exact, so it holds no override
    said = _("{where} is a {kind}, not plain data (a tensor, a number, a string, or a list, tuple or dict of these)")
    raise NotPlainData(said.format(where=where, kind=f"{kind.__module__}.{kind.__qualname__}"))


def _numpy_numbers() -> tuple[type, ...]:
    """NumPy's bool, integer and float scalar types, which cross as the Python number they hold: ``np.prod(shape)`` or
    ``np.mean(losses)`` is the right number (``np.float64`` is even a float), and an honest answer loses nothing for it.
    Empty where the child never imported NumPy, so that it is not imported for this."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return ()
    return (numpy.bool_, numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8, numpy.uint16, numpy.uint32,
            numpy.uint64, numpy.float16, numpy.float32, numpy.float64)  # fmt: skip


def _tensor(value: torch.Tensor, where: str) -> torch.Tensor:
    if value.device.type == "meta":
        raise NotPlainData(_("{where} is a tensor on the meta device, which holds no values").format(where=where))
    if value.is_nested or value.layout != torch.strided:
        layout = "nested" if value.is_nested else str(value.layout).removeprefix("torch.")
        said = _("{where} is a {layout} tensor; return a dense one (.to_dense(), or a list of tensors)")
        raise NotPlainData(said.format(where=where, layout=layout))
    if value.dtype not in DTYPES.values():
        said = _("{where} is a tensor of dtype {dtype}, which cannot be sent back; convert it (.to(torch.float64), say)")
        raise NotPlainData(said.format(where=where, dtype=str(value.dtype).removeprefix("torch.")))
    # Parameters and other subclasses become plain tensors; a probe reports the device itself if it matters.
    return value.detach().cpu().as_subclass(torch.Tensor)


# ------------------------------------------------------------------ the bytes


def encode(value) -> bytes:
    """``value`` (plain data, see :func:`plain`) as a frame's bytes."""
    tensors: dict[str, torch.Tensor] = {}
    structure = json.dumps(_tree(value, tensors), separators=(",", ":")).encode()
    if len(structure) > MAX_STRUCTURE:
        said = _("the result is {size} bytes once written out, over {cap}; return large data as a tensor")
        raise NotPlainData(said.format(size=number(len(structure)), cap=number(MAX_STRUCTURE)))
    return MAGIC + LENGTH.pack(len(structure)) + structure + (save_tensors(tensors) if tensors else b"")


def _tree(value, tensors: dict):
    kind = type(value)
    if kind in (bool, int, float, str, type(None)):
        return value
    if kind is list:
        return [_tree(item, tensors) for item in value]
    if kind is tuple:
        return {"tuple": [_tree(item, tensors) for item in value]}
    if kind is dict:
        return {"dict": [[key, _tree(item, tensors)] for key, item in value.items()]}
    if kind is bytes:
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if kind is torch.dtype:
        return {"dtype": str(value).removeprefix("torch.")}
    if kind is torch.device:
        return {"device": str(value)}
    if kind is torch.Size:
        return {"size": [int(n) for n in value]}
    if isinstance(value, torch.Tensor):
        name = str(len(tensors))
        tensors[name] = _alone(value.detach().cpu(), tensors)
        return {"tensor": name}
    raise NotPlainData(_("{where} is a {kind}, not plain data").format(where=_("the result"), kind=kind.__name__))


def _alone(value: torch.Tensor, tensors: dict) -> torch.Tensor:
    """``value``, or a contiguous copy where safetensors would refuse it: it skips through its memory, or shares it
    with a tensor already sent. A copy of every tensor took 2 ms per MiB on a loaded machine."""
    storage = value.untyped_storage().data_ptr()
    if value.is_contiguous() and all(other.untyped_storage().data_ptr() != storage for other in tensors.values()):
        return value
    return value.contiguous().clone()


def decode(data: bytes):
    """What a child sent, as plain data; :class:`BadResult` for anything :func:`encode` could not have written."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + LENGTH.size:
        raise BadResult(_("its result does not start as a result does"))
    start = len(MAGIC) + LENGTH.size
    length = LENGTH.unpack_from(data, len(MAGIC))[0]
    if length > MAX_STRUCTURE or start + length > len(data):
        raise BadResult(_("its result announces {size} bytes of structure, which it does not hold").format(size=number(length)))
    try:
        tree = json.loads(data[start : start + length].decode("utf-8"))
    except RecursionError:
        raise BadResult(_("its result is nested more than {depth} deep").format(depth=MAX_DEPTH)) from None
    except ValueError as exc:  # UnicodeDecodeError and json's errors both
        raise BadResult(_("its result's structure is not JSON ({problem})").format(problem=exc)) from None
    blob = data[start + length :]
    try:
        tensors = load_tensors(blob) if blob else {}
    except Exception as exc:  # noqa: BLE001 - whatever safetensors makes of broken bytes
        raise BadResult(_("its result's tensors cannot be read ({problem})").format(problem=exc)) from None
    reader = _Reader(tensors)
    value = reader.read(tree, 0)
    if reader.used != set(tensors):
        raise BadResult(_("its result holds tensors that its structure does not name"))
    return value


class _Reader:
    """The JSON tree back to values, refusing whatever :func:`_tree` does not write."""

    def __init__(self, tensors: dict):
        self.tensors, self.used, self.count = tensors, set(), 0

    def read(self, node, depth: int):
        self.count += 1
        if self.count > MAX_VALUES:
            raise BadResult(_("its result holds more than {count} values").format(count=number(MAX_VALUES)))
        if depth > MAX_DEPTH + 1:  # a tagged node is one level deeper than the value it holds
            raise BadResult(_("its result is nested more than {depth} deep").format(depth=MAX_DEPTH))
        kind = type(node)
        if kind in (bool, int, float, str, type(None)):
            return node
        if kind is list:
            return [self.read(item, depth + 1) for item in node]
        if kind is not dict or len(node) != 1:
            raise BadResult(_("its result holds a node that is not plain data"))
        ((tag, inner),) = node.items()
        try:
            return self._tagged(tag, inner, depth)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, BadResult):
                raise
            raise BadResult(_("its result holds a malformed {tag!r} node").format(tag=tag[:40])) from None

    def _tagged(self, tag: str, inner, depth: int):
        if tag == "tuple" and type(inner) is list:
            return tuple(self.read(item, depth + 1) for item in inner)
        if tag == "dict" and type(inner) is list:
            out = {}
            for pair in inner:
                key, item = pair if type(pair) is list and len(pair) == 2 else (None, None)
                if type(key) not in (str, int):
                    raise BadResult(_("its result holds a dict key that is neither str nor int"))
                out[key] = self.read(item, depth + 1)
            return out
        if tag == "bytes" and type(inner) is str:
            return base64.b64decode(inner, validate=True)
        if tag == "dtype" and type(inner) is str:
            return ALL_DTYPES[inner]
        if tag == "device" and type(inner) is str and len(inner) < 64:
            return torch.device(inner)
        if tag == "size" and type(inner) is list and all(type(n) is int and 0 <= n < 1 << 62 for n in inner):
            return torch.Size(inner)
        if tag == "tensor" and type(inner) is str and inner in self.tensors and inner not in self.used:
            self.used.add(inner)
            return self.tensors[inner]
        raise BadResult(_("its result holds a malformed {tag!r} node").format(tag=str(tag)[:40]))


def note(count: int) -> str:
    """How a cut text says what it lost."""
    return ngettext("[... {count} more character cut]", "[... {count} more characters cut]", count).format(count=count)


def cut(text: str, budget: int) -> str:
    """``text`` kept to ``budget`` characters or about, with a note of how much was cut."""
    if len(text) <= budget:
        return text
    return text[:budget] + " " + note(len(text) - budget)


encode(None)  # json's encoder and safetensors load on first use: once here (in the zygote too), not in every child
