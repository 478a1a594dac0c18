"""``grade batch`` end to end, on a synthetic class of 17 students graded on exercises 1-2.

The class mixes correct, partial, empty and broken submissions, hostile ones (a hang, a memory
bomb, ``os._exit``, a fork of sleeping children, an output flood), zips (good, a bomb, an unsafe
path) and files that cannot be used. One uninterrupted run is the reference; a run killed
mid-way with SIGKILL to its process group, then resumed, must end with exactly the same files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from grader import sandbox
from grader.batch import gradebook
from grader.formats.document import validate
from tests.helpers import KIT

pytestmark = pytest.mark.slow
SEED = 4242
E1, E2 = "exercise1_tensors", "exercise2_reshape"
OPTIONS = ["--exercises", "1,2", "--seed", str(SEED), "--jobs", "2", "--timeout-scale", "0.5", "--memory-limit", "512M"]


def solution(stem: str, override: str = "") -> str:
    return (KIT / "solutions" / f"{stem}.py").read_text(encoding="utf-8") + ("\n\n" + override if override else "")


PARTIAL = '''
def make_vector(values):
    # ints stay ints: the dtype is left to torch
    vector = torch.tensor(values)
    return vector


def zeros_matrix(rows, cols):
    """Rows of zeros."""
    table = [[0.0] * cols for _ in range(rows)]
    return torch.tensor(table, dtype=torch.float64)
'''
# The same wrong code with other names, comments and layout: a copy for the summary to flag.
PARTIAL_COPY = """
def make_vector(xs):
    result = torch.tensor(xs)   # copied
    return result

def zeros_matrix(r, c):
    grid = [[0.0] * c for _ in range(r)]
    return torch.tensor(grid, dtype=torch.float64)
"""
HOSTILE = {
    "gus": "def make_scalar(value):\n    while True:\n        pass\n",
    "hana": "def make_vector(values):\n    hoard = []\n    while True:\n        hoard.append(torch.ones(1 << 26))\n",
    "ivan": "import os\n\ndef make_matrix(rows):\n    os._exit(3)\n",
    "jack": (
        "import os, time\n\ndef zeros_matrix(rows, cols):\n    for _ in range(3):\n        if os.fork() == 0:\n"
        "            time.sleep(600)\n    return torch.zeros(rows, cols)\n"
    ),
    "kim": "def ones_matrix(rows, cols):\n    for _ in range(30000):\n        print('x' * 99)\n    return torch.ones(rows, cols) * 2\n",
}


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def make_class(root: Path) -> Path:
    both = {E1: solution(E1), E2: solution(E2)}
    write(root / "ada" / "exercises" / f"{E1}.py", both[E1])
    write(root / "ada" / "exercises" / f"{E2}.py", both[E2])
    write(root / "ben" / f"{E1}.py", both[E1])
    write(root / "ben" / f"{E2}.py", both[E2])
    write(root / "cleo" / f"{E1}.py", solution(E1, PARTIAL))
    write(root / "dan" / f"{E1}.py", solution(E1, PARTIAL_COPY))
    write(root / "dan" / f"{E2}.py", both[E2])
    (root / "eve").mkdir()
    write(root / "finn" / f"{E1}.py", "def make_scalar(value)\n    return value\n")
    write(root / "finn" / f"{E2}.py", both[E2])
    for student, override in HOSTILE.items():
        write(root / student / f"{E1}.py", solution(E1, override))
        write(root / student / f"{E2}.py", both[E2])
    with zipfile.ZipFile(root / "lou.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"lou/exercises/{E1}.py", both[E1])
        archive.writestr(f"lou/exercises/{E2}.py", both[E2])
    with zipfile.ZipFile(root / "max.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{E1}.py", both[E1])
        archive.writestr("padding.bin", bytes(20 << 20))  # 20 MiB of zeros squeezed ~1000:1
    with zipfile.ZipFile(root / "ned.zip", "w") as archive:
        archive.writestr(f"../{E1}.py", both[E1])
    write(root / "olga" / f"{E1}.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(root / "pat" / "homework.txt", "I did it all in my head.")
    write(root / "pat" / "ex1.py", "print(1)\n")
    write(root / "quinn" / f"{E2}.py", both[E2])
    (root / "quinn" / f"{E1}.py").symlink_to("/etc/hostname")
    write(root / "README.txt", "collected on Monday")
    return root


def batch(submissions: Path, out: Path, *extra: str, mark: str = "", **popen) -> subprocess.Popen:
    env = {**os.environ, "GRADER_TEST_MARK": mark or uuid.uuid4().hex}
    return subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "batch", str(submissions), "--out", str(out), *OPTIONS, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen,
    )


def marked(mark: str) -> list[int]:
    """Processes still alive that descend from a batch started with ``mark`` (the environment is inherited, and the
    sandbox keeps the GRADER_ variables in the clean one it gives the processes it starts)."""
    needle = f"GRADER_TEST_MARK={mark}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def wait_until_gone(mark: str, seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def results(out: Path) -> list[dict]:
    """The records of results.jsonl by student, without the grading times."""
    found = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        validate(record)  # a record is a result document, batch part and all
        record["batch"].pop("seconds")
        found[record["batch"]["student"]] = record
    return [found[s] for s in sorted(found)]


def graded_before_the_kill(out: Path) -> int:
    """The students whose records a kill left whole: only the last line may be torn, if the kill landed mid-write."""
    lines = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    whole = [line for line in lines if line.endswith(b"\n")]
    assert len(lines) - len(whole) <= 1, "a torn line before the last one"
    return len({json.loads(line)["batch"]["student"] for line in whole})


def files(out: Path) -> dict[str, str]:
    """Every file a batch writes but those holding grading times: results.jsonl, batch.log, report.html (tests/batch/test_webpage.py)."""
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("results.jsonl", "batch.log", "report.html")
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One uninterrupted run of the whole class: (submissions, out, stdout, stderr, exit code, leftover processes)."""
    root = make_class(tmp_path_factory.mktemp("class") / "submissions")
    out = tmp_path_factory.mktemp("uninterrupted") / "grades"
    mark = uuid.uuid4().hex
    process = batch(root, out, mark=mark)
    stdout, stderr = process.communicate(timeout=600)
    return root, out, stdout, stderr, process.returncode, wait_until_gone(mark, 10)


EXPECTED_ROWS = [
    ["student", E1, E2, "total", "max", "status", "note", "seed"],
    ["ada", "18", "12", "30", "30", "graded", "", str(SEED)],
    ["ben", "18", "12", "30", "30", "graded", "", str(SEED)],
    ["cleo", "16", "0", "16", "30", "missing", f"missing {E2}", str(SEED)],
    ["dan", "16", "12", "28", "30", "graded", "", str(SEED)],
    ["eve", "0", "0", "0", "30", "empty", "the folder is empty", str(SEED)],
    [
        "finn",
        "0",
        "12",
        "12",
        "30",
        "error",
        f"{E1}: could not import {E1}.py: your code raised SyntaxError at line 1 of {E1}.py: expected ':' (line 1: def make_scalar(value))",
        str(SEED),
    ],
    ["gus", "17", "12", "29", "30", "timeout", f"{E1}::make_scalar timeout", str(SEED)],
    ["hana", "16", "12", "28", "30", "memory", f"{E1}::make_vector memory; {E1}::make_vector_empty memory", str(SEED)],
    ["ivan", "17", "12", "29", "30", "crashed", f"{E1}::make_matrix crashed", str(SEED)],
    ["jack", "18", "12", "30", "30", "graded", "", str(SEED)],
    ["kim", "17", "12", "29", "30", "graded", "", str(SEED)],
    ["lou", "18", "12", "30", "30", "graded", "", str(SEED)],
    [
        "max",
        "0",
        "0",
        "0",
        "30",
        "bad_zip",
        "max.zip compresses 'padding.bin' more than 200:1 (a zip bomb?); it was not unpacked",
        str(SEED),
    ],
    ["ned", "0", "0", "0", "30", "bad_zip", "ned.zip holds an unsafe path '../exercise1_tensors.py'; it was not unpacked", str(SEED)],
    ["olga", "0", "0", "0", "30", "not_python", f"{E1}.py is not Python source (it holds binary data)", str(SEED)],
    [
        "pat",
        "0",
        "0",
        "0",
        "30",
        "no_exercise_files",
        f"no exercise file found (looked for {E1}.py, {E2}.py); found ex1.py, homework.txt",
        str(SEED),
    ],
    [
        "quinn",
        "0",
        "12",
        "12",
        "30",
        "unreadable",
        f"{E1}.py is a link, and the grader never follows one: submit the file itself",
        str(SEED),
    ],
]


def test_every_student_gets_the_exact_row(graded):
    _root, out, _stdout, stderr, code, _ = graded
    assert code == 0, stderr
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as file:
        assert list(csv.reader(file)) == EXPECTED_ROWS


def test_the_layout_progress_and_class_means_are_shown(graded):
    _root, out, stdout, stderr, _code, _ = graded
    assert "Layout: one folder or .zip per student (14 folders, 3 zips); ignored 1 other file: README.txt" in stderr
    assert "17/17 students" in stderr
    assert "ETA" in stderr
    means = [line.split() for line in stdout.splitlines()[:4]]
    assert means == [["exercise", "mean", "max"], [E1, "10.06", "18"], [E2, "7.76", "12"], ["total", "17.82", "30"]]
    assert f"grades    {out / 'grades.csv'}" in stdout


def test_no_process_is_left_after_the_batch(graded):
    assert graded[5] == []


def test_results_hold_one_grade_document_per_student(graded):
    root, out, *_ = graded
    records = results(out)
    assert [r["batch"]["student"] for r in records] == [row[0] for row in EXPECTED_ROWS[1:]]
    for record in records:
        assert set(record) == {
            "schema",
            "submission",
            "seed",
            "device",
            "score",
            "max_score",
            "exercises",
            "isolation",
            "isolation_missing",
            "lang",
            "batch",
        }
        assert record["isolation"] == list(sandbox.isolation().held)  # the batch's workers run on this machine too
        assert record["seed"] == SEED
        assert [p["exercise"] for p in record["exercises"]] == [E1, E2]
    lou = next(r for r in records if r["batch"]["student"] == "lou")
    assert lou["submission"] == str(root / "lou.zip")


def test_a_hostile_submission_costs_only_its_own_check(graded):
    by_student = {r["batch"]["student"]: r for r in results(graded[1])}
    expected = {
        "gus": [("make_scalar", "timeout")],
        "hana": [("make_vector", "memory"), ("make_vector_empty", "memory")],  # both checks of the hoarding make_vector
        "ivan": [("make_matrix", "crashed")],
        "kim": [("ones_matrix", "failed")],
    }
    for student, checks_lost in expected.items():
        lost = [(c["name"], c["status"]) for p in by_student[student]["exercises"] for c in p["checks"] if c["status"] != "passed"]
        assert lost == checks_lost, student
    assert "[... " in next(c["message"] for c in by_student["kim"]["exercises"][0]["checks"] if c["name"] == "ones_matrix")


def test_feedback_speaks_to_the_student_in_grades_wording(graded):
    out = graded[1]
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == [row[0] for row in EXPECTED_ROWS[1:]]
    gus = (out / "feedback" / "gus.md").read_text(encoding="utf-8")
    assert gus.startswith(
        f"# Feedback for gus\n\nScore: 29/30 points · status timeout · seed {SEED}\n\nNote: {E1}::make_scalar timeout\n\n```text\n"
    )
    assert "  ✗ make_scalar [timeout]  0/1\n      still running after 5 s, so it was stopped\n      hint: " in gus
    assert "  ✓ make_vector  1/1\n" in gus
    assert "Total: 29/30 points (public checks 26/27, hidden checks 3/3)\n```\n" in gus
    olga = (out / "feedback" / "olga.md").read_text(encoding="utf-8")
    assert "  missing: no file for this exercise in the submission" in olga
    assert f"      {E1}.py is not Python source (it holds binary data)" in olga


def test_summary_shows_distribution_hardest_checks_troubled_students_and_copies(graded):
    text = (graded[1] / "summary.md").read_text(encoding="utf-8")
    assert f"17 students · seed {SEED} · exercises {E1}, {E2} · 30 points in all" in text
    assert f"| {E1} | 18 | 10.06 | 16 | 0 | 18 | 7 | 0 | 0 | 0 | 6 | 4 |" in text
    assert f"| {E2} | 12 | 7.76 | 12 | 0 | 12 | 6 | 0 | 0 | 0 | 0 | 11 |" in text
    assert "| **total** | 30 | 17.82 | 28 | 0 | 30 | 5 | 0 | 2 | 1 | 5 | 4 |" in text
    hardest = text.split("## Checks, hardest first")[1].split("|---|---:|---:|---:|---|\n")[1].splitlines()[:3]
    assert hardest == [
        f"| {E1}::make_vector | 1 | 7/11 | 64% | 2 failed, 1 error, 1 memory |",
        f"| {E1}::zeros_matrix | 1 | 8/11 | 73% | 2 failed, 1 error |",
        f"| {E1}::make_matrix | 1 | 9/11 | 82% | 1 crashed, 1 error |",
    ]
    troubled = text.split("## Students with errors or timeouts")[1].split("## Matches the reference solution")[0]
    assert [line.split(" | ")[0].strip("| ") for line in troubled.splitlines() if line.startswith("| ") and "student" not in line] == [
        "eve",
        "finn",
        "gus",
        "hana",
        "ivan",
        "max",
        "ned",
        "olga",
        "pat",
        "quinn",
    ]
    assert text.rstrip().endswith(f"| {E1} | cleo, dan | identical |")


def test_a_killed_batch_resumes_to_the_same_results(graded, tmp_path):
    root, reference, *_ = graded
    out = tmp_path / "grades"
    mark = uuid.uuid4().hex
    process = batch(root, out, mark=mark)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "results.jsonl").exists() and len((out / "results.jsonl").read_bytes().splitlines()) >= 5:
            break
        time.sleep(0.1)
    assert process.poll() is None, "the batch ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    assert wait_until_gone(mark) == [], "processes outlived the killed batch"
    done = graded_before_the_kill(out)
    assert 5 <= done < 17
    with open(out / "results.jsonl", "ab") as file:  # as if the kill had landed mid-write
        file.write(b'{"schema": 1, "submission": "/half/writ')
    process = batch(root, out, mark=mark)
    _stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert "1 unreadable line dropped" in stderr
    assert f"Grading {17 - done} of 17 students ({done} already graded" in stderr
    assert results(out) == results(reference)
    assert files(out) == files(reference)
    assert wait_until_gone(mark, 10) == []


def test_another_seed_in_the_same_folder_is_refused_unless_forced(graded, tmp_path):
    root, reference, *_ = graded
    out = tmp_path / "grades"
    out.mkdir()
    (out / "results.jsonl").write_bytes((reference / "results.jsonl").read_bytes())
    refused = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(root), "--out", str(out), "--seed", "7", "--exercises", "1,2"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"grade: {out} holds results of another batch (seed {SEED}, exercises 1,2); rerun with --seed {SEED} --exercises 1,2 "
        "to finish it, --force to regrade everyone, or choose another --out"
    )


def rerun(reference: Path, submissions: Path, tmp_path: Path, *options: str) -> tuple[Path, str]:
    """A batch over ``submissions`` into a new --out that holds the reference batch's results: its folder and stderr."""
    out = tmp_path / "grades"
    out.mkdir()
    (out / "results.jsonl").write_bytes((reference / "results.jsonl").read_bytes())
    process = batch(submissions, out, *options)
    _stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr
    return out, stderr


def test_rerun_grades_nobody_again_and_writes_the_same_files(graded, tmp_path):
    root, reference, *_ = graded
    out, stderr = rerun(reference, root, tmp_path, "--format", "json")
    assert "Grading 0 of 17 students (17 already graded" in stderr
    assert {k: v for k, v in files(out).items() if not k.startswith("json/")} == files(reference)
    ada = json.loads((out / "json" / "ada.json").read_text(encoding="utf-8"))
    assert "batch" not in ada
    assert ada["score"] == 30
    assert ada["seed"] == SEED


def test_a_rerun_under_jobs_regrades_a_student_whose_files_changed(graded, tmp_path):
    root, reference, *_ = graded
    changed = tmp_path / "class"
    shutil.copytree(root, changed, symlinks=True)
    write(changed / "ben" / f"{E2}.py", solution(E2, "def flatten_batch(images):\n    return images\n"))
    dry = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(changed), "--out", str(reference), "--dry-run", *OPTIONS],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[:2] == [
        f"Would grade 1 student: 0 for the first time, 1 again (nothing graded, {reference} unchanged)",
        "  ben: files changed",
    ]
    assert not (reference / "history").exists()
    out, stderr = rerun(reference, changed, tmp_path, "--format", "json")
    assert "Grading 1 of 17 students (16 already graded" in stderr
    ben = json.loads((out / "json" / "ben.json").read_text(encoding="utf-8"))
    assert ben["score"] < 30
    [kept] = (out / "history").iterdir()
    assert (kept / "grades.csv").read_bytes() == (reference / "grades.csv").read_bytes(), "the gradebook before the regrade"
    rows = list(csv.reader(io.StringIO((out / "changes.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["student", "exercise", "old", "new", "checks", "why"]
    moved = [row for row in rows[1:] if row[1] == E2]
    assert [row[:3] for row in moved] == [["ben", E2, "12/12"]]
    assert "flatten_batch[NHW]: passed → failed" in moved[0][4].split("; ")
    assert moved[0][5] == "files changed"
    assert [row[:3] for row in rows[1:] if row[1] == "total"] == [["ben", "total", "30/30"]]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.index('<section id="changes">') > page.index('<table class="students">')


def test_a_rerun_says_which_graded_students_are_gone_and_keeps_them(graded, tmp_path):
    root, reference, *_ = graded
    fewer = tmp_path / "class"
    shutil.copytree(root, fewer, symlinks=True)
    shutil.rmtree(fewer / "ada")
    out, stderr = rerun(reference, fewer, tmp_path)
    assert f"Kept in the gradebook though no longer in {fewer}: ada (--force grades only who is there now)" in stderr
    assert (out / "grades.csv").read_bytes() == (reference / "grades.csv").read_bytes()


def test_nbgrader_submitted_tree_is_graded_by_stem(tmp_path):
    course = tmp_path / "course"
    write(course / "submitted" / "amy" / "ps1" / f"{E2}.py", solution(E2))
    write(course / "submitted" / "amy" / "ps1" / "timestamp.txt", "2026-11-26 10:00:00")
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": solution(E2).splitlines(keepends=True)},
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade": True, "solution": False}},
                "source": ["raise SystemExit('an autograder cell must not run')"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    write(course / "submitted" / "bo" / E2 / f"{E2}.ipynb", json.dumps(notebook))
    out = tmp_path / "grades"
    process = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(course), "--out", str(out), "--exercises", "2", "--jobs", "1", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr
    assert "Layout: nbgrader's submitted/<student>/<assignment>/ (2 students)" in process.stderr
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as file:
        assert list(csv.reader(file))[1:] == [["amy", "12", "12", "12", "graded", "", "3"], ["bo", "12", "12", "12", "graded", "", "3"]]


def test_a_folder_that_is_not_a_class_is_a_usage_error(tmp_path):
    write(tmp_path / "mine" / f"{E1}.py", solution(E1))
    process = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(tmp_path / "mine"), "--out", str(tmp_path / "g")], capture_output=True, text=True
    )
    assert process.returncode == 2
    assert (
        f"holds .py files itself, like one student's submission; grade it with 'grade all --submission {tmp_path / 'mine'}'"
        in process.stderr
    )


def test_gradebook_names_match_the_files_written(graded):
    out = graded[1]
    assert {gradebook.GRADES, gradebook.RESULTS, gradebook.SUMMARY, gradebook.FEEDBACK, gradebook.LOG} <= {p.name for p in out.iterdir()}


def test_ctrl_c_stops_the_workers_at_once_and_a_rerun_finishes(tmp_path):
    root = tmp_path / "class"
    write(root / "a" / f"{E2}.py", solution(E2))
    write(root / "b" / f"{E2}.py", solution(E2, "def arange_float(n):\n    while True:\n        pass\n"))
    write(root / "c" / f"{E2}.py", solution(E2))
    out, mark = tmp_path / "grades", uuid.uuid4().hex
    command = [
        sys.executable,
        "-m",
        "grader.cli",
        "batch",
        str(root),
        "--out",
        str(out),
        "--exercises",
        "2",
        "--jobs",
        "1",
        "--seed",
        "1",
        "--timeout-scale",
        "2",
    ]
    # As a terminal's foreground job: a test run from a background job would pass on SIGINT ignored.
    process = subprocess.Popen(
        command,
        env={**os.environ, "GRADER_TEST_MARK": mark},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    while not (out / "results.jsonl").exists() or not (out / "results.jsonl").read_bytes():
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    time.sleep(1)  # b is hanging in its 20 s check now
    began = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - began < 10
    assert process.returncode == 130
    assert stderr.rstrip().endswith("Interrupted: 1 of 3 graded this run; rerun the same command to grade the rest.")
    assert wait_until_gone(mark, 10) == []
    rerun = subprocess.run([*command[:-1], "0.3"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Grading 2 of 3 students (1 already graded" in rerun.stderr
    assert [r["batch"]["student"] for r in results(out)] == ["a", "b", "c"]


def test_missing_mnist_is_a_usage_error_before_any_worker_starts(tmp_path):
    write(tmp_path / "class" / "amy" / "x.py", "x = 1\n")
    (tmp_path / "empty").mkdir()
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "batch",
            str(tmp_path / "class"),
            "--out",
            str(tmp_path / "g"),
            "--exercises",
            "5",
            "--data-dir",
            str(tmp_path / "empty"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr.startswith(f"grade: MNIST file {tmp_path / 'empty'}/")
    assert not (tmp_path / "g" / "results.jsonl").exists()
