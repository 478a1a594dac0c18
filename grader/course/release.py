"""``grade release OUT``: the kit a student gets, without the reference solutions, grading against recorded answers.

Like otter-grader's ``otter assign``, it writes the students' copy from the teacher's kit:

- the stubs, ``exercises/``, written from the reference solutions as ``grade generate`` writes them, and a copy in
  ``grader/stubs/`` that the notebook kernel cuts into cells (:func:`grader.jupyter.cells.kit_stub`): the student edits ``exercises/``;
- the grader without the teacher's modules (:data:`TEACHER_ONLY`), and each check file without its hidden checks,
  cut out as nbgrader cuts its hidden tests (:func:`without_hidden_checks`);
- the public expectations, ``grader/recorded/``: every public check run once per public seed against the reference,
  its answers kept by :class:`grader.judge.expected.Recorder` as :mod:`grader.sandbox.wire` bytes (no pickle);
- ``data/``, and for students a README, a ``pyproject.toml``, tests of their own and the pull-request workflow.

The copy is built next to ``OUT`` and renamed into place, so a failed release leaves no half-written kit.
"""

from __future__ import annotations

import ast
import contextlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from grader import __version__, registry
from grader.course import generate
from grader.errors import InternalError, UsageProblem
from grader.i18n import CLICK, _
from grader.judge import engine, expected
from grader.jupyter import cells
from grader.settings import Settings, new_public_seed

DISTRIBUTION = "pytorch-exercise-kit"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "release"
# What a student release leaves out of grader/: what only a teacher runs, and what needs the reference solutions.
TEACHER_ONLY = ("batch", "course", "cli/teaching.py")  # folders by role (grader/__init__.py): whole packages, and the teacher's commands
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", expected.FOLDER.name)


class ReleaseError(UsageProblem):
    """``grade release`` cannot write OUT; the message says what to do instead."""


class ReferenceFails(InternalError):
    """The reference solution loses points on a public check: the release would mark right answers wrong."""


@dataclass(frozen=True)
class Made:
    folder: Path
    seeds: tuple[int, ...]
    answer_bytes: int


def write(out: Path, exercises, count: int, force: bool = False, progress=print, seeds: tuple[int, ...] = ()) -> Made:
    """Write the release of ``exercises`` into ``out``, with ``count`` fresh public seeds (or ``seeds``, for tests)."""
    out = out.resolve()
    refuse_target(out, force)
    seeds = tuple(seeds) or tuple(sorted({new_public_seed() for _n in range(count)}))
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        copy_kit(building, exercises)
        books = {seed: record(exercises, seed, progress) for seed in seeds}
        written = expected.write(building / "grader" / expected.FOLDER.name, books, manifest_entries(exercises))
        size = sum(path.stat().st_size for path in written)
        if out.exists():
            shutil.rmtree(out)
        building.rename(out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return Made(out, seeds, size)


def refuse_target(out: Path, force: bool) -> None:
    if registry.KIT_ROOT.resolve().is_relative_to(out):
        raise ReleaseError(_("{out} holds the teacher's kit itself: choose a folder outside it, e.g. ../release").format(out=out))
    if out.exists() and not out.is_dir():
        raise ReleaseError(_("{out} is a file: choose a folder for the release").format(out=out))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ReleaseError(_("{out} is not empty: choose an empty or new folder, or pass --force to replace what is there").format(out=out))


# ------------------------------------------------------------------ the kit, without what students must not have


def copy_kit(root: Path, exercises) -> None:
    stems = {e.stem for e in exercises}
    grader_dir = registry.PACKAGE_DIR

    def skipped(folder: str, names: list[str]) -> set[str]:
        left_out = set(SKIPPED(folder, names))
        inside = Path(folder).relative_to(grader_dir)
        left_out |= {name for name in names if (inside / name).as_posix() in TEACHER_ONLY}
        if Path(folder) == registry.CHECKS_DIR:  # the checks of the exercises released, and their helpers
            left_out |= {name for name in names if name.startswith("test_") and name[len("test_") : -len(".py")] not in stems}
        return left_out

    shutil.copytree(grader_dir, root / "grader", ignore=skipped)
    for path in (root / "grader" / registry.CHECKS_DIR.name).glob("test_*.py"):
        path.write_text(without_hidden_checks(path.read_text(encoding="utf-8"), str(path)), encoding="utf-8")
    stubs = root / "grader" / cells.RELEASED_STUBS.name  # the notebook kernel's copy, which the student does not edit
    for folder in (root / "exercises", stubs):
        folder.mkdir()
        for stem in sorted(stems):
            (folder / f"{stem}.py").write_text(generate.stub_text(registry.REFERENCE_DIR / f"{stem}.py"), encoding="utf-8")
    (root / "data").mkdir()
    for path in sorted((registry.KIT_ROOT / "data").iterdir()):
        if path.suffix == ".gz" or path.name == "README.md":
            shutil.copy2(path, root / "data" / path.name)
    for template in ("README.md", "tests/test_release.py", ".gitignore"):
        (root / template).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATES / template.replace(".gitignore", "gitignore"), root / template)
    (root / "pyproject.toml").write_text(pyproject(), encoding="utf-8")
    workflow = root / ".github" / "workflows" / "grade.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(student_workflow(), encoding="utf-8")
    released_catalogs(root / "grader")


def released_catalogs(package: Path) -> None:
    """Keep in the release's catalogs only the messages its own code says: a hidden check's texts (its hint, its
    message) and the teacher's commands' leave with them. The templates (.pot) go; each .mo is compiled anew.
    Click's catalog stays whole: its messages are said by click's code, which the release installs, not by the kit's,
    so a student's usage errors (``No such option``) speak the student's language too."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    said = {node.value for path in package.rglob("*.py") for node in ast.walk(ast.parse(path.read_bytes(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}  # fmt: skip
    for template in package.rglob("*.pot"):
        template.unlink()
    for po in package.rglob("*.po"):
        if po.stem == CLICK:
            continue
        with po.open("rb") as file:
            catalog = read_po(file)
        for message in list(catalog):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            if message.id and not any(i in said for i in ids):
                catalog.delete(message.id, message.context)
        with po.open("wb") as file:
            write_po(file, catalog, width=140)
        with po.with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog)


def without_hidden_checks(source: str, name: str = "<checks>") -> str:
    """A check file's text without its hidden checks (``@check(..., hidden=True)``): each such function goes, from its
    first decorator to its last line, and the blank lines after it, as nbgrader's ``BEGIN HIDDEN TESTS`` regions would."""
    tree = ast.parse(source, filename=name)
    lines = source.splitlines(keepends=True)
    for node in sorted((n for n in tree.body if _is_hidden(n)), key=lambda n: n.lineno, reverse=True):
        first, last = min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno
        while last < len(lines) and not lines[last].strip():
            last += 1
        del lines[first - 1 : last]
    return "".join(lines)


def _is_hidden(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", getattr(decorator.func, "attr", None)) == "check":
            for keyword in decorator.keywords:
                if keyword.arg == "hidden" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    return True
    return False


def pyproject() -> str:
    """The release's pyproject.toml: the kit's own version and dependencies, the grader package alone, its recorded
    answers as package data; the Jupyter stack only in its ``notebooks`` extra, since a student who grades ``.py`` files
    needs none of it (the teacher's kit keeps it, for ``grade notebooks`` and nbgrader)."""
    project = _kit_project()
    jupyter = project["optional-dependencies"]["notebooks"]
    needed = [r for r in project["dependencies"] if _name(r) not in {_name(j) for j in jupyter}]
    text = (TEMPLATES / "pyproject.toml.in").read_text(encoding="utf-8")
    for key, requirements in (("{dependencies}", needed), ("{notebooks}", jupyter)):
        text = text.replace(key + "\n", "".join(f'    "{r}",\n' for r in requirements))
    return text.replace("{version}", __version__).replace("{python}", project["requires-python"])


def _kit_project() -> dict:
    """The kit's ``[project]``: from the checkout's pyproject.toml where Python reads TOML (3.11+), never stale, else from
    the installed metadata."""
    with contextlib.suppress(ImportError, OSError):
        import tomllib

        return tomllib.loads((registry.KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = metadata.distribution(DISTRIBUTION)
    requires = dist.requires or []
    plain = [r for r in requires if "extra ==" not in r]
    notebooks = [r.split(";")[0].strip() for r in requires if r.replace("'", '"').endswith('extra == "notebooks"')]
    return {"requires-python": dist.metadata["Requires-Python"], "dependencies": plain, "optional-dependencies": {"notebooks": notebooks}}


def _name(requirement: str) -> str:
    """A requirement's project name, as pip compares them: ``"nbgrader>=0.9"`` is ``"nbgrader"``."""
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def student_workflow() -> str:
    """The kit's pull-request workflow, said to give the public checks' feedback only."""
    text = (registry.KIT_ROOT / ".github" / "workflows" / "grade.yml").read_text(encoding="utf-8")
    body = text[text.index("name:") :]
    return (TEMPLATES / "workflow-header.yml").read_text(encoding="utf-8") + body


# ------------------------------------------------------------------ the public expectations


def record(exercises, seed: int, progress) -> dict:
    """Every public check of ``exercises`` that asks the reference, once, at ``seed``: the Recorder's book."""
    progress(_("Recording the reference's answers for seed {seed} ...").format(seed=seed))
    recorder = expected.Recorder()
    doc, internal = engine.grade(Settings(submission=registry.REFERENCE_DIR, seed=seed), exercises, source=recorder)
    lost = [f"{e['exercise']}::{c['name']} ({c['message'].splitlines()[0] if c['message'] else c['status']})"
            for e in doc["exercises"] for c in e["checks"] if c["score"] < c["max_score"]]  # fmt: skip
    if internal or lost:
        raise ReferenceFails(
            _(
                "the reference solution loses points at seed {seed} on {checks}: "
                "fix the check or the solution before releasing, or students would be marked wrong for right answers"
            ).format(seed=seed, checks=", ".join(lost))
        )
    return recorder.book


def manifest_entries(exercises) -> dict:
    listed = engine.collect(exercises)
    entries = {}
    for exercise in exercises:
        mine = [c for c in listed if c.stem == exercise.stem]
        public, hidden = [c for c in mine if not c.hidden], [c for c in mine if c.hidden]
        entries[exercise.stem] = {
            "public": [c.name for c in public],
            "public_points": sum(c.points for c in public),
            "hidden_checks": len(hidden),
            "hidden_points": sum(c.points for c in hidden),
        }
    return entries
