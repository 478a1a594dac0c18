"""Exercise 6 solved correctly in another style: the checks must give it full marks."""

import os

import torch
from torch import nn


class MNISTClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(p=0.2), nn.Linear(128, 10))

    def forward(self, x):
        x = self.flatten(x)
        logits = self.network(x)
        return logits


def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    model.train()
    running_loss = 0.0
    for batch_idx, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        output = model(data)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if batch_idx % 100 == 0:
            print(f"batch {batch_idx}: {loss.item():.4f}")
    return running_loss / len(loader)


def evaluate(model, loader, criterion, device="cpu"):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.inference_mode():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += criterion(output, target).item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    accuracy = correct / len(loader.dataset) * 100
    return test_loss / len(loader), accuracy


def save_checkpoint(path, model, optimizer, epoch, loss):
    checkpoint = {
        "epoch": epoch,
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "loss": loss,
        "saved_by": "me",
    }
    torch.save(checkpoint, str(path))


def load_checkpoint(path, model, optimizer=None, device="cpu"):
    checkpoint = torch.load(path, map_location=torch.device(device), weights_only=True)
    model.load_state_dict(checkpoint["model_state"])
    if optimizer:
        optimizer.load_state_dict(checkpoint["optimizer_state"])
    return checkpoint["epoch"], checkpoint["loss"]


def fit(model, train_loader, test_loader, epochs, lr=1e-3, device="cpu", checkpoint_dir=None, resume=False):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    start_epoch = 0
    if checkpoint_dir:
        os.makedirs(checkpoint_dir, exist_ok=True)
        last = os.path.join(checkpoint_dir, "last.pt")
        if resume and os.path.exists(last):
            start_epoch, _ = load_checkpoint(last, model, optimizer, device)
            print(f"resuming after epoch {start_epoch}")
    history = []
    best = 0.0
    for epoch in range(start_epoch + 1, epochs + 1):
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        test_loss, accuracy = evaluate(model, test_loader, criterion, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "accuracy": accuracy, "lr": lr})
        if checkpoint_dir:
            save_checkpoint(os.path.join(checkpoint_dir, "last.pt"), model, optimizer, epoch, train_loss)
            if accuracy > best:
                best = accuracy
                save_checkpoint(os.path.join(checkpoint_dir, "best.pt"), model, optimizer, epoch, train_loss)
    return history
