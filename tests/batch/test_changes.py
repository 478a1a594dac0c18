"""Does a regrade keep the gradebook it replaces and say whose grade moved, from what to what, and why?"""

from __future__ import annotations

import csv
import io

from grader.batch import changes, gradebook

E1 = "exercise1_tensors"


def record(student: str, key: str | None, outcome: str = "passed", status: str = "graded") -> dict:
    check = {"name": "make_vector", "score": float(outcome == "passed"), "max_score": 1.0, "status": outcome, "message": "", "hint": ""}
    part = {"exercise": E1, "title": "t", "score": check["score"], "max_score": 1.0, "status": "graded", "checks": [check]}
    batch = {"student": student, "status": status, "note": "", "seconds": 1.0, "key": key}
    return {"schema": 1, "seed": 7, "score": part["score"], "max_score": 1.0, "exercises": [part], "batch": batch}


def test_why_names_the_files_the_kit_version_and_the_seed():
    old = record("ada", "ada:aaa:0.1.0:7")
    assert changes.why(old, "ada:bbb:0.1.0:7", force=False) == "files changed"
    assert changes.why(old, "ada:aaa:0.2.0:7", force=False) == "kit version 0.1.0 → 0.2.0"
    assert changes.why(old, "ada:aaa:0.1.0:8", force=False) == "seed 7 → 8"
    assert changes.why(old, "ada:aaa:0.1.0:7", force=True) == "--force"
    assert changes.why(record("a:b", "a:b:aaa:0.1.0:7"), "a:b:ccc:0.1.0:7", force=False) == "files changed", "an id may hold ':'"
    failed = record("ada", "ada:aaa:0.1.0:7", status="grader_error")
    assert changes.why(failed, "ada:aaa:0.1.0:7", force=False) == "a grader error is retried"


def test_the_changes_list_old_and_new_points_and_the_checks_that_moved(tmp_path):
    before = {"ada": record("ada", "k", "passed"), "ben": record("ben", "k", "failed")}
    after = {"ada": record("ada", "k2", "failed"), "ben": record("ben", "k2", "failed")}
    found = changes.compare(before, after, {"ada": "files changed", "ben": "--force"})
    assert [(c.student, c.exercise, c.old, c.new, c.checks, c.why) for c in found] == [
        ("ada", E1, "1/1", "0/1", "make_vector: passed → failed", "files changed"),
        ("ada", "total", "1/1", "0/1", "", "files changed"),
    ], "ben's grade did not move"
    path = changes.write(tmp_path, found)
    assert changes.read(tmp_path) == found
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[1] == ["ada", E1, "1/1", "0/1", "make_vector: passed → failed", "files changed"]


def test_the_gradebook_before_a_regrade_is_kept_whole(tmp_path):
    before = {"ada": record("ada", "k"), "=cmd": record("=cmd", "k", "failed")}
    folder = changes.keep(tmp_path, before)
    assert folder.parent == tmp_path / "history"
    grades = list(csv.reader(io.StringIO((folder / "grades.csv").read_text(encoding="utf-8-sig"))))
    assert [row[:3] for row in grades] == [["student", E1, "total"], ["'=cmd", "0", "0"], ["ada", "1", "1"]]
    kept = gradebook.Gradebook(folder)
    assert kept.open(None, [E1], force=False, dry_run=True) == 7
    assert kept.records == {"=cmd": before["=cmd"], "ada": before["ada"]}
