"""Is ``grade release OUT`` a kit a student can use, with no reference code in it, that a cheat cannot game?

The release is written once per session (two public seeds, to save time: the count changes nothing else).
It is installed in a fresh virtual environment with the commands of its own README, then graded there:
the stubs get 0, the reference solutions full public marks, every realistic mistake of ``tests/mistakes``
loses points where a public check catches it. A submission that returns the recorded public answers gets
full public marks there and less than full marks from the teacher's ``grade`` and ``grade batch``.
"""

from __future__ import annotations

import ast
import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from grader import cli, regions, registry
from grader.course import release
from grader.judge import engine, expected
from grader.sandbox import wire
from tests import mistakes
from tests.checking.test_variants import TUTORIAL, written_in
from tests.helpers import KIT, QUICK_TRAINING, checks, grade, solution_with
from tests.test_readme import VENV_LINE

SEEDS = (2**31 + 11, 2**31 + 12)
MARKER_LINE = re.compile(rb"^\s*### (BEGIN|END) SOLUTION\s*$", re.MULTILINE)
REFERENCE_PATH = re.compile(rb"\bsolutions[./\\]\w")  # solutions/<file>, solutions.<module>
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release") / "course"
    release.write(folder, registry.EXERCISES, len(SEEDS), seeds=SEEDS, progress=lambda line: None)
    return folder


def files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file()]


# ------------------------------------------------------------------ no reference code in the release


def solution_bodies() -> list[str]:
    """Every ``### BEGIN SOLUTION`` region of solutions/ as normalised AST: a dump of its statements."""
    found = []
    for path in sorted(registry.REFERENCE_DIR.glob("exercise*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        begins = [i for i, line in enumerate(lines) if line.strip() == regions.BEGIN]
        for begin in begins:
            end = next(i for i in range(begin, len(lines)) if lines[i].strip() == regions.END)
            region = "\n".join(lines[begin + 1 : end])
            indent = min(len(line) - len(line.lstrip()) for line in region.splitlines() if line.strip())
            body = "\n".join(line[indent:] for line in region.splitlines())
            found.append([ast.dump(statement) for statement in ast.parse(body).body])
    assert len(found) >= 40  # every exercise's regions were read
    return found


def bodies(tree: ast.AST) -> list[list[str]]:
    """The body of every function and class, docstrings left out, as a list of statement dumps."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            found.append([ast.dump(statement) for statement in body])
    return found


def holds(body: list[str], region: list[str]) -> bool:
    return any(body[i : i + len(region)] == region for i in range(len(body) - len(region) + 1))


def test_no_function_or_class_of_the_release_holds_a_solution_region(out):
    regions = solution_bodies()
    python = [p for p in files(out) if p.suffix == ".py"]
    assert len(python) > 40
    for path in python:
        for body in bodies(ast.parse(path.read_text(encoding="utf-8"))):
            leaked = [region for region in regions if holds(body, region)]
            assert not leaked, f"{path.relative_to(out)} holds the reference's {leaked[0]}"


def test_no_reference_module_path_or_marker_anywhere_in_the_release_its_answer_files_included(out):
    for path in [out, *out.rglob("*")]:
        assert registry.REFERENCE_PACKAGE not in path.relative_to(out.parent).parts, path
    for path in files(out):
        data = path.read_bytes()
        assert not MARKER_LINE.search(data), f"{path} holds a solution marker"
        assert not REFERENCE_PATH.search(data), f"{path} names a reference module or path: {REFERENCE_PATH.search(data).group()!r}"


def test_the_release_leaves_out_the_teachers_modules_and_hidden_checks(out):
    grader_files = {p.relative_to(out / "grader").parts[0] for p in files(out / "grader")}
    assert not grader_files & set(release.TEACHER_ONLY)
    for path in (out / "grader" / "checks").glob("test_*.py"):
        assert "hidden=True" not in path.read_text(encoding="utf-8"), path


def test_no_hidden_checks_hint_is_anywhere_in_the_release_its_catalogs_included(out):
    hints = [text for c in engine.collect(registry.EXERCISES) if c.hidden for text in (c.hint, c.nudge)]  # a nudge is a hint too
    assert hints
    for path in files(out):
        data = path.read_bytes()
        assert not [hint for hint in hints if hint.encode() in data], path
    assert not list(out.rglob("*.pot"))
    assert list(out.rglob("*.mo"))


def test_the_answers_are_plain_data_small_enough_and_for_the_public_seeds(out):
    folder = out / "grader" / expected.FOLDER.name
    size = sum(p.stat().st_size for p in files(folder))
    assert size < 5_000_000, f"the recorded answers take {size / 1e6:.1f} MB"
    manifest = json.loads((folder / expected.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["seeds"] == list(SEEDS)
    for stem in manifest["exercises"]:
        answers = wire.decode((folder / f"{stem}{expected.ANSWERS}").read_bytes())  # plain data: JSON and safetensors
        assert sorted(answers) == list(SEEDS)


def test_stripping_hidden_checks_keeps_the_rest_of_a_check_file():
    source = (
        "from grader.checking import check\n\n\n@check(points=1, hint='a')\ndef test_a():\n    pass\n\n\n"
        "@check(points=1, hint='b', hidden=True)\n@other\ndef test_b():\n    pass\n\n\ndef helper():\n    return 1\n"
    )
    kept = release.without_hidden_checks(source)
    assert "test_b" not in kept
    assert "@other" not in kept
    assert "def test_a():" in kept
    assert "def helper():" in kept
    ast.parse(kept)


# ------------------------------------------------------------------ bad input


def invoke(*args: str):
    return CliRunner().invoke(cli.main, list(args))


def test_the_release_installs_no_jupyter_unless_its_notebooks_extra_is_asked_for():
    """A student who grades .py files gets no nbgrader, notebook or kernel; ``pip install -e '.[notebooks]'`` adds them."""
    tomllib = pytest.importorskip("tomllib", reason="Python reads TOML from 3.11 on")
    written = tomllib.loads(release.pyproject())["project"]
    kits = tomllib.loads((KIT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    jupyter = kits["optional-dependencies"]["notebooks"]
    assert {"nbgrader>=0.9", "ipykernel>=6.0"} <= set(jupyter) <= set(kits["dependencies"])  # the teacher's kit keeps them
    assert written["optional-dependencies"]["notebooks"] == jupyter
    assert written["dependencies"] == [r for r in kits["dependencies"] if r not in jupyter]


def test_the_releases_dependencies_are_the_same_read_from_the_installed_metadata(monkeypatch, tmp_path):
    """Where the checkout's pyproject.toml cannot be read, the installed kit's metadata says the same."""
    from_checkout = release.pyproject()
    monkeypatch.setattr(registry, "KIT_ROOT", tmp_path)  # no pyproject.toml there
    assert release.pyproject() == from_checkout, "the installed metadata is older than pyproject.toml: pip install -e . again"


def test_an_out_folder_that_is_not_empty_is_refused_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("release", str(tmp_path))
    assert result.exit_code == 2
    assert "is not empty" in result.output
    assert "--force" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_unknown_exercise_is_refused(tmp_path):
    result = invoke("release", str(tmp_path / "out"), "nosuch")
    assert result.exit_code == 2
    assert "unknown exercise 'nosuch'" in result.output
    assert not (tmp_path / "out").exists()


def test_the_kit_itself_is_never_the_out_folder():
    result = invoke("release", str(KIT.parent), "--force")
    assert result.exit_code == 2
    assert "holds the teacher's kit itself" in result.output


# ------------------------------------------------------------------ installed in a fresh venv, as its README says


@pytest.fixture(scope="session")
def venv(out, tmp_path_factory) -> Path:
    """A fresh venv with the release installed by its README's first command. Its dependencies (torch: 5 GB), pip and
    setuptools come from this environment's site-packages through a .pth file, and pip runs offline: nothing is
    downloaded in a test."""
    folder = tmp_path_factory.mktemp("venv") / "student"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    (site / "zz-teachers-dependencies.pth").write_text(str(Path(torch.__file__).resolve().parent.parent) + "\n")
    install = readme_commands(out)[1].split("&&")[0].split()
    assert install[:3] == ["pip", "install", "-e"]
    done = run(folder, [str(folder / "bin" / "python"), "-m", *install, "--no-index", "--no-build-isolation"], cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def readme_commands(out: Path) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (out / "README.md").read_text(encoding="utf-8"), re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def run(venv: Path, command: list[str], cwd: Path, timeout: float = 900, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in {**os.environ, **extra}.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def grade_json(venv: Path, out: Path, *args: str) -> tuple[int, dict]:
    done = run(venv, ["grade", *args, "--format", "json"], cwd=out)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_readme_starts_with_the_same_two_commands_as_the_kits_in_a_venv(out):
    venv, first, second = readme_commands(out)[:3]
    assert venv == VENV_LINE
    assert first == "pip install -e . && grade exercise1"
    assert second == "pip install -e '.[test]' && pytest"


def test_the_installed_release_is_the_release_and_its_stubs_score_nothing(venv, out):
    where = run(venv, ["python", "-c", "import grader; print(grader.__file__)"], cwd=venv)
    assert Path(where.stdout.strip()).is_relative_to(out)
    done = run(venv, readme_commands(out)[1].split("&&")[1].split(), cwd=out)  # grade exercise1, as the README says
    assert done.returncode == 1, done.stderr
    assert "Public checks: 0/" in done.stdout
    assert "the teacher's checks on fresh inputs" in done.stdout
    code, doc = grade_json(venv, out, "all")
    assert (code, doc["score"]) == (1, 0)
    assert doc["max_score"] > 0
    assert doc["seed"] in SEEDS
    assert doc["release"]["public_seeds"] == list(SEEDS)


def test_the_release_s_usage_errors_and_help_speak_the_student_s_language(venv, out):
    """Click's own catalog ships whole: a usage error is Russian under --lang ru, the top-level help under LANG."""
    done = run(venv, ["grade", "1", "--no-such-option", "--lang", "ru"], cwd=out)
    assert done.returncode == 2, done.stderr
    assert "Неизвестный параметр '--no-such-option'" in done.stderr, done.stderr
    assert "Использование: grade" in done.stderr, done.stderr
    helped = run(venv, ["grade", "--help"], cwd=out, LANG="ru_RU.UTF-8", GRADER_LANG="")
    assert helped.stdout.startswith("Использование: grade [OPTIONS] COMMAND"), helped.stdout


def test_the_reference_solutions_copied_over_the_stubs_get_full_public_marks_mnist_included(venv, out, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(out, course, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for path in registry.REFERENCE_DIR.glob("exercise*.py"):
        shutil.copy2(path, course / "exercises" / path.name)
    for seed in SEEDS:
        code, doc = grade_json(venv, out, "all", "--submission", str(course / "exercises"), "--seed", str(seed))
        lost = [f"{name}: {c['message']}" for name, c in checks(doc).items() if c["status"] not in ("passed", "skipped")]
        assert (code, lost) == (0, [])  # skipped: a CUDA check on this CPU machine, worth 0 of 0 points
        assert doc["score"] == doc["max_score"] > 0
        assert any(c["name"] == "mnist_accuracy" and c["status"] == "passed" for e in doc["exercises"] for c in e["checks"])


def smoke_mistakes() -> list:
    """A few mistakes to grade cold, with the release's own ``grade`` in its own venv: the first of exercises 1 and 4
    (a public check catches it) and one that only a hidden check catches. Every mistake is graded by replay,
    as a release grades, in tests/judge/test_expected.py; these show the installed release does the same."""
    chosen = [pytest.param(e, mistakes.of(e)[0], id=f"{e.name}-{mistakes.of(e)[0].name}") for e in registry.EXERCISES if e.number in (1, 4)]
    hidden_only = next(m for m in mistakes.of(registry.EXERCISES[0]) if m.name.startswith("a vector stacked from scalars"))
    return [*chosen, pytest.param(registry.EXERCISES[0], hidden_only, id=f"exercise1-{hidden_only.name}")]


@pytest.mark.parametrize(("exercise", "mistake"), smoke_mistakes())
def test_a_mistake_loses_points_in_the_release_where_a_public_check_catches_it(venv, out, tmp_path, exercise, mistake):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / f"{exercise.stem}.py").write_text(solution_with(exercise.stem, mistake.code), encoding="utf-8")
    done = run(venv, ["grade", exercise.name, "--submission", str(folder), "--format", "json"], cwd=out, **mistake.env)
    assert done.returncode in (0, 1), done.stderr
    found = checks(json.loads(done.stdout))
    public = [name for name in mistake.catches if f"{exercise.stem}::{name}" in found]
    if public:
        assert done.returncode == 1
        assert any(found[f"{exercise.stem}::{name}"]["score"] < found[f"{exercise.stem}::{name}"]["max_score"] for name in public)
    else:  # caught by a hidden check alone, which the release does not have: the teacher's grade catches it
        assert done.returncode == 0
        assert all(c["score"] == c["max_score"] for c in found.values())


NOTEBOOK = """
import importlib.util, sys
from pathlib import Path

import grader
from grader.jupyter import kernel
from grader import registry

registry.STUBS_DIR = Path(sys.argv[1])  # exercises/ beside the notebook: the student's own, correct, file
spec = importlib.util.spec_from_file_location("notebook_cells", sys.argv[2])  # the cells, as IPython defines them
cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cells)
print(grader.__file__)
for name in ("make_scalar", "make_vector"):
    try:
        kernel.check(sys.argv[3], name, vars(cells))
        print("passed", name)
    except kernel.CellFailed:
        print("failed", name)
kernel.check(sys.argv[3], namespace=vars(cells), sealed=kernel.seal(sys.argv[3], "make_vector_empty"))  # a hidden check's cell
"""


def test_the_release_keeps_its_own_copy_of_the_stubs_for_the_notebook_kernel(out):
    for stub in (out / "exercises").glob("*.py"):
        assert (out / "grader" / "stubs" / stub.name).read_text(encoding="utf-8") == stub.read_text(encoding="utf-8")


def test_a_notebook_with_wrong_cells_beside_a_correct_exercises_file_fails_in_the_release(venv, out, tmp_path):
    """Issue 22: the release's kernel graded exercises/<stem>.py, not the notebook: make_scalar returning None got 1/1."""
    stem = registry.EXERCISES[0].stem
    correct = "".join(
        line for line in solution_with(stem, "").splitlines(keepends=True) if line.strip() not in (regions.BEGIN, regions.END)
    )
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / f"{stem}.py").write_text(correct, encoding="utf-8")
    (tmp_path / "cells.py").write_text(correct + "\n\ndef make_scalar(value):\n    return None\n", encoding="utf-8")
    (tmp_path / "notebook.py").write_text(NOTEBOOK, encoding="utf-8")
    command = ["python", str(tmp_path / "notebook.py"), str(tmp_path / "exercises"), str(tmp_path / "cells.py"), stem]
    done = run(venv, command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert Path(lines[0]).is_relative_to(out)
    assert [line for line in lines if line.startswith(("passed ", "failed "))] == ["failed make_scalar", "passed make_vector"]
    assert lines[-1] == "A teacher's hidden check: it is run when the teacher grades this notebook.", "a release has no hidden checks"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_tutorials_code_gets_full_public_marks_in_the_release_at_every_public_seed(venv, out, seed):
    """Every exercise the tutorial writes, in one cold ``grade`` per seed: a start of the release's own, not one each."""
    names = [e.name for e in written_in(TUTORIAL)]
    assert len(names) >= 4  # exercises 3 to 6
    done = run(venv, ["grade", *names, "--submission", str(TUTORIAL), "--seed", str(seed), "--format", "json"], cwd=out, **QUICK_TRAINING)
    doc = json.loads(done.stdout)
    assert sorted(e["exercise"] for e in doc["exercises"]) == sorted(e.stem for e in written_in(TUTORIAL))
    lost = [f"{name}: {c['message']}" for name, c in checks(doc).items() if c["status"] not in ("passed", "skipped")]
    assert (done.returncode, lost) == (0, []), done.stderr


# ------------------------------------------------------------------ a cheat that returns the public answers

LOOKUP = '''

import base64 as _base64

from grader.sandbox import wire as _wire

from grader.judge.expected import fingerprint as _fingerprint, same as _same

_RECORDED = _wire.decode(_base64.b64decode({data!r}))


def _answer(name, *args):
    """The recorded answer for these inputs, from any public seed; None for inputs never recorded."""
    now = _fingerprint((name, args, {{}}))
    for checks in _RECORDED.values():
        for entries in checks.values():
            for entry in entries:
                if entry["what"] == name and _same(entry["inputs"], now):
                    return entry["value"]
    return None
'''
CHEATS = {  # functions whose answers depend on their inputs alone, so the recorded ones are the right ones
    "make_scalar": "value",
    "make_vector": "values",
    "make_matrix": "rows",
    "zeros_matrix": "rows, cols",
    "ones_matrix": "rows, cols",
    "describe": "t",
    "elementwise_sum": "a, b",
    "elementwise_product": "a, b",
}


def cheat(out: Path) -> str:
    """Exercise 1 that returns the release's recorded answers, read from its own files, instead of computing them."""
    stem = registry.EXERCISES[0].stem
    data = base64.b64encode((out / "grader" / expected.FOLDER.name / f"{stem}{expected.ANSWERS}").read_bytes()).decode()
    code = LOOKUP.format(data=data)
    for name, args in CHEATS.items():
        code += f"\n\ndef {name}({args}):\n    return _answer({name!r}, {args})\n"
    code += "\n\ndef matmul_by_hand(a, b):\n    return _answer('matmul', a, b)\n"
    return solution_with(stem, code)


def test_returning_the_public_answers_gets_full_marks_in_the_release_and_less_from_the_teacher(venv, out, tmp_path):
    exercise = registry.EXERCISES[0]
    folder = tmp_path / "students" / "cheater"
    folder.mkdir(parents=True)
    (folder / f"{exercise.stem}.py").write_text(cheat(out), encoding="utf-8")
    for seed in SEEDS:
        code, doc = grade_json(venv, out, exercise.name, "--submission", str(folder), "--seed", str(seed))
        assert (code, doc["score"]) == (0, doc["max_score"]), [c for c in checks(doc).values() if c["status"] != "passed"]
    teachers, internal = grade(folder, [exercise], seed=12345)
    assert internal == 0
    assert teachers["score"] < teachers["max_score"] - 5
    batch = CliRunner().invoke(cli.main, ["batch", str(tmp_path / "students"), "--out", str(tmp_path / "grades"), "--exercises", "1"])
    assert batch.exit_code == 0, batch.output
    with open(tmp_path / "grades" / "grades.csv", encoding="utf-8-sig") as handle:  # the BOM a spreadsheet wants
        row = next(r for r in csv.DictReader(handle) if r["student"] == "cheater")
    assert float(row["total"]) < float(row["max"]) - 5
