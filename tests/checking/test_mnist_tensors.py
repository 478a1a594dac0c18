"""The preloaded MNIST the training check feeds a student's fit (right values, fast whole batches),
and the teacher's knobs for its goal: GRADER_MNIST_EPOCHS and GRADER_MNIST_THRESHOLD."""

import pytest
import torch

from grader.checking import mnist_tensors
from grader.checking.mnist_tensors import EPOCHS_ENV, THRESHOLD_ENV
from grader.data import ensure_mnist


@pytest.fixture(scope="module")
def root() -> str:
    return str(ensure_mnist())


def test_test_split_matches_torchvisions_normalize(root):
    from torchvision import datasets, transforms

    images, labels = mnist_tensors.load(root, train=False)
    assert (images.shape, images.dtype, labels.shape, labels.dtype) == ((10000, 1, 28, 28), torch.float32, (10000,), torch.int64)
    tutorial = datasets.MNIST(
        root, train=False, download=False, transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    )
    for index in (0, 1234, 9999):
        image, label = tutorial[index]
        assert torch.equal(images[index], image)
        assert labels[index].item() == label


def test_loader_gives_whole_batches_with_len_and_dataset():
    images, labels = torch.arange(10.0).view(10, 1), torch.arange(10)
    loader = mnist_tensors.batch_loader(images, labels, 4)
    batches = list(loader)
    assert (len(loader), len(loader.dataset)) == (3, 10)
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([y for _, y in batches]), labels)


def test_shuffle_depends_on_the_seed_only_and_spares_the_global_generator():
    images, labels = torch.zeros(50, 1), torch.arange(50)

    def order(seed):
        torch.manual_seed(seed * 7 + 1)  # the global generator must not matter
        return torch.cat([y for _, y in mnist_tensors.batch_loader(images, labels, 8, shuffle=True, seed=seed)])

    assert torch.equal(order(3), order(3))
    assert not torch.equal(order(3), order(4))
    assert sorted(order(3).tolist()) == list(range(50))
    torch.manual_seed(0)
    before = torch.get_rng_state()
    list(mnist_tensors.batch_loader(images, labels, 8, shuffle=True, seed=1))
    assert torch.equal(torch.get_rng_state(), before)


def test_a_file_that_is_not_mnist_is_refused(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"\x00" * 32)
    with pytest.raises(ValueError, match="not an MNIST images file"):
        mnist_tensors.load(str(tmp_path), train=False)


def test_defaults_are_the_tutorials_five_epochs_and_97_percent(monkeypatch):
    monkeypatch.delenv(EPOCHS_ENV, raising=False)
    monkeypatch.delenv(THRESHOLD_ENV, raising=False)
    assert mnist_tensors.goal() == (5, 97.0)


def test_the_environment_sets_both(monkeypatch):
    monkeypatch.setenv(EPOCHS_ENV, "3")
    monkeypatch.setenv(THRESHOLD_ENV, "95.5")
    assert mnist_tensors.goal() == (3, 95.5)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        (EPOCHS_ENV, "five", "whole number of epochs"),
        (EPOCHS_ENV, "0", "whole number of epochs"),
        (THRESHOLD_ENV, "0.97x", "percentage from 0 to 100"),
        (THRESHOLD_ENV, "197", "percentage from 0 to 100"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_to_write(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name}='{value}' is not a {words}"):
        mnist_tensors.goal()


def test_grading_stops_on_a_bad_goal_before_any_check(monkeypatch):
    """A DataError, which `grade` turns into its one-line usage error (exit code 2)."""
    from grader import registry
    from grader.data import DataError
    from tests.helpers import KIT, grade

    monkeypatch.setenv(EPOCHS_ENV, "many")
    with pytest.raises(DataError, match=EPOCHS_ENV):
        grade(KIT / "solutions", [registry.resolve("training")])
