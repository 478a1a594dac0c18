from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "forgotten zero_grad: gradients accumulate",
        """
def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = (w * x - target) ** 2
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item(), losses
""",
        ("gradient_descent", "gradient_descent_tutorial"),
    ),
    Mistake(
        "wrong update sign",
        """
def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = (w * x - target) ** 2
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w += lr * w.grad
        w.grad.zero_()
    return w.item(), losses
""",
        ("gradient_descent", "gradient_descent_tutorial"),
    ),
    Mistake(
        "losses recorded after the update",
        """
def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = (w * x - target) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
        losses.append(((w * x - target) ** 2).item())
    return w.item(), losses
""",
        ("gradient_descent", "gradient_descent_tutorial"),
    ),
    Mistake(
        "hand-written derivative instead of autograd",
        """
def square_loss_grad(w, x, target):
    return 2 * x * (w * x - target)
""",
        ("square_loss_grad_uses_autograd",),
    ),
    Mistake(
        "hand-written gradients in the descent loop",
        """
def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0)
    losses = []
    for _ in range(steps):
        loss = (w * x - target) ** 2
        losses.append(loss.item())
        w = w - lr * 2 * x * (w * x - target)
    return w.item(), losses
""",
        ("gradient_descent_uses_autograd",),
    ),
    Mistake(
        "returns the gradient tensor, not a float",
        """
def square_loss_grad(w, x, target):
    w = torch.tensor(w, requires_grad=True)
    ((w * x - target) ** 2).backward()
    return w.grad
""",
        ("square_loss_grad",),
    ),
    Mistake(
        "sum of squared errors instead of the mean",
        """
def fit_line(xs, ys, lr=0.05, steps=200):
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        loss = ((w * xs + b - ys) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.item(), b.item()
""",
        ("fit_line", "fit_line_few_steps"),
    ),
    Mistake(
        "only w's gradient zeroed in fit_line",
        """
def fit_line(xs, ys, lr=0.05, steps=200):
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
    return w.item(), b.item()
""",
        ("fit_line", "fit_line_few_steps"),
    ),
    Mistake(
        "torch.optim.SGD in fit_line",
        """
def fit_line(xs, ys, lr=0.05, steps=200):
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        ((w * xs + b - ys) ** 2).mean().backward()
        optimizer.step()
    return w.item(), b.item()
""",
        ("fit_line_uses_autograd",),
    ),
    Mistake(
        "a do-while loop that always takes one step",
        """
def gradient_descent(w0=1.0, x=2.0, target=6.0, lr=0.1, steps=10):
    w = torch.tensor(w0, requires_grad=True)
    losses, step = [], 0
    while True:
        loss = (w * x - target) ** 2
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
        step += 1
        if step >= steps:
            break
    return w.item(), losses
""",
        ("gradient_descent_no_steps",),
    ),
]
