"""Exercise 6's MNIST training, as its accuracy check runs it: the probe, the grader's own network, its measure.

Its own module, not the check file, since the reference run (the curves beside a student's) and
``bench/threshold_seeds.py`` train the same way: they import this, never a check file.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from grader.checking import check_seed, mnist_tensors
from grader.checking.compare import describe, fail
from grader.checking.probing import few_threads, state_of
from grader.data import ensure_mnist
from grader.formats import curves
from grader.i18n import _

BATCH_SIZE = 64  # the tutorial's
SHAPES = {"network.0.weight": (128, 784), "network.0.bias": (128,), "network.3.weight": (10, 128), "network.3.bias": (10,)}


def tutorial_net(state: dict | None = None) -> nn.Module:
    """The tutorial's network, built by the grader: same layers and state_dict keys as MNISTClassifier."""
    net = nn.Sequential(
        OrderedDict(flatten=nn.Flatten(), network=nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10)))
    )
    if state is not None:
        net.load_state_dict(state)
    return net


def probe_fit_mnist(module, root, epochs, seed, device, threads):
    few_threads(threads)
    torch.manual_seed(seed)
    model = module.MNISTClassifier()
    train_images, train_labels = mnist_tensors.load(root, train=True)
    test_images, test_labels = mnist_tensors.load(root, train=False)
    # The student's own evaluate sees a small slice of the test set; the score is computed by the grader.
    # The training loader tells the judge each epoch's progress, which the student's screen shows as it trains.
    history = module.fit(
        model,
        mnist_tensors.batch_loader(train_images, train_labels, BATCH_SIZE, shuffle=True, seed=seed, epochs=epochs),
        mnist_tensors.batch_loader(test_images[:1000], test_labels[:1000], 1000),
        epochs=epochs,
        device=device,
    )
    return {"state": state_of(model), "epochs": len(history) if isinstance(history, list) else None, "history": history_rows(history)}


def history_rows(history) -> list | None:
    """fit's history as rows of plain numbers (``curves.KEYS``), at most ``curves.MAX_EPOCHS`` of them; in the
    child, so that whatever else a history holds, however big, stays there. The judge checks the rows again."""
    if type(history) not in (list, tuple):
        return None

    def number(value):  # a Python number; also one left in a tensor (no .item()) or a numpy scalar (np.mean)
        if isinstance(value, torch.Tensor):
            value = value.item() if value.numel() == 1 else None
        elif type(value).__module__ == "numpy":
            value = value.item() if getattr(value, "size", 0) == 1 else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    return [
        {key: number(entry.get(key)) for key in curves.KEYS} if isinstance(entry, dict) else None for entry in history[: curves.MAX_EPOCHS]
    ]


def measured_accuracy(state: dict, root: str) -> float:
    """Test accuracy in percent of the tutorial's network (the grader's own) with ``state``, on all 10,000 test images.

    The network is built on the meta device and given ``state``'s tensors, so that it draws nothing from the process's
    random state: the reference run measures in a thread of the judge while a check there seeds that state and runs
    the reference's dropout, and a layer's initialisation in between once cost the reference solution 2 points."""
    with torch.device("meta"):
        net = tutorial_net()
    net.load_state_dict(state, assign=True)
    net.eval()
    test_images, test_labels = mnist_tensors.load(root, train=False)
    with torch.no_grad():
        correct = sum(int((net(x).argmax(dim=1) == y).sum()) for x, y in zip(test_images.split(2000), test_labels.split(2000)))
    return 100.0 * correct / len(test_labels)


def trained_accuracy(state, epochs: int, device: str, mnist_root: str) -> float:
    """The grader's measure of the weights a training child sent back, once they are known to be the network's."""
    expected = {key: tuple(shape) for key, shape in SHAPES.items()}
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        fail(_("the trained MNISTClassifier's state_dict came back as {got}; expected a dict of tensors").format(got=describe(state)))
    shapes = {key: tuple(value.shape) for key, value in state.items()}
    if shapes != expected:
        fail(_("the trained MNISTClassifier's state_dict has keys and shapes {got}; expected {want}").format(got=shapes, want=expected))
    if not all(torch.isfinite(value).all() for value in state.values()):
        fail(
            _("after fit(model, ..., epochs={epochs}) on {device} the weights hold NaN or inf: the training diverged").format(
                epochs=epochs, device=device
            )
        )
    return measured_accuracy(state, mnist_root)


def mnist_training(settings, seed) -> tuple:
    """The child that the accuracy check runs; the grader starts it as the run begins (``head_start``)."""
    epochs, _threshold = mnist_tensors.goal()
    return probe_fit_mnist, (str(ensure_mnist(settings.data_dir)), epochs, seed, settings.device, settings.threads)


def second_seed(seed: int) -> int:
    """The seed of the accuracy check's second training, for a first one within the noise below the goal."""
    return check_seed(seed, "retrain")
