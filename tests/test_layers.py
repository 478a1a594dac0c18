"""The tree shows the architecture: grader/'s packages are layers, and no import runs from a lower one to a higher.

Every import counts, those inside a function too: a lazy import still ties the lower layer to the
higher one (a student release, which leaves the teacher's packages out, would break on it).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader import MOVED
from grader.course.release import TEACHER_ONLY
from tests.helpers import KIT

GRADER = KIT / "grader"
BASE = {"grader", "errors", "i18n", "regions", "status", "registry", "settings", "data", "source", "own_files"}
# Each package's layer, from the bottom up; a module may import its own layer's and the lower ones'.
LAYERS = {"sandbox": 1, "formats": 2, "checking": 3, "checks": 4, "judge": 5, "student": 6, "jupyter": 6, "course": 7, "batch": 8, "cli": 9}


def name_of(path: Path) -> str:
    parts = path.relative_to(KIT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {name_of(p): p for p in sorted(GRADER.rglob("*.py")) if "templates" not in p.parts}


def imports(path: Path) -> set[str]:
    """The kit's modules ``path`` imports, at any depth of its code; ``from grader.x import y`` counts y where it is one."""
    known, found = modules(), set()
    package = name_of(path) if path.name == "__init__.py" else name_of(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return {m for m in found if m in known}


def layer(module: str) -> int:
    parts = module.split(".")
    return 0 if len(parts) == 1 or parts[1] not in LAYERS else LAYERS[parts[1]]


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "grader"


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = [
        f"{module} ({layer(module)}) imports {other} ({layer(other)})"
        for module, path in modules().items()
        for other in imports(path)
        if layer(other) > layer(module) or (layer(other) == layer(module) and package(other) != package(module) and layer(module))
    ]
    assert upward == []


def test_the_modules_import_no_cycle():
    graph = {module: imports(path) - {module} for module, path in modules().items()}
    graph = {m: {o for o in deps if not (o == "grader" or m.startswith(o + "."))} for m, deps in graph.items()}  # a package's own init
    seen, cycles = {}, []

    def visit(module, trail):
        if seen.get(module) == "done":
            return
        if module in trail:
            cycles.append([*trail[trail.index(module) :], module])
            return
        for other in sorted(graph.get(module, ())):
            visit(other, [*trail, module])
        seen[module] = "done"

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_grader_holds_at_most_ten_modules_directly_and_every_package_says_what_it_is_and_may_import():
    flat = sorted(p.stem for p in GRADER.glob("*.py") if p.name != "__init__.py")
    assert len(flat) <= 10, flat
    assert {p.stem for p in GRADER.glob("*.py")} == BASE - {"grader"} | {"__init__"}
    for name in LAYERS:
        doc = ast.get_docstring(ast.parse((GRADER / name / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert doc.strip(), f"grader/{name}/__init__.py has no docstring"


def test_every_package_is_in_a_layer_and_what_a_release_leaves_out_is_whole_folders_of_the_teacher():
    packages = {p.parent.name for p in GRADER.glob("*/__init__.py")}
    assert packages == set(LAYERS)
    assert all((GRADER / entry).exists() for entry in TEACHER_ONLY)
    assert {e for e in TEACHER_ONLY if "/" not in e} == {"batch", "course"}


def test_the_teachers_commands_come_from_their_own_module_and_a_release_refuses_each():
    from grader.cli import RELEASE_REFUSES, teacher_commands, teaching

    assert set(teacher_commands()) == {c.name for c in teaching.COMMANDS} == set(RELEASE_REFUSES)


@pytest.mark.parametrize("args", [["--help"], ["list"], ["run", "--help"], ["batch", "--help"]], ids=" ".join)
def test_the_quick_commands_import_neither_torch_nor_numpy(args):
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom grader.cli import main\n"
        f"result = CliRunner().invoke(main, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=KIT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_rendering_a_text_report_starts_no_sandbox():
    heavy = ("torch", "numpy", "grader.sandbox.parent")
    code = f"import sys\nimport grader.formats.report\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=KIT, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_an_old_module_name_imports_the_module_at_its_new_home():
    code = (
        "import importlib, json, sys\nmoved = json.loads(sys.argv[1])\n"
        "print(sorted(old for old, new in moved.items() if importlib.import_module(old) is not importlib.import_module(new)))"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(MOVED)], capture_output=True, text=True, cwd=KIT, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
