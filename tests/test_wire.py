"""Does only plain data cross the sandbox boundary, and is a pickle of anything else refused?"""

from __future__ import annotations

import collections
import pickle
from pathlib import Path

import pytest
import torch

from grader import wire


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
    assert torch.equal(back["t"], value["t"]) and back["t"].dtype == torch.int32
    assert back["n"] == value["n"] and type(back["shape"]) is torch.Size and back["dtype"] is torch.bfloat16
    assert type(back[3]) is tuple and torch.equal(back[3][1]["deep"][0], torch.zeros(2, 2))


def test_non_plain_object_is_refused_naming_where():
    with pytest.raises(wire.NotPlainData) as caught:
        wire.plain({"ok": 1, "bad": [1, 2, Custom()]})
    message = str(caught.value)
    assert message.startswith("the result['bad'][2] is a ")
    assert "Custom, not plain data" in message


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
    assert type(out) is torch.Tensor and not out.requires_grad
    assert type(wire.plain(parameter)) is torch.Tensor


def test_tensor_subclass_loses_its_methods():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    out = wire.plain(torch.zeros(2).as_subclass(Liar))
    assert type(out) is torch.Tensor and torch.equal(out, torch.zeros(2))


def test_meta_tensor_is_refused():
    with pytest.raises(wire.NotPlainData, match="meta device"):
        wire.plain(torch.empty(2, device="meta"))


def test_decode_refuses_a_pickled_custom_class():
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        wire.decode(wire.encode(Custom()))


def test_decode_runs_no_code_it_was_sent(tmp_path):
    victim = tmp_path / "pwned"
    for data in (wire.encode(Sneaky(victim)), pickle.dumps(Sneaky(victim), protocol=2)):
        with pytest.raises(pickle.UnpicklingError):
            wire.decode(data)
    assert not victim.exists()


def test_decode_refuses_garbage():
    with pytest.raises((pickle.UnpicklingError, RuntimeError, EOFError)):
        wire.decode(b"\x00not a torch file at all")
