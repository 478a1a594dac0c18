"""The tools probes use in the child: plain views, patches with aliases, recorders."""

import types
from collections import OrderedDict

import torch
from torch import nn

from grader.checking import probing


def test_plain_view_describes_what_cannot_cross():
    value = OrderedDict(a=torch.ones(2), b=(1, [nn.Linear(1, 1)]), c=torch.empty(3, device="meta"))
    view = probing.plain_view(value)
    assert type(view) is dict
    assert type(view["b"]) is tuple
    assert view["b"][1] == ["<Linear>"]
    assert view["c"] == "<tensor on meta of shape (3,)>"
    assert torch.equal(view["a"], torch.ones(2))


def test_replaced_patches_aliases_in_the_students_module_and_restores_them():
    student = types.ModuleType("student")
    student.is_available = torch.cuda.is_available
    original = torch.cuda.is_available
    with probing.replaced(student, torch.cuda, "is_available", lambda: True):
        assert torch.cuda.is_available() is True
        assert student.is_available() is True
    assert torch.cuda.is_available is original
    assert student.is_available is original


def test_recording_load_sees_keyword_positional_and_missing_map_location(tmp_path):
    path = tmp_path / "w.pt"
    torch.save({"w": torch.ones(2)}, path)
    student = types.ModuleType("student")
    student.load = torch.load
    with probing.recording_load(student, onto="cpu") as recorder:
        torch.load(path, map_location="meta")
        loaded = student.load(path, torch.device("cpu"))
        torch.serialization.load(path)
    assert recorder.devices() == [torch.device("meta"), torch.device("cpu"), None]
    assert torch.equal(loaded["w"], torch.ones(2))
    assert student.load is torch.load


def test_trace_and_watched_sgd_see_stale_gradients_and_a_step_before_backward():
    model = nn.Linear(3, 2)
    trace, optimizer = probing.Trace(model), probing.WatchedSGD(model.parameters(), lr=0.1)
    inputs = torch.randn(4, 3)
    optimizer.step()  # before any backward
    for _ in range(2):
        model(inputs).sum().backward()  # no zero_grad: the second backward finds the first's gradients
    optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        model(inputs)
    assert optimizer.had_grad == [False]
    assert trace.stale == [False, True]
    assert (trace.modes, trace.grad) == ([True, True, False], [True, True, False])
