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
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) images -> (N, 10) logits. / Изображения (N, 1, 28, 28) -> логиты (N, 10)."""
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()


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
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


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
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def save_checkpoint(path, model: nn.Module, optimizer, epoch: int, loss: float) -> None:
    """Save a checkpoint to `path` with `torch.save`: a dict with the keys `model_state`
    (`model.state_dict()`), `optimizer_state` (`optimizer.state_dict()`), `epoch` and `loss`.

    Сохраните чекпоинт в `path` через `torch.save`: словарь с ключами `model_state`
    (`model.state_dict()`), `optimizer_state` (`optimizer.state_dict()`), `epoch` и `loss`.
    Без состояния оптимизатора (моменты Adam) продолжить обучение точно не получится.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def load_checkpoint(path, model: nn.Module, optimizer=None, device="cpu") -> tuple[int, float]:
    """Load the checkpoint at `path` with `torch.load(path, map_location=device)`, restore
    the model's weights and, when `optimizer` is given, the optimizer's state.
    Return `(epoch, loss)` as saved.

    Загрузите чекпоинт из `path` через `torch.load(path, map_location=device)`, восстановите
    веса модели и, если передан `optimizer`, состояние оптимизатора. Верните `(epoch, loss)`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


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
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
