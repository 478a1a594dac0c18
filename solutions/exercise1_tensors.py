"""Exercise 1: tensors: creating them, reading their properties, basic operations.

Упражнение 1: тензоры: создание, свойства и простые операции.

Run `grade exercise1` to check your work. / Запустите `grade exercise1`, чтобы проверить решение.
"""

from collections.abc import Sequence

import torch
from torch import Tensor


def make_scalar(value: float) -> Tensor:
    """Return a 0-d float32 tensor holding `value` (a scalar: shape `torch.Size([])`).

    Верните 0-мерный тензор float32 со значением `value` (скаляр, форма `torch.Size([])`).
    Hint / подсказка: `torch.tensor(value, dtype=torch.float32)`.
    """
    ### BEGIN SOLUTION
    return torch.tensor(value, dtype=torch.float32)
    ### END SOLUTION


def make_vector(values: Sequence[float]) -> Tensor:
    """Return a 1-d float32 tensor with `values`, also when they are ints.

    Верните одномерный тензор float32 из `values`, даже если это целые числа.
    """
    ### BEGIN SOLUTION
    return torch.tensor(values, dtype=torch.float32)
    ### END SOLUTION


def make_matrix(rows: Sequence[Sequence[float]]) -> Tensor:
    """Return a 2-d float32 tensor from a list of rows, also when they hold ints.

    Верните двумерный тензор float32 из списка строк, даже если в них целые числа.
    """
    ### BEGIN SOLUTION
    return torch.tensor(rows, dtype=torch.float32)
    ### END SOLUTION


def random_matrix(rows: int, cols: int) -> Tensor:
    """Return a (rows, cols) float32 tensor of numbers drawn uniformly from [0, 1)
    with torch's global random generator (so `torch.manual_seed` makes it repeatable).

    Верните тензор float32 формы (rows, cols) из чисел, равномерно распределённых на [0, 1),
    взятых из глобального генератора torch (`torch.manual_seed` делает результат повторяемым).
    """
    ### BEGIN SOLUTION
    return torch.rand(rows, cols)
    ### END SOLUTION


def zeros_matrix(rows: int, cols: int) -> Tensor:
    """Return a (rows, cols) float32 tensor of zeros. / Тензор нулей float32 формы (rows, cols)."""
    ### BEGIN SOLUTION
    return torch.zeros(rows, cols)
    ### END SOLUTION


def ones_matrix(rows: int, cols: int) -> Tensor:
    """Return a (rows, cols) float32 tensor of ones. / Тензор единиц float32 формы (rows, cols)."""
    ### BEGIN SOLUTION
    return torch.ones(rows, cols)
    ### END SOLUTION


def describe(t: Tensor) -> tuple[torch.Size, torch.dtype]:
    """Return the tuple `(t.shape, t.dtype)`.

    Верните кортеж `(t.shape, t.dtype)`: форму и тип данных тензора.
    """
    ### BEGIN SOLUTION
    return t.shape, t.dtype
    ### END SOLUTION


def elementwise_sum(a: Tensor, b: Tensor) -> Tensor:
    """Return the elementwise sum of two tensors of the same shape.

    Верните поэлементную сумму двух тензоров одинаковой формы.
    """
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION


def elementwise_product(a: Tensor, b: Tensor) -> Tensor:
    """Return the elementwise product (not the matrix product!) of two same-shape tensors.

    Верните поэлементное (не матричное!) произведение двух тензоров одинаковой формы.
    """
    ### BEGIN SOLUTION
    return a * b
    ### END SOLUTION


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Return the matrix product of two 2-d tensors. When a's number of columns differs
    from b's number of rows, raise ValueError with a message naming both shapes.

    Верните матричное произведение двух двумерных тензоров. Если число столбцов `a`
    не равно числу строк `b`, выбросьте ValueError с сообщением, где названы обе формы.
    """
    ### BEGIN SOLUTION
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)}: {a.shape[1]} columns but {b.shape[0]} rows")
    return a @ b
    ### END SOLUTION


def matmul_by_hand(a: Tensor, b: Tensor) -> Tensor:
    """Return the same product as `matmul`, computed by the "row times column" rule:
    element [i, j] is the sum of a[i, k] * b[k, j] over k. Do not use torch.matmul, `@`,
    torch.mm or torch.einsum here.

    Верните то же произведение, что и `matmul`, посчитанное по правилу «строка на столбец»:
    элемент [i, j] равен сумме a[i, k] * b[k, j] по k. Не используйте здесь torch.matmul,
    `@`, torch.mm и torch.einsum.
    """
    ### BEGIN SOLUTION
    rows, _inner = a.shape
    cols = b.shape[1]
    result = torch.zeros(rows, cols, dtype=a.dtype)
    for i in range(rows):
        for j in range(cols):
            result[i, j] = (a[i, :] * b[:, j]).sum()
    return result
    ### END SOLUTION
