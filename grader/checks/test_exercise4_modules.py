"""Checks for exercise 4: SimpleNetwork, build_mlp, count_parameters and predict.

Structure is read through named submodules and the order of a Sequential's children, never
through how the code was written. Behaviour is compared by loading the same seeded weights into
the student's module in the child and into the reference's, and running both on the same inputs.
The reference's side runs the same probes (``reference.compute(probe, ...)``), so a check takes
only plain answers from it, asked for before the student's code runs.
"""

import torch
from torch import nn

from grader.checking import check
from grader.checking.compare import expect_same, expect_tensor, fail
from grader.i18n import N_, _, ngettext

SIMPLE_NAMES = ("linear1", "activation", "linear2")


def sizes(rng, count: int, low: int = 3, high: int = 40) -> list[int]:
    """Distinct seeded sizes, so that swapped arguments show in the shapes."""
    return [int(n) + low for n in torch.randperm(high - low + 1, generator=rng)[:count]]


def seeded_state(shapes: dict, rng) -> dict:
    """Fresh seeded values for every entry of a state_dict, given as {key: shape}."""
    return {key: (torch.randn(shape, generator=rng) * 0.5) for key, shape in shapes.items()}


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


def probe_simple_forward(module, dims, state, xs):
    model = module.SimpleNetwork(*dims)
    keys = set(model.state_dict())
    if keys != set(state):
        return {"keys": sorted(keys)}
    model.load_state_dict(state)
    with torch.no_grad():
        return {"outputs": [model(x) for x in xs]}


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


class Tower(nn.Module):
    """A model that is no nn.Sequential: its layers nested in a block, and a parameter of its own (an output scale)."""

    def __init__(self, spec, scale: int):
        super().__init__()
        self.block = nn.Sequential(build_from_spec(spec))
        self.scale = nn.Parameter(torch.ones(scale))

    def forward(self, x):
        return self.block(x) * self.scale


def probe_count_tower(module, spec, scale):
    return module.count_parameters(Tower(spec, scale))


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
    hint=N_(
        "In __init__, after super().__init__(): self.linear1 = nn.Linear(input_size, hidden_size), "
        "self.activation = nn.ReLU(), self.linear2 = nn.Linear(hidden_size, output_size)."
    ),
    nudge=N_(
        "In the constructor, call the parent class's constructor first, then create the layers as attributes "
        "with the names the docstring gives. Tutorial: nn.Module, defining a network."
    ),
)
def test_simple_network_structure(student, reference, rng):
    dims = sizes(rng, 3)
    call = "SimpleNetwork({}, {}, {})".format(*dims)
    expected = reference.compute(probe_simple_structure, dims)
    got = student.run(probe_simple_structure, dims)
    if not got["is_module"]:
        fail(_("{call} is a {kind}, not an nn.Module: derive the class from nn.Module").format(call=call, kind=got["type"]))
    for name in SIMPLE_NAMES:
        want = expected["children"][name]
        if name not in got["children"]:
            have = ", ".join(got["children"]) or _("none")
            fail(
                _("{call} has no submodule named {quoted} (it has: {have}); expected {name} = {want}").format(
                    call=call, quoted=repr(name), have=have, name=name, want=want
                )
            )
        if got["children"][name] != want:
            fail(_("{call}.{name} is {got}; expected {want}").format(call=call, name=name, got=got["children"][name], want=want))
    expect_same(got["parameters"], expected["parameters"], _("the parameters of {call}").format(call=call))


def expect_forward(student, reference, dims, state, xs) -> None:
    """SimpleNetwork(*dims) with ``state`` loaded, run on each of ``xs`` by the student's class and by the reference's."""
    expected = reference.compute(probe_simple_forward, dims, state, xs)["outputs"]
    got = student.run(probe_simple_forward, dims, state, xs)
    model = "SimpleNetwork({}, {}, {})".format(*dims)
    calls = [_("{function}(x of shape {shape})").format(function=model, shape=tuple(x.shape)) for x in xs]
    if "keys" in got:
        fail(_("{call}: the model's state_dict has keys {got}; expected {want}").format(call=calls[0], got=got["keys"], want=sorted(state)))
    for call, output, want in zip(calls, got["outputs"], expected):
        expect_tensor(output, want, _("{call}, with the reference's weights loaded").format(call=call))


def simple_network_state(reference, rng) -> tuple[list[int], dict]:
    """Seeded sizes, and seeded values for every parameter of the reference's SimpleNetwork of those sizes."""
    dims = sizes(rng, 3)
    return dims, seeded_state(reference.compute(probe_simple_structure, dims)["parameters"], rng)


@check(
    points=2,
    hint=N_(
        "forward(x) returns self.linear2(self.activation(self.linear1(x))): "
        "the activation sits between the two layers, never after the last one."
    ),
    nudge=N_(
        "The forward pass goes through the first layer, the activation, then the second layer, and nothing "
        "comes after the last layer. Tutorial: nn.Module, the forward pass."
    ),
)
def test_simple_network_forward(student, reference, rng):
    dims, state = simple_network_state(reference, rng)
    x = torch.randn(int(torch.randint(4, 17, (), generator=rng)), dims[0], generator=rng)
    expect_forward(student, reference, dims, state, [x])


@check(
    points=1,
    hint=N_(
        "nn.Linear works on the last dimension of any input: forward must not reshape x, so that one sample of shape "
        "(input_size,) gives (output_size,) and a (batch, steps, input_size) input gives (batch, steps, output_size)."
    ),
    hidden=True,
    nudge=N_(
        "A linear layer acts on the last dimension of any input: leave the input's shape as it is. Tutorial: nn.Module, linear layers."
    ),
)
def test_simple_network_forward_other_shapes(student, reference, rng):
    dims, state = simple_network_state(reference, rng)
    steps = int(torch.randint(2, 6, (), generator=rng))
    expect_forward(student, reference, dims, state, [torch.randn(dims[0], generator=rng), torch.randn(2, steps, dims[0], generator=rng)])


# ------------------------------------------------------------------ build_mlp


def mlp_args(rng) -> tuple:
    inputs, hidden, classes = sizes(rng, 3)
    return inputs, hidden, classes, round(0.1 + 0.5 * float(torch.rand((), generator=rng)), 2)


def mlp_linear_shapes(solution, args) -> list:
    """The (weight, bias) shapes of each nn.Linear of the reference's build_mlp(*args), in order."""
    return [(m.weight.shape, m.bias.shape) for m in solution.build_mlp(*args).modules() if isinstance(m, nn.Linear)]


def expect_layers(got: dict, expected: dict, call: str) -> None:
    if not got["is_sequential"]:
        fail(_("{call} returned a {kind}; expected an nn.Sequential").format(call=call, kind=got["type"]))
    if got["layers"] != expected["layers"]:
        have, want = f"[{', '.join(got['layers'])}]", f"[{', '.join(expected['layers'])}]"
        fail(_("{call} has the layers {have}; expected {want}, in that order").format(call=call, have=have, want=want))


@check(
    points=2,
    hint=N_(
        "nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Dropout(dropout), "
        "nn.Linear(hidden_size, num_classes)): exactly these four, in this order, nothing after the last Linear."
    ),
    nudge=N_(
        "Four layers, in the order the docstring lists them, and nothing after the last linear layer. Tutorial: nn.Module, nn.Sequential."
    ),
)
def test_build_mlp_structure(student, reference, rng):
    args = mlp_args(rng)
    call = "build_mlp({}, {}, {}, dropout={})".format(*args)
    expected = reference.compute(probe_mlp_structure, args)
    expect_layers(student.run(probe_mlp_structure, args), expected, call)


@check(
    points=1,
    hint=N_(
        "The defaults are input_size=784, hidden_size=128, num_classes=10, dropout=0.2: 784*128 + 128 + 128*10 + 10 = 101,770 parameters."
    ),
    nudge=N_("Compare your default arguments with those in the docstring. Tutorial: nn.Module, nn.Sequential."),
)
def test_build_mlp_defaults(student, reference):
    expected = reference.compute(probe_mlp_structure, ())
    got = student.run(probe_mlp_structure, ())
    expect_layers(got, expected, "build_mlp()")
    expect_same(got["parameters"], expected["parameters"], "the number of parameters of build_mlp()")


@check(
    points=1,
    hint=N_("build_mlp must return a model whose output, in eval mode, is Linear -> ReLU -> Linear of its input."),
    nudge=N_(
        "In evaluation mode dropout does nothing, so the output must be linear, activation, linear of the "
        "input. Tutorial: nn.Module, nn.Sequential."
    ),
)
def test_build_mlp_forward(student, reference, rng):
    args = mlp_args(rng)
    shapes = reference.compute(mlp_linear_shapes, args)
    weights = [(torch.randn(weight, generator=rng) * 0.5, torch.randn(bias, generator=rng) * 0.5) for weight, bias in shapes]
    x = torch.randn(int(torch.randint(4, 17, (), generator=rng)), args[0], generator=rng)
    expected = reference.compute(probe_mlp_forward, args, weights, x)["output"]
    call = "build_mlp({}, {}, {}, dropout={})".format(*args)
    got = student.run(probe_mlp_forward, args, weights, x)
    if "linears" in got:
        fail(_("{call} has {got} nn.Linear layers; expected {want}").format(call=call, got=got["linears"], want=len(weights)))
    shown = _("{call} in eval mode on x of shape {shape}, with the reference's weights").format(call=call, shape=tuple(x.shape))
    expect_tensor(got["output"], expected, shown)


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


def of_layers(spec) -> str:
    return _("count_parameters(a model of layers {layers})").format(layers=describe_spec(spec))


def describe_spec(spec) -> str:
    def layer(kind, *dims_and_frozen):
        *dims, frozen = dims_and_frozen
        shown = f"{kind}{tuple(dims)}"
        return _("{layer} frozen").format(layer=shown) if frozen else shown

    return "[" + ", ".join(layer(*entry) for entry in spec) + "]"


@check(
    points=2,
    hint=N_(
        "sum(p.numel() for p in model.parameters() if p.requires_grad): parameters only "
        "(not state_dict buffers such as BatchNorm's running_mean), as an int."
    ),
    nudge=N_(
        "Count the elements of the model's trainable parameters only, not its buffers, and return a whole "
        "number. Tutorial: nn.Module, parameters."
    ),
)
def test_count_parameters(student, reference, rng):
    mlp = [("linear", 784, 128, True, False), ("relu", False), ("linear", 128, 10, True, False)]
    specs = [mlp, random_spec(rng, frozen=False)]
    expected = reference.compute(probe_count, specs)
    for spec, got, want in zip(specs, student.run(probe_count, specs), expected):
        expect_same(got, want, of_layers(spec))


@check(
    points=1,
    hint=N_("Frozen parameters have requires_grad=False and are not trainable: count only p.requires_grad ones."),
    nudge=N_("A frozen parameter requires no gradient: it is not trainable and is not counted. Tutorial: nn.Module, parameters."),
)
def test_count_parameters_frozen(student, reference, rng):
    spec = random_spec(rng, frozen=True)
    expected = reference.compute(probe_count, [spec])[0]
    expect_same(student.run(probe_count, [spec])[0], expected, of_layers(spec))


@check(
    points=1,
    hint=N_(
        "A model need not be an nn.Sequential of layers: model.parameters() walks every submodule, however deeply nested, "
        "and the parameters the model holds itself, so count through it rather than through the layers."
    ),
    hidden=True,
    nudge=N_("Ask the model itself for its parameters: it finds them in every nested submodule. Tutorial: nn.Module, parameters."),
)
def test_count_parameters_any_module(student, reference, rng):
    spec, scale = random_spec(rng, frozen=True), int(torch.randint(2, 30, (), generator=rng))
    expected = reference.compute(probe_count_tower, spec, scale)
    call = ngettext(
        "count_parameters(a model that is no nn.Sequential: a block of layers {layers} and a parameter of {count} value)",
        "count_parameters(a model that is no nn.Sequential: a block of layers {layers} and a parameter of {count} values)",
        scale,
    ).format(layers=describe_spec(spec), count=scale)
    expect_same(student.run(probe_count_tower, spec, scale), expected, call)


# ------------------------------------------------------------------ predict


def predict_inputs(rng, rows: int = 64) -> tuple[list, dict, torch.Tensor]:
    """A seeded model whose Dropout(0.5) would change many of 64 predictions if it stayed on, and its input."""
    inputs, hidden, classes = sizes(rng, 3, 5, 30)
    spec = [("linear", inputs, hidden, True, False), ("relu", False), ("dropout", False), ("linear", hidden, classes, True, False)]
    state = seeded_state({key: value.shape for key, value in build_from_spec(spec).state_dict().items()}, rng)
    return spec, state, torch.randn(rows, inputs, generator=rng)


def expect_prediction(student, reference, seed, spec, state, x) -> None:
    expected = reference.compute(probe_predict, spec, state, x, seed)["prediction"]
    got = student.run(probe_predict, spec, state, x, seed)
    call = _("predict(a model with Dropout(0.5) in training mode, x of shape {shape})").format(shape=tuple(x.shape))
    if any(got["dropout_training"]):
        fail(_("{call}: Dropout was still on while the model ran, so predictions are random; call model.eval() first").format(call=call))
    expect_tensor(got["prediction"], expected, call)


@check(
    points=2,
    hint=N_("model.eval() turns Dropout off; then `with torch.no_grad(): return model(x).argmax(dim=1)`."),
    nudge=N_(
        "Switch the model to evaluation mode, run it without recording gradients, and take the most likely "
        "class of each row. Tutorial: nn.Module, predictions."
    ),
)
def test_predict(student, reference, rng, seed):
    expect_prediction(student, reference, seed, *predict_inputs(rng))


@check(
    points=1,
    hint=N_(
        "predict returns one class per row, shape (batch,), even for a batch of one: take argmax(dim=1) of the model's "
        "output and don't squeeze it."
    ),
    hidden=True,
    nudge=N_(
        "One class per row, even when the batch holds a single row: don't drop the batch dimension. Tutorial: nn.Module, predictions."
    ),
)
def test_predict_one_row(student, reference, rng, seed):
    expect_prediction(student, reference, seed, *predict_inputs(rng, rows=1))


@check(
    points=1,
    hint=N_("Call model.eval() and don't switch back to model.train() afterwards: predict leaves the model in eval mode."),
    nudge=N_("After predicting, the model must still be in evaluation mode. Tutorial: nn.Module, training and evaluation modes."),
)
def test_predict_leaves_eval(student, rng, seed):
    got = student.run(probe_predict, *predict_inputs(rng), seed)
    still = got["training_after"]
    if still:
        if "" in still:
            fail(
                _("after predict, the model is still in training mode; call model.eval() in predict and don't switch back to model.train()")
            )
        fail(
            ngettext(
                "after predict, its layer {layers} is still in training mode; "
                "call model.eval() in predict and don't switch back to model.train()",
                "after predict, its layers {layers} are still in training mode; "
                "call model.eval() in predict and don't switch back to model.train()",
                len(still),
            ).format(layers=", ".join(still))
        )


@check(
    points=1,
    hint=N_("Run the model under `with torch.no_grad():` (or torch.inference_mode()), so no gradient is recorded."),
    nudge=N_("Predictions need no gradients: run the model in a block that records none. Tutorial: Autograd, turning gradients off."),
)
def test_predict_no_grad(student, rng, seed):
    got = student.run(probe_predict, *predict_inputs(rng), seed)
    if not got["grad_enabled"]:
        fail(_("predict never ran the model's layers; call model(x)"))
    if any(got["grad_enabled"]):
        fail(_("predict ran the model with gradients recorded; wrap the forward pass in `with torch.no_grad():`"))
