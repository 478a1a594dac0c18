"""Does exercise 6's accuracy check bring back fit's history as curves, and does ``grade 6`` draw them?

The unit tests feed :mod:`grader.formats.curves` histories of every wrong shape. The ``grade 6`` tests train
MNIST for 1 epoch against a 90% goal (as tests/mistakes does): the reference submission once (its
reference run trains alongside), and a wrong one whose loop stops after one batch, which reuses the
first one's cached reference run, so MNIST is trained in full only twice, at the same time.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from grader.checking.results import Result, as_dict
from grader.course import reference_run
from grader.formats import curves
from tests.cli_support import grade_cli
from tests.helpers import KIT, QUICK_TRAINING, solution_with
from tests.mistakes import exercise6_training as exercise6_mistakes

STEM = "exercise6_training"
ONE_BATCH = next(m.code for m in exercise6_mistakes.MISTAKES if m.name == "training loop stops after one batch")  # ~1 s of training
ROW = {"train_loss": 0.3, "test_loss": 0.2, "accuracy": 95.0}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------- the data


def test_a_history_becomes_columns_of_plain_numbers():
    rows = [ROW, {"train_loss": 0.1, "test_loss": 0.15, "accuracy": 97.5}]
    assert curves.record(rows, 97.0, 5, 97.61) == {
        "epoch": [1, 2],
        "train_loss": [0.3, 0.1],
        "test_loss": [0.2, 0.15],
        "accuracy": [95.0, 97.5],
        "goal": 97.0,
        "epochs": 5,
        "measured_accuracy": 97.61,
    }


@pytest.mark.parametrize(
    ("rows", "accuracy"),
    [
        (None, []),  # fit returned no list
        ("a string", []),
        ([None, ROW], [None, 95.0]),  # an entry that was no dict
        ([{"accuracy": math.nan}, {"accuracy": math.inf}, {"accuracy": True}, {"accuracy": "97"}], [None] * 4),
        ([{"loss": 1.0}], [None]),  # the wrong keys
        ([ROW] * 150, [95.0] * curves.MAX_EPOCHS),  # more entries than any goal asks for
    ],
)
def test_a_wrong_history_shape_gives_gaps_not_errors(rows, accuracy):
    found = curves.record(rows, 97.0, 5)
    assert found["accuracy"] == accuracy
    assert found["epoch"] == list(range(1, len(accuracy) + 1))
    assert all(len(found[key]) == len(accuracy) for key in curves.KEYS)
    json.dumps(found, allow_nan=False)  # plain JSON: no NaN, no object


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the checks' marks, imported outside a grading
def test_the_child_sends_only_numbers_of_a_history():
    import numpy
    import torch

    from grader.checking.training import history_rows

    history = [
        {"accuracy": torch.tensor(95.5), "train_loss": numpy.float32(0.5), "test_loss": numpy.mean([0.25, 0.75]), "lr": 1e-3},
        {"accuracy": torch.ones(10**6), "train_loss": "0.3", "test_loss": numpy.ones(3)},  # a big tensor stays in the child
        "epoch 3",
        {"accuracy": numpy.bool_(True), "train_loss": 7, "test_loss": math.nan},
    ]
    assert history_rows(history) == [
        {"train_loss": 0.5, "test_loss": 0.5, "accuracy": 95.5},
        {"train_loss": None, "test_loss": None, "accuracy": None},
        None,
        {"train_loss": 7.0, "test_loss": pytest.approx(math.nan, nan_ok=True), "accuracy": None},  # NaN: the judge makes it null
    ]
    assert history_rows(tuple(history))[0]["accuracy"] == 95.5
    assert history_rows({"epoch": 1}) is None
    assert len(history_rows([{}] * 500)) == curves.MAX_EPOCHS


def test_curves_read_back_from_a_file_are_checked_again():
    good = curves.record([ROW], 97.0, 5, 96.0)
    assert curves.clean(json.loads(json.dumps(good))) == good
    assert curves.clean({**good, "accuracy": ["x"], "train_loss": "no list"})["accuracy"] == [None]
    for bad in (None, [], {"epoch": [1]}, {**good, "goal": "high"}):
        assert curves.clean(bad) is None


def test_the_summary_says_the_epochs_the_last_accuracy_and_where_the_goal_was_crossed():
    rows = [{**ROW, "accuracy": value} for value in (95.0, 97.25, 96.5)]
    assert curves.summary(curves.record(rows, 97.0, 3, 97.4)) == (
        "Training curves: 3 epochs in fit's history, 96.50% accuracy after epoch 3; the 97% goal was first reached at epoch 2. "
        "The grader measured 97.40% on the whole test set. Your fit's history is what your evaluate measured on the 1,000 test "
        "images the check gives fit, the grader's measure is on all 10,000: the two differ by the noise of 1,000 images (about "
        "half a point), and the check scores the grader's."
    )  # the history ends below the goal and the check passes: said why
    above = curves.record([{**ROW, "accuracy": value} for value in (95.0, 97.25)], 97.0, 2, 97.4)
    assert curves.summary(above).endswith("The grader measured 97.40% on the whole test set.")
    low = curves.record([{**ROW, "accuracy": 11.35}], 97.0, 1)
    assert curves.summary(low) == (
        "Training curves: 1 epoch in fit's history, 11.35% accuracy after epoch 1; the 97% goal was never reached."
    )
    assert curves.summary(curves.record(None, 97.0, 5, 12.0)).startswith("Training curves: fit's history held no accuracy per epoch")


def test_only_a_check_that_records_data_gets_the_key():
    quiet = Result("exercise1_tensors", "make_scalar", 1.0, 1.0, "passed", "", "a hint")
    assert "data" not in as_dict(quiet)
    quiet.data = {"curves": {"epoch": []}}
    assert as_dict(quiet)["data"] == {"curves": {"epoch": []}}


# ---------------------------------------------------------------- the pictures


def test_the_picture_has_its_size(tmp_path):
    found = curves.record([ROW, ROW], 97.0, 2, 95.5)
    path = curves.write_picture(tmp_path, found, reference=found)
    assert path == tmp_path / ".grade" / "exercise6_curves.png"
    assert png_size(path) == curves.PICTURE
    assert png_size(curves.write_picture(tmp_path, curves.record(None, 97.0, 5), None)) == curves.PICTURE  # nothing to draw but the goal


@pytest.mark.parametrize(
    ("values", "limits"),
    [([96.2, 97.6, 96.9, 97.4], (92.5, 99.5)), ([11.35, 96.5], (10.85, 99.5)), ([99.8], (92.5, 100.0)), ([None], (92.5, 99.5))],
)
def test_the_accuracy_axis_shows_the_goal_with_room_not_the_noise(values, limits):
    """A correct fit's 96.2 to 97.6 % must not fill the axis: the goal has 4 points below it and 2 above, at least."""
    assert curves.accuracy_range(97.0, values) == pytest.approx(limits)


def test_a_sparkline_draws_each_run_of_epochs_and_names_its_numbers():
    rows = [{"accuracy": 90.0}, {"accuracy": 94.0}, {}, {"accuracy": 96.5}]
    found, reference = curves.record(rows, 97.0, 4, 96.4), curves.record([{"accuracy": a} for a in (95, 96, 97, 97.5)], 97.0, 4)
    line = curves.sparkline(found, reference)
    assert line.startswith('<svg class="sparkline"'), "the same page comes out the same"
    assert line == curves.sparkline(found, reference), "the same page comes out the same"
    assert "<title>accuracy per epoch: 90.00%; 94.00%; –; 96.50%; goal 97%</title>" in line
    assert line.count("<polyline") == 1 + 2, "the reference's line, and the student's in two runs around the epoch without a number"
    assert line.count("<circle") == 3
    assert line.count("<polygon") == 1
    assert 'id="' not in line, "a page holds a sparkline per student: none may bring an id"
    assert "no history" in curves.sparkline(curves.record(None, 97.0, 5), None)


def test_a_feedback_pages_curve_has_its_axes_the_goal_and_a_legend_in_words():
    rows = [{"accuracy": 90.0}, {"accuracy": 94.0}, {"accuracy": 96.5}]
    found, reference = curves.record(rows, 97.0, 3, 96.4), curves.record([{"accuracy": a} for a in (95, 96, 97.5)], 97.0, 3)
    chart = curves.student_chart(found, reference)
    assert chart.startswith('<svg class="curve"')
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", chart)]
    assert texts[:2] == ["89", "90"], "the accuracy axis a tick a percent, from a point below the lowest accuracy"
    assert {"1", "2", "3", "epoch", "accuracy (%)"} <= set(texts), "a tick per epoch and each axis named"
    assert {"your fit's history", "goal 97%", "measured by the grader: 96.40%"} <= set(texts), "every mark said in words"
    assert chart.count("<polyline") == 2
    assert 'id="' not in chart


# ---------------------------------------------------------------- grade 6 and grade 1


@pytest.fixture(scope="module")
def graded_reference(tmp_path_factory):
    """``grade 6 --format json`` on a copy of the reference solution: (folder, exit code, document, stderr)."""
    folder = tmp_path_factory.mktemp("reference") / "submission"
    folder.mkdir()
    shutil.copy(KIT / "solutions" / f"{STEM}.py", folder)
    done = grade_cli("6", "--submission", str(folder), "--seed", "11", "--format", "json", env=QUICK_TRAINING)
    return folder, done.returncode, json.loads(done.stdout), done.stderr


def mnist_check(doc: dict) -> dict:
    return next(c for c in doc["exercises"][0]["checks"] if c["name"] == "mnist_accuracy")


@pytest.mark.slow
def test_grade_6_on_the_reference_writes_the_picture_and_says_where(graded_reference):
    folder, code, doc, stderr = graded_reference
    assert code == 0, stderr
    picture = folder / ".grade" / "exercise6_curves.png"
    assert f"Training curves: {picture}" in stderr.splitlines()
    assert png_size(picture) == curves.PICTURE
    others = [c for c in doc["exercises"][0]["checks"] if c["name"] != "mnist_accuracy"]
    assert not any("data" in c for c in others), "only the MNIST check records data"


@pytest.mark.slow
def test_the_summary_gives_the_numbers_of_the_document(graded_reference):
    _folder, _code, doc, stderr = graded_reference
    found = mnist_check(doc)["data"]["curves"]
    assert found["epoch"] == [1]
    assert found["goal"] == 90.0
    assert found["epochs"] == 1
    line = next(line for line in stderr.splitlines() if line.startswith("Training curves: 1 epoch"))
    assert line == curves.summary(found)
    assert f"{found['accuracy'][-1]:.2f}% accuracy after epoch 1" in line
    assert f"measured {found['measured_accuracy']:.2f}%" in line
    assert "first reached at epoch 1" in line
    assert found["accuracy"][0] >= 90


@pytest.mark.slow
def test_the_reference_run_with_the_same_seed_draws_the_same_curve(graded_reference):
    folder, _code, doc, _stderr = graded_reference
    kept = json.loads((folder / ".grade" / reference_run.CACHE_NAME).read_text(encoding="utf-8"))
    assert len(kept) == 1
    mine = mnist_check(doc)["data"]["curves"]
    assert kept[0]["curves"]["accuracy"] == pytest.approx(mine["accuracy"], abs=1e-9)
    assert kept[0]["curves"]["train_loss"] == pytest.approx(mine["train_loss"], rel=1e-6)


@pytest.mark.slow
def test_a_wrong_submission_shows_its_lower_accuracy_in_the_text_report(graded_reference, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / f"{STEM}.py").write_text(solution_with(STEM, ONE_BATCH), encoding="utf-8")
    (folder / ".grade").mkdir()
    shutil.copy(graded_reference[0] / ".grade" / reference_run.CACHE_NAME, folder / ".grade")  # the same seed: no second reference run
    done = grade_cli("6", "--submission", str(folder), "--seed", "11", env=QUICK_TRAINING)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    mnist = lines.index(next(line for line in lines if "mnist_accuracy" in line))
    summary = next(line.strip() for line in lines[mnist:] if line.strip().startswith("Training curves: 1 epoch"))
    low = float(re.search(r"([\d.]+)% accuracy after epoch 1", summary).group(1))
    kept = json.loads((folder / ".grade" / reference_run.CACHE_NAME).read_text(encoding="utf-8"))
    assert len(kept) == 1, "the reference run was trained again"
    reference = kept[0]["curves"]
    assert low < 90 < reference["accuracy"][-1]
    assert "the 90% goal was never reached" in summary
    assert lines[-1] == f"Training curves: {folder / '.grade' / 'exercise6_curves.png'}"  # text: on stdout, after the report
    assert png_size(folder / ".grade" / "exercise6_curves.png") == curves.PICTURE
    assert "Training curves" not in done.stderr


def test_grade_1_imports_no_matplotlib_and_records_no_data(tmp_path):
    shutil.copy(KIT / "solutions" / "exercise1_tensors.py", tmp_path)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "grader.cli", "1", "--submission", str(tmp_path), "--format", "json"],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "matplotlib" not in done.stderr
    assert not any("data" in c for e in json.loads(done.stdout)["exercises"] for c in e["checks"])
    assert not (tmp_path / ".grade").exists()
