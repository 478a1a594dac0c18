"""Exercise 3: autograd, and gradient descent written by hand.

Упражнение 3: autograd и градиентный спуск своими руками.

The tutorial's example: we look for w such that w * 2 = 6. The loss (w * 2 - 6) ** 2 is
smallest at w = 3, and its gradient tells us which way to move w. PyTorch computes that
gradient for us: create w with `requires_grad=True`, compute the loss, call
`loss.backward()`, and read `w.grad`.

Пример из урока: ищем w, при котором w * 2 = 6. Функция потерь (w * 2 - 6) ** 2 минимальна
при w = 3, а её градиент показывает, куда сдвигать w. PyTorch считает этот градиент сам:
создайте w с `requires_grad=True`, посчитайте потерю, вызовите `loss.backward()` и
прочитайте `w.grad`.

Run `grade exercise3` to check your work. / Запустите `grade exercise3`, чтобы проверить решение.
"""

import torch
from torch import Tensor


def square_loss_grad(w: float, x: float, target: float) -> float:
    """Return d/dw of (w*x - target)**2 at the point w, computed with autograd.

    Make w a tensor with `requires_grad=True`, compute the loss, call `.backward()` on it and
    return the gradient `w.grad` as a Python float (`.item()`). Do not write the formula of
    the derivative yourself: the point is to let autograd find it.

    Верните производную (w*x - target)**2 по w в точке w, посчитанную с помощью autograd.

    Сделайте w тензором с `requires_grad=True`, посчитайте потерю, вызовите у неё
    `.backward()` и верните градиент `w.grad` как число Python (`.item()`). Не выписывайте
    формулу производной сами: смысл задания в том, чтобы её нашёл autograd.

    Example / пример: square_loss_grad(1.0, 2.0, 6.0) == -16.0
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def gradient_descent(w0: float = 1.0, x: float = 2.0, target: float = 6.0, lr: float = 0.1, steps: int = 10) -> tuple[float, list[float]]:
    """Run `steps` steps of gradient descent on w for the loss (w*x - target)**2, starting at w0.

    Each step does, in this order:
      1. prediction = w * x
      2. loss = (prediction - target) ** 2
      3. loss.backward()
      4. under `torch.no_grad()`: w -= lr * w.grad
      5. w.grad.zero_()   (otherwise the gradients of all steps add up)

    Return the final w as a float and the list of the `steps` losses, each taken *before*
    its step's update (as floats, via `.item()`).

    Сделайте `steps` шагов градиентного спуска по w для потери (w*x - target)**2, начиная с w0.

    Каждый шаг делает, именно в таком порядке:
      1. prediction = w * x
      2. loss = (prediction - target) ** 2
      3. loss.backward()
      4. внутри `torch.no_grad()`: w -= lr * w.grad
      5. w.grad.zero_()   (иначе градиенты всех шагов складываются)

    Верните итоговое w как float и список из `steps` значений потери, каждое взято *до*
    обновления на своём шаге (числами float, через `.item()`).
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()


def fit_line(xs: Tensor, ys: Tensor, lr: float = 0.05, steps: int = 200) -> tuple[float, float]:
    """Fit ys ≈ w * xs + b with the same hand-written loop, on two parameters w and b.

    w and b start at 0.0 (tensors with `requires_grad=True`). The loss is the mean squared
    error: ((w * xs + b - ys) ** 2).mean(). Each step: loss, backward, update both parameters
    under `torch.no_grad()`, zero both gradients. Return (w, b) as floats. Do not use
    torch.optim here.

    Подберите w и b так, чтобы ys ≈ w * xs + b, тем же ручным циклом, но с двумя параметрами.

    w и b начинаются с 0.0 (тензоры с `requires_grad=True`). Потеря: среднеквадратичная
    ошибка ((w * xs + b - ys) ** 2).mean(). Каждый шаг: потеря, backward, обновление обоих
    параметров внутри `torch.no_grad()`, обнуление обоих градиентов. Верните (w, b) числами
    float. Не используйте здесь torch.optim.
    """
    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ
    raise NotImplementedError()
