"""The exercises as nbgrader notebooks: ``grade notebooks OUT`` writes a course's ``source/`` tree.

One assignment per exercise, ``source/<stem>/<stem>.ipynb``, cut from ``solutions/<stem>.py``:

- a locked markdown cell with the task text: the module's docstring and each definition's;
- the module's code, cut at its top-level statements: imports and constants in locked cells,
  every definition that holds a solution region in a solution cell (markers included, so
  ``nbgrader generate_assignment`` strips it with nbgrader's own ClearSolutions), any other
  definition in a locked cell;
- one autograder cell per check, worth that check's points, calling :func:`grader.jupyter.kernel.check`.

One cell per check, rather than one per exercise, so that nbgrader's per-cell points are the
kit's per-check points, and the feedback shows each check's message and hint under its name.
The cells run the kit's engine, so the notebook needs only the kit in the kernel's environment.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from grader import regions, registry
from grader.i18n import N_, _, ngettext, number, plural_of
from grader.jupyter.cells import DEFINITIONS, Layout, layout, prelude
from grader.jupyter.kernel import seal

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
# The notebook's own texts, in the language of `grade notebooks` (--lang): a course writes its notebooks in its language.
HOW_TO = N_(
    "**How to work.** Replace each `raise NotImplementedError()` with your code and run the cell. The cells at the end "
    "run the kit's checks on the code of this notebook: each shows its points, what was expected and what came back, and a hint."
)
CHECKS_HEADING, CHECKS_TEXT = N_("Checks"), N_("Run these after the cells above.")


def solution_path(stem: str) -> Path:
    return registry.REFERENCE_DIR / f"{stem}.py"


def task_text(exercise: registry.Exercise, plan: Layout) -> str:
    """The markdown cell: the title, the module's docstring, how to work, then each definition's docstring."""
    title = _("Exercise {number}: {title}").format(number=exercise.number, title=_(exercise.title))
    out = [f"# {title}", "", plan.docstring, "", _(HOW_TO)]
    for node in plan.nodes:
        out += ["", f"### `{_signature(node)}`", "", ast.get_docstring(node) or ""]
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, DEFINITIONS) and ast.get_docstring(method):
                    out += ["", f"- `{_signature(method)}`: " + inspect.cleandoc(ast.get_docstring(method)).replace("\n", " ")]
    return "\n".join(out).strip() + "\n"


def _signature(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def check_cell_source(stem: str, name: str, points: float, hidden: bool = False) -> str:
    """An autograder cell. A teacher's hidden check is called by its seal (:func:`grader.jupyter.kernel.seal`), not by
    its name, so that students see neither its name nor its inputs; in a release, which has no hidden checks, the cell
    only says that the teacher's grade runs it. Not nbgrader's hidden-tests region: nbgrader 0.9 keeps the checksum of
    such a cell from before it strips the region, so every autograde warned that each hidden check's cell had changed
    (jupyter/nbgrader#1961) when nothing had."""
    call = f"check({stem!r}, sealed={seal(stem, name)!r})" if hidden else f"check({stem!r}, {name!r})"
    count = plural_of(points)
    if hidden:
        said = ngettext("The teacher's hidden check, worth {points} point", "The teacher's hidden check, worth {points} points", count)
    else:
        said = ngettext("The kit's check {name}, worth {points} point", "The kit's check {name}, worth {points} points", count)
    comment = said.format(name=name, points=number(points))
    return f"# {comment}\nfrom grader.jupyter.kernel import check\n\n{call}"


def notebook(exercise: registry.Exercise, checks: list[tuple[str, str, float, str]]):
    """The instructor's notebook of ``exercise``: ``checks`` are ``engine.collect``'s rows for it."""
    import nbformat

    plan = layout(solution_path(exercise.stem))
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
            f"## {_(CHECKS_HEADING)}\n\n{_(CHECKS_TEXT)}",
            "checks_heading",
            ids,
            locked=True,
        )
    )
    for _stem, name, points, _hint, hidden, *_nudge in checks:
        cells.append(
            _cell(
                nbformat.v4.new_code_cell,
                check_cell_source(exercise.stem, name, points, hidden),
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

    from grader.judge.engine import collect

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
        config.write_text(CONFIG % "\n".join(regions.STUB), encoding="utf-8")
        written.append(config)
    return written
