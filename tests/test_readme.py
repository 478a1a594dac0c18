"""Does the README start with a venv and the two commands that work on a fresh machine, and does CI run them as written?

The venv comes first: a system Python refuses ``pip install`` ("externally-managed-environment", PEP 668).
"""

from __future__ import annotations

import re

from tests.helpers import KIT

README = (KIT / "README.md").read_text(encoding="utf-8")
CI = (KIT / ".ci" / "run").read_text(encoding="utf-8")
VENV_LINE = "python3 -m venv .venv && . .venv/bin/activate"


def commands() -> list[str]:
    """The commands of the README's first code block, without their comments."""
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_starts_with_a_venv_then_installing_and_grading_then_installing_and_testing():
    venv, first, second = commands()[:3]
    assert venv == VENV_LINE
    assert first == "pip install -e . && grade exercise1"
    assert second.startswith("pip install -e '.[test]' && ")
    assert second.endswith("pytest -n auto")


def test_ci_runs_the_readmes_venv_and_test_commands_as_written():
    lines = [line.split("#")[0].strip() for line in CI.splitlines()]
    assert lines.index(VENV_LINE) < lines.index(commands()[2])


def test_ci_lints_before_it_tests():
    lines = [line.split("#")[0].strip() for line in CI.splitlines()]
    assert lines.index("ruff check . && ruff format --check .") < lines.index(commands()[2])
