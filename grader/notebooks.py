"""The exercises as nbgrader notebooks: ``grade notebooks OUT`` writes a course's ``source/`` tree.

One assignment per exercise, ``source/<stem>/<stem>.ipynb``, cut from ``solutions/<stem>.py``:

- a locked markdown cell with the task text: the module's docstring and each definition's;
- the module's code, cut at its top-level statements: imports and constants in locked cells,
  every definition that holds a solution region in a solution cell (markers included, so
  ``nbgrader generate_assignment`` strips it with nbgrader's own ClearSolutions), any other
  definition in a locked cell;
- one autograder cell per check, worth that check's points, calling :func:`grader.kernel.check`.

One cell per check, rather than one per exercise, so that nbgrader's per-cell points are the
kit's per-check points, and the feedback shows each check's message and hint under its name.
The cells run the kit's engine, so the notebook needs only the kit in the kernel's environment.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from grader import generate, registry

SCHEMA_VERSION = 3  # nbgrader's cell metadata schema
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
CONFIG = """\
# Written by `grade notebooks` only when this file was missing: edit it freely.
c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "pytorch-exercises"  # your course's id, for release and collect
# The student's stub, as in the kit's exercises/*.py
c.ClearSolutions.code_stub = {"python": %r}
# The first check cell of an exercise runs all of its checks, MNIST training included
c.Execute.timeout = 1800
"""
HOW_TO = """\
**How to work / Как работать.** Replace each `raise NotImplementedError()` with your code and \
run the cell. The cells at the end run the kit's checks on the code of this notebook: each \
shows its points, what was expected and what came back, and a hint.

Замените каждый `raise NotImplementedError()` своим кодом и выполните ячейку. Ячейки в конце \
запускают проверки на коде этого ноутбука: каждая показывает баллы, что ожидалось, что \
получилось, и подсказку."""


@dataclass(frozen=True)
class Part:
    """A code cell of the notebook: locked code, or the student's (``solution``) code."""

    source: str
    solution: bool
    definitions: tuple[str, ...]  # the functions and classes it defines
    assigned: tuple[str, ...]  # the other top-level names it binds


@dataclass(frozen=True)
class Layout:
    docstring: str
    parts: tuple[Part, ...]
    nodes: tuple[ast.stmt, ...]  # the top-level definitions, for the task text


def solution_path(stem: str) -> Path:
    return registry.KIT_ROOT / "solutions" / f"{stem}.py"


def layout(stem: str) -> Layout:
    """Cut ``solutions/<stem>.py`` into the notebook's code cells (the kernel side cuts it the same way)."""
    path = solution_path(stem)
    return split(path.read_text(encoding="utf-8"), str(path))


def prelude(stem: str) -> str:
    """Code the notebook runs before the exercise's own: a kernel has no ``__file__``, so a
    module that uses it gets the path where the kit keeps the exercise, and paths next to it
    (the kit's ``data/``) resolve as they do in the kit."""
    if "__file__" not in solution_path(stem).read_text(encoding="utf-8"):
        return ""
    return (
        f"# A notebook has no __file__: this is where the kit keeps {stem}.py / путь к упражнению в наборе\n"
        f"from grader.registry import KIT_ROOT as _KIT_ROOT\n\n"
        f'__file__ = str(_KIT_ROOT / "exercises" / "{stem}.py")'
    )


def split(source: str, name: str = "<source>") -> Layout:
    generate.strip_solutions(source, name)  # a missing END or a nested region stops here, naming file and line
    tree = ast.parse(source, filename=name)
    docstring = ast.get_docstring(tree) or ""
    body = tree.body[1:] if docstring else tree.body
    if not body:
        return Layout(docstring, (), ())
    lines = source.splitlines(keepends=True)
    starts = [_start(node, lines) for node in body]
    starts[0] = tree.body[0].end_lineno + 1 if docstring else 1
    regions = _regions(lines)
    total = len(lines)

    def holds_region(i: int) -> bool:
        return any(starts[i] <= begin < _end(i, starts, total) for begin, _ in regions)

    def plain(i: int) -> bool:
        return not isinstance(body[i], _DEFINITIONS) and not holds_region(i)

    # A cell boundary inside a solution region would split it between cells: drop that boundary.
    # Imports and constants that the student does not write share one locked cell.
    groups: list[list[int]] = []
    for index, start in enumerate(starts):
        inside = any(begin < start <= end for begin, end in regions)
        if groups and (inside or (plain(index) and all(plain(i) for i in groups[-1]))):
            groups[-1].append(index)
        else:
            groups.append([index])
    parts: list[Part] = []
    for group in groups:
        first, last = starts[group[0]], _end(group[-1], starts, total)
        nodes = [body[i] for i in group]
        parts.append(
            Part(
                source="".join(lines[first - 1 : last - 1]).strip("\n"),
                solution=any(first <= begin < last for begin, _ in regions),
                definitions=tuple(n.name for n in nodes if isinstance(n, _DEFINITIONS)),
                assigned=tuple(name for n in nodes if not isinstance(n, _DEFINITIONS) for name in _bound(n)),
            )
        )
    return Layout(docstring, tuple(parts), tuple(n for n in body if isinstance(n, _DEFINITIONS)))


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _end(index: int, starts: list[int], total: int) -> int:
    """The line after statement ``index``'s chunk."""
    return starts[index + 1] if index + 1 < len(starts) else total + 1


def _start(node: ast.stmt, lines: list[str]) -> int:
    """A statement's first line, with its decorators and the comments right above it (a BEGIN marker too)."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while start > 1 and lines[start - 2].lstrip().startswith("#") and lines[start - 2].strip() != generate.END:
        start -= 1
    return start


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """(BEGIN line, END line) of every solution region; the markers are known to pair up."""
    found, begin = [], 0
    for number, line in enumerate(lines, start=1):
        if line.strip() == generate.BEGIN:
            begin = number
        elif line.strip() == generate.END:
            found.append((begin, number))
    return found


def _bound(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]


def task_text(exercise: registry.Exercise, plan: Layout) -> str:
    """The markdown cell: the title, the module's docstring, how to work, then each definition's docstring."""
    out = [f"# Exercise {exercise.number}: {exercise.title}", "", plan.docstring, "", HOW_TO]
    for node in plan.nodes:
        out += ["", f"### `{_signature(node)}`", "", ast.get_docstring(node) or ""]
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, _DEFINITIONS) and ast.get_docstring(method):
                    out += ["", f"- `{_signature(method)}`: " + inspect.cleandoc(ast.get_docstring(method)).replace("\n", " ")]
    return "\n".join(out).strip() + "\n"


def _signature(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def check_cell_source(stem: str, name: str, points: float) -> str:
    return (
        f"# The kit's check {name}, worth {points:g} point(s) / проверка {name}, баллов: {points:g}\n"
        f"from grader.kernel import check\n\n"
        f"check({stem!r}, {name!r})"
    )


def notebook(exercise: registry.Exercise, checks: list[tuple[str, str, float, str]]):
    """The instructor's notebook of ``exercise``: ``checks`` are ``engine.collect``'s rows for it."""
    import nbformat

    plan = layout(exercise.stem)
    ids: set[str] = set()
    cells = [_cell(nbformat.v4.new_markdown_cell, task_text(exercise, plan), "task", ids, locked=True)]
    if prelude(exercise.stem):
        cells.append(_cell(nbformat.v4.new_code_cell, prelude(exercise.stem), "prelude", ids, locked=True))
    for part in plan.parts:
        label = part.definitions[0] if part.definitions else "setup"
        if part.solution:
            cells.append(_cell(nbformat.v4.new_code_cell, part.source, f"solution_{label}", ids, solution=True))
        else:
            cells.append(_cell(nbformat.v4.new_code_cell, part.source, f"given_{label}", ids, locked=True))
    cells.append(
        _cell(
            nbformat.v4.new_markdown_cell,
            "## Checks / Проверки\n\nRun these after the cells above. / Выполните их после ячеек выше.",
            "checks_heading",
            ids,
            locked=True,
        )
    )
    for _, name, points, _, _ in checks:
        cells.append(
            _cell(
                nbformat.v4.new_code_cell,
                check_cell_source(exercise.stem, name, points),
                f"check_{name}",
                ids,
                grade=True,
                locked=True,
                points=points,
            )
        )
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def _cell(make, source: str, label: str, ids: set[str], *, grade=False, solution=False, locked=False, points=None):
    grade_id = re.sub(r"[^A-Za-z0-9_-]", "_", label)[:60]
    while grade_id in ids:  # grade_ids must be unique in a notebook
        grade_id += "_"
    ids.add(grade_id)
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": SCHEMA_VERSION}
    if grade:
        meta["points"] = points
    cell = make(source, metadata={"nbgrader": meta})
    cell["id"] = grade_id  # stable ids: the same kit writes the same files
    return cell


def write_course(out: Path, exercises) -> list[Path]:
    """Write ``out/source/<stem>/<stem>.ipynb`` for each exercise, and ``out/nbgrader_config.py``
    when there is none; return the files written."""
    import nbformat

    from grader.engine import collect

    exercises = list(exercises)
    checks = collect(exercises)
    written = []
    for exercise in exercises:
        target = out / "source" / exercise.stem / f"{exercise.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(exercise, [c for c in checks if c[0] == exercise.stem]), str(target))
        written.append(target)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG % "\n".join(generate.STUB), encoding="utf-8")
        written.append(config)
    return written
