"""Exercise 6 the tutorial's way: its training loop verbatim (prints included), its test_model, its save and load.

Only the names are the exercise's (train_epoch, evaluate, save_checkpoint, load_checkpoint, fit).
"""

import os

import torch
import torch.nn as nn
import torch.optim as optim


class MNISTClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        x = self.network(x)
        return x


def train_epoch(model, train_loader, criterion, optimizer, device="cpu"):
    model.train()
    running_loss = 0.0
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)

        optimizer.zero_grad()
        output = model(data)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        if batch_idx % 100 == 0:
            print(f"Батч {batch_idx}/{len(train_loader)}, Loss: {loss.item():.4f}")
    return running_loss / len(train_loader)


def evaluate(model, test_loader, criterion, device="cpu"):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += criterion(output, target).item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader)
    accuracy = 100.0 * correct / len(test_loader.dataset)
    print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} ({accuracy:.2f}%)")
    return test_loss, accuracy


def save_checkpoint(path, model, optimizer, epoch, loss):
    checkpoint = {
        "epoch": epoch,
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "loss": loss,
    }
    torch.save(checkpoint, path)
    print(f"Чекпоинт сохранён: {path}")


def load_checkpoint(path, model, optimizer=None, device="cpu"):
    checkpoint = torch.load(path, map_location=device)
    model.load_state_dict(checkpoint["model_state"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state"])
    epoch = checkpoint["epoch"]
    loss = checkpoint["loss"]
    print(f"Загружен чекпоинт эпохи {epoch}")
    return epoch, loss


def fit(model, train_loader, test_loader, epochs, lr=1e-3, device="cpu", checkpoint_dir=None, resume=False):
    model = model.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)

    start_epoch = 1
    if checkpoint_dir is not None:
        os.makedirs(checkpoint_dir, exist_ok=True)
        checkpoint_path = os.path.join(checkpoint_dir, "last.pt")
        if resume and os.path.exists(checkpoint_path):
            last_epoch, _ = load_checkpoint(checkpoint_path, model, optimizer, device)
            start_epoch = last_epoch + 1

    history = []
    for epoch in range(start_epoch, epochs + 1):
        print(f"\nЭпоха {epoch}/{epochs}")
        print("-" * 30)
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        test_loss, accuracy = evaluate(model, test_loader, criterion, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "accuracy": accuracy})
        if checkpoint_dir is not None:
            save_checkpoint(os.path.join(checkpoint_dir, "last.pt"), model, optimizer, epoch, train_loss)
    return history
