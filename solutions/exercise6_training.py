"""Exercise 6: the full MNIST training loop, with checkpoints and an accuracy goal.

Упражнение 6: полный цикл обучения на MNIST, с чекпоинтами и целевой точностью.

The grader trains your `MNISTClassifier` with your `fit` on all 60,000 training images for
5 epochs, then measures the test accuracy itself: 97% or more passes.

Грейдер обучает ваш `MNISTClassifier` вашей функцией `fit` на всех 60 000 обучающих
изображениях 5 эпох и сам измеряет точность на тесте: нужно 97% или больше.

Run `grade exercise6` to check your work. / Запустите `grade exercise6`, чтобы проверить решение.
"""

from pathlib import Path

import torch
from torch import nn


class MNISTClassifier(nn.Module):
    """The tutorial's model for 28x28 digits: Flatten, then Linear(784, 128), ReLU,
    Dropout(0.2), Linear(128, 10). It returns 10 raw scores (logits) per image: no Softmax,
    because `nn.CrossEntropyLoss` applies log-softmax itself.

    Keep these names, so the state_dict keys are `network.0.weight`, `network.0.bias`,
    `network.3.weight` and `network.3.bias`:
    `self.flatten = nn.Flatten()` and `self.network = nn.Sequential(...)`.

    Модель из урока для цифр 28x28: Flatten, затем Linear(784, 128), ReLU, Dropout(0.2),
    Linear(128, 10). Возвращает 10 «сырых» оценок (логитов) на изображение, без Softmax:
    `nn.CrossEntropyLoss` сам применяет log-softmax. Сохраните имена `self.flatten` и
    `self.network`, чтобы ключи state_dict были такими, как выше.
    """

    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        self.flatten = nn.Flatten()
        self.network = nn.Sequential(
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) images -> (N, 10) logits. / Изображения (N, 1, 28, 28) -> логиты (N, 10)."""
        ### BEGIN SOLUTION
        return self.network(self.flatten(x))
        ### END SOLUTION


def train_epoch(model: nn.Module, loader, criterion, optimizer, device="cpu") -> float:
    """Train `model` for one epoch and return the mean batch loss (a Python float).

    Put the model in training mode (`model.train()`), then for each `(inputs, targets)`
    batch: move both to `device`, `optimizer.zero_grad()`, forward, `loss = criterion(...)`,
    `loss.backward()`, `optimizer.step()`. The mean batch loss is the sum of `loss.item()`
    over the batches divided by the number of batches.

    Обучите `model` одну эпоху и верните среднюю потерю по батчам (число Python).
    Включите режим обучения (`model.train()`), затем для каждого батча `(inputs, targets)`:
    перенесите оба тензора на `device`, `optimizer.zero_grad()`, прямой проход,
    `loss = criterion(...)`, `loss.backward()`, `optimizer.step()`. Средняя потеря —
    сумма `loss.item()` по батчам, делённая на число батчей.
    """
    ### BEGIN SOLUTION
    model.train()
    total, batches = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / batches
    ### END SOLUTION


def evaluate(model: nn.Module, loader, criterion, device="cpu") -> tuple[float, float]:
    """Return `(mean batch loss, accuracy in percent)` of `model` on `loader`.

    Use evaluation mode (`model.eval()`, which switches Dropout off) and no gradients
    (`with torch.no_grad():`). The accuracy is `100 * correct / number of samples`, where
    a sample is correct when `outputs.argmax(dim=1)` equals its target. The mean batch loss
    is the sum of `loss.item()` over the batches divided by the number of batches.

    Верните `(средняя потеря по батчам, точность в процентах)` модели на `loader`.
    Используйте режим оценки (`model.eval()` выключает Dropout) и отключите градиенты
    (`with torch.no_grad():`). Точность — `100 * верных / число примеров`; пример верен,
    если `outputs.argmax(dim=1)` совпадает с его меткой.
    """
    ### BEGIN SOLUTION
    model.eval()
    total_loss, correct, count, batches = 0.0, 0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            total_loss += criterion(outputs, targets).item()
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            count += targets.size(0)
            batches += 1
    return total_loss / batches, 100.0 * correct / count
    ### END SOLUTION


def save_checkpoint(path, model: nn.Module, optimizer, epoch: int, loss: float) -> None:
    """Save a checkpoint to `path` with `torch.save`: a dict with the keys `model_state`
    (`model.state_dict()`), `optimizer_state` (`optimizer.state_dict()`), `epoch` and `loss`.

    Сохраните чекпоинт в `path` через `torch.save`: словарь с ключами `model_state`
    (`model.state_dict()`), `optimizer_state` (`optimizer.state_dict()`), `epoch` и `loss`.
    Без состояния оптимизатора (моменты Adam) продолжить обучение точно не получится.
    """
    ### BEGIN SOLUTION
    torch.save(
        {
            "model_state": model.state_dict(),
            "optimizer_state": optimizer.state_dict(),
            "epoch": epoch,
            "loss": loss,
        },
        path,
    )
    ### END SOLUTION


def load_checkpoint(path, model: nn.Module, optimizer=None, device="cpu") -> tuple[int, float]:
    """Load the checkpoint at `path` with `torch.load(path, map_location=device)`, restore
    the model's weights and, when `optimizer` is given, the optimizer's state.
    Return `(epoch, loss)` as saved.

    Загрузите чекпоинт из `path` через `torch.load(path, map_location=device)`, восстановите
    веса модели и, если передан `optimizer`, состояние оптимизатора. Верните `(epoch, loss)`.
    """
    ### BEGIN SOLUTION
    checkpoint = torch.load(path, map_location=device)
    model.load_state_dict(checkpoint["model_state"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state"])
    return checkpoint["epoch"], checkpoint["loss"]
    ### END SOLUTION


def fit(
    model: nn.Module, train_loader, test_loader, epochs: int, lr: float = 1e-3, device="cpu", checkpoint_dir=None, resume: bool = False
) -> list[dict]:
    """Train `model` for `epochs` epochs with `torch.optim.Adam(model.parameters(), lr=lr)` and
    `nn.CrossEntropyLoss()`, on `device` (move the model there first). Return the history.

    - Epochs count from 1. After each epoch, call `train_epoch`, then `evaluate` on
      `test_loader`, and append `{"epoch": epoch, "train_loss": ..., "test_loss": ...,
      "accuracy": ...}` to the history.
    - With a `checkpoint_dir` (create it when missing), save `checkpoint_dir/last.pt` after
      each epoch with `save_checkpoint(..., epoch, train_loss)`.
    - With `resume=True` and `checkpoint_dir/last.pt` present, restore the model and the
      optimizer from it and continue with the epoch after the saved one, up to `epochs`;
      the history then holds only the epochs run in this call.

    Обучите `model` `epochs` эпох с `torch.optim.Adam(model.parameters(), lr=lr)` и
    `nn.CrossEntropyLoss()` на `device` (сначала перенесите туда модель). Верните историю.
    - Эпохи нумеруются с 1. После каждой эпохи вызовите `train_epoch`, затем `evaluate`
      на `test_loader` и добавьте в историю `{"epoch", "train_loss", "test_loss", "accuracy"}`.
    - Если задан `checkpoint_dir` (создайте его, если его нет), после каждой эпохи
      сохраняйте `checkpoint_dir/last.pt` через `save_checkpoint(..., epoch, train_loss)`.
    - При `resume=True` и существующем `checkpoint_dir/last.pt` восстановите модель и
      оптимизатор и продолжите со следующей эпохи до `epochs`; в истории будут только
      эпохи, пройденные в этом вызове.
    """
    ### BEGIN SOLUTION
    model.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    path, first = None, 1
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        path = Path(checkpoint_dir) / "last.pt"
        if resume and path.exists():
            done, _ = load_checkpoint(path, model, optimizer, device)
            first = done + 1
    history = []
    for epoch in range(first, epochs + 1):
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        test_loss, accuracy = evaluate(model, test_loader, criterion, device)
        history.append({"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "accuracy": accuracy})
        print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, accuracy {accuracy:.2f}%")
        if path is not None:
            save_checkpoint(path, model, optimizer, epoch, train_loss)
    return history
    ### END SOLUTION
