"""Exercise 6's training curves: fit's history as plain numbers, a one-line summary, and the pictures.

The MNIST accuracy check trains the student's model with the student's ``fit`` in a sandbox child,
which sends back only numbers from the history ``fit`` returned. The judge checks them again here
(:func:`record`), so the check's ``"data": {"curves": ...}`` holds, whatever the history held:

    {"epoch": [1, 2], "train_loss": [0.41, 0.2], "test_loss": [0.25, 0.16], "accuracy": [92.6, 95.1],
     "goal": 97.0, "epochs": 5, "measured_accuracy": 96.8}

one value per entry of the history (null where it gave no finite number), the goal in percent, the
epochs asked for, and the accuracy the grader measured itself on the whole test set (null when
the weights could not be measured). The pictures are drawn by :mod:`grader.formats.charts` (matplotlib).
"""

from __future__ import annotations

import html
import math
import textwrap
from pathlib import Path

from grader import own_files
from grader.formats import charts
from grader.i18n import N_, _, ngettext, number, percent

KEYS = ("train_loss", "test_loss", "accuracy")  # what fit's history holds per epoch, besides "epoch"
MAX_EPOCHS = 100  # as many as mnist_tensors.goal allows
PICTURE = (800, 360)  # pixels of the picture ``grade 6`` writes
SPARKLINE = (200, 48, 6)  # width, height and margin in pixels of a student's curve in the class report
CHART = (680, 260, 10)  # the same for the curve with its axes on a student's feedback page
LEGEND = 240  # pixels right of a framed chart's plot for what each mark is
SPARK_HALO = 'stroke-width="5" stroke-opacity="0.3" stroke-linecap="round" stroke-linejoin="round" fill="none"'  # HALO in SVG
HALO = {"lw": 5, "alpha": 0.3, "solid_capstyle": "round"}  # a reference line: wide and pale, so that a student's line on it shows both
PICTURE_NAME = "exercise6_curves.png"  # in the submission: <submission>/.grade/exercise6_curves.png
SAMPLE, TEST_IMAGES = 1_000, 10_000  # the test images fit's evaluate is given (grader.checking.training), and all of them
ROOM = (4.0, 2.0)  # points shown below and above the goal at least: 1,000 images' noise (±0.5) must not look like a collapse

NO_HISTORY = N_(
    "Training curves: fit's history held no accuracy per epoch (expected a list of dicts with 'accuracy'), so there is no curve."
)
MEASURED = N_("The grader measured {measured} on the whole test set.")
APART = N_(
    "Your fit's history is what your evaluate measured on the {sample} test images the check gives fit, the grader's "
    "measure is on all {test}: the two differ by the noise of {sample} images (about half a point), and the check scores "
    "the grader's."
)
CAPTION = N_(
    "Line: your evaluate on the {sample} test images the check gives fit, after each epoch. Star: the grader's measure of "
    "the final weights on all {test} test images, which the check scores."
)
RETRAINED = N_("The first training measured {first}, within the noise below the goal, so fit was trained once more, with seed {seed}.")
# The pictures' words; a percentage is a value, formatted before it goes in (see summary).
REFERENCE_LABEL, GOAL_LABEL, EPOCH_LABEL, ACCURACY_LABEL = (
    N_("reference run (same seed)"),
    N_("goal {goal}"),
    N_("epoch"),
    N_("accuracy (%)"),
)
LOSS_LABELS = {  # key -> (the student's line, the reference's)
    "train_loss": (N_("train loss (yours)"), N_("train loss (reference)")),
    "test_loss": (N_("test loss (yours)"), N_("test loss (reference)")),
}


def finite(value) -> float | None:
    """``value`` as a float when it is a finite int or float (not a bool), else None."""
    return float(value) if type(value) in (int, float) and math.isfinite(value) else None


def record(rows, goal: float, epochs: int, measured: float | None = None, retrain: dict | None = None) -> dict:
    """The check's ``"curves"`` from what the child sent: a list of rows ``{key: number}``, a row that
    is no dict standing for an epoch without numbers; anything else counts as an empty history.
    ``retrain`` (``{"seed", "first_accuracy"}``): these curves are of the check's second training."""
    rows = rows[:MAX_EPOCHS] if type(rows) is list else []
    columns = {key: [finite(row.get(key)) if type(row) is dict else None for row in rows] for key in KEYS}
    curves = {
        "epoch": list(range(1, len(rows) + 1)),
        **columns,
        "goal": float(goal),
        "epochs": int(epochs),
        "measured_accuracy": finite(measured),
    }
    if type(retrain) is dict and type(retrain.get("seed")) is int and finite(retrain.get("first_accuracy")) is not None:
        curves["retrain"] = {"seed": retrain["seed"], "first_accuracy": finite(retrain["first_accuracy"])}
    return curves


def clean(data) -> dict | None:
    """Curves read back from a file (a result document, a cache), checked as :func:`record` checks a child's; None if they are none."""
    if type(data) is not dict or type(data.get("epoch")) is not list or finite(data.get("goal")) is None:
        return None
    columns = {key: data.get(key) if type(data.get(key)) is list else [] for key in KEYS}
    rows = [{key: column[i] for key, column in columns.items() if i < len(column)} for i in range(len(data["epoch"]))]
    epochs = data.get("epochs")
    return record(rows, data["goal"], epochs if type(epochs) is int else len(rows), data.get("measured_accuracy"), data.get("retrain"))


def of(doc: dict) -> dict | None:
    """The curves a result document holds (in exercise 6's accuracy check), or None."""
    for exercise in doc.get("exercises", []):
        for item in exercise.get("checks", []):
            if isinstance(item.get("data"), dict) and "curves" in item["data"]:
                return clean(item["data"]["curves"])
    return None


def crossed(curves: dict) -> int | None:
    """The first epoch whose accuracy in the history reached the goal."""
    return next((epoch for epoch, value in zip(curves["epoch"], curves["accuracy"]) if value is not None and value >= curves["goal"]), None)


def summary(curves: dict) -> str:
    """One line: the epochs, the last accuracy in the history, where it crossed the goal, and the grader's own measure."""
    known = [(epoch, value) for epoch, value in zip(curves["epoch"], curves["accuracy"]) if value is not None]
    if known:
        at, last = known[-1]
        first = crossed(curves)
        count = len(curves["epoch"])
        if first is not None:
            template = ngettext(
                "Training curves: {count} epoch in fit's history, {last} accuracy after epoch {at}; "
                "the {goal} goal was first reached at epoch {crossed}.",
                "Training curves: {count} epochs in fit's history, {last} accuracy after epoch {at}; "
                "the {goal} goal was first reached at epoch {crossed}.",
                count,
            )
        else:
            template = ngettext(
                "Training curves: {count} epoch in fit's history, {last} accuracy after epoch {at}; the {goal} goal was never reached.",
                "Training curves: {count} epochs in fit's history, {last} accuracy after epoch {at}; the {goal} goal was never reached.",
                count,
            )
        # Percentages are values, formatted here: a "%" in a message would read as a printf placeholder to gettext's tools.
        text = template.format(count=count, last=percent(last), at=at, goal=percent(curves["goal"], None), crossed=first)
    else:
        text = _(NO_HISTORY)
    if curves["measured_accuracy"] is not None:
        text += " " + _(MEASURED).format(measured=percent(curves["measured_accuracy"]))
        if known and (known[-1][1] >= curves["goal"]) != (curves["measured_accuracy"] >= curves["goal"]):  # on either side of the goal
            text += " " + _(APART).format(sample=number(SAMPLE), test=number(TEST_IMAGES))
    if "retrain" in curves:
        text += " " + _(RETRAINED).format(first=percent(curves["retrain"]["first_accuracy"]), seed=curves["retrain"]["seed"])
    return text


def write_picture(submission: Path, curves: dict, reference: dict | None) -> Path:
    """Write ``<submission>/.grade/exercise6_curves.png`` and return its path; an OSError says why it could not."""
    return own_files.write_bytes(submission, PICTURE_NAME, picture(curves, reference))  # never through a link


def picture(curves: dict, reference: dict | None = None) -> bytes:
    """The student's picture, a PNG of PICTURE pixels: accuracy per epoch against the goal and the
    grader's measure, and the losses, each beside the reference run's (same seed) where there is one."""
    with charts.figure(*PICTURE) as fig:
        accuracy, loss = fig.subplots(1, 2)
        _accuracy(accuracy, curves, reference, labels=True)
        accuracy.set_title(_("accuracy on the test images"), loc="left")
        accuracy.legend(fontsize=7, loc="lower right")
        for key, colour in (("train_loss", charts.COLOURS["student"]), ("test_loss", charts.COLOURS["other"])):
            yours, theirs = LOSS_LABELS[key]
            loss.plot(curves["epoch"], _gaps(curves[key]), marker="o", ms=3, color=colour, label=_(yours))
            if reference:
                loss.plot(reference["epoch"], _gaps(reference[key]), **HALO, color=colour, label=_(theirs))
        caption = textwrap.fill(_(CAPTION).format(sample=number(SAMPLE), test=number(TEST_IMAGES)), 120)  # what the line and the star are
        fig.supxlabel(caption, fontsize=7, color="dimgray")
        loss.set_title(_("loss"), loc="left")
        loss.set_xlabel(_(EPOCH_LABEL))
        loss.xaxis.get_major_locator().set_params(integer=True)
        if curves["epoch"] or reference:
            loss.legend(fontsize=7, loc="best")
        return charts.png(fig)


def sparkline(curves: dict, reference: dict | None) -> str:
    """A student's accuracy per epoch for a row of the class report: a small inline SVG, written here rather
    than drawn by matplotlib, as a sparkline has no axes to lay out (~0.1 ms and ~1 KB a row, against ~30 ms
    and ~7 KB; a class of 200 draws 200). The picture's marks: the reference wide and pale, the goal dotted,
    the grader's measure a star; from a little below the goal to 100, so that the rows of a class compare at
    a glance, lower only for a row that falls lower. Its title holds the numbers, for a mouse over it."""
    return _svg(curves, reference, SPARKLINE, "sparkline", framed=False)


def student_chart(curves: dict, reference: dict | None) -> str:
    """A student's accuracy per epoch for their feedback page, with its axes (epochs, percent), the goal and the
    reference run named: the sparkline's inline SVG, larger and framed. Written here, not drawn by matplotlib, for the
    sparkline's reason: every run of a batch writes every student's page again (matplotlib took ~400 ms a chart here)."""
    return _svg(curves, reference, CHART, "curve", framed=True)


def _svg(curves: dict, reference: dict | None, size: tuple[int, int, int], kind: str, framed: bool) -> str:
    width, height, pad = size
    left, bottom = (pad + 40, pad + 30) if framed else (pad, pad)  # room for the ticks' labels and the axes' names
    right = width - pad - (LEGEND if framed else 0)
    theirs = reference or {"epoch": [], "accuracy": []}
    values = [v for v in [*curves["accuracy"], curves["measured_accuracy"], *theirs["accuracy"]] if v is not None]
    low = max(0.0, min([curves["goal"] - 5, *values]) - 1)
    count = max(len(curves["epoch"]), len(theirs["epoch"]), curves["epochs"], 2)

    def at(epoch: int, value: float) -> tuple[float, float]:
        return left + (right - left) * (epoch - 1) / (count - 1), pad + (height - pad - bottom) * (100 - value) / (100 - low)

    def lines(one: dict, style: str) -> list[str]:
        """A polyline for each run of epochs with a value: a gap where the history held none."""
        runs = [[]]
        for epoch, value in zip(one["epoch"], one["accuracy"]):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(at(epoch, value))
        return [f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" {style}/>' for run in runs if run]

    goal = at(1, curves["goal"])[1]
    marks = _frame(at, low, count, right, height, pad, left, bottom) if framed else []
    marks.append(
        f'<line x1="{left}" x2="{right}" y1="{goal:.1f}" y2="{goal:.1f}" stroke="{charts.COLOURS["goal"]}" stroke-dasharray="2 2"/>'
    )
    marks += lines(theirs, f'stroke="{charts.COLOURS["reference"]}" {SPARK_HALO}')
    marks += lines(curves, f'stroke="{charts.COLOURS["student"]}" stroke-width="1.5" fill="none"')
    points = [at(epoch, value) for epoch, value in zip(curves["epoch"], curves["accuracy"]) if value is not None]
    marks += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.6 if framed else 1.8}" fill="{charts.COLOURS["student"]}"/>' for x, y in points]
    if curves["measured_accuracy"] is not None:
        x, y = at(len(curves["epoch"]) or curves["epochs"], curves["measured_accuracy"])
        star = [(x + r * math.sin(i * math.pi / 5), y - r * math.cos(i * math.pi / 5)) for i, r in zip(range(10), [4.5, 2] * 5)]
        marks.append(f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in star)}" fill="{charts.COLOURS["student"]}"/>')
    if framed:
        marks += _legend(curves, reference, right + 16, pad)
    shown = "; ".join("–" if value is None else percent(value) for value in curves["accuracy"]) or _("no history")
    title = _("accuracy per epoch: {values}; goal {goal}").format(values=shown, goal=percent(curves["goal"], None))
    return (
        f'<svg class="{kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{html.escape(title, quote=False)}</title>{''.join(marks)}</svg>"
    )


def _frame(at, low: float, count: int, right: int, height: int, pad: int, left: int, bottom: int) -> list[str]:
    """The axes: a tick and a label per epoch and per few percent, and each axis's name."""
    text = 'font-size="11" font-family="sans-serif" fill="#333"'
    base = height - bottom
    marks = [f'<path d="M{left},{pad} V{base} H{right}" stroke="#555" fill="none"/>']
    step = 10 if 100 - low > 40 else 5 if 100 - low > 15 else 1
    for value in range(math.ceil(low / step) * step, 101, step):
        y = at(1, value)[1]
        marks.append(f'<line x1="{left - 4}" x2="{left}" y1="{y:.1f}" y2="{y:.1f}" stroke="#555"/>')
        marks.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {text}>{value}</text>')
    for epoch in range(1, count + 1):
        x = at(epoch, 100)[0]
        marks.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="#555"/>')
        marks.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" {text}>{epoch}</text>')
    epoch_name, accuracy_name = html.escape(_(EPOCH_LABEL)), html.escape(_(ACCURACY_LABEL))
    marks.append(f'<text x="{(left + right) / 2:.1f}" y="{height - 4}" text-anchor="middle" {text}>{epoch_name}</text>')
    middle = (pad + base) / 2
    turned = f'transform="rotate(-90 12 {middle:.1f})"'
    marks.append(f'<text x="12" y="{middle:.1f}" {turned} text-anchor="middle" {text}>{accuracy_name}</text>')
    return marks


def _legend(curves: dict, reference: dict | None, x: int, top: int) -> list[str]:
    """What each mark is, in words, right of the plot from ``x``."""
    rows = [(f'stroke="{charts.COLOURS["student"]}" stroke-width="1.5"', _("your fit's history"))]
    rows.append((f'stroke="{charts.COLOURS["goal"]}" stroke-dasharray="2 2"', _(GOAL_LABEL).format(goal=percent(curves["goal"], None))))
    if reference:
        rows.append((f'stroke="{charts.COLOURS["reference"]}" stroke-width="5" stroke-opacity="0.3"', _(REFERENCE_LABEL)))
    if curves["measured_accuracy"] is not None:
        rows.append(("", _("measured by the grader: {measured}").format(measured=percent(curves["measured_accuracy"]))))
    marks = []
    for index, (style, label) in enumerate(rows):
        y = top + 8 + 16 * index
        if style:
            marks.append(f'<line x1="{x}" x2="{x + 22}" y1="{y}" y2="{y}" {style}/>')
        else:
            marks.append(f'<text x="{x + 11}" y="{y + 5}" text-anchor="middle" font-size="13" fill="{charts.COLOURS["student"]}">★</text>')
        marks.append(f'<text x="{x + 28}" y="{y + 4}" font-size="11" font-family="sans-serif" fill="#333">{html.escape(label)}</text>')
    return marks


def class_chart(curves: list[dict], reference: dict | None, name: str) -> str:
    """Every student's accuracy per epoch on one chart, with the reference run and the goal: an inline SVG."""
    with charts.figure(640, 260) as fig:
        axes = fig.add_subplot()
        for one in curves:
            axes.plot(one["epoch"], _gaps(one["accuracy"]), color=charts.COLOURS["student"], alpha=0.6, lw=1)
        if reference:
            axes.plot(
                reference["epoch"],
                _gaps(reference["accuracy"]),
                **HALO,
                color=charts.COLOURS["reference"],
                label=_(REFERENCE_LABEL),
            )
        goal = curves[0]["goal"] if curves else reference["goal"]
        axes.axhline(goal, ls=":", color=charts.COLOURS["goal"], label=_(GOAL_LABEL).format(goal=percent(goal, None)))
        title = ngettext(
            "accuracy per epoch in fit's history, {count} student",
            "accuracy per epoch in fit's history, {count} students",
            len(curves),
        )
        axes.set_title(title.format(count=len(curves)), loc="left")
        axes.set_xlabel(_(EPOCH_LABEL))
        axes.set_ylabel(_(ACCURACY_LABEL))
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_ylim(*accuracy_range(goal, [v for one in [*curves, reference or {"accuracy": []}] for v in one["accuracy"]]))
        axes.legend(fontsize=7, loc="lower right")
        return charts.svg(fig, name)


def _accuracy(axes, curves: dict, reference: dict | None, labels: bool) -> None:
    """Accuracy per epoch: the student's line over the reference's wide pale one, the goal dotted, the grader's measure a star."""
    if reference:
        axes.plot(reference["epoch"], _gaps(reference["accuracy"]), **HALO, color=charts.COLOURS["reference"], label=_(REFERENCE_LABEL))
    axes.plot(curves["epoch"], _gaps(curves["accuracy"]), marker="o", ms=3, color=charts.COLOURS["student"], label=_("your fit's history"))
    axes.axhline(curves["goal"], ls=":", color=charts.COLOURS["goal"], label=_(GOAL_LABEL).format(goal=percent(curves["goal"], None)))
    if curves["measured_accuracy"] is not None:
        at = len(curves["epoch"]) or curves["epochs"]
        label = _("measured by the grader: {measured}").format(measured=percent(curves["measured_accuracy"]))
        axes.plot(
            [at], [curves["measured_accuracy"]], marker="*", ms=10 if labels else 6, ls="", color=charts.COLOURS["student"], label=label
        )
    axes.xaxis.get_major_locator().set_params(integer=True)
    values = [*curves["accuracy"], curves["measured_accuracy"], *(reference["accuracy"] if reference else [])]
    axes.set_ylim(*accuracy_range(curves["goal"], values))
    if labels:
        axes.set_xlabel(_(EPOCH_LABEL))
        axes.set_ylabel(_(ACCURACY_LABEL))


def accuracy_range(goal: float, values: list) -> tuple[float, float]:
    """The accuracy axis's limits: the goal with ROOM around it, widened to every value; not zoomed to the values
    alone, where the noise of a correct fit (96.2 to 97.6 %) would fill the height and look like a collapse."""
    known = [value for value in values if value is not None]
    low, high = goal - ROOM[0], goal + ROOM[1]
    return max(0.0, min([low, *known]) - 0.5), min(100.0, max([high, *known]) + 0.5)


def _gaps(values: list) -> list[float]:
    """None as NaN, which matplotlib leaves as a gap in the line."""
    return [math.nan if value is None else value for value in values]
