"""Helpers for the tests that drive the real ``grade`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import KIT

SEED = 4242
SCALE = "0.3"  # every time limit times 0.3: the hanging check costs 3 s, not 10
SCHEMAS = Path(__file__).resolve().parent

# Appended to the reference solution of exercise 1: later definitions win, so these four break.
BROKEN = """

import os


def make_vector(values):
    while True:  # hangs until the check's time limit
        pass


def make_matrix(rows):
    os._exit(7)  # dies without a word


def describe(t):
    raise ValueError("no description: 50% off, a,b")  # RAISES HERE


def elementwise_sum(a, b):
    print("\\x00\\x1b[31mred & <tag> ]]> \\u2603")  # bytes that XML and terminals must not get raw
    return a - b
"""


def broken_submission(folder: Path) -> Path:
    """An exercise-1 submission with a timeout, a crash, an exception and a wrong value with odd output."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (KIT / "solutions" / "exercise1_tensors.py").read_text(encoding="utf-8") + BROKEN
    (folder / "exercise1_tensors.py").write_text(source, encoding="utf-8")
    return folder


def line_of(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(i for i, line in enumerate(lines, 1) if marker in line)


def grade_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``grade ARGS`` as a user would; stdout and stderr come back apart."""
    merged = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}  # a CI runner's own summary stays untouched
    merged.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=cwd or KIT, env=merged, capture_output=True, text=True, timeout=timeout
    )


def gradescope_schema() -> dict:
    return json.loads((SCHEMAS / "gradescope_results.schema.json").read_text(encoding="utf-8"))


def junit_schema():
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd"))
