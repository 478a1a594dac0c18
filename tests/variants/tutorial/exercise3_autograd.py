"""Exercise 3 written the tutorial's way: its loop verbatim, prints included, and the lesson's example run at import, as
a beginner leaves it; adapted only to the function names."""

import torch


def square_loss_grad(w, x, target):
    # Создаём тензор, для которого PyTorch будет считать градиент
    w = torch.tensor(w, requires_grad=True)
    y_pred = w * x
    loss = (y_pred - target) ** 2
    loss.backward()
    print(f"loss = {loss.item()}, w.grad = {w.grad}")
    return w.grad.item()


def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, requires_grad=True)
    losses = []
    for step in range(steps):
        # Прямой проход
        prediction = w * x
        loss = (prediction - target) ** 2
        losses.append(loss.item())

        # Обратный проход
        loss.backward()

        # Обновляем w без записи в граф вычислений
        with torch.no_grad():
            w -= lr * w.grad
            w.grad.zero_()

        print(f"Шаг {step + 1}: w = {w.item():.4f}, loss = {loss.item():.4f}")
    print(f"Итог: w = {w.item():.4f}")
    return w.item(), losses


def fit_line(xs, ys, lr=0.05, steps=200):
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(steps):
        y_pred = w * xs + b
        loss = torch.mean((y_pred - ys) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        if epoch % 20 == 0:
            print(f"Epoch {epoch}: loss = {loss.item():.4f}, w = {w.item():.3f}, b = {b.item():.3f}")
    return w.item(), b.item()


# Проверим на примере из урока: w * 2 = 6
print(square_loss_grad(1.0, 2.0, 6.0))
w, losses = gradient_descent()
print(f"w = {w:.4f}, последняя потеря = {losses[-1]:.6f}")
