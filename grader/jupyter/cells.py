"""An exercise's module cut into notebook cells: the code the student writes, and the code the kit gives.

``grade notebooks`` cuts a reference solution: each definition that holds a solution region becomes an
nbgrader solution cell. The notebook kernel (:mod:`grader.jupyter.kernel`) cuts the stub into the same cells: in a stub,
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` stand where each region stood
(:func:`grader.regions.strip_solutions`).

The stub the kernel cuts is the kit's own (:func:`kit_stub`), never ``exercises/<stem>.py``: that file is the
student's to edit, and once filled in it has no placeholder left, so every cell of it would read as locked code
and the module would be that file rather than the notebook's cells.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from grader import registry
from grader.regions import BEGIN, END, STUB, strip_solutions

RELEASED_STUBS = registry.PACKAGE_DIR / "stubs"  # a student release's copy of its stubs (grade release writes it)


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


def kit_stub(stem: str) -> tuple[str, str]:
    """The text of ``stem``'s stub as the kit wrote it, and its file's name for errors: the reference solution stripped
    in the teacher's kit, the release's own copy in a student release; never the student's ``exercises/<stem>.py``."""
    solution = registry.REFERENCE_DIR / f"{stem}.py"
    if solution.is_file():
        return strip_solutions(solution.read_text(encoding="utf-8"), str(solution)), str(solution)
    released = RELEASED_STUBS / f"{stem}.py"
    return released.read_text(encoding="utf-8"), str(released)


def stub_layout(stem: str) -> Layout:
    """The cells of ``stem``'s stub (:func:`kit_stub`): the notebook's locked code and where its solution cells stand."""
    text, name = kit_stub(stem)
    return split(text, name)


def layout(path: Path) -> Layout:
    """Cut the module at ``path`` (a reference solution or a stub) into the notebook's code cells."""
    return split(path.read_text(encoding="utf-8"), str(path))


def prelude(stem: str) -> str:
    """Code the notebook runs before the exercise's own: a kernel has no ``__file__``, so a
    module that uses it gets the path where the kit keeps the exercise, and paths next to it
    (the kit's ``data/``) resolve as they do in the kit."""
    if "__file__" not in kit_stub(stem)[0]:
        return ""
    return (
        f"# A notebook has no __file__: this is where the kit keeps {stem}.py / путь к упражнению в наборе\n"
        f"from grader.registry import KIT_ROOT as _KIT_ROOT\n\n"
        f'__file__ = str(_KIT_ROOT / "exercises" / "{stem}.py")'
    )


def split(source: str, name: str = "<source>") -> Layout:
    strip_solutions(source, name)  # a missing END or a nested region stops here, naming file and line
    tree = ast.parse(source, filename=name)
    docstring = ast.get_docstring(tree) or ""
    body = tree.body[1:] if docstring else tree.body
    if not body:
        return Layout(docstring, (), ())
    lines = source.splitlines(keepends=True)
    starts = [_start(node, lines) for node in body]
    starts[0] = tree.body[0].end_lineno + 1 if docstring else 1
    found = _regions(lines)
    total = len(lines)

    def holds_region(i: int) -> bool:
        return any(starts[i] <= begin < _end(i, starts, total) for begin, _ in found)

    def plain(i: int) -> bool:
        return not isinstance(body[i], DEFINITIONS) and not holds_region(i)

    # A cell boundary inside a solution region would split it between cells: drop that boundary.
    # Imports and constants that the student does not write share one locked cell.
    groups: list[list[int]] = []
    for index, start in enumerate(starts):
        inside = any(begin < start <= end for begin, end in found)
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
                solution=any(first <= begin < last for begin, _ in found),
                definitions=tuple(n.name for n in nodes if isinstance(n, DEFINITIONS)),
                assigned=tuple(name for n in nodes if not isinstance(n, DEFINITIONS) for name in _bound(n)),
            )
        )
    return Layout(docstring, tuple(parts), tuple(n for n in body if isinstance(n, DEFINITIONS)))


DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _end(index: int, starts: list[int], total: int) -> int:
    """The line after statement ``index``'s chunk."""
    return starts[index + 1] if index + 1 < len(starts) else total + 1


def _start(node: ast.stmt, lines: list[str]) -> int:
    """A statement's first line, with its decorators and the comments right above it (a BEGIN marker too)."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while start > 1 and lines[start - 2].lstrip().startswith("#") and lines[start - 2].strip() != END:
        start -= 1
    return start


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, last line) of every solution region: BEGIN to END in a solution (the markers are known to
    pair up), or in a stub the two lines that :func:`grader.regions.strip_solutions` put in its place."""
    found, begin = [], 0
    for number, line in enumerate(lines, start=1):
        if line.strip() == BEGIN:
            begin = number
        elif line.strip() == END:
            found.append((begin, number))
        elif line.strip() == STUB[0] and number < len(lines) and lines[number].strip() == STUB[1]:
            found.append((number, number + 1))
    return found


def _bound(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]
