"""Exercise 2: changing a tensor's shape: reshape, view, unsqueeze, flatten, permute.

Упражнение 2: изменение формы тензора: reshape, view, unsqueeze, flatten, permute.

Run `grade exercise2` to check your work. / Запустите `grade exercise2`, чтобы проверить решение.
"""

import torch
from torch import Tensor


def arange_float(n: int) -> Tensor:
    """Return [0., 1., ..., n-1] as a float32 tensor.

    Верните тензор float32 [0., 1., ..., n-1].
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def to_matrix(x: Tensor, rows: int, cols: int) -> Tensor:
    """Return `x` reshaped to (rows, cols). When rows*cols differs from the number of
    elements of `x`, raise ValueError saying how many elements `x` has and which shape was asked for.

    Верните `x` в форме (rows, cols). Если rows*cols не равно числу элементов `x`,
    выбросьте ValueError, где сказано, сколько элементов в `x` и какая форма запрошена.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def add_batch_dim(x: Tensor) -> Tensor:
    """Return `x` with a new leading dimension of size 1: shape (3, 4) becomes (1, 3, 4).

    Добавьте к `x` новое первое измерение размера 1: форма (3, 4) становится (1, 3, 4).
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def add_trailing_dim(x: Tensor) -> Tensor:
    """Return `x` with a new last dimension of size 1: shape (3, 4) becomes (3, 4, 1).

    Добавьте к `x` новое последнее измерение размера 1: форма (3, 4) становится (3, 4, 1).
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def flatten_batch(images: Tensor) -> Tensor:
    """Flatten everything but the first dimension: (N, d1, d2, ...) becomes (N, d1*d2*...).
    It must work for (64, 28, 28), for (64, 1, 28, 28) and for non-contiguous input.

    Сплющите все измерения, кроме первого: (N, d1, d2, ...) становится (N, d1*d2*...).
    Должно работать для (64, 28, 28), для (64, 1, 28, 28) и для несмежного (non-contiguous) тензора.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def hwc_to_chw(image: Tensor) -> Tensor:
    """Reorder an image from (height, width, channels) to (channels, height, width).

    Переставьте измерения картинки из (высота, ширина, каналы) в (каналы, высота, ширина).
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
