"""Exercise 6 with a fit that also keeps the best epoch's weights: in memory and in checkpoint_dir/best.pt."""

import copy
from pathlib import Path

import torch
from torch import nn


class MNISTClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))

    def forward(self, x):
        return self.network(self.flatten(x))


def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    total = 0.0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def evaluate(model, loader, criterion, device="cpu"):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            total += criterion(outputs, targets).item()
            correct += (outputs.argmax(1) == targets).sum().item()
            count += len(targets)
    return total / len(loader), 100 * correct / count


def save_checkpoint(path, model, optimizer, epoch, loss):
    torch.save({"model_state": model.state_dict(), "optimizer_state": optimizer.state_dict(), "epoch": epoch, "loss": loss}, path)


def load_checkpoint(path, model, optimizer=None, device="cpu"):
    checkpoint = torch.load(path, map_location=device)
    model.load_state_dict(checkpoint["model_state"])
    if optimizer:
        optimizer.load_state_dict(checkpoint["optimizer_state"])
    return checkpoint["epoch"], checkpoint["loss"]


def fit(model, train_loader, test_loader, epochs, lr=1e-3, device="cpu", checkpoint_dir=None, resume=False):
    model.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    folder = Path(checkpoint_dir) if checkpoint_dir else None
    first = 1
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
        if resume and (folder / "last.pt").exists():
            first = load_checkpoint(folder / "last.pt", model, optimizer, device)[0] + 1
    history, best_accuracy, best_state = [], -1.0, None
    for epoch in range(first, epochs + 1):
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        test_loss, accuracy = evaluate(model, test_loader, criterion, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "accuracy": accuracy})
        if folder:
            save_checkpoint(folder / "last.pt", model, optimizer, epoch, train_loss)
        if accuracy > best_accuracy:
            best_accuracy, best_state = accuracy, copy.deepcopy(model.state_dict())
            if folder:
                save_checkpoint(folder / "best.pt", model, optimizer, epoch, train_loss)
            print(f"epoch {epoch}: new best accuracy {accuracy:.2f}%")
    model.best_state = best_state  # kept for whoever wants the best epoch; the model itself has trained every epoch
    return history
