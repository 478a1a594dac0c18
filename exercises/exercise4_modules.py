"""Exercise 4: building networks with nn.Module.

Упражнение 4: нейросети на основе nn.Module.

A network is a class derived from `nn.Module`: its layers are created in `__init__` (as
attributes, so PyTorch registers their parameters) and `forward` says how data flows
through them. `nn.Sequential` does the same for a plain chain of layers.

Нейросеть — это класс, унаследованный от `nn.Module`: слои создаются в `__init__` (как
атрибуты, чтобы PyTorch зарегистрировал их параметры), а `forward` описывает, как данные
проходят через них. `nn.Sequential` делает то же самое для простой цепочки слоёв.

Run `grade exercise4` to check your work. / Запустите `grade exercise4`, чтобы проверить решение.
"""

import torch
from torch import Tensor, nn


class SimpleNetwork(nn.Module):
    """The tutorial's two-layer network: linear1 -> activation (ReLU) -> linear2.

    In `__init__`, create exactly these attributes:
      - `self.linear1 = nn.Linear(input_size, hidden_size)`
      - `self.activation = nn.ReLU()`
      - `self.linear2 = nn.Linear(hidden_size, output_size)`
    `forward(x)` returns linear2(activation(linear1(x))): no activation after the last layer.

    Двухслойная сеть из урока: linear1 -> activation (ReLU) -> linear2.

    В `__init__` создайте ровно такие атрибуты:
      - `self.linear1 = nn.Linear(input_size, hidden_size)`
      - `self.activation = nn.ReLU()`
      - `self.linear2 = nn.Linear(hidden_size, output_size)`
    `forward(x)` возвращает linear2(activation(linear1(x))): после последнего слоя активации нет.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()

    def forward(self, x: Tensor) -> Tensor:
        # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
        raise NotImplementedError()


def build_mlp(input_size: int = 784, hidden_size: int = 128, num_classes: int = 10, dropout: float = 0.2) -> nn.Sequential:
    """Return the tutorial's MNIST model as an `nn.Sequential`, with these four layers in order:
    Linear(input_size, hidden_size), ReLU, Dropout(dropout), Linear(hidden_size, num_classes).

    Верните модель для MNIST из урока как `nn.Sequential` из четырёх слоёв, именно в таком порядке:
    Linear(input_size, hidden_size), ReLU, Dropout(dropout), Linear(hidden_size, num_classes).
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters of `model` (those with `requires_grad=True`)
    as an int. The default `build_mlp()` has 784*128 + 128 + 128*10 + 10 = 101,770.
    Frozen parameters (`requires_grad=False`) do not count.

    Верните число обучаемых параметров `model` (у которых `requires_grad=True`) как int.
    У `build_mlp()` по умолчанию их 784*128 + 128 + 128*10 + 10 = 101 770.
    Замороженные параметры (`requires_grad=False`) не считаются.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """Return the predicted class of each row of `x`: the index of the largest output
    (argmax over dim 1), as an int64 tensor of shape (batch,).

    Switch the model to evaluation mode first (`model.eval()`: Dropout turns off) and run it
    under `torch.no_grad()`, so no gradient is recorded. Leave the model in eval mode.

    Верните предсказанный класс для каждой строки `x`: индекс наибольшего выхода (argmax по
    измерению 1), тензором int64 формы (batch,).

    Сначала переключите модель в режим оценки (`model.eval()`: Dropout выключается) и
    запустите её внутри `torch.no_grad()`, чтобы градиенты не записывались. Модель оставьте
    в режиме eval.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
