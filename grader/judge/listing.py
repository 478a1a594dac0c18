"""Every check of the exercises with its points, read from the check files' source without importing them.

``grade list`` and ``grade --help`` must stay quick: importing a check file imports torch (about 2 s).
A check's points, hint, nudge and ``hidden`` are literals in its ``@check(...)`` and its parameters in
``@pytest.mark.parametrize``, so the source says everything :func:`grader.judge.engine.collect` does;
a test keeps the two equal.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from grader.registry import Exercise


class Listed(NamedTuple):
    """One check as the catalog lists it, without running it; a JSON array across processes (``Listed(*row)``)."""

    stem: str
    name: str
    points: float
    hint: str
    hidden: bool = False
    nudge: str = ""  # last, so that a row written before nudges still makes a Listed

    @classmethod
    def marked(cls, stem: str, name: str, kwargs: dict) -> Listed:
        """A check from the keywords of its ``@check``, whether read from the source or from pytest's marker."""
        return cls(stem, name, kwargs.get("points", 0), kwargs.get("hint", ""), bool(kwargs.get("hidden")), kwargs.get("nudge", ""))


def _call_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def _literal(node: ast.expr):
    """A literal, or the message of ``N_("...")`` (a hint or a nudge, marked for translation and kept in English here)."""
    if isinstance(node, ast.Call) and _call_name(node) in ("N_", "_") and len(node.args) == 1:
        return _literal(node.args[0])
    return ast.literal_eval(node)


def _ids(values: list) -> list[str]:
    """pytest's ids for a parametrize list of literals: the value itself for a str, int, float or bool."""
    return [str(value) if isinstance(value, str | int | float | bool) else f"{index}" for index, value in enumerate(values)]


def _variants(decorators: list[ast.expr]) -> list[str]:
    """The ``[...]`` suffixes pytest gives a function's items, from its ``parametrize`` decorators (innermost first)."""
    suffixes = [""]
    for node in reversed(decorators):
        if isinstance(node, ast.Call) and _call_name(node).endswith("mark.parametrize") and len(node.args) >= 2:
            ids = _ids(ast.literal_eval(node.args[1]))
            suffixes = [f"{s}-{i}" if s else i for i in ids for s in suffixes]
    return [f"[{s}]" if s else "" for s in suffixes]


def of_file(stem: str, source: str) -> list[Listed]:
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        marks = [d for d in node.decorator_list if isinstance(d, ast.Call) and _call_name(d) == "check"]
        if not marks:
            continue
        kwargs = {k.arg: _literal(k.value) for k in marks[0].keywords if k.arg in ("points", "hint", "hidden", "nudge")}
        for suffix in _variants(node.decorator_list):
            name = node.name.removeprefix("test_") + suffix
            found.append(Listed.marked(stem, name, kwargs))
    return found


def listed(exercises: list[Exercise]) -> list[Listed]:
    """Every check of ``exercises``, in file order, as :func:`grader.judge.engine.collect` finds them by running pytest."""
    return [item for exercise in exercises for item in of_file(exercise.stem, exercise.check_file.read_text(encoding="utf-8"))]
