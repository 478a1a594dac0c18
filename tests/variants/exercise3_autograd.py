"""Exercise 3 solved correctly in another style: the checks must give it full marks."""

import torch
import torch.nn.functional as F
from torch.autograd import grad as autograd_grad  # imported before the grader watches autograd


def square_loss_grad(w, x, target):
    weight = torch.tensor(float(w), requires_grad=True)
    (dw,) = autograd_grad((weight * x - target) ** 2, weight)
    return float(dw)


def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    history = []
    for _step in range(steps):
        prediction = w * x
        loss = (prediction - target) ** 2
        history.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
        w.grad = None
    return float(w.detach()), history


def fit_line(xs, ys, lr=0.05, steps=200):
    params = torch.nn.Parameter(torch.zeros(2))
    for _ in range(steps):
        loss = F.mse_loss(params[0] * xs + params[1], ys)
        loss.backward()
        params.data -= lr * params.grad
        params.grad.zero_()
    w, b = params.tolist()
    return w, b
