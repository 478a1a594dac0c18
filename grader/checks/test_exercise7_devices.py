"""Checks for exercise 7: picking a device, moving data and models, loading across devices.

Without a GPU, the probes simulate one in the child: they patch ``torch.cuda.is_available``
and ``device_count``, record the ``map_location`` given to ``torch.load``, and use the
``meta`` device (shapes, no values) wherever a second device is needed. The ``cuda_*``
checks run real CUDA when the run's device is cuda (``grade 7 --device cuda``); elsewhere
they are skipped and say why, after asking the reference for their answers, so that a student
release recorded on a machine without a GPU holds what they ask for on one. This process never
touches CUDA itself.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.checking import check
from grader.checking.compare import describe, expect_number, expect_same, fail, returned
from grader.checking.probing import Trace, WatchedSGD, few_threads, plain_view, recording_load, replaced, state_of
from grader.checks._helpers import preload_torch_dynamo, wrong_map_location
from grader.i18n import N_, _, ngettext

preload_torch_dynamo()

META = torch.device("meta")
NO_GPU = N_(
    "this run's device is cpu (no GPU here, or --device cpu): the real CUDA checks run with "
    "`grade exercise7 --device cuda` on a machine with an NVIDIA GPU"
)


def small_net(state: dict | None = None) -> nn.Module:
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
    if state is not None:
        net.load_state_dict(state)
    return net


def random_state(rng) -> dict:
    return {key: torch.randn(value.shape, generator=rng) * 0.3 for key, value in small_net().state_dict().items()}


def batch(rng, count: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(count, 6, generator=rng), torch.randint(0, 4, (count,), generator=rng)


def expect_device(got, expected: torch.device, call: str) -> None:
    """A torch.device of the expected type; cuda and cuda:0 both name the first GPU."""
    if not isinstance(got, torch.device):
        fail(returned(call, describe(got), f"torch.device({str(expected)!r})"))
    if got.type != expected.type or (got.index or 0) != (expected.index or 0):
        fail(returned(call, f"torch.device({str(got)!r})", f"torch.device({str(expected)!r})"))


# ----------------------------------------------------------------- pick_device


def probe_pick_device(module):
    picked = {}
    for available in (True, False):
        with replaced(module, torch.cuda, "is_available", lambda available=available: available):
            picked[available] = module.pick_device()
    return {"with_gpu": plain_view(picked[True]), "without_gpu": plain_view(picked[False])}


@check(
    points=2,
    hint=N_("return torch.device('cuda' if torch.cuda.is_available() else 'cpu'): ask torch every time, don't assume."),
    nudge=N_("Ask torch every time whether a GPU is available, and pick the device from its answer. Tutorial: Devices, choosing a device."),
)
def test_pick_device(student):
    got = student.run(probe_pick_device)
    when = N_("pick_device() when torch.cuda.is_available() is {value}")
    expect_device(got["with_gpu"], torch.device("cuda"), _(when).format(value=True))
    expect_device(got["without_gpu"], torch.device("cpu"), _(when).format(value=False))


# ----------------------------------------------------------------- move_to


class Marker:
    """An object move_to must hand back as it is."""


def nested(tensors: list[torch.Tensor]) -> dict:
    a, b, c, d = tensors
    return {"inputs": a, "pair": (b, [c, 3]), "meta": {"name": "batch", "weights": d, "marker": Marker()}, "step": 7, "none": None}


MISMATCH = "<mismatch>"  # the key of what layout finds where move_to changed a kind of value: data, worded in the judge
MISMATCHES = {
    "tensor": N_("<{type} instead of a tensor>"),
    "container": N_("<{type} of {count} items>"),
    "keys": N_("<dict with keys {keys}>"),
    "object": N_("<another {type}>"),
}


def mismatch(kind: str, value, **details) -> dict:
    return {MISMATCH: kind, "type": type(value).__name__, **details}


def shown(found):
    """What layout found, a mismatch worded in the current language."""
    if isinstance(found, dict) and MISMATCH in found:
        return _(MISMATCHES[found[MISMATCH]]).format(**{key: value for key, value in found.items() if key != MISMATCH})
    return found


def layout(value, original, with_values: bool):
    """What move_to made of ``original``: container types and keys, tensor devices, and
    whether other objects came back as the very same object."""
    if isinstance(original, torch.Tensor):
        if not isinstance(value, torch.Tensor):
            return mismatch("tensor", value)
        return ["tensor", value.device.type, value if with_values else tuple(value.shape)]
    if type(original) in (list, tuple, dict):
        if type(value) is not type(original) or len(value) != len(original):
            return mismatch("container", value, count=len(value) if hasattr(value, "__len__") else "?")
        if isinstance(original, dict):
            if set(value) != set(original):
                return mismatch("keys", value, keys=sorted(map(str, value)))
            return {key: layout(value[key], original[key], with_values) for key in original}
        return type(original)(layout(v, o, with_values) for v, o in zip(value, original))
    return "same object" if value is original else mismatch("object", value)


MOVES = (("meta", META, False), ("cpu", "cpu", True))  # a second device without values, then the CPU with them
OBJ = N_(
    "obj = {'inputs': tensor, 'pair': (tensor, [tensor, 3]), "
    "'meta': {'name': 'batch', 'weights': tensor, 'marker': an object}, 'step': 7, 'none': None}"
)


def seeded_tensors(rng) -> list[torch.Tensor]:
    return [torch.randn(shape, generator=rng) for shape in ((3, 2), (4,), (2, 2), (5,))]


def probe_move_to(module, tensors):
    found = {}
    for name, device, with_values in MOVES:
        original = nested(tensors)
        found[name] = layout(module.move_to(original, device), original, with_values)
    return found


def first_difference(got, expected, where: str) -> str | None:
    got = shown(got)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return _("{where} is {got}; expected a dict with keys {keys}").format(where=where, got=got, keys=sorted(expected))
        return next((d for key in expected if (d := first_difference(got[key], expected[key], f"{where}[{key!r}]"))), None)
    if isinstance(expected, list) and expected and expected[0] == "tensor":
        if not isinstance(got, list):
            return _("{where} is {got}; expected a tensor on {device}").format(where=where, got=got, device=expected[1])
        if got[1] != expected[1]:
            return _("{where} is a tensor on {got}; expected it on {want}").format(where=where, got=got[1], want=expected[1])
        if isinstance(expected[2], torch.Tensor) and not torch.equal(got[2], expected[2]):
            return _("{where} has other values than the tensor given").format(where=where)
        return None
    if isinstance(expected, (list, tuple)):
        if type(got) is not type(expected):
            kind = type(expected).__name__
            if isinstance(got, str):
                return _("{where} is {got}; expected a {kind} (keep the container's type)").format(where=where, got=got, kind=kind)
            return _("{where} is a {got}; expected a {kind} (keep the container's type)").format(
                where=where, got=type(got).__name__, kind=kind
            )
        return next((d for i, (g, e) in enumerate(zip(got, expected)) if (d := first_difference(g, e, f"{where}[{i}]"))), None)
    if got != expected:
        return _("{where} came back as {got}; expected the same object, unchanged").format(where=where, got=got)
    return None


def moved_layout(solution, tensors, device, with_values: bool):
    """The layout of what the reference's move_to makes of ``nested(tensors)`` on ``device``."""
    original = nested(tensors)
    return layout(solution.move_to(original, device), original, with_values)


@check(
    points=2,
    hint=N_(
        "Tensors: obj.to(device). dict: {k: move_to(v, device) for k, v in obj.items()}; list: [...]; "
        "tuple: tuple(...) (not a list); anything else: return obj unchanged."
    ),
    nudge=N_(
        "Tensors move to the device; dicts, lists and tuples are rebuilt with their contents moved, a tuple "
        "staying a tuple; anything else comes back as it is. Tutorial: Devices, moving data."
    ),
)
def test_move_to(student, reference, rng):
    tensors = seeded_tensors(rng)
    expected = {name: reference.compute(moved_layout, tensors, device, with_values) for name, device, with_values in MOVES}
    got = student.run(probe_move_to, tensors)
    for name, device, _with_values in MOVES:
        problem = first_difference(got[name], expected[name], f"move_to(obj, {str(device)!r})")
        if problem:
            fail(_("{problem}, where {obj}").format(problem=problem, obj=_(OBJ)))


def probe_move_to_original(module, tensors):
    original = nested(tensors)
    module.move_to(original, META)
    return layout(original, original, False)  # after the move: where obj's own tensors are now


@check(
    points=1,
    hint=N_(
        "Build new containers ({k: move_to(v, device) for k, v in obj.items()}, [...], tuple(...)) instead of "
        "assigning into obj: the caller's batch must stay where it was."
    ),
    hidden=True,
    nudge=N_(
        "Build new containers instead of changing the one you are given: the caller's batch must stay where "
        "it was. Tutorial: Devices, moving data."
    ),
)
def test_move_to_keeps_the_original(student, rng):
    tensors = seeded_tensors(rng)
    found = student.run(probe_move_to_original, tensors)
    obj = nested(tensors)
    problem = first_difference(found, layout(obj, obj, False), "obj")
    if problem:
        fail(
            _(
                "after move_to(obj, 'meta'), {problem}: move_to changed the containers it was given, where {obj}; build new ones instead"
            ).format(problem=problem, obj=_(OBJ))
        )


# ----------------------------------------------------------------- model_device


def probe_model_device(module, state):
    model = small_net(state)
    on_cpu = plain_view(module.model_device(model))
    return on_cpu, plain_view(module.model_device(model.to(META)))


@check(
    points=1,
    hint=N_("next(model.parameters()).device: a model has no .device of its own, its parameters do."),
    nudge=N_("A model has no device of its own; its parameters do. Tutorial: Devices, where a model lives."),
)
def test_model_device(student, rng):
    on_cpu, on_meta = student.run(probe_model_device, random_state(rng))
    expect_device(on_cpu, torch.device("cpu"), _("model_device(a model on the CPU)"))
    expect_device(on_meta, META, _("model_device(a model moved with .to('meta'))"))


# ----------------------------------------------------------------- load_to_device


def probe_load_to_device(module, state, other):
    torch.save(small_net(state).state_dict(), "weights.pt")
    model = small_net(other)
    # meta stands in for a GPU: the load itself goes to the CPU, so the weights have values to copy.
    with recording_load(module, onto="cpu") as to_meta:
        returned = module.load_to_device("weights.pt", model, META)
    on_meta = {
        "module": isinstance(returned, nn.Module),
        "same": returned is model,
        "devices": sorted({p.device.type for p in returned.parameters()}) if isinstance(returned, nn.Module) else [],
    }
    model = small_net(other)
    with recording_load(module) as to_cpu:
        returned = module.load_to_device("weights.pt", model, "cpu")
    return {
        "meta": on_meta,
        "meta_locations": to_meta.devices(),
        "cpu_locations": to_cpu.devices(),
        "cpu": state_of(returned) if isinstance(returned, nn.Module) else plain_view(returned),
    }


@check(
    points=3,
    hint=N_(
        "state = torch.load(path, map_location=device); model.load_state_dict(state); return model.to(device). "
        "Without map_location, weights saved on a GPU fail to load on a machine without one."
    ),
    nudge=N_(
        "Weights saved on a GPU load on a machine without one only if the loader is told where to put them; "
        "then move the model itself. Tutorial: Devices, saving and loading."
    ),
)
def test_load_to_device(student, rng):
    state, other = random_state(rng), random_state(rng)
    got = student.run(probe_load_to_device, state, other)
    for device, locations in ((META, got["meta_locations"]), (torch.device("cpu"), got["cpu_locations"])):
        call = f"load_to_device(path, model, {str(device)!r})"
        if not locations:
            fail(_("{call} never called torch.load").format(call=call))
        if locations[0] is None:
            fail(_("{call} called torch.load without map_location; pass map_location=device").format(call=call))
        if locations[0] != device:
            fail(wrong_map_location(call, locations[0], repr(str(device))))
    on_meta, call = got["meta"], "load_to_device(path, model, 'meta')"
    if not on_meta["module"]:
        fail(_("{call} did not return the model").format(call=call))
    if on_meta["devices"] != ["meta"]:
        fail(
            _("{call} returned a model with parameters on {devices}; expected all on meta: use model.to(device)").format(
                call=call, devices=on_meta["devices"]
            )
        )
    call = "load_to_device(path, model, 'cpu')"
    if not isinstance(got["cpu"], dict):
        fail(_("{call} returned {got}; expected the model").format(call=call, got=got["cpu"]))
    expect_same(got["cpu"], state, _("the weights of the model from {call}").format(call=call))


# ----------------------------------------------------------------- parallelize


class FakeDataParallel(nn.DataParallel):
    """nn.DataParallel without its device checks, for a machine that only pretends to have GPUs."""

    def __init__(self, module, *args, **kwargs):
        nn.Module.__init__(self)
        self.module = module


def probe_parallelize(module, state):
    found = []
    for available, count in ((True, 2), (True, 4), (True, 1), (False, 0)):
        model = small_net(state)
        with (
            replaced(module, torch.cuda, "is_available", lambda available=available: available),
            replaced(module, torch.cuda, "device_count", lambda count=count: count),
            replaced(module, nn, "DataParallel", FakeDataParallel),
            replaced(None, nn.parallel, "DataParallel", FakeDataParallel),
        ):
            result = module.parallelize(model)
        wrapped = isinstance(result, nn.DataParallel)
        found.append(
            {
                "gpus": count,
                "wrapped": wrapped,
                "same": result is model,
                "inner": getattr(result, "module", None) is model if wrapped else False,
            }
        )
    return found


@check(
    points=2,
    hint=N_("if torch.cuda.device_count() > 1: return nn.DataParallel(model); otherwise return model itself."),
    nudge=N_(
        "Wrap the model for several GPUs only when there is more than one; otherwise return it as it is. Tutorial: Devices, several GPUs."
    ),
)
def test_parallelize(student, rng):
    for case in student.run(probe_parallelize, random_state(rng)):
        call = _("parallelize(model) with torch.cuda.device_count() == {gpus}").format(gpus=case["gpus"])
        if case["gpus"] > 1 and not (case["wrapped"] and case["inner"]):
            fail(_("{call} did not return nn.DataParallel(model)").format(call=call))
        if case["gpus"] <= 1 and not case["same"]:
            fail(_("{call} did not return the model itself").format(call=call))


# ----------------------------------------------------------------- train_step


CRITERIA = {"CrossEntropyLoss": nn.CrossEntropyLoss, "MSELoss": nn.MSELoss}  # by name: a child and the reference get plain data


def probe_train_step(module, state, batches, lr, device, loss="CrossEntropyLoss"):
    few_threads()
    model = small_net(state).to(device)
    trace, optimizer = Trace(model), WatchedSGD(model.parameters(), lr)
    losses = [plain_view(module.train_step(model, batch, CRITERIA[loss](), optimizer, device)) for batch in batches]
    return {"losses": losses, "state": state_of(model), "had_grad": optimizer.had_grad, "stale": trace.stale}


def reference_steps(solution, state, batches, lr, loss="CrossEntropyLoss"):
    """The reference's losses and weights after one train_step per batch, on the CPU, with SGD(lr)."""
    model = small_net(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = [solution.train_step(model, batch, CRITERIA[loss](), optimizer, "cpu") for batch in batches]
    return losses, state_of(model)


def expect_steps(got, expected, call, atol=1e-5):
    """Compare the student's steps (``probe_train_step``) with the reference's (``reference_steps``)."""
    if got["had_grad"] and not got["had_grad"][0]:
        fail(_("{call} called optimizer.step() before any gradient existed: call loss.backward() first").format(call=call))
    if any(got["stale"]):
        fail(
            _("{call} ran loss.backward() while the previous step's gradients were still there: call optimizer.zero_grad() first").format(
                call=call
            )
        )
    losses, weights = expected
    if len(got["losses"]) != len(losses):
        said = ngettext("{call} gave {got} loss; expected {want}", "{call} gave {got} losses; expected {want}", len(got["losses"]))
        fail(said.format(call=call, got=len(got["losses"]), want=len(losses)))
    for index, (loss, value) in enumerate(zip(got["losses"], losses)):
        expect_number(loss, value, _("the loss from step {step} of {call}").format(step=index + 1, call=call), atol=atol)
    expect_same(got["state"], weights, _("the weights after {call}").format(call=call), atol=atol)


@check(
    points=3,
    hint=N_(
        "inputs, targets = move_to(batch, device); optimizer.zero_grad(); loss = criterion(model(inputs), targets); "
        "loss.backward(); optimizer.step(); return loss.item()."
    ),
    nudge=N_(
        "Move the batch to the device first, then take the usual training step and return the loss as a "
        "Python number. Tutorial: Devices, training on a GPU."
    ),
)
def test_train_step(student, reference, rng):
    state, batches, lr = random_state(rng), [batch(rng), batch(rng)], 0.1
    expected = reference.compute(reference_steps, state, batches, lr)
    got = student.run(probe_train_step, state, batches, lr, "cpu")
    expect_steps(got, expected, _("two calls of train_step(model, (inputs, targets), nn.CrossEntropyLoss(), SGD(lr=0.1), 'cpu')"))


def regression_batch(rng, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(count, 6, generator=rng), torch.randn(count, 4, generator=rng)


@check(
    points=2,
    hint=N_(
        "Use the criterion and the optimizer that train_step is given, whatever they are: loss = criterion(model(inputs), targets), "
        "then optimizer.step(); never a loss function or an optimizer of its own."
    ),
    hidden=True,
    nudge=N_("Use the loss function and the optimizer you are given, whatever they are. Tutorial: Devices, training on a GPU."),
)
def test_train_step_with_another_loss(student, reference, rng):
    state, batches, lr = random_state(rng), [regression_batch(rng, 5) for _ in range(3)], 0.03
    expected = reference.compute(reference_steps, state, batches, lr, "MSELoss")
    got = student.run(probe_train_step, state, batches, lr, "cpu", "MSELoss")
    expect_steps(got, expected, _("three calls of train_step(model, a batch of 5 with float targets, nn.MSELoss(), SGD(lr=0.03), 'cpu')"))


# ----------------------------------------------------------------- real CUDA, where the run has it


def retarget(found, device_type: str):
    """A layout from the meta device, as it should look on ``device_type``."""
    if isinstance(found, dict):
        return {key: retarget(value, device_type) for key, value in found.items()}
    if isinstance(found, list) and found and found[0] == "tensor":
        return ["tensor", device_type, found[2]]
    if isinstance(found, (list, tuple)):
        return type(found)(retarget(value, device_type) for value in found)
    return found


def probe_cuda_devices(module, state, tensors):
    few_threads()
    picked = plain_view(module.pick_device())
    model = small_net(state).cuda()
    original = nested(tensors)
    return {
        "picked": picked,
        "model": plain_view(module.model_device(model)),
        "moved": layout(module.move_to(original, torch.device("cuda")), original, False),
        "gpus": torch.cuda.device_count(),
        "parallel": isinstance(module.parallelize(model), nn.DataParallel),
    }


@check(
    points=2,
    hint=N_(
        "On a GPU machine pick_device() is cuda, model_device sees cuda:0, move_to puts every tensor on cuda, "
        "and parallelize wraps the model only with more than one GPU."
    ),
    cuda=True,
    nudge=N_(
        "On a GPU machine every function must give CUDA's answers: the device, where the model is, where the "
        "data goes and how many GPUs there are. Tutorial: Devices, choosing a device."
    ),
)
@pytest.mark.timeout(60)  # the child's first CUDA call starts the driver
def test_cuda_devices(student, reference, rng, device):
    state, tensors = random_state(rng), [torch.randn(3, 2, generator=rng) for _ in range(4)]
    # Asked before the skip: a release recorded on a CPU machine then holds what a GPU machine's replay asks for.
    expected = retarget(reference.compute(moved_layout, tensors, META, False), "cuda")
    if device != "cuda":
        pytest.skip(_(NO_GPU))
    got = student.run(probe_cuda_devices, state, tensors)
    expect_device(got["picked"], torch.device("cuda"), _("pick_device() on a machine with a GPU"))
    expect_device(got["model"], torch.device("cuda:0"), "model_device(model.cuda())")
    problem = first_difference(got["moved"], expected, "move_to(obj, torch.device('cuda'))")
    if problem:
        fail(problem)
    if got["parallel"] != (got["gpus"] > 1):
        if got["gpus"] > 1:
            fail(_("parallelize(model) on a machine with {gpus} GPU(s) did not wrap the model in nn.DataParallel").format(gpus=got["gpus"]))
        fail(_("parallelize(model) on a machine with {gpus} GPU(s) wrapped the model in nn.DataParallel").format(gpus=got["gpus"]))


def probe_cuda_training(module, state, other, batches, lr):
    result = probe_train_step(module, state, batches, lr, "cuda")
    torch.save(small_net(state).cuda().state_dict(), "saved_on_gpu.pt")
    on_cpu = module.load_to_device("saved_on_gpu.pt", small_net(other), "cpu")
    torch.save(small_net(state).state_dict(), "saved_on_cpu.pt")
    on_gpu = module.load_to_device("saved_on_cpu.pt", small_net(other), "cuda")
    return {
        **result,
        "on_cpu": {k: (v.device.type, v.detach().cpu()) for k, v in on_cpu.state_dict().items()},
        "on_gpu": {k: (v.device.type, v.detach().cpu()) for k, v in on_gpu.state_dict().items()},
    }


@check(
    points=3,
    hint=N_(
        "train_step must move the batch to the model's device (move_to(batch, device)); load_to_device needs "
        "map_location=device and model.to(device), so weights cross between a GPU and the CPU both ways."
    ),
    cuda=True,
    nudge=N_(
        "The batch must go to the model's device, and the weights must load between a GPU and the CPU both "
        "ways. Tutorial: Devices, saving and loading."
    ),
)
@pytest.mark.timeout(60)  # the child's first CUDA call starts the driver
def test_cuda_training(student, reference, rng, device):
    state, other, batches, lr = random_state(rng), random_state(rng), [batch(rng), batch(rng)], 0.1
    expected = reference.compute(reference_steps, state, batches, lr)  # before the skip, as in test_cuda_devices
    if device != "cuda":
        pytest.skip(_(NO_GPU))
    got = student.run(probe_cuda_training, state, other, batches, lr)
    expect_steps(got, expected, _("two calls of train_step(model on cuda, a batch on the CPU, ..., 'cuda')"), atol=1e-4)
    for name, where, call in (
        ("on_cpu", "cpu", _("load_to_device(weights saved on cuda, model, 'cpu')")),
        ("on_gpu", "cuda", _("load_to_device(weights saved on the CPU, model, 'cuda')")),
    ):
        for key, (place, _value) in got[name].items():
            if place != where:
                fail(_("{call} left {key} on {place}; expected {where}").format(call=call, key=key, place=place, where=where))
        expect_same({k: v for k, (_place, v) in got[name].items()}, state, _("the weights from {call}").format(call=call))
