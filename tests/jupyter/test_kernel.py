"""The check cells' side: the notebook's code as one module, graded once, reported as nbgrader reads it."""

import importlib.util
import os
import warnings

import pytest

from grader import regions, registry
from grader.judge import engine
from grader.judge.engine import collect
from grader.jupyter import cells, kernel
from grader.sandbox import layers
from tests.helpers import KIT

EXERCISE = registry.EXERCISES[0]
HINTS = {listed.name: listed.hint for listed in collect([EXERCISE])}


def namespace_from(tmp_path, source: str) -> dict:
    """The globals a kernel would hold after running ``source``, defined from a file as IPython does from a cell."""
    path = tmp_path / "cells.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("notebook_cells", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def solution() -> str:
    return (KIT / "solutions" / f"{EXERCISE.stem}.py").read_text(encoding="utf-8")


def test_module_is_the_locked_cells_and_the_cells_that_defined_the_functions(tmp_path):
    cells = solution() + "\n\ndef helper():\n    return 1\n"
    source, missing = kernel.module_source(EXERCISE.stem, namespace_from(tmp_path, cells))
    assert missing == []
    assert source.count(cells.strip("\n")) == 1  # one file defined them all: taken once
    assert source.startswith(next(p.source for p in kernel.stub_layout(EXERCISE.stem).parts if not p.solution))


def test_functions_imported_from_the_kits_solutions_are_not_the_notebooks(tmp_path):
    reference = importlib.import_module(f"solutions.{EXERCISE.stem}")
    source, missing = kernel.module_source(EXERCISE.stem, dict(vars(reference)))
    definitions = [n for p in kernel.stub_layout(EXERCISE.stem).parts if p.solution for n in p.definitions]
    assert missing == definitions
    assert "### BEGIN SOLUTION" not in source


def filled_in() -> str:
    """The exercise as a student who finished it writes it: the reference without its markers, no placeholder left."""
    return "".join(line for line in solution().splitlines(keepends=True) if line.strip() not in (regions.BEGIN, regions.END))


WRONG_SCALAR = "\n\ndef make_scalar(value):\n    return None\n"


def beside_a_correct_file(tmp_path, monkeypatch) -> None:
    """``exercises/`` beside the notebook holds a correct, filled-in file, as the student's own work there would."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / f"{EXERCISE.stem}.py").write_text(filled_in(), encoding="utf-8")
    monkeypatch.setattr(registry, "STUBS_DIR", folder)


def test_a_notebook_with_wrong_cells_beside_a_correct_exercises_file_fails(tmp_path, monkeypatch):
    """Issue 22: the module was cut from exercises/<stem>.py, which once filled in had no placeholder, so every cell
    read as locked code and the notebook was graded from that file: make_scalar returning None got 1/1."""
    beside_a_correct_file(tmp_path, monkeypatch)
    namespace = namespace_from(tmp_path, filled_in() + WRONG_SCALAR)
    with pytest.raises(kernel.CellFailed) as failed:
        kernel.check(EXERCISE.stem, "make_scalar", namespace)
    assert failed.value._render_traceback_()[0] == "✗ make_scalar  0/1"
    assert kernel.check(EXERCISE.stem, "make_vector", namespace) is None


def test_in_a_release_the_cells_are_cut_from_the_releases_own_copy_of_the_stub(tmp_path, monkeypatch):
    """A release has no solutions/: the kernel cuts grader/stubs/, which grade release writes, not exercises/."""
    beside_a_correct_file(tmp_path, monkeypatch)
    released = tmp_path / "stubs"
    released.mkdir()
    (released / f"{EXERCISE.stem}.py").write_text(regions.strip_solutions(solution()), encoding="utf-8")
    monkeypatch.setattr(registry, "REFERENCE_DIR", tmp_path / "no-solutions")
    monkeypatch.setattr(cells, "RELEASED_STUBS", released)
    source, missing = kernel.module_source(EXERCISE.stem, namespace_from(tmp_path, filled_in() + WRONG_SCALAR))
    assert missing == []
    assert WRONG_SCALAR.strip() in source
    assert any(p.solution for p in kernel.stub_layout(EXERCISE.stem).parts)


def test_a_passed_check_prints_one_line_and_a_failed_one_raises_with_message_and_hint(tmp_path, capsys):
    wrong = solution() + "\n\ndef make_vector(values):\n    return torch.tensor(values)\n"
    namespace = namespace_from(tmp_path, wrong)
    assert kernel.check(EXERCISE.stem, "make_scalar", namespace) is None
    with pytest.raises(kernel.CellFailed) as failed:
        kernel.check(EXERCISE.stem, "make_vector", namespace)
    shown = failed.value._render_traceback_()
    assert shown[0] == "✗ make_vector  0/1"
    assert any("torch.int64" in line for line in shown)
    assert shown[-1] == f"    hint: {HINTS['make_vector']}"
    out = capsys.readouterr()
    assert out.out.count("(graded this notebook's code") == 1  # the second check read the first one's run
    assert out.out.endswith("✓ make_scalar  1/1\n")
    assert out.err == ""


def test_partial_credit_is_shown_as_the_cells_value(monkeypatch, capsys):
    doc = {
        "exercises": [
            {
                "checks": [
                    {
                        "name": "fit",
                        "score": 1.5,
                        "max_score": 3.0,
                        "status": "failed",
                        "message": "trained, but the accuracy is 0.91",
                        "hint": "train longer",
                    }
                ]
            }
        ]
    }
    monkeypatch.setattr(kernel, "grade_source", lambda stem, source: doc)
    assert kernel.check(EXERCISE.stem, "fit", {}) == 1.5
    printed = capsys.readouterr().out
    assert printed.startswith("✗ fit  1.5/3\n    trained, but the accuracy is 0.91\n    hint: train longer\n")
    assert "not defined in this notebook: make_scalar, make_vector" in printed


def test_an_unknown_check_asks_for_a_fresh_notebook(monkeypatch):
    monkeypatch.setattr(kernel, "grade_source", lambda stem, source: {"exercises": [{"checks": []}]})
    with pytest.raises(LookupError, match=r"no check named 'gone'.*grade notebooks"):
        kernel.check(EXERCISE.stem, "gone", {})


def test_a_hidden_check_is_called_by_its_seal(monkeypatch, capsys):
    """The full kit finds the hidden check whose seal the cell names; a release, which has none, says the teacher runs it."""
    failed = {"name": "make_vector_empty", "score": 0.0, "max_score": 1.0, "status": "failed", "message": "wrong", "hint": "h"}
    monkeypatch.setattr(kernel, "grade_source", lambda stem, source: {"exercises": [{"checks": [failed]}]})
    with pytest.raises(kernel.CellFailed, match="make_vector_empty"):
        kernel.check(EXERCISE.stem, namespace={}, sealed=kernel.seal(EXERCISE.stem, "make_vector_empty"))
    with pytest.raises(LookupError, match="no check named"):
        kernel.check(EXERCISE.stem, namespace={}, sealed="0" * 16)  # the full kit never passes a seal it cannot match
    monkeypatch.setattr(kernel, "grade_source", lambda stem, source: {"exercises": [{"checks": []}]})
    monkeypatch.setattr(kernel.registry, "in_release", lambda: True)
    capsys.readouterr()
    assert kernel.check(EXERCISE.stem, namespace={}, sealed=kernel.seal(EXERCISE.stem, "make_vector_empty")) is None
    assert capsys.readouterr().out == "A teacher's hidden check: it is run when the teacher grades this notebook.\n"


def test_a_grading_says_which_sandbox_layers_did_not_hold(monkeypatch, capsys):
    """As the report does: a kernel in Colab, say, may run where namespaces are refused (tests/jupyter/test_colab.py)."""
    missing = {layers.NAMESPACES: "turned off (GRADER_NO_NAMESPACES=1)", layers.UID: "not root"}
    doc = {"device": "cpu", "seed": 7, "exercises": [], "isolation": [layers.LANDLOCK], "isolation_missing": missing}
    monkeypatch.setattr(engine, "warm_up", lambda exercises: None)
    monkeypatch.setattr(engine, "grade", lambda settings, exercises: (doc, None))
    assert kernel.grade_source(EXERCISE.stem, "# graded where two layers did not hold\n") is doc
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("(graded this notebook's code for exercise1 on cpu with seed ")
    assert printed[1:] == layers.notes(doc)
    assert len(printed) == 3


def test_quiet_keeps_warnings_and_file_descriptor_2_off_stderr(capfd):
    with kernel._quiet():
        os.write(2, b"zygote noise\n")
        warnings.warn("a deprecation", stacklevel=2)
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_a_skipped_check_scores_zero_and_says_why(monkeypatch):
    doc = {
        "exercises": [
            {
                "checks": [
                    {
                        "name": "cuda",
                        "score": 0.0,
                        "max_score": 0.0,
                        "status": "skipped",
                        "message": "this run's device is cpu",
                        "hint": "move the batch",
                    }
                ]
            }
        ]
    }
    monkeypatch.setattr(kernel, "grade_source", lambda stem, source: doc)
    with pytest.raises(kernel.CellFailed) as failed:
        kernel.check(EXERCISE.stem, "cuda", {})
    shown = failed.value._render_traceback_()
    assert shown[:2] == ["✗ cuda [skipped]  0/0", "    this run's device is cpu"]
    assert shown[-1] == "    nbgrader counts a check that could not run here as 0 points"
    assert not any("hint" in line for line in shown)


@pytest.mark.parametrize(("value", "expected"), [("cpu", "cpu"), (" CPU ", "cpu")])
def test_grader_device_cpu_asks_nothing(monkeypatch, value, expected):
    monkeypatch.setenv(kernel.DEVICE_ENV, value)
    assert kernel._device() == expected


def test_a_bad_grader_device_says_what_to_set(monkeypatch):
    monkeypatch.setenv(kernel.DEVICE_ENV, "gpu")
    with pytest.raises(ValueError, match="GRADER_DEVICE='gpu': set it to auto, cpu or cuda"):
        kernel._device()
