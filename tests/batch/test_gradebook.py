"""The files of a batch, the student statuses and the summary, from hand-made records (no grading)."""

from __future__ import annotations

import csv
import json

import pytest

from grader import registry
from grader.batch import gradebook, records, summary
from grader.batch.copies import Group
from grader.batch.gradebook import Gradebook, Refused
from grader.formats import document

STEMS = ["exercise1_tensors", "exercise2_reshape"]
TITLES = {"exercise1_tensors": "Tensors", "exercise2_reshape": "Reshaping"}
CATALOG = [  # as engine.collect lists checks: (stem, name, points, hint, hidden)
    ("exercise1_tensors", "make_scalar", 1, "use torch.tensor", False),
    ("exercise1_tensors", "matmul", 2, "use @", True),
    ("exercise2_reshape", "to_matrix", 1, "use reshape", False),
]


def check(name, score, max_score, status="passed", message=""):
    return {"name": name, "score": score, "max_score": max_score, "status": status, "message": message, "hint": f"hint for {name}"}


def doc(e1_checks, e2_checks=None, e1_status="graded", e2_status="graded", seed=5):
    e2_checks = e2_checks if e2_checks is not None else [check("to_matrix", 1, 1)]
    parts = [
        {
            "exercise": "exercise1_tensors",
            "title": "Tensors",
            "score": sum(c["score"] for c in e1_checks),
            "max_score": 3.0,
            "status": e1_status,
            "checks": e1_checks,
        },
        {
            "exercise": "exercise2_reshape",
            "title": "Reshaping",
            "score": sum(c["score"] for c in e2_checks),
            "max_score": 1.0,
            "status": e2_status,
            "checks": e2_checks,
        },
    ]
    return {
        "schema": 1,
        "submission": "/class/x",
        "seed": seed,
        "device": "cpu",
        "score": sum(p["score"] for p in parts),
        "max_score": 4.0,
        "exercises": parts,
    }


def record(student, document, internal=0, problem=None):
    status, note = records.classify(document, internal, problem)
    return records.record(document, student, status, note, 1.25)


FULL = doc([check("make_scalar", 1, 1), check("matmul", 2, 2)])


# -- statuses


def test_a_clean_run_is_graded_with_no_note():
    assert records.classify(FULL) == ("graded", "")


def test_the_worst_thing_the_code_did_is_the_status_and_the_note_names_each_check():
    document = doc([check("make_scalar", 0, 1, "timeout", "still running"), check("matmul", 0, 2, "error", "raised")])
    assert records.classify(document) == ("timeout", "exercise1_tensors::make_scalar timeout; exercise1_tensors::matmul error")


def test_a_file_that_does_not_import_is_one_note_for_its_exercise():
    failing = [check("make_scalar", 0, 1, "error", "could not import x.py: SyntaxError\nline 2"), check("matmul", 0, 2, "error", "same")]
    assert records.classify(doc(failing, e1_status="error")) == ("error", "exercise1_tensors: could not import x.py: SyntaxError")


def test_grader_errors_come_first_then_file_problems_then_code_then_missing():
    missing = doc([check("make_scalar", 0, 1, "crashed")], [check("to_matrix", 0, 1, "failed", "no file")], e2_status="missing")
    assert records.classify(missing)[0] == "crashed"
    assert records.classify(missing, problem=("not_python", "x.py is binary"))[0] == "not_python"
    assert records.classify(missing, internal=1, problem=("not_python", "x.py is binary"))[0] == "grader_error"
    assert records.classify(doc([check("make_scalar", 1, 1)], [check("to_matrix", 0, 1)], e2_status="missing")) == (
        "missing",
        "missing exercise2_reshape",
    )


def test_a_blank_document_fails_every_check_with_the_reason():
    exercises = [registry.by_stem(stem) for stem in STEMS]
    blank = document.blank("/class/amy.zip", 9, "cpu", CATALOG, exercises, "amy.zip is empty", {"isolation": [], "isolation_missing": {}})
    document.validate(blank)
    assert (blank["score"], blank["max_score"], blank["seed"]) == (0.0, 4.0, 9)
    assert [(p["exercise"], p["title"], p["status"], p["max_score"]) for p in blank["exercises"]] == [
        ("exercise1_tensors", registry.by_stem("exercise1_tensors").title, "missing", 3.0),
        ("exercise2_reshape", registry.by_stem("exercise2_reshape").title, "missing", 1.0),
    ]
    assert blank["exercises"][0]["checks"][1] == {
        "name": "matmul",
        "score": 0.0,
        "max_score": 2.0,
        "status": "failed",
        "message": "amy.zip is empty",
        "hint": "use @",
        "nudge": "",  # a catalog row from before nudges has none
        "line": None,
        "hidden": True,
    }


# -- results.jsonl, resume and refusal


def test_a_half_written_last_line_is_dropped_and_the_file_repaired(tmp_path):
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)
    book.add(record("amy", FULL))
    with open(tmp_path / gradebook.RESULTS, "ab") as file:
        file.write(b'{"schema": 1, "subm')
    again = Gradebook(tmp_path)
    assert again.open(None, STEMS, force=False) == 5
    assert list(again.records) == ["amy"]
    assert again.dropped == 1
    assert (tmp_path / gradebook.RESULTS).read_bytes().endswith(b"}\n")
    again.add(record("bob", FULL))
    assert [json.loads(line)["batch"]["student"] for line in (tmp_path / gradebook.RESULTS).read_text().splitlines()] == ["amy", "bob"]


def test_a_long_record_is_one_write_so_a_kill_cannot_tear_it_between_pieces(tmp_path, monkeypatch):
    long = record("amy", doc([check("make_scalar", 0, 1, "failed", "x" * 40_000), check("matmul", 2, 2)]))
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)
    writes, write = [], gradebook.os.write
    monkeypatch.setattr(gradebook.os, "write", lambda fd, data: writes.append(bytes(data)) or write(fd, data))
    book.add(long)
    lines = [w for w in writes if w.startswith(b'{"schema"')]
    assert len(lines) == 1
    assert lines[0].endswith(b"\n")
    assert len(lines[0]) > 40_000
    assert (tmp_path / gradebook.RESULTS).read_bytes() == lines[0]


def test_a_complete_last_line_without_its_newline_is_kept(tmp_path):
    (tmp_path / gradebook.RESULTS).write_text(json.dumps(record("amy", FULL)))
    book = Gradebook(tmp_path)
    book.open(None, STEMS, force=False)
    assert list(book.records) == ["amy"]
    assert book.dropped == 0
    assert (tmp_path / gradebook.RESULTS).read_text().endswith("}\n")


def test_the_last_record_of_a_student_wins(tmp_path):
    lines = [record("amy", doc([check("make_scalar", 0, 1, "error")]), internal=1), record("amy", FULL)]
    (tmp_path / gradebook.RESULTS).write_text("".join(json.dumps(r) + "\n" for r in lines))
    book = Gradebook(tmp_path)
    book.open(None, STEMS, force=False)
    assert book.records["amy"]["batch"]["status"] == "graded"


def test_another_seed_or_exercise_set_is_refused_and_force_starts_over(tmp_path):
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)
    book.add(record("amy", FULL), fmts=("json", "junit"))
    with pytest.raises(Refused, match=r"holds results of another batch \(seed 5, exercises 1,2\); rerun with --seed 5 --exercises 1,2"):
        Gradebook(tmp_path).open(6, STEMS, force=False)
    with pytest.raises(Refused, match="another batch"):
        Gradebook(tmp_path).open(None, STEMS[:1], force=False)
    forced = Gradebook(tmp_path)
    assert forced.open(6, STEMS[:1], force=True) == 6
    assert forced.records == {}
    assert list(forced.previous) == ["amy"], "kept for history/ and changes.csv until the reset"
    assert (tmp_path / gradebook.RESULTS).read_bytes() != b""
    forced.reset()
    assert (tmp_path / gradebook.RESULTS).read_bytes() == b""
    assert list((tmp_path / gradebook.FEEDBACK).iterdir()) == []
    assert list((tmp_path / "json").iterdir()) == list((tmp_path / "junit").iterdir()) == []


def test_force_without_a_seed_keeps_the_batch_seed(tmp_path):
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)
    book.add(record("amy", FULL))
    assert Gradebook(tmp_path).open(None, STEMS, force=True) == 5


def test_a_fresh_folder_draws_a_seed(tmp_path):
    seeds = {Gradebook(tmp_path / str(i)).open(None, STEMS, force=False) for i in range(5)}
    assert len(seeds) > 1
    assert all(0 <= s < 2**31 for s in seeds)


# -- grades.csv and feedback


def test_csv_has_a_row_per_student_sorted_with_exact_scores_and_no_formulas(tmp_path):
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)
    book.add(record("zoe", doc([check("make_scalar", 0.5, 1), check("matmul", 2, 2)])))
    book.add(record("=cmd()", FULL, problem=("bad_zip", "-x.zip is broken")))
    with open(tmp_path / gradebook.GRADES, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [
        ["student", *STEMS, "total", "max", "status", "note", "seed"],
        ["'=cmd()", "3", "1", "4", "4", "bad_zip", "'-x.zip is broken", "5"],
        ["zoe", "2.5", "1", "3.5", "4", "graded", "", "5"],
    ]
    assert (tmp_path / gradebook.GRADES).read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_large_gradebook_rewrites_its_csv_only_now_and_then_and_always_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(gradebook, "CSV_ALWAYS", 2)
    monkeypatch.setattr(gradebook, "CSV_SHARE", 10**9)  # as if the last rewrite had been slow: not again soon
    book = Gradebook(tmp_path)
    book.open(5, STEMS, force=False)

    def students() -> list[str]:
        with open(tmp_path / gradebook.GRADES, encoding="utf-8-sig", newline="") as file:
            return [row[0] for row in list(csv.reader(file))[1:]]

    for name in ("amy", "bob", "cat"):
        book.add(record(name, FULL))
    assert students() == ["amy", "bob"]  # cat is in results.jsonl; grades.csv waits
    assert [json.loads(line)["batch"]["student"] for line in book.results.read_text().splitlines()] == ["amy", "bob", "cat"]
    book.write_csv()
    assert students() == ["amy", "bob", "cat"]
    monkeypatch.setattr(gradebook, "CSV_SHARE", 0)  # a rewrite that cost nothing may come at once
    book.add(record("dan", FULL))
    assert students() == ["amy", "bob", "cat", "dan"]


def test_feedback_holds_grades_report_in_a_fence_longer_than_any_backticks_in_it():
    message = "expected ```3``` and got\n````4````"
    text = gradebook.feedback(record("amy", doc([check("make_scalar", 0, 1, "failed", message), check("matmul", 2, 2)])))
    assert text.startswith("# Feedback for amy\n\nScore: 3/4 points · status graded · seed 5\n\n`````text\n")
    assert "  ✗ make_scalar  0/1\n      expected ```3``` and got\n      ````4````\n      hint: hint for make_scalar\n" in text
    assert text.endswith("Total: 3/4 points\n`````\n")
    assert "\x1b[" not in text


def test_format_files_go_to_one_folder_per_format(tmp_path):
    path = gradebook.write_format(tmp_path, record("amy", FULL), "json")
    assert path == tmp_path / "json" / "amy.json"
    assert json.loads(path.read_text()) == FULL


# -- summary.md


@pytest.mark.parametrize(
    ("score", "maximum", "expected"),
    [(0, 4, "0"), (0.5, 4, "< 25%"), (1, 4, "25–50%"), (2.5, 4, "50–75%"), (3.9, 4, "75–99%"), (4, 4, "full"), (0, 0, "full")],
)
def test_bands(score, maximum, expected):
    assert summary.band(score, maximum) == expected


def test_summary_lists_hardest_checks_first_and_only_troubled_students():
    rows = [
        record("amy", FULL),
        record("bob", doc([check("make_scalar", 0, 1, "failed"), check("matmul", 2, 2)])),
        record("cat", doc([check("make_scalar", 0, 1, "timeout"), check("matmul", 0, 2, "failed")])),
    ]
    text = summary.render(rows, [Group("exercise1_tensors", ("amy", "bob"), 0.93)])
    table = text.split("|---|---:|---:|---:|---|\n")[1].split("\n\n")[0].splitlines()
    assert table == [
        "| exercise1_tensors::make_scalar | 1 | 1/3 | 33% | 1 failed, 1 timeout |",
        "| exercise1_tensors::matmul | 2 | 2/3 | 67% | 1 failed |",
        "| exercise2_reshape::to_matrix | 1 | 3/3 | 100% |  |",
    ]
    assert "| cat | timeout | exercise1_tensors::make_scalar timeout |" in text
    assert "| bob |" not in text
    assert text.endswith("| exercise1_tensors | amy, bob | 93% similar |\n")


def test_summary_of_nothing_says_so():
    assert summary.render([], []) == "# Batch summary\n\nNo student has been graded yet.\n"


def test_a_check_skipped_on_this_machine_is_not_the_hardest():
    skipped = [check("make_scalar", 0, 0, "skipped", "needs CUDA"), check("matmul", 0, 2, "failed")]
    text = summary.render([record("amy", doc(skipped)), record("bob", doc(skipped))], [])
    table = text.split("|---|---:|---:|---:|---|\n")[1].split("\n\n")[0].splitlines()
    assert table == [
        "| exercise1_tensors::matmul | 2 | 0/2 | 0% | 2 failed |",
        "| exercise2_reshape::to_matrix | 1 | 2/2 | 100% |  |",
        "| exercise1_tensors::make_scalar | 0 | 0/0 | – | 2 skipped |",
    ]
