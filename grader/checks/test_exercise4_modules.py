"""Checks for exercise 4: SimpleNetwork, build_mlp, count_parameters and predict.

Structure is read through named submodules and the order of a Sequential's children, never
through how the code was written. Behaviour is compared by loading the reference's seeded
weights into the student's module in the child and running both on the same inputs.
"""

import torch
from torch import nn

from grader.checking import check
from grader.compare import expect_same, expect_tensor, fail

SIMPLE_NAMES = ("linear1", "activation", "linear2")


def sizes(rng, count: int, low: int = 3, high: int = 40) -> list[int]:
    """Distinct seeded sizes, so that swapped arguments show in the shapes."""
    return [int(n) + low for n in torch.randperm(high - low + 1, generator=rng)[:count]]


def seeded_state(model: nn.Module, rng) -> dict:
    """Fresh seeded values for every entry of a model's state_dict."""
    return {key: (torch.randn(value.shape, generator=rng) * 0.5) for key, value in model.state_dict().items()}


def describe_layer(layer) -> str:
    """A layer as a short readable string; the same function reads the student's (in the child) and the reference's."""
    if isinstance(layer, nn.Linear):
        out_features, in_features = layer.weight.shape
        return f"Linear({in_features} -> {out_features}{'' if layer.bias is not None else ', bias=False'})"
    if isinstance(layer, nn.Dropout):
        return f"Dropout(p={float(layer.p):g})"
    if isinstance(layer, nn.ReLU):
        return "ReLU"
    return type(layer).__name__


# ------------------------------------------------------------------ in the child


def probe_simple_structure(module, dims):
    model = module.SimpleNetwork(*dims)
    return {
        "type": type(model).__name__,
        "is_module": isinstance(model, nn.Module),
        "children": {name: describe_layer(child) for name, child in model.named_children()},
        "parameters": {name: p.shape for name, p in model.named_parameters()},
    }


def probe_simple_forward(module, dims, state, x):
    model = module.SimpleNetwork(*dims)
    keys = set(model.state_dict())
    if keys != set(state):
        return {"keys": sorted(keys)}
    model.load_state_dict(state)
    with torch.no_grad():
        return {"output": model(x)}


def probe_mlp_structure(module, args):
    model = module.build_mlp(*args)
    return {
        "type": type(model).__name__,
        "is_sequential": isinstance(model, nn.Sequential),
        "layers": [describe_layer(child) for child in model.children()] if isinstance(model, nn.Module) else [],
        "parameters": sum(p.numel() for p in model.parameters()) if isinstance(model, nn.Module) else 0,
    }


def probe_mlp_forward(module, args, weights, x):
    """Load ``weights`` (a (weight, bias) pair per Linear, in order) by position, whatever the layers are named."""
    model = module.build_mlp(*args)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(linears) != len(weights):
        return {"linears": len(linears)}
    with torch.no_grad():
        for layer, (weight, bias) in zip(linears, weights):
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        model.eval()
        return {"output": model(x)}


def build_from_spec(spec) -> nn.Sequential:
    """A model from plain data, so the child and the judge build the same one: (kind, sizes..., frozen)."""
    layers = []
    for kind, *dims, frozen in spec:
        layer = {
            "linear": lambda i, o, bias: nn.Linear(i, o, bias=bias),
            "conv": lambda i, o, k: nn.Conv2d(i, o, k),
            "batchnorm": lambda n: nn.BatchNorm1d(n),
            "relu": lambda: nn.ReLU(),
            "dropout": lambda: nn.Dropout(0.5),
        }[kind](*dims)
        layer.requires_grad_(not frozen)
        layers.append(layer)
    return nn.Sequential(*layers)


def probe_count(module, specs):
    return [module.count_parameters(build_from_spec(spec)) for spec in specs]


def probe_predict(module, spec, state, x, seed):
    """Run predict on a model left in training mode, watching its layers while it runs."""
    model = build_from_spec(spec)
    model.load_state_dict(state)
    model.train()
    seen = {"dropout_training": [], "grad_enabled": []}
    for layer in model.modules():
        if isinstance(layer, nn.Dropout):
            layer.register_forward_hook(lambda m, i, o: seen["dropout_training"].append(m.training))
        if isinstance(layer, nn.Linear):
            layer.register_forward_hook(lambda m, i, o: seen["grad_enabled"].append(torch.is_grad_enabled() or o.requires_grad))
    torch.manual_seed(seed)
    prediction = module.predict(model, x)
    seen["prediction"] = prediction
    seen["training_after"] = [name for name, m in model.named_modules() if m.training]
    return seen


# ------------------------------------------------------------------ SimpleNetwork


@check(
    points=2,
    hint="In __init__, after super().__init__(): self.linear1 = nn.Linear(input_size, hidden_size), "
    "self.activation = nn.ReLU(), self.linear2 = nn.Linear(hidden_size, output_size).",
)
def test_simple_network_structure(student, reference, rng):
    dims = sizes(rng, 3)
    call = "SimpleNetwork({}, {}, {})".format(*dims)
    got = student.run(probe_simple_structure, dims)
    if not got["is_module"]:
        fail(f"{call} is a {got['type']}, not an nn.Module: derive the class from nn.Module")
    expected = reference.SimpleNetwork(*dims)
    for name in SIMPLE_NAMES:
        want = describe_layer(getattr(expected, name))
        if name not in got["children"]:
            have = ", ".join(got["children"]) or "none"
            fail(f"{call} has no submodule named {name!r} (it has: {have}); expected {name} = {want}")
        if got["children"][name] != want:
            fail(f"{call}.{name} is {got['children'][name]}; expected {want}")
    expect_same(got["parameters"], {name: p.shape for name, p in expected.named_parameters()}, f"the parameters of {call}")


@check(
    points=2,
    hint="forward(x) returns self.linear2(self.activation(self.linear1(x))): "
    "the activation sits between the two layers, never after the last one.",
)
def test_simple_network_forward(student, reference, rng):
    dims = sizes(rng, 3)
    expected_model = reference.SimpleNetwork(*dims)
    state = seeded_state(expected_model, rng)
    expected_model.load_state_dict(state)
    x = torch.randn(int(torch.randint(4, 17, (), generator=rng)), dims[0], generator=rng)
    call = "SimpleNetwork({}, {}, {})(x of shape {})".format(*dims, tuple(x.shape))
    got = student.run(probe_simple_forward, dims, state, x)
    if "keys" in got:
        fail(f"{call}: the model's state_dict has keys {got['keys']}; expected {sorted(state)}")
    with torch.no_grad():
        expect_tensor(got["output"], expected_model(x), f"{call}, with the reference's weights loaded")


# ------------------------------------------------------------------ build_mlp


def mlp_args(rng) -> tuple:
    inputs, hidden, classes = sizes(rng, 3)
    return inputs, hidden, classes, round(0.1 + 0.5 * float(torch.rand((), generator=rng)), 2)


def expect_layers(got: dict, expected: nn.Module, call: str) -> None:
    if not got["is_sequential"]:
        fail(f"{call} returned a {got['type']}; expected an nn.Sequential")
    want = [describe_layer(layer) for layer in expected.children()]
    if got["layers"] != want:
        fail(f"{call} has the layers [{', '.join(got['layers'])}]; expected [{', '.join(want)}], in that order")


@check(
    points=2,
    hint="nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Dropout(dropout), "
    "nn.Linear(hidden_size, num_classes)): exactly these four, in this order, nothing after the last Linear.",
)
def test_build_mlp_structure(student, reference, rng):
    args = mlp_args(rng)
    call = "build_mlp({}, {}, {}, dropout={})".format(*args)
    expect_layers(student.run(probe_mlp_structure, args), reference.build_mlp(*args), call)


@check(
    points=1,
    hint="The defaults are input_size=784, hidden_size=128, num_classes=10, dropout=0.2: 784*128 + 128 + 128*10 + 10 = 101,770 parameters.",
)
def test_build_mlp_defaults(student, reference):
    got = student.run(probe_mlp_structure, ())
    expected = reference.build_mlp()
    expect_layers(got, expected, "build_mlp()")
    expect_same(got["parameters"], sum(p.numel() for p in expected.parameters()), "the number of parameters of build_mlp()")


@check(points=1, hint="build_mlp must return a model whose output, in eval mode, is Linear -> ReLU -> Linear of its input.")
def test_build_mlp_forward(student, reference, rng):
    args = mlp_args(rng)
    expected_model = reference.build_mlp(*args)
    linears = [m for m in expected_model.modules() if isinstance(m, nn.Linear)]
    weights = [(torch.randn(m.weight.shape, generator=rng) * 0.5, torch.randn(m.bias.shape, generator=rng) * 0.5) for m in linears]
    with torch.no_grad():
        for layer, (weight, bias) in zip(linears, weights):
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
    x = torch.randn(int(torch.randint(4, 17, (), generator=rng)), args[0], generator=rng)
    call = "build_mlp({}, {}, {}, dropout={})".format(*args)
    got = student.run(probe_mlp_forward, args, weights, x)
    if "linears" in got:
        fail(f"{call} has {got['linears']} nn.Linear layers; expected {len(linears)}")
    with torch.no_grad():
        expect_tensor(
            got["output"], expected_model.eval()(x), f"{call} in eval mode on x of shape {tuple(x.shape)}, with the reference's weights"
        )


# ------------------------------------------------------------------ count_parameters


def random_spec(rng, frozen: bool) -> list:
    """A seeded model: Linear layers with and without bias, a Conv2d and a BatchNorm1d (whose buffers are not parameters)."""
    a, b, c, d = sizes(rng, 4, 2, 30)
    flags = [bool(f) for f in torch.rand(4, generator=rng) < 0.5] if frozen else [False] * 4
    if frozen and not any(flags):
        flags[0] = True
    if frozen and all(flags):
        flags[-1] = False
    return [
        ("conv", 1, a, 3, flags[0]),
        ("linear", a, b, True, flags[1]),
        ("batchnorm", b, flags[2]),
        ("relu", False),
        ("linear", b, c, False, flags[3]),
        ("linear", c, d, True, False),
    ]


def describe_spec(spec) -> str:
    return "[" + ", ".join(f"{kind}{tuple(dims)}{' frozen' if frozen else ''}" for kind, *dims, frozen in spec) + "]"


@check(
    points=2,
    hint="sum(p.numel() for p in model.parameters() if p.requires_grad): parameters only "
    "(not state_dict buffers such as BatchNorm's running_mean), as an int.",
)
def test_count_parameters(student, reference, rng):
    mlp = [("linear", 784, 128, True, False), ("relu", False), ("linear", 128, 10, True, False)]
    specs = [mlp, random_spec(rng, frozen=False)]
    for spec, got in zip(specs, student.run(probe_count, specs)):
        expect_same(got, reference.count_parameters(build_from_spec(spec)), f"count_parameters(a model of layers {describe_spec(spec)})")


@check(points=1, hint="Frozen parameters have requires_grad=False and are not trainable: count only p.requires_grad ones.")
def test_count_parameters_frozen(student, reference, rng):
    spec = random_spec(rng, frozen=True)
    expect_same(
        student.run(probe_count, [spec])[0],
        reference.count_parameters(build_from_spec(spec)),
        f"count_parameters(a model of layers {describe_spec(spec)})",
    )


# ------------------------------------------------------------------ predict


def run_predict(student, rng, seed):
    """predict on a seeded model whose Dropout(0.5) would change many of 64 predictions if it stayed on."""
    inputs, hidden, classes = sizes(rng, 3, 5, 30)
    spec = [("linear", inputs, hidden, True, False), ("relu", False), ("dropout", False), ("linear", hidden, classes, True, False)]
    model = build_from_spec(spec)
    state = seeded_state(model, rng)
    model.load_state_dict(state)
    x = torch.randn(64, inputs, generator=rng)
    return student.run(probe_predict, spec, state, x, seed), model, x


@check(points=2, hint="model.eval() turns Dropout off; then `with torch.no_grad(): return model(x).argmax(dim=1)`.")
def test_predict(student, reference, rng, seed):
    got, model, x = run_predict(student, rng, seed)
    call = f"predict(a model with Dropout(0.5) in training mode, x of shape {tuple(x.shape)})"
    if any(got["dropout_training"]):
        fail(f"{call}: Dropout was still on while the model ran, so predictions are random; call model.eval() first")
    expect_tensor(got["prediction"], reference.predict(model, x), call)


@check(points=1, hint="Call model.eval() and don't switch back to model.train() afterwards: predict leaves the model in eval mode.")
def test_predict_leaves_eval(student, rng, seed):
    got, _, _ = run_predict(student, rng, seed)
    still = got["training_after"]
    if still:
        which = "the model" if "" in still else f"its layer{'s' * (len(still) > 1)} {', '.join(still)}"
        fail(
            f"after predict, {which} {'is' if which == 'the model' or len(still) == 1 else 'are'} still in training mode; "
            "call model.eval() in predict and don't switch back to model.train()"
        )


@check(points=1, hint="Run the model under `with torch.no_grad():` (or torch.inference_mode()), so no gradient is recorded.")
def test_predict_no_grad(student, rng, seed):
    got, _, _ = run_predict(student, rng, seed)
    if not got["grad_enabled"]:
        fail("predict never ran the model's layers; call model(x)")
    if any(got["grad_enabled"]):
        fail("predict ran the model with gradients recorded; wrap the forward pass in `with torch.no_grad():`")
