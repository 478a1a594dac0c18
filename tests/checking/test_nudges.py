"""Do the checks teach before they tell: a nudge beside every hint, no line of the solution in any nudge, the full hint
only when asked for?"""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from grader import i18n, registry
from grader.formats.report import render
from grader.judge import listing
from tests.cli_support import grade_cli
from tests.helpers import KIT, grade

CATALOG = listing.listed(registry.EXERCISES)
SHORTEST = 6  # a line of code shorter than this ("pass", "))") says nothing of the solution


def code_lines(path: Path) -> set[str]:
    """The lines of code of a solution, stripped; its docstrings and comments are the task's words, which a nudge may share."""
    source = path.read_text(encoding="utf-8")
    prose = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and ast.get_docstring(node, clean=False) is not None:
            prose.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    lines = set()
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("  #", 1)[0].strip()
        if number not in prose and not code.startswith("#") and len(code) >= SHORTEST:
            lines.add(code)
    return lines


@pytest.fixture
def russian():
    i18n.use("ru")
    yield
    i18n.use(i18n.SOURCE)


def test_every_check_has_a_nudge_and_a_hint():
    assert len({(c.stem, c.name.split("[")[0]) for c in CATALOG}) == 76
    assert [c.name for c in CATALOG if not c.nudge.strip() or not c.hint.strip()] == []
    assert [c.name for c in CATALOG if c.nudge == c.hint] == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_nudge_holds_a_line_of_the_reference_solution(language):
    i18n.use(language)
    try:
        found = []
        for check in CATALOG:
            nudge = i18n._(check.nudge)
            assert language == "en" or nudge != check.nudge, f"{check.name}'s nudge is not translated"
            found += [(check.name, line) for line in code_lines(KIT / "solutions" / f"{check.stem}.py") if line in nudge]
    finally:
        i18n.use(i18n.SOURCE)
    assert found == []


def test_the_code_lines_read_are_the_solutions_code():
    lines = code_lines(KIT / "solutions" / "exercise1_tensors.py")
    assert any("torch.float32" in line for line in lines), "the solution's code was not read"
    assert not any(line.startswith('"""') for line in lines), "a docstring was taken for code"


def test_the_first_report_of_the_stubs_shows_nudges_and_no_full_hint():
    exercise = registry.EXERCISES[0]
    doc, _internal = grade(KIT / "exercises", [exercise])
    failing = [c for c in doc["exercises"][0]["checks"] if c["status"] != "passed"]
    assert failing
    assert all(c["nudge"] and c["hint"] for c in failing)
    report = click.unstyle(render(doc))
    assert all(f"nudge: {c['nudge']}" in report for c in failing)
    assert not any(c["hint"] in report for c in failing)
    assert report.endswith("Stuck? grade exercise1 --hints shows the full hints.")
    asked = click.unstyle(render(doc, hints=True))
    assert all(f"hint: {c['hint']}" in asked for c in failing)
    assert "nudge:" not in asked
    some = click.unstyle(render(doc, hints={failing[0]["name"]}))
    assert f"hint: {failing[0]['hint']}" in some
    assert f"nudge: {failing[1]['nudge']}" in some


def test_a_document_from_before_nudges_shows_its_hints():
    check = {"name": "make_scalar", "score": 0.0, "max_score": 1.0, "status": "failed", "message": "wrong", "hint": "the hint"}
    doc = {"submission": "s", "seed": 1, "device": "cpu", "score": 0.0, "max_score": 1.0,
           "exercises": [{"exercise": "exercise1_tensors", "title": "T", "score": 0.0, "max_score": 1.0, "status": "graded",
                          "checks": [check]}]}  # fmt: skip
    report = click.unstyle(render(doc))
    assert "      hint: the hint" in report
    assert "--hints" not in report


@pytest.mark.slow  # a cold grade in a fresh process
def test_grade_hints_shows_the_full_hints_and_russian_nudges_are_russian(tmp_path):
    env = {"GRADER_HISTORY": "off"}
    result = grade_cli("1", "--hints", "--submission", str(KIT / "exercises"), env=env)
    assert result.returncode == 1, result.stderr
    assert "hint: torch.tensor(value, dtype=torch.float32) makes a 0-d tensor" in result.stdout
    assert "nudge:" not in result.stdout
    result = grade_cli("--lang", "ru", "1", "--submission", str(KIT / "exercises"), env=env)
    assert "намек: Скаляр — это тензор без единой размерности" in result.stdout
    assert "grade exercise1 --hints покажет полные подсказки" in result.stdout
