"""Exercise 5 solved correctly in another style: the checks must give it full marks."""

from pathlib import Path

import torch
import torchvision
from torch.utils import data

MEAN, STD = [0.1307], [0.3081]
_to_tensor = torchvision.transforms.ToTensor()
_normalize = torchvision.transforms.Normalize(MEAN, STD)


class SquaresDataset(data.Dataset):
    def __init__(self, n):
        super().__init__()
        self.xs = torch.arange(n, dtype=torch.float32)

    def __len__(self):
        return self.xs.numel()

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(index)
        x = self.xs[index]
        return x, x * x


def mnist_transform():
    return lambda image: _normalize(_to_tensor(image))  # a plain function is as good as a Compose


def load_mnist(root=Path(__file__).parent.parent / "data", train=True):
    return torchvision.datasets.MNIST(Path(root), train, transform=mnist_transform(), download=False)


def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    return data.DataLoader(dataset, batch_size, shuffle, num_workers=num_workers, generator=generator)


def pixel_mean_std(images):
    pixels = images.to(torch.float64) / 255.0
    return pixels.mean().item(), pixels.std(unbiased=True).item()
