"""Checks for exercise 3: gradients with autograd and gradient descent by hand.

The values are compared with the reference on seeded inputs; when a trajectory is wrong,
the message says which classic mistake (a forgotten zero_grad, a wrong update sign, losses
taken after the update) reproduces it. Whether autograd did the work is seen in the child
by counting the backward passes during the call (:class:`grader.checking.probing.BackwardPasses`).
"""

import math

import torch

from grader.checking import check
from grader.checking.compare import CheckFailed, expect_number, expect_same, fail
from grader.checking.probing import BackwardPasses, counts_backward_passes
from grader.i18n import N_, _, ngettext

# Each hint of the *_uses_autograd checks ends saying what the grader can see: a backward pass ran during the call
# (loss.backward() or torch.autograd.grad), since a correct hand-written formula gives the very same numbers.


def rounded(rng, scale: float, low: float = 0.0, decimals: int = 2) -> float:
    """A seeded number with a few decimals, at least ``low`` away from zero, so a message shows it readably."""
    value = float(torch.randn((), generator=rng)) * scale
    value = math.copysign(max(abs(value), low), value)
    return round(value, decimals)


# ------------------------------------------------------------------ in the child


def probe_watching_autograd(module, name, args):
    """Call ``name(*args)`` and report the backward passes it ran and the optimizers it made."""
    init, optimizers = torch.optim.Optimizer.__init__, []

    def watched_init(self, *a, **k):
        optimizers.append(type(self).__name__)
        return init(self, *a, **k)

    torch.optim.Optimizer.__init__ = watched_init
    try:
        with BackwardPasses() as passes:
            getattr(module, name)(*args)
    finally:
        torch.optim.Optimizer.__init__ = init
    return {"backward_runs": passes.count, "optimizers": optimizers}


probe_watching_autograd.canaries = (counts_backward_passes,)  # before the student's code: the counter must see a pass


# ------------------------------------------------------------------ in the judge


def descent_variant(w0, x, target, lr, steps, *, zero_grad=True, sign=-1.0, after=False):
    """The tutorial's loop in plain floats, with a classic mistake switched on, to name what a student did."""
    w, grad, losses = w0, 0.0, []
    for _step in range(steps):
        loss = (w * x - target) ** 2
        grad = (grad if not zero_grad else 0.0) + 2 * x * (w * x - target)
        w = w + sign * lr * grad
        losses.append((w * x - target) ** 2 if after else loss)
    return w, losses


MISTAKES = (
    (N_("the gradients add up from step to step: zero w.grad after each update (w.grad.zero_())"), {"zero_grad": False}),
    (N_("w moves up the gradient: the update is w -= lr * w.grad, with a minus"), {"sign": 1.0}),
    (N_("each loss is taken after the update: record loss.item() before changing w"), {"after": True}),
)


def diagnose(got, args) -> str:
    """Which classic mistake gives exactly what the student returned, if any, said in the current language."""
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], list)):
        return ""
    w, losses = got
    for why, switch in MISTAKES:
        try:
            w_bad, losses_bad = descent_variant(*args, **switch)
        except OverflowError:
            continue
        same = len(losses) == len(losses_bad) and all(
            isinstance(a, float) and math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-4) for a, b in zip(losses, losses_bad)
        )
        if same and isinstance(w, float) and math.isclose(w, w_bad, rel_tol=1e-3, abs_tol=1e-4):
            return _(why)
    return ""


def expect_descent(got, expected, args, call: str) -> None:
    try:
        expect_same(got, expected, call)
    except CheckFailed as exc:
        why = diagnose(got, args)
        if why:
            fail(_("{failure}; this is what happens when {why}").format(failure=exc, why=why))
        raise


def expect_autograd(watched: dict, steps: int, call: str) -> None:
    runs = watched["backward_runs"]
    if watched.get("optimizers"):
        optimizer = watched["optimizers"][0]
        fail(
            _("{call} created a torch.optim.{optimizer}; this exercise asks for the update written by hand").format(
                call=call, optimizer=optimizer
            )
        )
    if runs == 0:
        fail(
            _(
                "{call} never ran autograd's backward pass; "
                "compute the loss and call loss.backward() instead of writing the derivative yourself"
            ).format(call=call)
        )
    if runs < steps:
        fail(
            ngettext(
                "{call} ran {runs} backward pass for {steps} steps; call loss.backward() once in every step",
                "{call} ran {runs} backward passes for {steps} steps; call loss.backward() once in every step",
                runs,
            ).format(call=call, runs=runs, steps=steps)
        )


# ------------------------------------------------------------------ square_loss_grad


@check(
    points=2,
    hint=N_("w = torch.tensor(w, requires_grad=True); loss = (w * x - target) ** 2; loss.backward(); return w.grad.item()."),
    nudge=N_(
        "Make w a tensor that records its gradient, compute the loss from it, run the backward pass and read "
        "w's gradient as a Python number. Tutorial: Autograd, gradients."
    ),
)
def test_square_loss_grad(student, reference, rng):
    cases = [(1.0, 2.0, 6.0)] + [(rounded(rng, 3), rounded(rng, 2, 0.5), rounded(rng, 5)) for _ in range(3)]
    for (w, x, target), got in zip(cases, student.call_each("square_loss_grad", *cases)):
        expect_number(got, reference.square_loss_grad(w, x, target), f"square_loss_grad({w}, {x}, {target})")


@check(
    points=1,
    hint=N_(
        "Let autograd find the derivative: call loss.backward() and read w.grad. "
        "The grader sees only whether a backward pass ran during your call (loss.backward() or torch.autograd.grad): "
        "a correct hand-written formula gives the very same numbers, so the values alone cannot tell the two apart."
    ),
    nudge=N_(
        "The derivative must come from autograd, through a backward pass, not from a formula worked out by "
        "hand. Tutorial: Autograd, the backward pass."
    ),
)
def test_square_loss_grad_uses_autograd(student, rng):
    w, x, target = rounded(rng, 3), rounded(rng, 2, 0.5), rounded(rng, 5)
    call = f"square_loss_grad({w}, {x}, {target})"
    expect_autograd(student.run(probe_watching_autograd, "square_loss_grad", (w, x, target)), 1, call)


# ------------------------------------------------------------------ gradient_descent


def descent_args(rng) -> tuple:
    """Seeded arguments for which the descent converges slowly, so every step shows in the trajectory."""
    x = rounded(rng, 1.5, 0.5)
    lr = round((0.05 + 0.3 * float(torch.rand((), generator=rng))) / (x * x), 3)
    steps = int(torch.randint(5, 16, (), generator=rng))
    return rounded(rng, 2), x, rounded(rng, 5, 1.0), lr, steps


@check(
    points=1,
    hint=N_("With the defaults (w0=1, x=2, target=6, lr=0.1, steps=10) w approaches 3; the first loss is (1*2 - 6)**2 = 16."),
    nudge=N_(
        "Run the tutorial's example with the default arguments: w should come close to the value that makes "
        "the loss zero. Tutorial: Autograd, gradient descent by hand."
    ),
)
def test_gradient_descent_tutorial(student, reference):
    expect_descent(student.call("gradient_descent"), reference.gradient_descent(), (1.0, 2.0, 6.0, 0.1, 10), "gradient_descent()")


@check(
    points=3,
    hint=N_(
        "Per step: prediction, loss, losses.append(loss.item()), loss.backward(), "
        "`with torch.no_grad(): w -= lr * w.grad`, then w.grad.zero_(). Use every argument."
    ),
    nudge=N_(
        "Each step: the prediction, the loss, remember the loss, the backward pass, update w without "
        "recording the update, then clear the gradient; use every argument. Tutorial: Autograd, gradient "
        "descent by hand."
    ),
)
def test_gradient_descent(student, reference, rng):
    cases = [descent_args(rng) for _ in range(2)]
    for args, got in zip(cases, student.call_each("gradient_descent", *cases)):
        call = "gradient_descent(w0={}, x={}, target={}, lr={}, steps={})".format(*args)
        expect_descent(got, reference.gradient_descent(*args), args, call)


@check(
    points=1,
    hint=N_("for _ in range(steps) runs no step at all when steps is 0: w stays w0 and the list of losses is empty."),
    hidden=True,
    nudge=N_(
        "With zero steps nothing happens: w stays where it started and no loss is recorded. Tutorial: Autograd, gradient descent by hand."
    ),
)
def test_gradient_descent_no_steps(student, reference, rng):
    args = (*descent_args(rng)[:4], 0)
    call = "gradient_descent(w0={}, x={}, target={}, lr={}, steps={})".format(*args)
    expect_descent(student.call("gradient_descent", *args), reference.gradient_descent(*args), args, call)


@check(
    points=1,
    hint=N_(
        "Each step must call loss.backward() and use w.grad. "
        "The grader sees only whether a backward pass ran during your call (loss.backward() or torch.autograd.grad): "
        "a correct hand-written formula gives the very same numbers, so the values alone cannot tell the two apart."
    ),
    nudge=N_("Every step must take its gradient from a backward pass, not from a formula. Tutorial: Autograd, the backward pass."),
)
def test_gradient_descent_uses_autograd(student, rng):
    args = descent_args(rng)
    call = "gradient_descent(w0={}, x={}, target={}, lr={}, steps={})".format(*args)
    expect_autograd(student.run(probe_watching_autograd, "gradient_descent", args), args[-1], call)


# ------------------------------------------------------------------ fit_line


def line_data(rng) -> tuple[torch.Tensor, torch.Tensor, str]:
    n = int(torch.randint(20, 51, (), generator=rng))
    xs = (torch.rand(n, generator=rng) * 4 - 2).round(decimals=2)
    w, b = rounded(rng, 2, 0.5), rounded(rng, 2, 0.5)
    ys = (w * xs + b + 0.1 * torch.randn(n, generator=rng)).round(decimals=3)
    what = ngettext("xs, ys ({count} point near y = {w} * x + {b})", "xs, ys ({count} points near y = {w} * x + {b})", n)
    return xs, ys, what.format(count=n, w=w, b=b)


@check(
    points=3,
    hint=N_(
        "w and b start at 0.0 with requires_grad=True; loss = ((w * xs + b - ys) ** 2).mean(); "
        "backward, update both under torch.no_grad(), zero both grads; return (w.item(), b.item())."
    ),
    nudge=N_(
        "Two parameters now, w and b, both starting at zero and recording their gradients; the loss is the "
        "mean squared error. Tutorial: Autograd, fitting a line."
    ),
)
def test_fit_line(student, reference, rng):
    xs, ys, what = line_data(rng)
    expect_same(student.call("fit_line", xs, ys), reference.fit_line(xs, ys), f"fit_line({what})", atol=1e-4)


@check(
    points=2,
    hint=N_(
        "Use the lr and steps you are given, start w and b at exactly 0.0, take the mean (not the sum) "
        "of the squared errors, and zero both gradients every step."
    ),
    nudge=N_(
        "Check the details: the learning rate and the number of steps you are given, the starting values, the"
        " mean rather than the sum, and both gradients cleared every step. Tutorial: Autograd, fitting a "
        "line."
    ),
)
def test_fit_line_few_steps(student, reference, rng):
    xs, ys, what = line_data(rng)
    lr = round(0.01 + 0.09 * float(torch.rand((), generator=rng)), 3)
    steps = int(torch.randint(3, 21, (), generator=rng))
    got = student.call("fit_line", xs, ys, lr, steps)
    expect_same(got, reference.fit_line(xs, ys, lr, steps), f"fit_line({what}, lr={lr}, steps={steps})", atol=1e-4)


@check(
    points=1,
    hint=N_(
        "Call loss.backward() in every step and update w and b yourself, without torch.optim. "
        "The grader sees only whether a backward pass ran during your call (loss.backward() or torch.autograd.grad): "
        "a correct hand-written formula gives the very same numbers, so the values alone cannot tell the two apart."
    ),
    nudge=N_(
        "The gradients come from a backward pass in every step, and you write the updates yourself, without "
        "an optimizer. Tutorial: Autograd, fitting a line."
    ),
)
def test_fit_line_uses_autograd(student, rng):
    xs, ys, what = line_data(rng)
    steps = int(torch.randint(5, 21, (), generator=rng))
    call = f"fit_line({what}, lr=0.05, steps={steps})"
    expect_autograd(student.run(probe_watching_autograd, "fit_line", (xs, ys, 0.05, steps)), steps, call)
