"""Checks for exercise 2: changing a tensor's shape.

Shapes are drawn from the check's seeded ``rng`` with unequal sizes, so that a transpose
where a permute was meant, or an unsqueeze at the wrong place, shows in the shape.
"""

import pytest
import torch

from grader.checking import check
from grader.checking.compare import expect_tensor
from grader.checks._helpers import expect_error_naming, probe_error
from grader.i18n import N_, _, ngettext


def of_shape(function: str, x: torch.Tensor) -> str:
    return _("{function}(x of shape {shape})").format(function=function, shape=tuple(x.shape))


def of_elements(count: int, rows: int, cols: int) -> str:
    return ngettext("to_matrix(x of {count} element, {rows}, {cols})", "to_matrix(x of {count} elements, {rows}, {cols})", count).format(
        count=count, rows=rows, cols=cols
    )


def distinct_sizes(rng, count: int, low: int = 2, high: int = 9) -> list[int]:
    return [int(n) + low for n in torch.randperm(high - low + 1, generator=rng)[:count]]


@check(
    points=1,
    hint=N_("torch.arange(n, dtype=torch.float32): without the dtype, arange gives int64."),
    nudge=N_("A range of numbers comes out as integers unless you ask for another data type. Tutorial: Reshaping, ranges of numbers."),
)
def test_arange_float(student, reference, rng):
    n = int(torch.randint(5, 40, (), generator=rng))
    expect_tensor(student.call("arange_float", n), reference.arange_float(n), f"arange_float({n})")


@check(
    points=1,
    hint=N_("x.reshape(rows, cols) (or x.view) keeps the elements in order."),
    nudge=N_(
        "Changing the shape keeps the elements in their order; rows times columns must equal the number of "
        "elements. Tutorial: Reshaping, view and reshape."
    ),
)
def test_to_matrix(student, reference, rng):
    rows, cols = distinct_sizes(rng, 2)
    x = torch.randn(rows * cols, generator=rng)
    expect_tensor(
        student.call("to_matrix", x, rows, cols),
        reference.to_matrix(x, rows, cols),
        of_elements(rows * cols, rows, cols),
    )


@check(
    points=1,
    hint=N_("Compare rows * cols with x.numel() and raise ValueError(f'x has {x.numel()} elements, cannot make ({rows}, {cols})')."),
    nudge=N_(
        "First check that rows times columns equals the number of elements, and when it does not, raise the "
        "error the docstring names, with those numbers in its message. Tutorial: Reshaping, view and reshape."
    ),
)
def test_to_matrix_error(student, rng):
    rows, cols, n = distinct_sizes(rng, 3, 2, 9)
    n = rows * cols + n  # never a product of rows and cols
    got = student.run(probe_error, "to_matrix", torch.zeros(n), rows, cols)
    expect_error_naming(got, (n, rows, cols), of_elements(n, rows, cols))


@check(
    points=1,
    hint=N_("x.unsqueeze(0) adds the new dimension in front: (3, 4) becomes (1, 3, 4)."),
    nudge=N_("A batch dimension is a new axis of size 1 in front of the others. Tutorial: Reshaping, adding a dimension."),
)
def test_add_batch_dim(student, reference, rng):
    x = torch.randn(*distinct_sizes(rng, 2), generator=rng)
    expect_tensor(student.call("add_batch_dim", x), reference.add_batch_dim(x), of_shape("add_batch_dim", x))


@check(
    points=1,
    hint=N_("x.unsqueeze(0) works for a tensor of any number of dimensions; don't spell out x.shape[0], x.shape[1]."),
    hidden=True,
    nudge=N_(
        "The new axis in front must work whatever the number of dimensions: don't write the sizes out one by "
        "one. Tutorial: Reshaping, adding a dimension."
    ),
)
def test_add_batch_dim_any_rank(student, reference, rng):
    tensors = [torch.randn(*distinct_sizes(rng, rank), generator=rng) for rank in (1, 3)]
    for x, got in zip(tensors, student.call_each("add_batch_dim", *[(x,) for x in tensors])):
        expect_tensor(got, reference.add_batch_dim(x), of_shape("add_batch_dim", x))


@check(
    points=1,
    hint=N_("x.unsqueeze(-1) adds the new dimension at the end: (3, 4) becomes (3, 4, 1)."),
    nudge=N_("This time the new axis of size 1 goes at the end. Tutorial: Reshaping, adding a dimension."),
)
def test_add_trailing_dim(student, reference, rng):
    x = torch.randn(*distinct_sizes(rng, 2), generator=rng)
    expect_tensor(student.call("add_trailing_dim", x), reference.add_trailing_dim(x), of_shape("add_trailing_dim", x))


FLATTEN_CALLS = {  # by the kind of input: each one whole sentence for the catalog
    "NHW": N_("flatten_batch(NHW images of shape {shape})"),
    "NCHW": N_("flatten_batch(NCHW images of shape {shape})"),
    "non-contiguous": N_("flatten_batch(non-contiguous images of shape {shape})"),
}


def flatten_input(kind: str, rng) -> torch.Tensor:
    n, h, w = 2 * int(torch.randint(8, 33, (), generator=rng)), *distinct_sizes(rng, 2, 3, 9)
    if kind == "NHW":
        return torch.randn(n, h, w, generator=rng)
    if kind == "NCHW":
        return torch.randn(n, 1, h, w, generator=rng)
    return torch.randn(n, w, h, generator=rng).transpose(1, 2)  # non-contiguous: .view would fail


@pytest.mark.parametrize("kind", ["NHW", "NCHW", "non-contiguous"])
@check(
    points=1,
    hint=N_("images.reshape(images.shape[0], -1) keeps the batch size and works for non-contiguous tensors, unlike .view."),
    nudge=N_(
        "Keep the first dimension, the batch, and fold all the others into one; mind that one of the two ways"
        " to change a shape needs a tensor that is contiguous in memory. Tutorial: Reshaping, flattening."
    ),
)
def test_flatten_batch(student, reference, rng, kind):
    images = flatten_input(kind, rng)
    expect_tensor(
        student.call("flatten_batch", images),
        reference.flatten_batch(images),
        _(FLATTEN_CALLS[kind]).format(shape=tuple(images.shape)),
    )


@check(
    points=1,
    hint=N_("Keep only the batch dimension: images.reshape(images.shape[0], -1) also folds the channels of colour images in."),
    hidden=True,
    nudge=N_("Everything after the batch dimension, the colour channels included, goes into one axis. Tutorial: Reshaping, flattening."),
)
def test_flatten_batch_colour(student, reference, rng):
    n, c, h, w = int(torch.randint(2, 9, (), generator=rng)), 3, *distinct_sizes(rng, 2, 3, 9)
    images = torch.randn(n, c, h, w, generator=rng)
    expect_tensor(
        student.call("flatten_batch", images),
        reference.flatten_batch(images),
        _("flatten_batch(NCHW images with 3 channels, of shape {shape})").format(shape=tuple(images.shape)),
    )


@check(
    points=2,
    hint=N_("image.permute(2, 0, 1) moves channels first; transpose(0, 2) would swap height and width too."),
    nudge=N_(
        "Moving the channels first reorders all three axes; swapping two axes alone would swap height and "
        "width too. Tutorial: Reshaping, reordering axes."
    ),
)
def test_hwc_to_chw(student, reference, rng):
    image = torch.randn(*distinct_sizes(rng, 3, 2, 9), generator=rng)
    expect_tensor(
        student.call("hwc_to_chw", image),
        reference.hwc_to_chw(image),
        _("hwc_to_chw(image of shape {shape})").format(shape=tuple(image.shape)),
    )
