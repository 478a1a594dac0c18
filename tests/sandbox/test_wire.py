"""Does only plain data cross the sandbox boundary, as JSON and safetensors, and is every forged frame the student's failure?"""

from __future__ import annotations

import collections
import io
import pickle
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_file

from grader.sandbox import wire
from grader.sandbox.blame import StudentMistake
from tests.helpers import KIT


class Custom:
    pass


class Sneaky:
    """Unpickling this would touch a file: proof that the trusted side ran code it was sent."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return Path.touch, (self.path,)


def test_plain_values_round_trip():
    value = {
        "t": torch.arange(4, dtype=torch.int32),
        "n": [1, 2.5, None, True, "s", b"b"],
        "shape": torch.Size([1, 2]),
        "dtype": torch.bfloat16,
        "device": torch.device("cpu"),
        3: (0.5, {"deep": [torch.zeros(2, 2)]}),
    }
    back = wire.decode(wire.encode(wire.plain(value)))
    assert back.keys() == value.keys()
    assert torch.equal(back["t"], value["t"])
    assert back["t"].dtype == torch.int32
    assert back["n"] == value["n"]
    assert type(back["shape"]) is torch.Size
    assert back["dtype"] is torch.bfloat16
    assert type(back[3]) is tuple
    assert torch.equal(back[3][1]["deep"][0], torch.zeros(2, 2))


def test_non_plain_object_is_refused_naming_where():
    with pytest.raises(wire.NotPlainData) as caught:
        wire.plain({"ok": 1, "bad": [1, 2, Custom()]})
    message = str(caught.value)
    assert message.startswith("the result['bad'][2] is a ")
    assert "Custom, not plain data" in message


def test_numpy_numbers_cross_as_the_python_numbers_they_hold_and_other_numpy_values_do_not():
    import numpy as np

    out = wire.decode(wire.encode(wire.plain([np.float64(0.25), np.int64(101_770), np.bool_(True), np.float32(0.1), np.uint8(7)])))
    assert [type(v) for v in out] == [float, int, bool, float, int]
    assert out == [0.25, 101_770, True, float(np.float32(0.1)), 7]
    for value in (np.arange(3), np.str_("s"), np.complex128(1j), np.datetime64("2026-12-06")):
        with pytest.raises(wire.NotPlainData, match=f"is a numpy.{type(value).__qualname__}, not plain data"):
            wire.plain(value)


def test_where_can_be_named_by_the_caller():
    with pytest.raises(wire.NotPlainData, match=r"^model\(x\)\[0\] is a builtins.set"):
        wire.plain([{1}], "model(x)")


def test_subclasses_of_containers_are_refused():
    Pair = collections.namedtuple("Pair", "a b")
    with pytest.raises(wire.NotPlainData, match="Pair"):
        wire.plain(Pair(1, 2))
    with pytest.raises(wire.NotPlainData, match="OrderedDict"):
        wire.plain(collections.OrderedDict(a=1))


def test_dict_keys_must_be_str_or_int():
    with pytest.raises(wire.NotPlainData, match="key of type tuple"):
        wire.plain({(1, 2): 3})


def test_tensors_become_plain_detached_cpu_tensors():
    parameter = torch.nn.Parameter(torch.ones(3))
    out = wire.plain(parameter * 2)
    assert type(out) is torch.Tensor
    assert not out.requires_grad
    assert type(wire.plain(parameter)) is torch.Tensor


def test_tensor_subclass_loses_its_methods():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    out = wire.plain(torch.zeros(2).as_subclass(Liar))
    assert type(out) is torch.Tensor
    assert torch.equal(out, torch.zeros(2))


def test_meta_tensor_is_refused():
    with pytest.raises(wire.NotPlainData, match="meta device"):
        wire.plain(torch.empty(2, device="meta"))


def test_decode_parses_no_pickle_and_runs_no_code_it_was_sent(tmp_path):
    victim = tmp_path / "pwned"
    for data in (pickle.dumps(Sneaky(victim), protocol=2), pickle.dumps(Custom()), _torch_save({"status": "ok", "value": 1})):
        with pytest.raises(wire.BadResult, match="does not start as a result does"):
            wire.decode(data)
    assert not victim.exists()


def _torch_save(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def framed(structure: bytes, blob: bytes = b"", length: int | None = None) -> bytes:
    return wire.MAGIC + wire.LENGTH.pack(len(structure) if length is None else length) + structure + blob


FORGED = {
    "nothing": (b"", "does not start"),
    "garbage": (b"\x00not a result at all", "does not start"),
    "a length past the end": (framed(b"[1]", length=1 << 40), "announces"),
    "broken JSON": (framed(b"[[1,"), "not JSON"),
    "invalid UTF-8": (framed(b'"\xff"'), "not JSON"),
    "JSON nested 20,000 deep": (framed(b"[" * 20_000 + b"]" * 20_000), "nested more than"),
    "a list nested 150 deep": (framed(b"[" * 150 + b"]" * 150), "nested more than"),
    "a bare JSON object": (framed(b'{"a":1,"b":2}'), "not plain data"),
    "an unknown tag": (framed(b'{"pickle":"x"}'), "malformed 'pickle' node"),
    "a dtype torch lacks": (framed(b'{"dtype":"float1024"}'), "malformed 'dtype' node"),
    "a dict key that is a list": (framed(b'{"dict":[[[1],2]]}'), "neither str nor int"),
    "a tensor it does not hold": (framed(b'{"tensor":"0"}'), "malformed 'tensor' node"),
    "a tensor named twice": (framed(b'[{"tensor":"0"},{"tensor":"0"}]', save_file({"0": torch.zeros(1)})), "malformed 'tensor' node"),
    "a tensor not named": (framed(b"1", save_file({"0": torch.zeros(1)})), "does not name"),
    "broken tensor bytes": (framed(b'{"tensor":"0"}', b"\xff" * 40), "tensors cannot be read"),
    "a huge integer": (framed(b"9" * 5000), "not JSON"),
    "bad base64": (framed(b'{"bytes":"@@@"}'), "malformed 'bytes' node"),
    "a negative size": (framed(b'{"size":[-1]}'), "malformed 'size' node"),
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_forged_frame_is_refused_as_the_students_failure(name):
    data, said = FORGED[name]
    with pytest.raises(wire.BadResult, match=said) as caught:
        wire.decode(data)
    assert isinstance(caught.value, StudentMistake)


def test_too_many_values_are_refused_on_both_sides():
    with pytest.raises(wire.NotPlainData, match="more than 1,000,000 values"):
        wire.plain([0] * (wire.MAX_VALUES + 1))
    with pytest.raises(wire.BadResult, match="more than 1,000,000 values"):
        wire.decode(framed(b"[" + b"0," * wire.MAX_VALUES + b"0]"))


def test_a_list_nested_5000_deep_is_refused_in_the_child_naming_where():
    deep = []
    for _level in range(5000):
        deep = [deep]
    with pytest.raises(wire.NotPlainData, match=r"^the result\[0\]\[0\].* is nested more than 100 deep"):
        wire.plain(deep)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: torch.eye(3).to_sparse(), "sparse_coo tensor"),
        (lambda: torch.eye(3).to_sparse_csr(), "sparse_csr tensor"),
        (lambda: torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)]), "nested tensor"),
        (lambda: torch.zeros(2, 2).to_mkldnn(), "_mkldnn tensor"),
        (lambda: torch.zeros(2, dtype=torch.complex128), "dtype complex128"),
        (lambda: torch.quantize_per_tensor(torch.zeros(2), 0.1, 0, torch.quint8), "quint8"),
    ],
)
def test_a_tensor_the_wire_cannot_carry_is_refused_naming_its_layout(make, said):
    with pytest.raises(wire.NotPlainData, match=said):
        wire.plain([make()])


def test_views_and_shared_tensors_cross_as_copies():
    base = torch.arange(12.0).reshape(3, 4)
    back = wire.decode(wire.encode(wire.plain([base, base.t(), base[1], base[:, ::2]])))
    for sent, got in zip([base, base.t(), base[1], base[:, ::2]], back):
        assert torch.equal(sent, got)
        assert got.is_contiguous()


def test_cut_keeps_a_budget_and_says_how_much_it_cut():
    assert wire.cut("short", 10) == "short"
    assert wire.cut("x" * 5000, 2048) == "x" * 2048 + " [... 2952 more characters cut]"


# Where a loader of pickles may appear in the kit: the child and the portable runner's worker (spawned.py), which
# unpickle the judge's own task, and the probes
# (functions named probe_*) that open a student's checkpoint inside the sandbox.
UNPICKLERS = re.compile(r"\b(pickle\.loads?|torch\.load|Unpickler)\(")


def test_the_judge_calls_no_unpickler_outside_the_child_and_the_probes():
    found = []
    for path in sorted((KIT / "grader").rglob("*.py")):
        if path.name in ("child.py", "spawned.py") or "templates" in path.parts:
            continue
        function = ""
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("def "):
                function = line.split()[1]
            if UNPICKLERS.search(line.split("#")[0]) and not function.startswith("probe_") and not line.strip().startswith('"'):
                found.append(f"{path.relative_to(KIT)}:{number}: {line.strip()}")
    assert found == []
