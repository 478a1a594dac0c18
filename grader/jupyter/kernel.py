"""What a notebook's check cells call, in the Jupyter kernel: ``check("exercise1_tensors", "make_scalar")``.

The notebook's code becomes a module: its locked cells as the kit wrote them (nbgrader restores
them anyway), and each solution cell as the kernel last ran it, found through the code of a
function or class the cell defines (IPython keeps every cell's text in ``linecache``). The cells
are cut from the kit's own stub (:func:`grader.jupyter.cells.kit_stub`), never from ``exercises/``, which
holds the student's own work beside the notebook. The kit's engine grades that module exactly as
``grade`` grades a file, student code in the sandbox.

The first check cell grades the whole exercise once and the others read its result: one engine
run per check would repeat the collection and the imports. The result is kept per module text,
so running an edited solution cell again grades again. That cell prints the grading's seed and,
as the report does, a line for each sandbox layer that did not hold (a kernel in Colab, say).

nbgrader turns a check cell's outcome into points: full points when it ends quietly, a partial
grade when it shows a number, none when it raises or writes to stderr. So a passed check prints
one line, partial credit prints its message and shows the score, a failed check raises
:class:`CellFailed` with the message and the hint, and the grader's own noise never reaches
stderr.

Trust: in nbgrader the kernel that runs these cells also ran the student's cells, as with any
nbgrader test cell. The kit's sandbox still runs the student's functions, but the cells
themselves are only as trustworthy as that kernel.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import io
import linecache
import os
import sys
import tempfile
import types
import warnings
from pathlib import Path

from grader import i18n, registry
from grader.formats import visibility
from grader.formats.report import MARKS, check_head
from grader.i18n import _
from grader.jupyter.cells import Part, prelude, stub_layout
from grader.sandbox import layers
from grader.sandbox.environment import COURSE_SECRET
from grader.status import CheckStatus

DEVICE_ENV = "GRADER_DEVICE"
AUTOGRADE_ENV = "NBGRADER_EXECUTION"  # nbgrader sets it to "autograde" while it autogrades
_graded: dict[tuple[str, str], dict] = {}

# In a notebook a skipped check is a failed cell too (nbgrader cannot leave a cell out of the total): only a pass is ✓.
CELL_MARKS = {CheckStatus.PASSED: MARKS[CheckStatus.PASSED]}


class CellFailed(AssertionError):
    """A check that gave no points; the message holds what the kit said, and the hint."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows (and nbgrader's feedback) instead of a traceback through the kit."""
        return str(self).splitlines()


def seal(stem: str, name: str) -> str:
    """What a notebook's cell calls a teacher's hidden check by: a digest of its name, which the full kit can match and
    the cell's reader cannot read."""
    return hashlib.sha256(f"{stem}::{name}".encode()).hexdigest()[:16]


def check(stem: str, name: str | None = None, namespace: dict | None = None, sealed: str | None = None) -> float | None:
    """Run check ``name`` (or the hidden check whose :func:`seal` is ``sealed``) of exercise ``stem`` on the code this
    notebook defines (the caller's globals); print its line, return its score when it is partial, raise when it is zero."""
    namespace = inspect.currentframe().f_back.f_globals if namespace is None else namespace
    source, missing = module_source(stem, namespace)
    doc = visibility.for_students(grade_source(stem, source))  # nbgrader's feedback goes to the student: hidden checks sealed
    if sealed is not None:
        name = next((c["name"] for e in doc["exercises"] for c in e["checks"] if seal(stem, c["name"]) == sealed), None)
        if name is None and registry.in_release():  # a student's kit has no hidden checks: the teacher's grade runs it
            print(_("A teacher's hidden check: it is run when the teacher grades this notebook."))
            return None
    part, item = next(((e, c) for e in doc["exercises"] for c in e["checks"] if c["name"] == name), (None, None))
    if item is None:
        raise LookupError(
            _("{stem} has no check named {name}: write this notebook again with `grade notebooks`").format(
                stem=stem, name=repr(name if sealed is None else sealed)
            )
        )
    head = check_head(item, colour=False, marks=CELL_MARKS)
    if item["status"] == CheckStatus.PASSED:
        print(head)
        return None
    # A module that does not import: each check cell says why itself (the document says it once, for the exercise).
    said = part.get("message") or item["message"]
    lines = [head, *("    " + line for line in said.splitlines())]
    if item["hint"] and item["status"] != CheckStatus.SKIPPED:
        lines.append("    " + _("hint: {hint}").format(hint=item["hint"]))
    if missing:
        lines.append("    " + _("not defined in this notebook: {names} (run the cells that define them)").format(names=", ".join(missing)))
    if item["status"] == CheckStatus.SKIPPED:  # the kit leaves it out of the total; an nbgrader cell cannot be left out
        lines.append("    " + _("nbgrader counts a check that could not run here as 0 points"))
    if item["score"] > 0:
        print("\n".join(lines))
        return item["score"]
    raise CellFailed("\n".join(lines))


def module_source(stem: str, namespace: dict) -> tuple[str, list[str]]:
    """The notebook's code as one module's text, and the names of the solution cells it could not find."""
    pieces, missing, seen = [prelude(stem)], [], set()
    for part in stub_layout(stem).parts:
        if not part.solution:
            pieces.append(part.source)
            continue
        found = _cell_text(part, namespace)
        if found is None:
            missing.extend(part.definitions or part.assigned)
        elif found[0] not in seen:
            seen.add(found[0])
            pieces.append(found[1].strip("\n"))
    return "\n\n\n".join(p for p in pieces if p) + "\n", missing


def _cell_text(part: Part, namespace: dict) -> tuple[str, str] | None:
    """(a key, the text) of the cell that last defined one of ``part``'s functions or classes."""
    solutions = registry.REFERENCE_DIR.resolve()
    for name in part.definitions:
        code = _code_of(namespace.get(name))
        if code is None or Path(code.co_filename).resolve().is_relative_to(solutions):
            continue  # never the kit's reference, even when the notebook imported it
        lines = linecache.getlines(code.co_filename)
        if lines:
            return code.co_filename, "".join(lines)
    if not part.definitions and part.assigned and all(_literal(namespace, name) for name in part.assigned):
        text = "\n".join(f"{name} = {namespace[name]!r}" for name in part.assigned)
        return text, text  # a solution cell of plain constants: their values are their source
    return None


def _code_of(value) -> types.CodeType | None:
    if isinstance(value, type):
        for member in vars(value).values():
            member = getattr(member, "__func__", None) or getattr(member, "fget", None) or member
            if isinstance(member, types.FunctionType) and member.__qualname__.startswith(value.__qualname__ + "."):
                return member.__code__
        return None
    with contextlib.suppress(ValueError):
        value = inspect.unwrap(value) if callable(value) else value
    return value.__code__ if isinstance(value, types.FunctionType) else None


def _literal(namespace: dict, name: str) -> bool:
    if name not in namespace:
        return False
    try:
        return ast.literal_eval(repr(namespace[name])) == namespace[name]
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def grade_source(stem: str, source: str) -> dict:
    """The engine's result document for ``source`` as ``<stem>.py``, graded once per distinct text."""
    key = (stem, hashlib.sha256(source.encode()).hexdigest())
    if key not in _graded:
        exercise = registry.by_stem(stem)
        if exercise is None:
            raise LookupError(
                _("the installed kit has no exercise {stem}: install the kit this notebook came from").format(stem=repr(stem))
            )
        from grader.judge import engine
        from grader.settings import Settings

        seed, whose = _seed()
        with tempfile.TemporaryDirectory(prefix="notebook-") as folder, _quiet():
            engine.warm_up([exercise])
            Path(folder, f"{stem}.py").write_text(source, encoding="utf-8")
            settings = Settings(submission=Path(folder), seed=seed, device=_device(), lang=i18n.choose_and_use())
            doc, _internal = engine.grade(settings, [exercise])
        _graded[key] = doc
        print(whose.format(exercise=exercise.name, device=doc["device"], seed=doc["seed"]))
        for note in layers.notes(doc):  # a sandbox weaker than the full one, said as the report says it (Colab, say)
            print(note)
    return _graded[key]


def _seed() -> tuple[int, str]:
    """The seed of this grading, and whose it is. In nbgrader's autograde with a course secret (``$GRADER_COURSE_SECRET``)
    it is derived from the secret and the student's id (the autograded folder is ``autograded/<student>/<assignment>``):
    the same on every rerun, so a teacher can replay it, and unknown to the student. Otherwise a fresh one (in a
    student release, one of its public seeds)."""
    from grader.judge import expected
    from grader.settings import derived_seed

    secret = os.environ.get(COURSE_SECRET)
    if os.environ.get(AUTOGRADE_ENV) == "autograde" and secret:
        folder = Path.cwd()
        student, assignment = folder.parent.name, folder.name
        said = _("(graded this notebook's code for {exercise} on {device} with seed {seed}, {student}'s seed from the course secret)")
        return derived_seed(secret, f"{student}/{assignment}"), said.replace("{student}", student)
    return expected.run_seed(None), _("(graded this notebook's code for {exercise} on {device} with seed {seed})")


def _device() -> str:
    """Where training checks run: ``$GRADER_DEVICE`` (auto, cpu or cuda; auto by default)."""
    from grader.judge import devices

    return devices.resolve(os.environ.get(DEVICE_ENV, "auto"), DEVICE_ENV)


@contextlib.contextmanager
def _quiet():
    """Keep warnings and whatever the grader's processes write to file descriptor 2 off the
    cell's stderr, where nbgrader would take them for an error and give the cell 0 points."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        os.dup2(sink.fileno(), 2)  # the sandbox's zygote, started here, keeps this as its stderr
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
