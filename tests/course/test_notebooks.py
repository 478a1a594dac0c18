"""The notebooks and ``grade generate``: cut from the solutions, stripped exactly as nbgrader strips them."""

import ast
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from click.testing import CliRunner
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearSolutions

from grader import cli, i18n, regions, registry
from grader.course import generate, notebooks
from grader.judge.engine import collect
from grader.jupyter import cells, kernel
from tests.helpers import KIT
from tests.i18n_tools import CLOSE, LANGUAGE, OPEN, build_pseudo_locale, pseudo

EXERCISES = [pytest.param(e, id=e.name) for e in registry.EXERCISES]
KIT_STUB = {"python": "\n".join(regions.STUB)}


def clear_solutions(source: str) -> str:
    """nbgrader's own ClearSolutions, given the kit's stub, on ``source`` as one solution cell."""
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "x"}})
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": notebooks.KERNELSPEC})
    nb, _ = ClearSolutions(code_stub=KIT_STUB).preprocess(nb, {})
    return nb.cells[0].source


def code_of(source: str) -> str:
    """The module's statements without its docstring, for comparing code cut into cells."""
    tree = ast.parse(source)
    if ast.get_docstring(tree):
        tree.body = tree.body[1:]
    return ast.dump(tree)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_nbgraders_clear_solutions_writes_the_kits_stub(exercise):
    """Is the kit's .py stripper nbgrader's ClearSolutions, file for file?"""
    solution = (KIT / "solutions" / f"{exercise.stem}.py").read_text(encoding="utf-8")
    assert clear_solutions(solution) == generate.stub_text(KIT / "solutions" / f"{exercise.stem}.py")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_cells_are_the_solution_and_strip_to_the_stub(exercise):
    parts = cells.layout(notebooks.solution_path(exercise.stem)).parts
    solution = (KIT / "solutions" / f"{exercise.stem}.py").read_text(encoding="utf-8")
    stub = (KIT / "exercises" / f"{exercise.stem}.py").read_text(encoding="utf-8")
    assert code_of("\n\n".join(p.source for p in parts)) == code_of(solution)
    released = [clear_solutions(p.source) if p.solution else p.source for p in parts]
    assert code_of("\n\n".join(released)) == code_of(stub)
    assert all((regions.BEGIN in p.source) == p.solution for p in parts)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_stub_is_cut_into_the_same_cells_as_the_solution(exercise):
    """The kernel cuts the stub (a release has no solutions): the same cells, the same locked code, the same names."""
    of_solution = cells.layout(notebooks.solution_path(exercise.stem)).parts
    of_stub = cells.stub_layout(exercise.stem).parts
    assert [(p.solution, p.definitions, p.assigned) for p in of_stub] == [(p.solution, p.definitions, p.assigned) for p in of_solution]
    assert [p.source for p in of_stub if not p.solution] == [p.source for p in of_solution if not p.solution]
    assert any(p.solution for p in of_stub)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_has_task_text_solution_cells_and_one_graded_cell_per_check(exercise):
    checks = collect([exercise])
    nb = notebooks.notebook(exercise, checks)
    MetadataValidator().validate_nb(nb)  # nbgrader's own schema check: grade_ids, points, types
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    assert {m["schema_version"] for m in meta} == {3}
    task = nb.cells[0]
    assert task.cell_type == "markdown"
    assert meta[0]["locked"]
    module = ast.parse((KIT / "solutions" / f"{exercise.stem}.py").read_text(encoding="utf-8"))
    docs = [ast.get_docstring(module)] + [ast.get_docstring(n) for n in module.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert all(doc in task.source for doc in docs if doc)
    graded = [(c, m) for c, m in zip(nb.cells, meta) if m["grade"]]
    assert [(m["points"], m["locked"], m["solution"]) for _, m in graded] == [(c.points, True, False) for c in checks]
    calls = [
        f"check({exercise.stem!r}, sealed={kernel.seal(exercise.stem, c.name)!r})" if c.hidden else f"check({exercise.stem!r}, {c.name!r})"
        for c in checks
    ]
    assert [c.source.splitlines()[-1] for c, _ in graded] == calls  # a hidden check by its seal: no nbgrader region (#1961)
    assert not any("HIDDEN TESTS" in c.source for c, _ in graded)
    solutions = [c for c, m in zip(nb.cells, meta) if m["solution"]]
    assert solutions
    assert all(regions.BEGIN in c.source and not m["locked"] for c, m in zip(nb.cells, meta) if m["solution"])


def test_the_notebooks_own_texts_are_in_the_language_of_grade_notebooks(tmp_path, monkeypatch):
    """One language, the course's (``grade notebooks --lang``), not both: in English the kit's own words, and under a
    pseudo-locale (every text of the catalog, freshly extracted from the source, wrapped in marks) each of them marked."""
    exercise = registry.EXERCISES[0]
    checks = collect([exercise])
    english = notebooks.notebook(exercise, checks)
    task = english.cells[0].source
    assert task.startswith(f"# Exercise {exercise.number}: {exercise.title}\n")
    assert "**How to work.** Replace each" in task
    heading = next(c.source for c in english.cells if c.metadata["nbgrader"]["grade_id"] == "checks_heading")
    graded = [c.source.splitlines()[0] for c in english.cells if c.metadata["nbgrader"]["grade"]]
    own = [task.splitlines()[0], notebooks.HOW_TO, heading, *graded]  # the kit's words; the docstrings are the exercise's own
    assert all(line in task for line in own[:2]), "Russian in English"
    assert not any(re.search("[А-яЁё]", text) for text in own), "Russian in English"
    whose = {True: "The teacher's hidden check,", False: "The kit's check {name},"}
    said = [whose[c.hidden].format(name=c.name) for c in checks]
    assert graded == [f"# {who} worth {c.points:g} point{'s' * (c.points != 1)}" for who, c in zip(said, checks)]

    templates = tmp_path / "templates"
    templates.mkdir()
    pybabel = [sys.executable, "-m", "babel.messages.frontend", "extract", "-o", str(templates / "grader.pot")]
    subprocess.run(pybabel, cwd=KIT, check=True, capture_output=True)  # the README's command: this source's texts
    monkeypatch.setattr(i18n, "LOCALES", templates)
    try:
        i18n.use(LANGUAGE, locales=build_pseudo_locale(tmp_path / "locale", domains=("grader",)))
        translated = notebooks.notebook(exercise, checks)
    finally:
        i18n.use(i18n.SOURCE)
    task = translated.cells[0].source
    assert task.startswith(f"# {OPEN}")
    assert task.splitlines()[0].endswith(CLOSE)
    assert pseudo(notebooks.HOW_TO) in task
    heading = next(c.source for c in translated.cells if c.metadata["nbgrader"]["grade_id"] == "checks_heading")
    assert heading == f"## {pseudo(notebooks.CHECKS_HEADING)}\n\n{pseudo(notebooks.CHECKS_TEXT)}"
    comments = [c.source.splitlines()[0] for c in translated.cells if c.metadata["nbgrader"]["grade"]]
    assert len(comments) == len(checks)
    assert all(line.startswith(f"# {OPEN}") and line.endswith(CLOSE) for line in comments)


def test_a_region_spanning_two_statements_stays_in_one_cell():
    source = '"""Doc."""\nimport torch\n\n### BEGIN SOLUTION\nRATE = 0.1\nSTEPS = 3\n### END SOLUTION\n\n\ndef f():\n    return RATE\n'
    parts = cells.split(source).parts
    assert [(p.solution, p.definitions, p.assigned) for p in parts] == [
        (False, (), ("torch",)),
        (True, (), ("RATE", "STEPS")),
        (False, ("f",), ()),
    ]
    assert parts[1].source == "### BEGIN SOLUTION\nRATE = 0.1\nSTEPS = 3\n### END SOLUTION"


def test_decorators_and_comments_above_a_definition_stay_with_it():
    source = (
        "import functools\n\n\n# cached, because it is slow\n@functools.cache\n"
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    )
    parts = cells.split(source).parts
    assert parts[1].source.startswith("# cached, because it is slow\n@functools.cache\ndef f():")
    assert parts[0].source == "import functools"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "s.py:2"),
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", "s.py:3"),
        ("def f():\n    return 1  # END SOLUTION\n", "s.py:2"),
    ],
)
def test_broken_markers_name_the_file_and_line(source, line):
    with pytest.raises(regions.MarkerError, match=line):
        cells.split(source, "s.py")


@pytest.fixture
def kit_copy(tmp_path, monkeypatch):
    """A kit root with copies of solutions/ and exercises/, for the teacher commands to write into."""
    for folder in ("solutions", "exercises"):
        shutil.copytree(KIT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(registry, "KIT_ROOT", tmp_path)
    monkeypatch.setattr(registry, "REFERENCE_DIR", tmp_path / "solutions")
    monkeypatch.setattr(registry, "STUBS_DIR", tmp_path / "exercises")
    return tmp_path


def test_grade_generate_check_finds_a_drifted_stub_and_generate_fixes_it(kit_copy):
    stem = registry.EXERCISES[0].stem
    stub = kit_copy / "exercises" / f"{stem}.py"
    stub.write_text(stub.read_text(encoding="utf-8").replace("raise NotImplementedError()", "return None", 1), encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(cli.main, ["generate", "--check"])
    assert (checked.exit_code, checked.output) == (1, f"out of date: {stub} (run grade generate)\n")
    written = runner.invoke(cli.main, ["generate"])
    assert written.exit_code == 0
    assert f"wrote {stub}\n" in written.output
    assert stub.read_text(encoding="utf-8") == generate.stub_text(kit_copy / "solutions" / f"{stem}.py")
    assert runner.invoke(cli.main, ["generate", "--check"]).exit_code == 0


def test_grade_generate_names_the_file_and_line_of_an_unclosed_region(kit_copy):
    path = kit_copy / "solutions" / f"{registry.EXERCISES[0].stem}.py"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    end = max(i for i, line in enumerate(lines) if line.strip() == regions.END)  # the last region's END
    begin = max(i for i, line in enumerate(lines) if line.strip() == regions.BEGIN)
    path.write_text("".join(lines[:end] + lines[end + 1 :]), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["generate"])
    assert (result.exit_code, result.output) == (2, f"grade: {path}:{begin + 1}: BEGIN SOLUTION is never closed by END SOLUTION\n")


def test_grade_notebooks_writes_a_source_tree_and_keeps_an_existing_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    result = CliRunner().invoke(cli.main, ["notebooks", str(tmp_path), "1"])
    stem = registry.resolve("1").stem
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "nbgrader_config.py",
        f"source/{stem}/{stem}.ipynb",
    ]
    assert (tmp_path / "nbgrader_config.py").read_text() == "c = get_config()\n"
    MetadataValidator().validate_nb(nbformat.read(tmp_path / "source" / stem / f"{stem}.ipynb", as_version=4))


def test_grade_notebooks_writes_the_same_files_twice(tmp_path):
    exercise = registry.EXERCISES[0]
    first = notebooks.write_course(tmp_path / "a", [exercise])
    second = notebooks.write_course(tmp_path / "b", [exercise])
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_grade_notebooks_rejects_an_unknown_exercise(tmp_path):
    result = CliRunner().invoke(cli.main, ["notebooks", str(tmp_path), "nosuch"])
    assert result.exit_code == 2
    assert "unknown exercise 'nosuch'" in result.output


def test_a_module_that_uses_file_gets_the_kits_path_in_a_notebook(tmp_path, monkeypatch):
    """A kernel has no __file__: the prelude cell gives the one the exercise has in the kit."""
    assert cells.prelude(registry.EXERCISES[0].stem) == ""  # exercise 1 does not use __file__
    path = tmp_path / "exercise9_paths.py"
    path.write_text('"""Doc."""\nfrom pathlib import Path\n\nDATA = Path(__file__).resolve().parent.parent / "data"\n')
    monkeypatch.setattr(registry, "REFERENCE_DIR", tmp_path)
    namespace = {}
    exec(cells.prelude("exercise9_paths") + "\n" + cells.layout(path).parts[0].source, namespace)
    assert namespace["DATA"] == (registry.KIT_ROOT / "data").resolve()
