"""Exercise 5 written the tutorial's way: its Dataset, transform and DataLoader, prints included, and the
lesson's look at a few batches run at import, as a beginner leaves it; adapted only to the function names."""

from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms

KIT_DATA = Path(__file__).resolve().parent.parent / "data"


class SquaresDataset(Dataset):
    def __init__(self, n):
        self.x = [float(i) for i in range(n)]
        self.y = [float(i**2) for i in range(n)]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        x = torch.tensor(self.x[idx], dtype=torch.float32)
        y = torch.tensor(self.y[idx], dtype=torch.float32)
        return x, y


def mnist_transform():
    transform = transforms.Compose(
        [
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),
        ]
    )
    return transform


def load_mnist(root=KIT_DATA, train=True):
    if train:
        dataset = datasets.MNIST(root=root, train=True, download=False, transform=mnist_transform())
        print(f"Обучающая выборка: {len(dataset)} изображений")
    else:
        dataset = datasets.MNIST(root=root, train=False, download=False, transform=mnist_transform())
        print(f"Тестовая выборка: {len(dataset)} изображений")
    return dataset


def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers, generator=generator)
    print(f"Батчей в загрузчике: {len(loader)}")
    return loader


def pixel_mean_std(images):
    data = images.float()
    mean = data.mean() / 255
    std = data.std() / 255
    print(f"mean = {mean.item():.4f}, std = {std.item():.4f}")
    return mean.item(), std.item()


# Посмотрим на датасет и загрузчик, как в уроке
squares = SquaresDataset(10)
print(len(squares), squares[3])
for batch_idx, (x, y) in enumerate(DataLoader(squares, batch_size=4, shuffle=True)):
    print(f"Батч {batch_idx}: x = {x.tolist()}, y = {y.tolist()}")
