"""The student's history of gradings: written by ``grade`` and ``grade watch``, read by ``grade list``, unseen by the batch."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import cli, registry
from grader.batch import copies, layouts
from grader.batch.layouts import Entry
from grader.student import history
from tests.helpers import EX1_POINTS, KIT

EX1, EX2, EX3 = registry.EXERCISES[:3]


@pytest.fixture(autouse=True)
def history_on(monkeypatch):
    monkeypatch.delenv(history.ENV)  # the kit's tests turn it off (see conftest); these are about it


def doc(*parts: dict, seed: int = 1) -> dict:
    return {"seed": seed, "device": "cpu", "exercises": list(parts)}


def part(exercise, score: float, max_score: float, status: str = "graded") -> dict:
    return {"exercise": exercise.stem, "title": exercise.title, "score": score, "max_score": max_score, "status": status, "checks": []}


def lines(submission: Path) -> list[dict]:
    return [json.loads(line) for line in history.path(submission).read_text(encoding="utf-8").splitlines()]


def test_each_grading_is_one_line_and_standings_keep_the_best_and_the_last(tmp_path):
    assert history.standings(tmp_path) == {}
    assert history.record(tmp_path, doc(part(EX1, 3, 17), part(EX2, 0, 10, "missing")), by="grade") is None
    history.record(tmp_path, doc(part(EX1, 17, 17)), by="watch")
    history.record(tmp_path, doc(part(EX1, 15.5, 17)), by="watch")
    written = lines(tmp_path)
    assert [e["by"] for e in written] == ["grade", "watch", "watch"]
    assert written[0]["exercises"] == [{"exercise": EX1.stem, "score": 3, "max_score": 17, "status": "graded"}], (
        "a missing file is no grading"
    )
    standing = history.standings(tmp_path)[EX1.stem]
    assert (standing.best.score, standing.last.score) == (17, 15.5)
    assert standing.best.full
    assert not standing.last.full
    assert EX2.stem not in history.standings(tmp_path)


def test_full_marks_need_a_module_that_imports_and_every_point():
    assert history.Score(17, 17, "graded").full
    assert not history.Score(15, 20, "graded").full  # exercise 6 with its training check not run yet
    assert not history.Score(0, 0, "graded").full
    assert not history.Score(0, 17, "error").full


def test_a_torn_last_line_costs_only_itself(tmp_path):
    history.record(tmp_path, doc(part(EX1, 1, 17)), by="grade")
    with open(history.path(tmp_path), "ab") as file:
        file.write(b'{"time": "2026-01-01", "exercises": [{"exerc')  # killed mid-write
    history.record(tmp_path, doc(part(EX1, 2, 17)), by="grade")
    assert history.standings(tmp_path)[EX1.stem].last.score == 2
    assert len(history.path(tmp_path).read_text(encoding="utf-8").splitlines()) == 3


def test_turned_off_it_is_neither_written_nor_read(tmp_path, monkeypatch):
    history.record(tmp_path, doc(part(EX1, 17, 17)), by="grade")
    monkeypatch.setenv(history.ENV, "off")
    assert history.standings(tmp_path) == {}
    history.record(tmp_path, doc(part(EX1, 1, 17)), by="grade")
    monkeypatch.delenv(history.ENV)
    assert len(lines(tmp_path)) == 1


def test_a_history_that_is_a_folder_is_reported_not_raised(tmp_path):
    history.path(tmp_path).mkdir(parents=True)  # so that opening it fails, whoever runs the test
    warning = history.record(tmp_path, doc(part(EX1, 17, 17)), by="grade")
    assert warning is not None
    assert "could not be written" in warning
    assert warning.endswith("the grading above is complete")
    assert history.standings(tmp_path) == {}


# ---------------------------------------------------------------- grade and grade list


def grade(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_grade_records_its_report_for_people_but_not_the_formats_for_programs(tmp_path):
    (tmp_path / f"{EX1.stem}.py").write_text((KIT / "solutions" / f"{EX1.stem}.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert grade("1", "--submission", tmp_path, "--format", "json").exit_code == 0
    assert not history.path(tmp_path).exists()
    assert grade("1", "--submission", tmp_path).exit_code == 0
    (entry,) = lines(tmp_path)
    assert entry["by"] == "grade"
    assert entry["exercises"][0]["score"] == entry["exercises"][0]["max_score"] == EX1_POINTS


def test_list_with_a_history_shows_scores_marks_progress_and_next(tmp_path):
    history.record(tmp_path, doc(part(EX1, 17, 17)), by="grade")
    history.record(tmp_path, doc(part(EX2, 4, 10)), by="watch")
    history.record(tmp_path, doc(part(EX2, 2.5, 10)), by="watch")
    shown = grade("list", "--submission", tmp_path).stdout.splitlines()
    assert len(shown) == len(registry.EXERCISES) + 2
    assert shown[0].startswith("✓ 1  exercise1")
    assert shown[0].endswith("best 17/17 · last 17/17")
    assert shown[1].startswith("  2  exercise2")
    assert shown[1].endswith("best 4/10 · last 2.5/10")
    assert shown[2].startswith("  3  exercise3")
    assert shown[2].endswith("not graded yet")
    assert shown[-2].endswith("] 1 of 7 exercises has full marks")
    assert shown[-2].count("█") == 4
    assert shown[-1] == "next: grade watch 2"


def test_list_without_a_history_is_the_plain_list(tmp_path):
    plain = grade("list", "--submission", tmp_path).stdout.splitlines()
    assert len(plain) == len(registry.EXERCISES)
    assert all(line.startswith(f"{e.number}  {e.name}") and line.endswith(" points)") for e, line in zip(registry.EXERCISES, plain))


# ---------------------------------------------------------------- the batch never sees it


def test_the_batch_reads_no_history_and_copy_detection_compares_none(tmp_path):
    ada, bob = tmp_path / "class" / "ada", tmp_path / "class" / "bob"
    own = {"ada": "def make_scalar(value):\n    return torch.tensor(float(value))\n", "bob": "def make_scalar(v):\n    return v\n"}
    same_history = "".join(json.dumps({"time": str(i), "exercises": [{"exercise": EX1.stem, "score": i}]}) + "\n" for i in range(200))
    for folder in (ada, bob):
        (folder / history.FOLDER).mkdir(parents=True)
        (folder / history.FOLDER / history.FILE).write_text(same_history, encoding="utf-8")
        (folder / history.FOLDER / f"{EX1.stem}.py").write_text(same_history, encoding="utf-8")  # a decoy where a stem would be
        (folder / f"{EX1.stem}.py").write_text(own[folder.name], encoding="utf-8")
    (tmp_path / "class" / history.FOLDER).mkdir()  # grade run once in the class folder itself
    with zipfile.ZipFile(tmp_path / "class" / "cy.zip", "w") as archive:
        archive.writestr(f"cy/{history.FOLDER}/{history.FILE}", same_history)
        archive.writestr(f"cy/{EX1.stem}.py", own["bob"])
    found = layouts.discover(tmp_path / "class")
    assert [e.student for e in found.entries] == ["ada", "bob", "cy"]
    assert found.ignored == []
    sources = {e.student: layouts.read_sources(e, [EX1.stem, EX2.stem]) for e in found.entries}
    for student, read in sources.items():
        assert list(read.files) == [EX1.stem], student
        assert read.notes == [], student
    assert sources["ada"].files[EX1.stem].decode() == own["ada"]
    texts = {s: {stem: data.decode() for stem, data in read.files.items()} for s, read in sources.items() if s != "cy"}
    assert copies.groups(texts, [EX1.stem]) == []


def test_a_student_folder_holding_only_a_history_has_no_exercise_files(tmp_path):
    folder = tmp_path / "dan"
    (folder / history.FOLDER).mkdir(parents=True)
    (folder / history.FOLDER / history.FILE).write_text("{}\n", encoding="utf-8")
    with pytest.raises(layouts.BadInput) as raised:
        layouts.read_sources(Entry("dan", "folder", folder), [EX1.stem])
    assert raised.value.status == "empty"
