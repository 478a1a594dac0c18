from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "wrong normalisation constants (0.5, 0.5)",
        """
def mnist_transform():
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
""",
        ("mnist_transform", "load_mnist"),
    ),
    Mistake(
        "Normalize without ToTensor's scaling to [0, 1]",
        """
def mnist_transform():
    def transform(image):
        pixels = torch.tensor(list(image.getdata()), dtype=torch.float32).reshape(1, 28, 28)
        return (pixels - 0.1307) / 0.3081
    return transform
""",
        ("mnist_transform",),
    ),
    Mistake(
        "items as Python floats (batches become float64)",
        """
class SquaresDataset(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return float(i), float(i * i)
""",
        ("squares_dataset", "squares_dataset_batches"),
    ),
    Mistake(
        "not a Dataset subclass",
        """
class SquaresDataset:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor(float(i)), torch.tensor(float(i * i))
""",
        ("squares_dataset", "squares_dataset_batches"),
    ),
    Mistake(
        "off by one: items start at 1",
        """
class SquaresDataset(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor(float(i + 1)), torch.tensor(float((i + 1) ** 2))
""",
        ("squares_dataset", "squares_dataset_batches"),
    ),
    Mistake(
        "train argument ignored",
        """
def load_mnist(root=KIT_DATA, train=True):
    return datasets.MNIST(root=str(root), train=True, download=False, transform=mnist_transform())
""",
        ("load_mnist",),
    ),
    Mistake(
        "no transform: items stay PIL images",
        """
def load_mnist(root=KIT_DATA, train=True):
    return datasets.MNIST(root=str(root), train=train, download=False)
""",
        ("load_mnist",),
    ),
    Mistake(
        "generator not passed on",
        """
def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers)
""",
        ("make_loader_shuffle", "mnist_batches"),
    ),
    Mistake(
        "always shuffles",
        """
def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, generator=generator)
""",
        ("make_loader_shuffle", "mnist_batches"),
    ),
    Mistake(
        "drop_last loses the partial batch",
        """
def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers, generator=generator, drop_last=True)
""",
        ("mnist_batches",),
    ),
    Mistake(
        "population std (divides by n)",
        """
def pixel_mean_std(images):
    pixels = images.float() / 255
    return pixels.mean().item(), pixels.std(unbiased=False).item()
""",
        ("pixel_mean_std",),
    ),
    Mistake(
        "forgot to scale to [0, 1]",
        """
def pixel_mean_std(images):
    pixels = images.float()
    return pixels.mean().item(), pixels.std().item()
""",
        ("pixel_mean_std", "pixel_mean_std_mnist"),
    ),
    Mistake(
        "num_workers not passed on",
        """
def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, generator=None):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
""",
        ("make_loader_num_workers",),
    ),
    Mistake(
        "a hand-written ToTensor that takes PIL's (width, height) for the tensor's shape",
        """
def mnist_transform():
    def transform(image):
        pixels = torch.tensor(list(image.getdata()), dtype=torch.float32).reshape(1, *image.size) / 255
        return (pixels - 0.1307) / 0.3081
    return transform
""",
        ("mnist_transform_any_size",),
    ),
]
