"""Does the README start with the two commands that work on a fresh machine, and does CI run the second one as written?"""

from __future__ import annotations

import re

from tests.helpers import KIT

README = (KIT / "README.md").read_text(encoding="utf-8")
CI = (KIT / ".ci" / "run").read_text(encoding="utf-8")


def commands() -> list[str]:
    """The commands of the README's first code block, without their comments."""
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_starts_with_installing_and_grading_then_installing_and_testing():
    first, second = commands()[:2]
    assert first == "pip install -e . && grade exercise1"
    assert second.startswith("pip install -e '.[test]' && ")
    assert second.endswith("pytest")


def test_ci_runs_the_readmes_test_command_as_written():
    assert commands()[1] in CI.splitlines()


def test_ci_lints_before_it_tests():
    lines = [line.split("#")[0].strip() for line in CI.splitlines()]
    assert lines.index("ruff check . && ruff format --check .") < lines.index(commands()[1])
