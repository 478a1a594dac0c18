"""Does this students' release work here: its commands, its recorded answers, and its grading of the stubs?"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.sandbox import wire

KIT = Path(__file__).resolve().parent.parent
RECORDED = KIT / "grader" / "recorded"


def grade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=KIT, timeout=600)


def manifest() -> dict:
    return json.loads((RECORDED / "manifest.json").read_text(encoding="utf-8"))


def test_every_exercise_has_answers_for_every_public_seed():
    seeds = manifest()["seeds"]
    for stem, entry in manifest()["exercises"].items():
        answers = wire.decode((RECORDED / f"{stem}.plain").read_bytes())
        assert sorted(answers) == sorted(seeds)
        assert entry["public"], f"{stem} has no public checks"


def test_the_stubs_score_nothing_and_the_report_says_where_the_grade_comes_from():
    done = grade("all", "--submission", str(KIT / "exercises"), "--format", "json")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["score"] == 0
    assert doc["max_score"] > 0
    assert doc["seed"] in manifest()["seeds"]
    assert all(check["status"] in ("failed", "skipped") for exercise in doc["exercises"] for check in exercise["checks"])
    text = grade("1", "--submission", str(KIT / "exercises"), "--seed", str(doc["seed"]))
    assert "The grade comes from the teacher's checks on fresh inputs" in text.stdout


def test_a_seed_that_is_not_public_is_refused_naming_the_public_ones():
    done = grade("1", "--seed", "1")
    assert done.returncode == 2
    assert "not one of this release's public seeds" in done.stderr


def test_the_teachers_commands_are_not_here():
    done = grade("batch", "anywhere")
    assert done.returncode == 2
    assert "teacher's command" in done.stderr
    assert "batch" not in grade("--help").stdout
