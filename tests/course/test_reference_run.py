"""Is the reference run kept by everything it depends on, read back only when it matches, and stopped when cancelled?

The real training is in tests/formats/test_curves.py (``grade 6`` on the reference); here no MNIST is trained.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import time

import pytest
import torch

from grader.checking import training
from grader.course import reference_run
from grader.data import ensure_mnist
from grader.formats import curves
from grader.settings import Settings
from tests.helpers import QUICK_TRAINING

CURVES = curves.record([{"train_loss": 0.3, "test_loss": 0.2, "accuracy": 95.0}], 97.0, 1, 95.2)


def settings(tmp_path, **changes) -> Settings:
    return dataclasses.replace(Settings(submission=tmp_path, seed=5), **changes)


def test_the_key_changes_with_what_the_curves_depend_on(tmp_path, monkeypatch):
    base = reference_run.key(settings(tmp_path))
    assert reference_run.key(settings(tmp_path)) == base
    assert reference_run.key(settings(tmp_path / "elsewhere")) == base, "the submission does not change the reference"
    others = {reference_run.key(settings(tmp_path, seed=6)), reference_run.key(settings(tmp_path, device="cuda"))}
    others.add(reference_run.key(settings(tmp_path, threads=4)))
    monkeypatch.setenv("GRADER_MNIST_EPOCHS", "2")
    others.add(reference_run.key(settings(tmp_path)))
    monkeypatch.setenv("GRADER_MNIST_THRESHOLD", "95")
    others.add(reference_run.key(settings(tmp_path)))
    assert base not in others
    assert len(others) == 5


def test_a_cache_keeps_the_newest_entries_and_reads_back_only_its_key(tmp_path):
    cache = tmp_path / "deep" / reference_run.CACHE_NAME
    for seed in range(reference_run.KEEP + 3):
        reference_run.write(cache, f"key-{seed}", {**CURVES, "epochs": seed})
    kept = json.loads(cache.read_text(encoding="utf-8"))
    assert [entry["key"] for entry in kept] == [f"key-{seed}" for seed in range(3, reference_run.KEEP + 3)]
    assert reference_run.read(cache, "key-5") == {**CURVES, "epochs": 5}
    assert reference_run.read(cache, "key-0") is None
    reference_run.write(cache, "key-5", CURVES)  # written again: moves to the end, once
    assert [entry["key"] for entry in json.loads(cache.read_text(encoding="utf-8"))].count("key-5") == 1


def test_a_damaged_cache_is_no_cache(tmp_path):
    cache = tmp_path / reference_run.CACHE_NAME
    for text in ("{not json", '{"key": 1}', '[{"key": "k"}]', '[{"key": "k", "curves": {"goal": "x"}}]'):
        cache.write_text(text, encoding="utf-8")
        assert reference_run.read(cache, "k") is None
    reference_run.write(cache, "k", CURVES)
    assert reference_run.read(cache, "k") == CURVES


def test_a_run_found_in_its_cache_trains_nothing(tmp_path):
    chosen = settings(tmp_path)
    cache = tmp_path / reference_run.CACHE_NAME
    reference_run.write(cache, reference_run.key(chosen), CURVES)
    run = reference_run.Run(chosen, cache)
    assert run.ready()
    assert run.result() == CURVES
    assert run.problem == ""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the checks' marks, imported outside a grading
def test_a_cancelled_run_stops_at_once_and_says_why(tmp_path):
    importlib.import_module(reference_run.CHECK_MODULE)  # as in grade, where the checks are imported by then (torch: seconds)
    cache = tmp_path / reference_run.CACHE_NAME
    run = reference_run.Run(settings(tmp_path), cache)
    began = time.monotonic()
    run.cancel()
    assert time.monotonic() - began < 10, "cancel waited for the training"
    assert run.ready()
    assert run.result() is None
    assert "stopped" in run.problem
    assert not cache.exists(), "nothing of a cancelled run is kept"


def test_measuring_a_state_draws_nothing_from_the_processs_random_state():
    """The reference run measures its weights in a thread of the judge, while a check in the main thread seeds the
    process's random state and runs the reference's dropout: a draw in between changes the check's expected values."""
    state = training.tutorial_net().state_dict()
    torch.manual_seed(7)
    before = torch.get_rng_state()
    root = str(ensure_mnist())
    accuracy = training.measured_accuracy(state, root)
    assert torch.equal(torch.get_rng_state(), before)
    assert accuracy == training.measured_accuracy(state, root), "the same weights measure the same"
    assert 0 <= accuracy <= 100


@pytest.mark.slow  # a reference training of one epoch
@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the checks' marks, imported outside a grading
def test_the_whole_reference_run_leaves_the_judges_random_state_as_it_was(tmp_path, monkeypatch):
    for name, value in QUICK_TRAINING.items():
        monkeypatch.setenv(name, value)
    importlib.import_module(reference_run.CHECK_MODULE)
    torch.manual_seed(7)
    before = torch.get_rng_state()
    found = reference_run.train(settings(tmp_path))
    assert torch.equal(torch.get_rng_state(), before)
    assert found["epochs"] == 1
    assert found["measured_accuracy"] >= 90
