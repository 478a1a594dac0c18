"""Exercise 7: devices: the same code on a CPU and on a GPU.

Упражнение 7: устройства: один и тот же код на CPU и на GPU.

A computer without a GPU is fine: the grader simulates the GPU cases. On a machine with a
GPU, `grade exercise7 --device cuda` also runs the real CUDA checks.

Компьютер без GPU подходит: грейдер имитирует случаи с GPU. На машине с GPU команда
`grade exercise7 --device cuda` дополнительно запускает настоящие проверки на CUDA.

Run `grade exercise7` to check your work. / Запустите `grade exercise7`, чтобы проверить решение.
"""

import torch
from torch import nn


def pick_device() -> torch.device:
    """Return `torch.device("cuda")` when `torch.cuda.is_available()`, else `torch.device("cpu")`.

    Верните `torch.device("cuda")`, если `torch.cuda.is_available()`, иначе `torch.device("cpu")`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def move_to(obj, device):
    """Move `obj` to `device`: a tensor with `.to(device)`; a list, tuple or dict element by
    element (recursively), keeping its type (a tuple stays a tuple) and a dict's keys;
    anything else (numbers, strings, None, ...) is returned unchanged.

    Перенесите `obj` на `device`: тензор — через `.to(device)`; список, кортеж или словарь —
    поэлементно (рекурсивно), сохраняя тип (кортеж остаётся кортежем) и ключи словаря;
    всё остальное (числа, строки, None, ...) верните без изменений.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def model_device(model: nn.Module) -> torch.device:
    """Return the device of the model's parameters, e.g. `torch.device("cpu")`.

    Верните устройство, на котором лежат параметры модели, например `torch.device("cpu")`.
    Hint / подсказка: `next(model.parameters()).device`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def load_to_device(path, model: nn.Module, device) -> nn.Module:
    """Load the state_dict saved at `path` (on any device, a GPU included) into `model`,
    move the model to `device` and return it. Use `torch.load(path, map_location=device)`:
    without map_location, weights saved on a GPU cannot load on a CPU-only machine.

    Загрузите state_dict из `path` (сохранённый на любом устройстве, в том числе на GPU)
    в `model`, перенесите модель на `device` и верните её. Используйте
    `torch.load(path, map_location=device)`: без map_location веса, сохранённые на GPU,
    не загрузятся на машине без GPU.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def parallelize(model: nn.Module) -> nn.Module:
    """Return `nn.DataParallel(model)` when `torch.cuda.device_count() > 1`, else `model` itself.

    Верните `nn.DataParallel(model)`, если `torch.cuda.device_count() > 1`, иначе саму `model`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def train_step(model: nn.Module, batch, criterion, optimizer, device) -> float:
    """Take one optimisation step on `batch = (inputs, targets)` and return the loss as a
    Python float. Move both tensors to `device` first (the model is already there), then
    `optimizer.zero_grad()`, forward, loss, `loss.backward()`, `optimizer.step()`.

    Сделайте один шаг оптимизации на `batch = (inputs, targets)` и верните потерю как число
    Python. Сначала перенесите оба тензора на `device` (модель уже там), затем
    `optimizer.zero_grad()`, прямой проход, потеря, `loss.backward()`, `optimizer.step()`.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
