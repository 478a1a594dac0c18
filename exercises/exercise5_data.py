"""Exercise 5: datasets and data loaders.

Упражнение 5: датасеты и загрузчики данных.

A `Dataset` knows how many items it has (`__len__`) and how to fetch item i
(`__getitem__`); a `DataLoader` groups items into shuffled batches. The tutorial loads
MNIST with torchvision, turns each image into a tensor with `ToTensor` and normalises it
with `Normalize((0.1307,), (0.3081,))`, then reads batches of 64.

`Dataset` знает, сколько в нём элементов (`__len__`), и умеет доставать элемент i
(`__getitem__`); `DataLoader` собирает элементы в перемешанные батчи. В уроке MNIST
загружают через torchvision, превращают каждую картинку в тензор с помощью `ToTensor`,
нормализуют `Normalize((0.1307,), (0.3081,))` и читают батчами по 64.

Run `grade exercise5` to check your work. / Запустите `grade exercise5`, чтобы проверить решение.
"""

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

# The kit's MNIST: `grade` unpacks data/*.gz into data/MNIST/raw the first time it runs.
# MNIST из набора: `grade` при первом запуске распаковывает data/*.gz в data/MNIST/raw.
KIT_DATA = Path(__file__).resolve().parent.parent / "data"


class SquaresDataset(Dataset):
    """A dataset of n items; item i is the pair (tensor(float(i)), tensor(float(i * i))),
    two 0-d float32 tensors: a number and its square.

    Датасет из n элементов; элемент i — пара (tensor(float(i)), tensor(float(i * i))),
    два 0-мерных тензора float32: число и его квадрат.

    Example / пример: SquaresDataset(5)[3] == (tensor(3.), tensor(9.)), len(SquaresDataset(5)) == 5
    """

    def __init__(self, n: int):
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()

    def __len__(self) -> int:
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()


def mnist_transform() -> Callable:
    """Return the tutorial's transform: `ToTensor()` (a PIL image becomes a float32 tensor of
    shape (1, 28, 28) with values in [0, 1]) followed by `Normalize((0.1307,), (0.3081,))`,
    combined with `transforms.Compose`.

    Верните преобразование из урока: `ToTensor()` (картинка PIL становится тензором float32
    формы (1, 28, 28) со значениями в [0, 1]), затем `Normalize((0.1307,), (0.3081,))`,
    объединённые через `transforms.Compose`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def load_mnist(root: str | Path = KIT_DATA, train: bool = True) -> Dataset:
    """Return `torchvision.datasets.MNIST` over the MNIST found in `root` (its files are in
    `root/MNIST/raw`), the training part when `train` is True, else the test part, with
    `transform=mnist_transform()`. Never download: pass `download=False`.
    The training part has 60,000 images, the test part 10,000.

    Верните `torchvision.datasets.MNIST` для MNIST из папки `root` (файлы лежат в
    `root/MNIST/raw`): обучающую часть, если `train` равно True, иначе тестовую, с
    `transform=mnist_transform()`. Ничего не скачивайте: передайте `download=False`.
    В обучающей части 60 000 картинок, в тестовой 10 000.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def make_loader(
    dataset: Dataset, batch_size: int = 64, shuffle: bool = True, num_workers: int = 0, generator: torch.Generator | None = None
) -> DataLoader:
    """Return a `DataLoader` over `dataset` that passes on all these arguments: batches of
    `batch_size`, shuffled when `shuffle` is True (drawing the order from `generator` when one
    is given), read with `num_workers` worker processes.

    Верните `DataLoader` для `dataset`, передав ему все эти аргументы: батчи по `batch_size`,
    перемешивание, если `shuffle` равно True (порядок берётся из `generator`, если он задан),
    чтение в `num_workers` процессах.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def pixel_mean_std(images: Tensor) -> tuple[float, float]:
    """Return (mean, std) of the pixels of a uint8 image tensor (values 0..255) after scaling
    them to [0, 1] (divide by 255), as Python floats. Use torch's default `std()` (it divides by
    n - 1). On the MNIST training images this gives about 0.1307 and 0.3081: the constants of
    the tutorial's `Normalize`.

    Верните (среднее, стандартное отклонение) пикселей тензора картинок uint8 (значения 0..255)
    после перевода в [0, 1] (деления на 255), числами Python. Используйте обычный `std()` из
    torch (он делит на n - 1). На обучающих картинках MNIST получится примерно 0.1307 и 0.3081:
    это и есть константы `Normalize` из урока.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
