"""Checks for exercise 5: SquaresDataset, the MNIST transform and dataset, make_loader, pixel_mean_std.

Datasets and loaders never cross the sandbox: the probes read items and batches from them
in the child and send back tensors. The reference's side runs the same probes, or small functions
below, through ``reference.compute``, so a check takes only plain answers from it, asked for before
the student's code runs. MNIST stays cheap to grade (see bench/bench_mnist_loading.py): a check
reads a few seeded items, never a whole split, and the judge builds each reference split, and the
reference's answer on all training images, once per process: a batch worker grades every student
against them.
"""

import functools
import math
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset
from torchvision import datasets  # imported here so the sandbox's zygote preloads torchvision, transforms too (~2 s a child otherwise)

from grader.checking import check, mnist_tensors
from grader.checking.compare import expect_same, expect_tensor, fail
from grader.i18n import N_, _, ngettext

MNIST_SIZES = {True: 60000, False: 10000}


@functools.cache
def reference_mnist(solution, root: str, train: bool):
    """The reference's MNIST split, built once per process (~0.1 s each)."""
    return solution.load_mnist(root, train)


def reference_mnist_items(solution, root: str, train: bool, indices: list[int]) -> list:
    """Items of the reference's MNIST split."""
    dataset = reference_mnist(solution, root, train)
    return [as_plain(dataset[i]) for i in indices]


@functools.cache
def reference_pixel_mean_std(solution, root: str) -> tuple[float, float]:
    """The reference's answer on all 60,000 training images, worked out once per process (~0.5 s)."""
    return solution.pixel_mean_std(reference_mnist(solution, root, True).data)


def split(train: bool) -> str:
    return "train" if train else "test"


def seeded_indices(rng, count: int, size: int) -> list[int]:
    return [int(i) for i in torch.randint(0, size, (count,), generator=rng)]


def as_plain(value):
    """A tensor, a number or a tuple/list of them as is; anything else as a '<TypeName>' string to report."""
    if isinstance(value, (torch.Tensor, int, float)) and not isinstance(value, bool):
        return value
    if type(value) in (tuple, list):
        return type(value)(as_plain(v) for v in value)
    return f"<{type(value).__name__}>"


def shapes(batches) -> list:
    """The shapes of each batch's parts, for a message about sizes before one about values."""
    return [
        [tuple(x.shape) if isinstance(x, torch.Tensor) else x for x in batch] if isinstance(batch, (list, tuple)) else batch
        for batch in batches
    ]


# ------------------------------------------------------------------ in the child


def probe_squares(module, n, indices):
    dataset = module.SquaresDataset(n)
    return {
        "type": type(dataset).__name__,
        "is_dataset": isinstance(dataset, Dataset),
        "len": len(dataset),
        "items": [as_plain(dataset[i]) for i in indices],
    }


def probe_squares_batches(module, n, batch_size):
    dataset = module.SquaresDataset(n)
    if not isinstance(dataset, Dataset):
        return {"type": type(dataset).__name__}
    return {"batches": [as_plain(batch) for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False)]}


def probe_transform(module, images):
    from PIL import Image

    transform = module.mnist_transform()
    if not callable(transform):
        return {"type": type(transform).__name__}
    return {"outputs": [as_plain(transform(Image.fromarray(image.numpy()))) for image in images]}


def probe_load_mnist(module, roots, indices):
    """Build both splits with the student's load_mnist (a str root for train, a Path for test) and read a few items."""
    found = {}
    for train, root in zip((True, False), roots):
        dataset = module.load_mnist(root, train)
        found[split(train)] = {
            "type": type(dataset).__name__,
            "is_dataset": isinstance(dataset, Dataset),
            "len": len(dataset),
            "items": [as_plain(dataset[i]) for i in indices[train]],
        }
    return found


def probe_mnist_batches(module, root, subset, batch_size, seed):
    """The student's make_loader over MNIST test, normalised by the grader (grader.checking.mnist_tensors), so only
    make_loader is graded."""
    dataset = TensorDataset(*mnist_tensors.load(root, train=False))
    loader = module.make_loader(dataset, generator=torch.Generator().manual_seed(seed))
    small = module.make_loader(Subset(dataset, range(subset)), batch_size=batch_size, shuffle=False)
    return {"first": as_plain(next(iter(loader))), "batches": len(loader), "small": [as_plain(batch) for batch in small]}


def probe_loader_workers(module, n, num_workers):
    """How many worker processes make_loader's DataLoader would start (read from it: none is started)."""
    loader = module.make_loader(TensorDataset(torch.arange(n)), num_workers=num_workers)
    return {"type": type(loader).__name__, "num_workers": getattr(loader, "num_workers", None)}


def probe_shuffle(module, n, batch_size, seed):
    dataset = TensorDataset(torch.arange(n))
    return {
        "shuffled": [batch[0] for batch in module.make_loader(dataset, batch_size, True, 0, torch.Generator().manual_seed(seed))],
        "in_order": [batch[0] for batch in module.make_loader(dataset, batch_size=batch_size, shuffle=False)],
    }


def probe_pixel_mean_std_mnist(module, root):
    return module.pixel_mean_std(datasets.MNIST(root, train=True, download=False).data)


# ------------------------------------------------------------------ SquaresDataset


def not_a_dataset(call: str, kind: str) -> str:
    return _("{call} is a {kind}, not a torch.utils.data.Dataset: write `class SquaresDataset(Dataset):`").format(call=call, kind=kind)


def batches_of(call: str) -> str:
    return _("the batches of {call}").format(call=call)


def expect_dataset(got: dict, call: str, length: int) -> None:
    if not got["is_dataset"]:
        fail(not_a_dataset(call, got["type"]))
    expect_same(got["len"], length, f"len({call})")


@check(
    points=2,
    hint=N_("Keep n in __init__; __len__ returns n; __getitem__(i) returns (torch.tensor(float(i)), torch.tensor(float(i * i)))."),
    nudge=N_(
        "A dataset needs three things: remember n, report its length, and give item i as a pair of tensors. "
        "Tutorial: Dataset and DataLoader, a dataset of your own."
    ),
)
def test_squares_dataset(student, reference, rng):
    n = int(torch.randint(5, 200, (), generator=rng))
    indices = [0, n - 1, *seeded_indices(rng, 3, n)]
    expected = reference.compute(probe_squares, n, indices)["items"]
    got = student.run(probe_squares, n, indices)
    call = f"SquaresDataset({n})"
    expect_dataset(got, call, n)
    for i, item, want in zip(indices, got["items"], expected):
        expect_same(item, want, f"{call}[{i}]")


@check(
    points=2,
    hint=N_(
        "Each item must be a tuple of two float32 tensors, so that a DataLoader stacks them into two "
        "batch tensors; Python floats would become float64."
    ),
    nudge=N_(
        "Each item must be a pair of float32 tensors, so that a DataLoader stacks them into batches; plain "
        "Python numbers would become float64. Tutorial: Dataset and DataLoader, batches."
    ),
)
def test_squares_dataset_batches(student, reference, rng):
    n, batch_size = int(torch.randint(20, 100, (), generator=rng)), int(torch.randint(3, 9, (), generator=rng))
    expected = reference.compute(probe_squares_batches, n, batch_size)["batches"]
    got = student.run(probe_squares_batches, n, batch_size)
    call = f"DataLoader(SquaresDataset({n}), batch_size={batch_size})"
    if "type" in got:
        fail(not_a_dataset(f"SquaresDataset({n})", got["type"]))
    expect_same(got["batches"], expected, batches_of(call))


# ------------------------------------------------------------------ mnist_transform and load_mnist


@check(
    points=2,
    hint=N_(
        "transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]): "
        "ToTensor first (it scales to [0, 1]), then the tutorial's mean and std."
    ),
    nudge=N_(
        "Two steps, in this order: turn the image into a tensor with values in [0, 1], then normalise it with"
        " MNIST's mean and standard deviation. Tutorial: Dataset and DataLoader, transforms."
    ),
)
def test_mnist_transform(student, reference, rng):
    images = torch.randint(0, 256, (3, 28, 28), generator=rng, dtype=torch.uint8)
    images[0] = 0  # an all-black image shows the mean directly: (0 - 0.1307) / 0.3081
    calls = [_("mnist_transform()(a 28x28 black image)")] + [_("mnist_transform()(a 28x28 random image)")] * (len(images) - 1)
    expect_transformed(student, reference, images, calls)


def expect_transformed(student, reference, images, calls: list[str]) -> None:
    """The student's mnist_transform() and the reference's, each called on every image (a uint8 (H, W) tensor)."""
    expected = reference.compute(probe_transform, images)["outputs"]
    got = student.run(probe_transform, images)
    if "type" in got:
        fail(_("mnist_transform() returned a {kind}, which cannot be called on an image").format(kind=got["type"]))
    for call, output, want in zip(calls, got["outputs"], expected):
        expect_tensor(output, want, call)


@check(
    points=1,
    hint=N_(
        "ToTensor turns a PIL image of any size into a (1, H, W) tensor: don't hard-code 28x28, and mind that a "
        "PIL image's .size is (width, height), the other way round from a tensor's shape."
    ),
    hidden=True,
    nudge=N_("The transform must work for an image of any size: don't write 28x28 into it. Tutorial: Dataset and DataLoader, transforms."),
)
def test_mnist_transform_any_size(student, reference, rng):
    height, width = (int(n) + 5 for n in torch.randperm(30, generator=rng)[:2])  # never square: 5..34 pixels, distinct
    images = [torch.randint(0, 256, shape, generator=rng, dtype=torch.uint8) for shape in ((height, width), (width, height))]
    shown = N_("mnist_transform()(a random {width}x{height} image, {height} rows of {width} pixels)")
    calls = [_(shown).format(width=w, height=h) for h, w in (image.shape for image in images)]
    expect_transformed(student, reference, images, calls)


@check(
    points=3,
    hint=N_(
        "datasets.MNIST(root=root, train=train, download=False, transform=mnist_transform()): "
        "train=True gives 60,000 images, train=False 10,000; each item is (a (1, 28, 28) tensor, an int label)."
    ),
    nudge=N_(
        "Load MNIST from the folder you are given, never download it, and apply your transform; the train "
        "flag picks the training or the test set. Tutorial: Dataset and DataLoader, MNIST."
    ),
)
def test_load_mnist(student, reference, rng, mnist_root):
    indices = {train: [0, *seeded_indices(rng, 3, size)] for train, size in MNIST_SIZES.items()}
    expected = {train: reference.compute(reference_mnist_items, mnist_root, train, indices[train]) for train in MNIST_SIZES}
    got = student.run(probe_load_mnist, (mnist_root, Path(mnist_root)), indices)
    for train, size in MNIST_SIZES.items():
        part, call = got[split(train)], f"load_mnist(root, train={train})"
        if not part["is_dataset"]:
            fail(
                _("{call} returned a {kind}; expected a torch.utils.data.Dataset such as datasets.MNIST").format(
                    call=call, kind=part["type"]
                )
            )
        expect_same(part["len"], size, f"len({call})")
        for i, item, want in zip(indices[train], part["items"], expected[train]):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                kind = item[0].strip("<>")
                fail(
                    _("{call} gave an image of type {kind}; expected a tensor: pass transform=mnist_transform()").format(
                        call=f"{call}[{i}]", kind=kind
                    )
                )
            expect_same(item, want, f"{call}[{i}]")


# ------------------------------------------------------------------ make_loader


def is_permutation(got: list, expected: list, ordered: bool = False) -> bool:
    """Do the student's batches hold 0..n-1 in batches of the expected sizes (and, if ``ordered``, in order)?"""
    if not all(isinstance(b, torch.Tensor) and b.dtype == torch.int64 and b.dim() == 1 for b in got):
        return False
    if [len(b) for b in got] != [len(b) for b in expected]:
        return False
    items = torch.cat(got) if got else torch.zeros(0, dtype=torch.int64)
    return bool(torch.equal(items if ordered else items.sort().values, torch.arange(len(items))))


@check(
    points=2,
    hint=N_(
        "DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers, generator=generator): "
        "pass every argument on, so the grader's generator decides the shuffled order."
    ),
    nudge=N_(
        "Pass every argument of make_loader on to the DataLoader, the generator included: it decides the "
        "shuffled order. Tutorial: Dataset and DataLoader, the loader."
    ),
)
def test_make_loader_shuffle(student, reference, rng, seed):
    n, batch_size = int(torch.randint(20, 60, (), generator=rng)), int(torch.randint(4, 11, (), generator=rng))
    expected = reference.compute(probe_shuffle, n, batch_size, seed)
    got = student.run(probe_shuffle, n, batch_size, seed)
    call = _("make_loader(a dataset of 0..{last}, batch_size={batch_size}, shuffle=False)").format(last=n - 1, batch_size=batch_size)
    in_order = expected["in_order"]
    if is_permutation(got["in_order"], in_order) and not is_permutation(got["in_order"], in_order, ordered=True):
        fail(_("the batches of {call} came out shuffled; shuffle=False must keep the dataset's order").format(call=call))
    expect_same(got["in_order"], in_order, batches_of(call))
    shuffled = expected["shuffled"]
    call = _("make_loader(a dataset of 0..{last}, batch_size={batch_size}, shuffle=True, generator=torch.Generator().manual_seed({seed}))")
    call = batches_of(call.format(last=n - 1, batch_size=batch_size, seed=seed))
    if is_permutation(got["shuffled"], shuffled, ordered=True):
        fail(_("{call} kept the items in order; expected them shuffled").format(call=call))
    expect_same(got["shuffled"], shuffled, call)


@check(
    points=1,
    hint=N_(
        "Pass num_workers=num_workers on to the DataLoader, like every other argument of make_loader: "
        "a teacher's loader reads its batches in that many worker processes."
    ),
    hidden=True,
    nudge=N_("The number of worker processes is an argument too: pass it on. Tutorial: Dataset and DataLoader, the loader."),
)
def test_make_loader_num_workers(student, reference, rng):
    n, num_workers = int(torch.randint(10, 40, (), generator=rng)), int(torch.randint(1, 5, (), generator=rng))
    expected = reference.compute(probe_loader_workers, n, num_workers)
    got = student.run(probe_loader_workers, n, num_workers)
    call = _("make_loader(a dataset of 0..{last}, num_workers={num_workers})").format(last=n - 1, num_workers=num_workers)
    if got["num_workers"] is None:
        fail(_("{call} returned a {kind}; expected a torch.utils.data.DataLoader").format(call=call, kind=got["type"]))
    expect_same(got["num_workers"], expected["num_workers"], f"{call}.num_workers")


@check(
    points=2,
    hint=N_(
        "The defaults are batch_size=64 and shuffle=True; a DataLoader keeps the last, smaller batch "
        "(10,000 test images make 156 batches of 64 and one of 16)."
    ),
    nudge=N_(
        "Look at the default batch size and shuffling in the docstring; the last batch may be smaller than "
        "the others. Tutorial: Dataset and DataLoader, batches."
    ),
)
@pytest.mark.timeout(20)
def test_mnist_batches(student, reference, rng, seed, mnist_root):
    # Few items are read: the first shuffled batch and a small subset for the partial batch (see bench/).
    batch_size = int(torch.randint(4, 9, (), generator=rng))
    subset = 2 * batch_size + int(torch.randint(1, batch_size, (), generator=rng))
    expected = reference.compute(probe_mnist_batches, mnist_root, subset, batch_size, seed)
    got = student.run(probe_mnist_batches, mnist_root, subset, batch_size, seed)
    call = _("make_loader(MNIST test, generator=torch.Generator().manual_seed({seed}))").format(seed=seed)
    first = expected["first"]
    expect_same(shapes([got["first"]]), shapes([first]), _("the shapes of the first batch of {call}").format(call=call))
    expect_same(got["first"], first, _("the first batch of {call}").format(call=call))
    expect_same(got["batches"], math.ceil(MNIST_SIZES[False] / 64), f"len({call})")
    small = expected["small"]
    call = ngettext(
        "make_loader(the first {count} MNIST test image, batch_size={batch_size}, shuffle=False)",
        "make_loader(the first {count} MNIST test images, batch_size={batch_size}, shuffle=False)",
        subset,
    ).format(count=subset, batch_size=batch_size)
    expect_same(shapes(got["small"]), shapes(small), _("the batch shapes of {call}").format(call=call))
    expect_same(got["small"], small, batches_of(call))


# ------------------------------------------------------------------ pixel_mean_std


@check(
    points=2,
    hint=N_(
        "pixels = images.float() / 255; return pixels.mean().item(), pixels.std().item(): "
        "torch's std divides by n - 1, and .item() gives Python floats."
    ),
    nudge=N_(
        "Scale the pixels to [0, 1] first, then take the mean and the standard deviation, as Python numbers. "
        "Tutorial: Dataset and DataLoader, normalisation."
    ),
)
def test_pixel_mean_std(student, reference, rng):
    images = torch.randint(0, 256, (int(torch.randint(2, 6, (), generator=rng)), 4, 4), generator=rng, dtype=torch.uint8)
    expected = reference.pixel_mean_std(images)
    expect_same(
        student.call("pixel_mean_std", images),
        expected,
        _("pixel_mean_std(uint8 images of shape {shape})").format(shape=tuple(images.shape)),
    )


@check(
    points=1,
    hint=N_(
        "On all 60,000 MNIST training images (datasets.MNIST(...).data, uint8) the answer is about (0.1307, 0.3081); "
        "scale to [0, 1] before taking the mean and std."
    ),
    nudge=N_(
        "On MNIST's training images the answer is the pair of numbers the transform normalises with; scale "
        "the pixels before you measure. Tutorial: Dataset and DataLoader, normalisation."
    ),
)
@pytest.mark.timeout(20)
def test_pixel_mean_std_mnist(student, reference, mnist_root):
    expected = reference.compute(reference_pixel_mean_std, mnist_root)
    got = student.run(probe_pixel_mean_std_mnist, mnist_root)
    expect_same(got, expected, _("pixel_mean_std(the MNIST training images)"))
