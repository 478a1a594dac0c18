"""Does the training check's progress leave the training as it was: the same batches, the same weights, the same
random state, whether its epochs are reported or not? A correct solution must not depend on luck."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch

from grader.checking import mnist_tensors, training
from grader.data import ensure_mnist
from grader.sandbox import frames, progress
from grader.sandbox.progress import Progress
from tests.helpers import KIT

TRAIN, TEST = 1280, 1000  # 20 batches of the check's 64 an epoch: enough to see every batch counted, quick to train
EPOCHS, SEED = 2, 1234


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("reference_training", KIT / "solutions" / "exercise6_training.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def small_mnist(monkeypatch):
    """The check's own MNIST, cut to its first images."""
    load = mnist_tensors.load

    def first(root, train):
        images, labels = load(root, train)
        keep = TRAIN if train else TEST
        return images[:keep], labels[:keep]

    monkeypatch.setattr(mnist_tensors, "load", first)
    threads = torch.get_num_threads()
    yield str(ensure_mnist())
    torch.set_num_threads(threads)  # the probe sets this process's, as it sets a child's


def trained(module, root) -> tuple[dict, list, torch.Tensor]:
    torch.manual_seed(0)  # what the child's same_random_state does before the probe
    found = training.probe_fit_mnist(module, root, EPOCHS, SEED, "cpu", None)
    return found["state"], found["history"], torch.get_rng_state()


def test_the_weights_are_the_same_with_and_without_progress(reference, small_mnist, monkeypatch):
    monkeypatch.setattr(progress, "_channel", None)
    quiet = trained(reference, small_mnist)

    read, write = os.pipe()
    try:
        progress.open_channel(write)
        monkeypatch.setattr(progress, "CHILD_EVERY", 0)  # every batch reported: as much reporting as there can be
        told = trained(reference, small_mnist)
        reader = frames.Reader(1 << 10)
        os.set_blocking(read, False)
        reader.feed(os.read(read, 1 << 20))
    finally:
        os.close(read)
        os.close(write)

    sent = [progress.decode(frame) for frame in reader.frames]
    batches = TRAIN // training.BATCH_SIZE
    assert sent == [Progress(epoch, EPOCHS, 100 * done // batches) for epoch in (1, 2) for done in range(batches)]
    assert quiet[0].keys() == told[0].keys()
    assert all(torch.equal(quiet[0][key], told[0][key]) for key in quiet[0])
    assert quiet[1] == told[1]  # fit's history, its losses and accuracies
    assert torch.equal(quiet[2], told[2])  # torch's global random state after the training


def test_the_counted_loader_hands_out_the_same_batches_in_the_same_order(monkeypatch):
    monkeypatch.setattr(progress, "_channel", None)
    images, labels = torch.zeros(50, 1), torch.arange(50)
    plain = mnist_tensors.batch_loader(images, labels, 8, shuffle=True, seed=5)
    counted = mnist_tensors.batch_loader(images, labels, 8, shuffle=True, seed=5, epochs=3)
    assert len(plain) == len(counted) == 7
    for _epoch in range(3):
        assert [y.tolist() for _, y in plain] == [y.tolist() for _, y in counted]
    assert counted.sampler.epoch == 3
