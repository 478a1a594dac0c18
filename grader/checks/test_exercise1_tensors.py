"""Checks for exercise 1: creating tensors, reading their properties, basic operations.

Inputs come from the check's seeded ``rng``; the reference runs here on the same inputs.
Functions named ``probe_*`` run in the sandbox child, on the student's module.
"""

import torch

from grader.checking import check
from grader.checking.compare import expect_same, expect_tensor, fail
from grader.checks._helpers import expect_error_naming, probe_error
from grader.i18n import N_, _
from grader.sandbox.blame import StudentMistake


def floats(rng, *shape) -> torch.Tensor:
    """Random values with two decimals, so a message shows them readably."""
    return (torch.randn(shape, generator=rng) * 10).round(decimals=2)


def size(rng, low=2, high=6) -> int:
    return int(torch.randint(low, high + 1, (), generator=rng))


@check(
    points=1,
    hint=N_("torch.tensor(value, dtype=torch.float32) makes a 0-d tensor; its shape is torch.Size([])."),
    nudge=N_(
        "A scalar is a tensor with no dimensions at all; look at which data type the task asks for, and set "
        "it yourself. Tutorial: Tensors, creating a tensor."
    ),
)
def test_make_scalar(student, reference, rng):
    value = floats(rng).item()
    expect_tensor(student.call("make_scalar", value), reference.make_scalar(value), f"make_scalar({value})")


@check(
    points=1,
    hint=N_("Pass dtype=torch.float32 to torch.tensor: a list of ints would otherwise give int64."),
    nudge=N_(
        "A list of whole numbers gives a tensor of integers unless you say otherwise, and the task wants "
        "floats either way. Tutorial: Tensors, data types."
    ),
)
def test_make_vector(student, reference, rng):
    values = floats(rng, size(rng)).tolist()
    ints = torch.randint(-9, 10, (size(rng),), generator=rng).tolist()
    for given, got in zip((values, ints), student.call_each("make_vector", (values,), (ints,))):
        expect_tensor(got, reference.make_vector(given), f"make_vector({given})")


@check(
    points=1,
    hint=N_("torch.tensor([], dtype=torch.float32) is a float32 vector of shape (0,): build the tensor from the list at once."),
    hidden=True,
    nudge=N_(
        "An empty list must still give an empty vector of floats: build the tensor from the whole list at "
        "once, not element by element. Tutorial: Tensors, creating a tensor."
    ),
)
def test_make_vector_empty(student, reference):
    expect_tensor(student.call("make_vector", []), reference.make_vector([]), "make_vector([])")


@check(
    points=1,
    hint=N_("torch.tensor(rows, dtype=torch.float32): the dtype matters when the rows hold ints."),
    nudge=N_(
        "Rows of whole numbers must still make a matrix of floats: mind the data type, as for the vector. Tutorial: Tensors, data types."
    ),
)
def test_make_matrix(student, reference, rng):
    rows = torch.randint(-9, 10, (size(rng), size(rng)), generator=rng).tolist()
    expect_tensor(student.call("make_matrix", rows), reference.make_matrix(rows), f"make_matrix({rows})")


def probe_random_matrix(module, seed, rows, cols):
    torch.manual_seed(seed)
    return module.random_matrix(rows, cols)


@check(
    points=2,
    hint=N_("torch.rand(rows, cols) draws from [0, 1) with torch's global generator; don't create your own generator or reseed."),
    nudge=N_(
        "Uniform random values in [0, 1) come from torch's global generator, which the check seeds for you: "
        "don't seed it again or make a generator of your own. Tutorial: Tensors, random tensors."
    ),
)
def test_random_matrix(student, reference, rng, seed):
    rows, cols = size(rng), size(rng)
    got = student.run(probe_random_matrix, seed, rows, cols)
    call = f"random_matrix({rows}, {cols})"
    if isinstance(got, torch.Tensor) and got.is_floating_point() and got.numel() and not (got.min() >= 0 and got.max() < 1):
        low, high = f"{got.min().item():.4g}", f"{got.max().item():.4g}"
        fail(_("{call} has values outside [0, 1): min {low}, max {high}").format(call=call, low=low, high=high))
    torch.manual_seed(seed)
    expect_tensor(got, reference.random_matrix(rows, cols), _("{call} after torch.manual_seed({seed})").format(call=call, seed=seed))


@check(
    points=1,
    hint=N_("torch.zeros(rows, cols) is float32 by default."),
    nudge=N_(
        "torch has a ready-made function for a tensor filled with zeros; look at the data type it gives by "
        "default. Tutorial: Tensors, creating a tensor."
    ),
)
def test_zeros_matrix(student, reference, rng):
    rows, cols = size(rng), size(rng)
    expect_tensor(student.call("zeros_matrix", rows, cols), reference.zeros_matrix(rows, cols), f"zeros_matrix({rows}, {cols})")


@check(
    points=1,
    hint=N_("torch.ones(rows, cols) is float32 by default."),
    nudge=N_(
        "torch has a ready-made function for a tensor filled with ones; look at the data type it gives by "
        "default. Tutorial: Tensors, creating a tensor."
    ),
)
def test_ones_matrix(student, reference, rng):
    rows, cols = size(rng), size(rng)
    expect_tensor(student.call("ones_matrix", rows, cols), reference.ones_matrix(rows, cols), f"ones_matrix({rows}, {cols})")


@check(
    points=1,
    hint=N_("Return a tuple: (t.shape, t.dtype)."),
    nudge=N_(
        "A tensor carries its shape and its data type as attributes: return the two together, in the order "
        "the docstring gives. Tutorial: Tensors, properties."
    ),
)
def test_describe(student, reference, rng):
    tensors = [torch.zeros(size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 4), dtype=dtype) for dtype in (torch.float64, torch.int32)]
    for t, got in zip(tensors, student.call_each("describe", *[(t,) for t in tensors])):
        expect_same(
            got, reference.describe(t), _("describe(a tensor of shape {shape}, dtype {dtype})").format(shape=tuple(t.shape), dtype=t.dtype)
        )


@check(
    points=1,
    hint=N_("a + b adds tensors of the same shape element by element."),
    nudge=N_("Tensors of the same shape add up element by element with the ordinary operator. Tutorial: Tensors, basic operations."),
)
def test_elementwise_sum(student, reference, rng):
    shape = (size(rng), size(rng))
    a, b = floats(rng, *shape), floats(rng, *shape)
    expect_tensor(student.call("elementwise_sum", a, b), reference.elementwise_sum(a, b), "elementwise_sum(a, b)")


@check(
    points=1,
    hint=N_("a * b multiplies element by element; a @ b would be the matrix product."),
    nudge=N_(
        "There are two products, element by element and the matrix product, and this one is element by "
        "element. Tutorial: Tensors, basic operations."
    ),
)
def test_elementwise_product(student, reference, rng):
    n = size(rng)
    a, b = floats(rng, n, n), floats(rng, n, n)  # square, so that a @ b has the right shape and fails on values
    expect_tensor(student.call("elementwise_product", a, b), reference.elementwise_product(a, b), "elementwise_product(a, b)")


@check(
    points=2,
    hint=N_("a @ b or torch.matmul(a, b) multiplies an (n, k) matrix by a (k, m) one."),
    nudge=N_(
        "This is the matrix product: an (n, k) matrix times a (k, m) one gives an (n, m) matrix. Tutorial: Tensors, matrix multiplication."
    ),
)
def test_matmul(student, reference, rng):
    n, k, m = size(rng), size(rng), size(rng)
    a, b = floats(rng, n, k), floats(rng, k, m)
    expect_tensor(student.call("matmul", a, b), reference.matmul(a, b), f"matmul(a {n}x{k}, b {k}x{m})", atol=1e-3)


@check(
    points=1,
    hint=N_("Compare a.shape[1] with b.shape[0] and raise ValueError(f'... {a.shape} ... {b.shape}') before multiplying."),
    nudge=N_(
        "Before multiplying, compare the inner sizes of the two shapes; when they differ, raise the error the"
        " docstring names, with both shapes in its message. Tutorial: Tensors, matrix multiplication."
    ),
)
def test_matmul_shape_error(student, rng):
    n, k, m = size(rng, 2, 4), size(rng, 5, 7), size(rng, 8, 9)
    a, b = torch.ones(n, k), torch.ones(m, n + k)
    got = student.run(probe_error, "matmul", a, b)
    expect_error_naming(got, (n, k, m, n + k), f"matmul(a {n}x{k}, b {m}x{n + k})")


class ForbiddenCall(StudentMistake, RuntimeError):
    """Raised in the child when matmul_by_hand reaches for a matrix-product function."""


def probe_matmul_by_hand(module, a, b):
    """Call matmul_by_hand with the matrix-product functions made to raise, only for this call."""
    banned = [
        (torch, "matmul"),
        (torch, "mm"),
        (torch, "einsum"),
        (torch, "bmm"),
        (torch, "tensordot"),
        (torch.Tensor, "__matmul__"),
        (torch.Tensor, "__rmatmul__"),
        (torch.Tensor, "matmul"),
        (torch.Tensor, "mm"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name in banned]

    def forbid(name):
        def refuse(*args, **kwargs):
            raise ForbiddenCall(_("matmul_by_hand used {name}, which this exercise asks you to do by hand").format(name=name))

        return refuse

    for owner, name, _original in saved:
        setattr(owner, name, forbid("@" if "matmul__" in name else f"torch.{name}"))
    try:
        return module.matmul_by_hand(a, b)
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@check(
    points=3,
    hint=N_("Loop over rows i and columns j: result[i, j] = (a[i, :] * b[:, j]).sum(). No @, torch.matmul, torch.mm or einsum."),
    nudge=N_(
        "Each element of the result is a row of the first matrix times a column of the second, summed up: "
        "build it with loops, without torch's product functions. Tutorial: Tensors, matrix multiplication."
    ),
)
def test_matmul_by_hand(student, reference, rng):
    n, k, m = size(rng, 3, 8), size(rng, 3, 8), size(rng, 3, 8)
    a, b = floats(rng, n, k), floats(rng, k, m)
    expect_tensor(student.run(probe_matmul_by_hand, a, b), reference.matmul(a, b), f"matmul_by_hand(a {n}x{k}, b {k}x{m})", atol=1e-3)


@check(
    points=1,
    hint=N_("matmul_by_hand must give float32 results for float32 inputs and work for a 1x1 product too."),
    nudge=N_("Look at the data type of the result you build, and try the smallest case, a 1x1 product. Tutorial: Tensors, data types."),
)
def test_matmul_by_hand_edge(student, reference, rng):
    k = size(rng)
    a, b = floats(rng, 1, k), floats(rng, k, 1)
    expect_tensor(student.run(probe_matmul_by_hand, a, b), reference.matmul(a, b), f"matmul_by_hand(a 1x{k}, b {k}x1)", atol=1e-3)
