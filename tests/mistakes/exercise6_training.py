"""Realistic mistakes in the training loop. Only the loop that stops early trains the full 5 epochs:
the others train 1 epoch against a 90% goal (the reference reaches about 95% in one), so the
kit's CI spends seconds, not minutes, on MNIST. The last three pass every public check and are
caught by a teacher's hidden one alone."""

from tests.helpers import QUICK_TRAINING as QUICK
from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "forgotten zero_grad",
        """
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)
""",
        ("train_epoch",),
        QUICK,
    ),
    Mistake(
        "forgotten model.train()",
        """
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)
""",
        ("train_epoch",),
        QUICK,
    ),
    Mistake(
        "step before backward",
        """
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        optimizer.step()
        loss.backward()
        total += loss.item()
    return total / len(loader)
""",
        ("train_epoch",),
        QUICK,
    ),
    Mistake(
        "Softmax before CrossEntropyLoss",
        """
class MNISTClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10), nn.Softmax(dim=1))

    def forward(self, x):
        return self.network(self.flatten(x))
""",
        ("model",),
        QUICK,
    ),
    Mistake(
        "eval mode forgotten in evaluate",
        """
def evaluate(model, loader, criterion, device="cpu"):
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs.to(device))
            total_loss += criterion(outputs, targets.to(device)).item()
            correct += (outputs.argmax(dim=1) == targets.to(device)).sum().item()
            count += len(targets)
    return total_loss / len(loader), 100.0 * correct / count
""",
        ("evaluate",),
        QUICK,
    ),
    Mistake(
        "accuracy as a fraction, averaged over batches",
        """
def evaluate(model, loader, criterion, device="cpu"):
    model.eval()
    losses, accuracies = [], []
    with torch.no_grad():
        for inputs, targets in loader:
            outputs = model(inputs.to(device))
            losses.append(criterion(outputs, targets.to(device)).item())
            accuracies.append((outputs.argmax(dim=1) == targets.to(device)).float().mean().item())
    return sum(losses) / len(losses), sum(accuracies) / len(accuracies)
""",
        ("evaluate",),
        QUICK,
    ),
    Mistake(
        "checkpoint without optimizer state",
        """
def save_checkpoint(path, model, optimizer, epoch, loss):
    torch.save({"model_state": model.state_dict(), "epoch": epoch, "loss": loss}, path)


def load_checkpoint(path, model, optimizer=None, device="cpu"):
    checkpoint = torch.load(path, map_location=device)
    model.load_state_dict(checkpoint["model_state"])
    return checkpoint["epoch"], checkpoint["loss"]
""",
        ("checkpoint_contents", "checkpoint_round_trip", "resume"),
        QUICK,
    ),
    Mistake(
        "resume from epoch 0",
        """
_fit = fit


def fit(model, train_loader, test_loader, epochs, lr=1e-3, device="cpu", checkpoint_dir=None, resume=False):
    if resume and checkpoint_dir is not None and (Path(checkpoint_dir) / "last.pt").exists():
        load_checkpoint(Path(checkpoint_dir) / "last.pt", model, None, device)
    return _fit(model, train_loader, test_loader, epochs, lr, device, checkpoint_dir, resume=False)
""",
        ("resume",),
        QUICK,
    ),
    Mistake(
        "training loop stops after one batch",
        """
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss.item()
""",
        ("mnist_accuracy",),
    ),
    Mistake(
        "forward that squeezes the channel dimension",
        """
class MNISTClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))

    def forward(self, x):
        return self.network(self.flatten(x.squeeze()))
""",
        ("model_on_one_image",),
        QUICK,
    ),
    Mistake(
        "train loss averaged over samples",
        """
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count
""",
        ("train_epoch_with_a_short_last_batch",),
        QUICK,
    ),
    Mistake(
        "fit with Adam's default learning rate",
        """
def fit(model, train_loader, test_loader, epochs, lr=1e-3, device="cpu", checkpoint_dir=None, resume=False):
    model.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters())
    path, first = None, 1
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        path = Path(checkpoint_dir) / "last.pt"
        if resume and path.exists():
            first = load_checkpoint(path, model, optimizer, device)[0] + 1
    history = []
    for epoch in range(first, epochs + 1):
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        test_loss, accuracy = evaluate(model, test_loader, criterion, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "accuracy": accuracy})
        if path is not None:
            save_checkpoint(path, model, optimizer, epoch, train_loss)
    return history
""",
        ("fit_learning_rate",),
        QUICK,
    ),
]
