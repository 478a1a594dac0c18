"""The preloaded MNIST the training check feeds a student's fit: right values, fast whole batches."""

import pytest
import torch

from grader import mnist_tensors
from grader.data import ensure_mnist


@pytest.fixture(scope="module")
def root() -> str:
    return str(ensure_mnist())


def test_test_split_matches_torchvisions_normalize(root):
    from torchvision import datasets, transforms

    images, labels = mnist_tensors.load(root, train=False)
    assert (images.shape, images.dtype, labels.shape, labels.dtype) == ((10000, 1, 28, 28), torch.float32, (10000,), torch.int64)
    tutorial = datasets.MNIST(root, train=False, download=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]))
    for index in (0, 1234, 9999):
        image, label = tutorial[index]
        assert torch.equal(images[index], image) and labels[index].item() == label


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

    assert torch.equal(order(3), order(3)) and not torch.equal(order(3), order(4))
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
