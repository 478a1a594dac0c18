"""Does a link in a submission ever get followed: an exercise file or an ``exercises/`` folder that links to the kit's
solutions, or a ``.grade/`` that links to a file the student wants the grader to overwrite?

Each link, relative and absolute, is graded under ``grade`` in this process: the exercise gets 0, in one line
that names the link, and no check breaks inside the grader. ``.grade/`` links are written through the grader's
own functions and the file they point at must stay as it was. One ``grade batch`` grades a linking student
beside an honest one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import own_files, registry
from grader.course import reference_run
from grader.formats import curves
from grader.student import history
from tests.helpers import KIT, checks, grade

EX1 = registry.by_stem("exercise1_tensors")
FAST = {"timeout_scale": 0.3, "memory": 512 << 20}
SOLUTION = KIT / "solutions" / f"{EX1.stem}.py"


def link(path: Path, target: Path, relative: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(os.path.relpath(target, path.parent) if relative else target)


LINKS = {
    "file, relative": lambda folder, relative: link(folder / f"{EX1.stem}.py", SOLUTION, relative),
    "file in exercises/": lambda folder, relative: link(folder / "exercises" / f"{EX1.stem}.py", SOLUTION, relative),
    "exercises/ folder": lambda folder, relative: link(folder / "exercises", SOLUTION.parent, relative),
    "a link to a link": lambda folder, relative: (
        shutil.copy(SOLUTION, folder / "mine.py"),
        link(folder / "other.py", folder / "mine.py", relative),
        link(folder / f"{EX1.stem}.py", folder / "other.py", relative),
    ),
}


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
@pytest.mark.parametrize("kind", sorted(LINKS))
def test_a_link_to_the_solutions_scores_0_in_one_line_naming_it(tmp_path, kind, relative):
    folder = tmp_path / "submission"
    folder.mkdir()
    LINKS[kind](folder, relative)
    doc, internal = grade(folder, [EX1], **FAST)
    assert internal == 0
    part = doc["exercises"][0]
    assert (part["score"], part["status"]) == (0.0, "error")
    assert "is a link, and the grader never follows one" in part["message"]  # said once, for the exercise
    assert {c["message"] for c in checks(doc).values()} == {"not graded: exercise1_tensors.py could not be imported"}


def test_a_dangling_link_is_a_link_not_a_missing_file(tmp_path):
    (tmp_path / f"{EX1.stem}.py").symlink_to(tmp_path / "nowhere.py")
    doc, internal = grade(tmp_path, [EX1], **FAST)
    assert internal == 0
    assert doc["exercises"][0]["status"] == "error"


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_a_grade_folder_or_file_that_links_elsewhere_is_never_written_through(tmp_path, relative, monkeypatch):
    monkeypatch.setenv(history.ENV, "on")
    monkeypatch.setattr(curves, "picture", lambda found, reference: b"a picture")
    victim = tmp_path / "teacher" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("keep me", encoding="utf-8")
    folder_link, file_link = tmp_path / "a", tmp_path / "b"
    link(folder_link / own_files.FOLDER, victim.parent, relative)
    link(file_link / own_files.FOLDER / history.FILE, victim, relative)
    link(file_link / own_files.FOLDER / curves.PICTURE_NAME, victim, relative)
    link(file_link / own_files.FOLDER / reference_run.CACHE_NAME, victim, relative)
    doc = {"seed": 1, "device": "cpu", "exercises": [{"exercise": EX1.stem, "score": 1.0, "max_score": 1.0, "status": "graded"}]}
    for submission in (folder_link, file_link):
        assert "is a link" in history.record(submission, doc, by="grade")
        with pytest.raises(OSError, match="is a link"):
            curves.write_picture(submission, {}, None)
        reference_run.write(submission / own_files.FOLDER / reference_run.CACHE_NAME, "k", {"x": 1})
        assert reference_run.read(submission / own_files.FOLDER / reference_run.CACHE_NAME, "k") is None
        assert history.standings(submission) == {}
    assert sorted(p.name for p in victim.parent.iterdir()) == ["precious.txt"]
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_grade_file_that_is_a_fifo_does_not_block_the_grader(tmp_path, monkeypatch):
    monkeypatch.setenv(history.ENV, "on")
    (tmp_path / own_files.FOLDER).mkdir()
    os.mkfifo(tmp_path / own_files.FOLDER / history.FILE)
    assert history.standings(tmp_path) == {}
    assert "not a regular file" in history.record(
        tmp_path,
        {"seed": 1, "device": "cpu", "exercises": [{"exercise": EX1.stem, "score": 1.0, "max_score": 1.0, "status": "graded"}]},
        "grade",
    )


@pytest.mark.slow
def test_in_a_batch_a_link_inside_the_submission_is_refused_and_the_others_graded(tmp_path):
    root = tmp_path / "submissions"
    (root / "honest").mkdir(parents=True)
    shutil.copy(SOLUTION, root / "honest")
    link(root / "linker" / f"{EX1.stem}.py", root / "honest" / f"{EX1.stem}.py", relative=True)  # inside the batch's root
    out = tmp_path / "out"
    ran = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(root), "--out", str(out), "--exercises", "1", "--jobs", "2",
         "--timeout-scale", "0.3", "--memory-limit", "512M"],
        cwd=KIT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode in (0, 1), ran.stderr[-2000:]
    records = {r["batch"]["student"]: r for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    assert records["linker"]["batch"]["status"] == "unreadable"
    assert records["linker"]["score"] == 0
    assert "is a link" in records["linker"]["batch"]["note"]
    assert records["honest"]["batch"]["status"] == "graded"
    assert records["honest"]["score"] == records["honest"]["max_score"]
