"""Is whatever a student's code sends back, however odd, forged or large, that student's failure, within a budget?

Each module in ``tests/hostile/values/`` is appended to the reference solution of exercise 1 and replaces a few
functions: exactly those checks must fail, every other check pass, no check may break inside the grader (exit 3,
``grader_error``), and what each check says stays within its budget. Each runs under ``grade`` in this process,
all four through the real CLI in one submission (exit 1, not 3), and in one ``grade batch`` of several students.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import registry
from grader.checking import budgets
from tests.helpers import KIT, TESTS, checks, grade, solution_with

VALUES = TESTS / "hostile" / "values"
EX1 = registry.by_stem("exercise1_tensors")
FAST = {"timeout_scale": 0.3, "memory": 512 << 20}
LIMITS = ["--timeout-scale", "0.3", "--memory-limit", "512M"]

# module -> the checks it costs and the status each must get; every other check must pass
COSTS = {
    "deep_value": {"make_vector": "error", "make_vector_empty": "error"},
    "odd_layouts": {"zeros_matrix": "error", "ones_matrix": "error", "make_matrix": "error", "elementwise_sum": "error"},
    "forged_frames": {
        "describe": "crashed",
        "random_matrix": "crashed",
        "make_scalar": "crashed",
        "zeros_matrix": "crashed",
        "ones_matrix": "error",
        "elementwise_sum": "crashed",
    },
    "huge_texts": {
        "elementwise_product": "error",
        "make_scalar": "error",
        "ones_matrix": "error",
        "zeros_matrix": "failed",
        "make_matrix": "failed",
    },
}
# what each costly check must say, in part: what came back
SAID = {
    "deep_value": {"make_vector": "nested more than 100 deep"},
    "odd_layouts": {"zeros_matrix": "sparse_coo tensor", "ones_matrix": "nested tensor", "make_matrix": "_mkldnn tensor",
                    "elementwise_sum": "dtype complex128"},
    "forged_frames": {"describe": "not plain data", "random_matrix": "does not start as a result does",
                      "make_scalar": "malformed field", "zeros_matrix": "malformed field 'asked'",
                      "ones_matrix": "though not on the reference solution's: KeyError: the kit broke",
                      "elementwise_sum": "returned more than 256 MiB"},
    "huge_texts": {"elementwise_product": "more characters cut", "make_scalar": "bytes once written out",
                   "ones_matrix": "more characters cut", "zeros_matrix": "more bytes of output cut",
                   "make_matrix": "returned a list of 8 items"},
}  # fmt: skip


def source(name: str) -> str:
    return (VALUES / f"{name}.py").read_text(encoding="utf-8")


def submission(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{EX1.stem}.py").write_text(solution_with(EX1.stem, "\n\n".join(source(n) for n in names)), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade each module once, in this process, for all the tests that look at it."""
    done = {}

    def get(name: str):
        if name not in done:
            doc, internal = grade(submission(tmp_path_factory.mktemp(name), name), [EX1], **FAST)
            done[name] = doc, internal, {key.split("::")[1]: c for key, c in checks(doc).items()}
        return done[name]

    return get


def test_every_module_is_covered():
    assert {p.stem for p in VALUES.glob("*.py")} == set(COSTS)


@pytest.mark.parametrize("name", sorted(COSTS))
def test_a_hostile_value_costs_only_its_checks_and_never_the_grader(graded, name):
    _doc, internal, found = graded(name)
    assert internal == 0, "what a student's code sends back must never look like a grader bug"
    assert {check: c["status"] for check, c in found.items()} == {check: COSTS[name].get(check, "passed") for check in found}
    for check, said in SAID[name].items():
        assert said in found[check]["message"], (check, found[check]["message"][:300])


@pytest.mark.parametrize("name", sorted(COSTS))
def test_what_a_check_says_stays_within_its_budget(graded, name):
    doc, _internal, found = graded(name)
    for check, c in found.items():
        assert len(c["message"]) <= budgets.CHECK_MESSAGE + budgets.OUTPUT + 200, check
    assert len(json.dumps(doc, ensure_ascii=False).encode()) <= budgets.DOCUMENT


def test_through_the_cli_every_attack_at_once_exits_1_not_3(tmp_path):
    folder = submission(tmp_path / "all", "deep_value", "huge_texts")
    ran = subprocess.run(
        [sys.executable, "-m", "grader.cli", "1", "--submission", str(folder), "--format", "json", *LIMITS],
        cwd=KIT, capture_output=True, text=True, timeout=300, env={**os.environ, "GRADER_LANG": "en"},
    )  # fmt: skip
    assert ran.returncode == 1, ran.stderr[-2000:]
    assert len(ran.stdout) + len(ran.stderr) < budgets.DOCUMENT
    doc = json.loads(ran.stdout)
    statuses = {c["name"]: c["status"] for e in doc["exercises"] for c in e["checks"]}
    assert statuses["make_vector"] == "error"
    assert statuses["elementwise_product"] == "error"


@pytest.mark.slow
def test_in_a_batch_the_others_are_graded_in_full_and_no_record_exceeds_its_budget(tmp_path):
    root = tmp_path / "submissions"
    submission(root / "forger", "forged_frames")
    submission(root / "shouter", "huge_texts")
    submission(root / "honest")
    out = tmp_path / "out"
    ran = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(root), "--out", str(out), "--exercises", "1", "--jobs", "2", *LIMITS],
        cwd=KIT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode in (0, 1), ran.stderr[-2000:]
    lines = (out / "results.jsonl").read_bytes().splitlines()
    records = {json.loads(line)["batch"]["student"]: json.loads(line) for line in lines}
    assert {name: r["batch"]["status"] for name, r in records.items()} == {"forger": "crashed", "shouter": "error", "honest": "graded"}
    assert records["honest"]["score"] == records["honest"]["max_score"]
    assert all(len(line) <= budgets.RECORD for line in lines)
    for path in (out / "feedback").iterdir():
        assert path.stat().st_size <= 2 * budgets.RECORD, path
