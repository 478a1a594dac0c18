"""Does ``grade export`` turn a batch's grades.csv into the file Canvas or Moodle imports, matched to their own export?

The rosters are written in each platform's documented export layout (see :mod:`grader.batch.lms`): Canvas's header,
its "Points Possible" row and its Test Student; Moodle's plain-text export with its user fields, its grade items
named ``Type: Name (Real)`` and its "Last downloaded from this course" stamp.
"""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from grader.batch import lms
from grader.cli import main

GRADES = """\ufeffstudent,exercise1_tensors,exercise2_reshape,total,max,status,note,seed
ada,18,12,30,30,graded,,4242
ben,16,12,28,30,graded,,4242
cleo,16,0,16,30,missing,missing exercise2_reshape,4242
"""
CANVAS = (
    (
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Homework 1 (1201),PyTorch kit (1202),"
        "Current Score,Unposted Current Score,Final Score,Unposted Final Score\n"
    )
    + """    Points Possible,,,,,10.00,30.00,(read only),(read only),(read only),(read only)
"Lovelace, Ada",101,S001,ada,Section A,9.00,,90.00,90.00,90.00,90.00
"Babbage, Ben",102,S002,ben,Section A,7.50,,75.00,75.00,75.00,75.00
"Herschel, Cleo",103,S003,cleo,Section B,10.00,,100.00,100.00,100.00,100.00
"Somerville, Dora",104,S004,dora,Section B,8.00,,80.00,80.00,80.00,80.00
"Student, Test",9999,,0b5a7e3c9f,Section A,,,,,,
"""
)
MOODLE = (
    (
        'First name,Last name,ID number,Institution,Department,Email address,"Assignment: PyTorch kit (Real)",'
        '"Course total (Real)","Last downloaded from this course"\n'
    )
    + """Ada,Lovelace,S001,Uni,CS,ada@uni.example,-,-,1733450000
Ben,Babbage,S002,Uni,CS,Ben@Uni.example,-,-,1733450000
Cleo,Herschel,S003,Uni,CS,cleo@uni.example,-,-,1733450000
"""
)
MOODLE_GRADES = (
    GRADES.replace("\nada,", "\nada@uni.example,").replace("\nben,", "\nben@uni.example,").replace("\ncleo,", "\ncleo@uni.example,")
)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def rows(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def export(tmp_path, lms_name, grades, roster, *extra):
    args = [
        "export",
        str(write(tmp_path / "grades.csv", grades)),
        "--lms",
        lms_name,
        "--roster",
        str(write(tmp_path / "roster.csv", roster)),
    ]
    return CliRunner().invoke(main, [*args, *extra])


def test_a_canvas_export_of_three_students_becomes_an_import_file_with_their_scores(tmp_path):
    done = export(tmp_path, "canvas", GRADES, CANVAS, "--column", "PyTorch kit (1202)")
    assert done.exit_code == 1, done.output  # dora is on the roster but not in the batch: said, and the exit code says so
    written = rows(tmp_path / "canvas-import.csv")
    assert written == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PyTorch kit (1202)"],
        ["    Points Possible", "", "", "", "", "30.00"],
        ["Lovelace, Ada", "101", "S001", "ada", "Section A", "30"],
        ["Babbage, Ben", "102", "S002", "ben", "Section A", "28"],
        ["Herschel, Cleo", "103", "S003", "cleo", "Section B", "16"],
        ["Somerville, Dora", "104", "S004", "dora", "Section B", ""],
        ["Student, Test", "9999", "", "0b5a7e3c9f", "Section A", ""],
    ]
    assert done.stderr.splitlines() == ["Somerville, Dora (SIS Login ID dora): on the roster, but not in the batch; left as it was"]
    assert f"{tmp_path / 'canvas-import.csv'}: 3 grades in PyTorch kit (1202), students matched by login" in done.stdout


def test_an_unknown_student_is_said_in_one_line_and_nothing_is_guessed(tmp_path):
    grades = GRADES + "zed,18,12,30,30,graded,,4242\nAda,1,1,2,30,graded,,4242\n"
    done = export(tmp_path, "canvas", grades, CANVAS, "--column", "Project", "--match", "login")
    assert done.exit_code == 1
    said = done.stderr.splitlines()
    assert "zed: no roster row has SIS Login ID = zed; not exported" in said
    assert "Ada: no roster row has SIS Login ID = Ada; not exported" in said, "a login is matched as it is"
    assert [row[-1] for row in rows(tmp_path / "canvas-import.csv")] == ["Project", "30", "30", "28", "16", "", ""]


def test_two_roster_rows_for_one_student_are_ambiguous(tmp_path):
    roster = CANVAS + '"Lovelace, Ada (2)",105,S005,ada,Section C,,,,,,\n'
    done = export(tmp_path, "canvas", GRADES, roster, "--column", "PyTorch kit (1202)", "--match", "login")
    assert "ada: 2 roster rows have SIS Login ID = ada (rows 3, 8); not exported" in done.stderr.splitlines()
    assert [row[-1] for row in rows(tmp_path / "canvas-import.csv")][2] == ""


def test_a_moodle_export_matched_by_email_becomes_its_import_file(tmp_path):
    done = export(tmp_path, "moodle", MOODLE_GRADES, MOODLE, "--column", "Assignment: PyTorch kit (Real)")
    assert done.exit_code == 0, done.output
    assert done.stderr == ""
    assert rows(tmp_path / "moodle-import.csv") == [
        [
            "First name",
            "Last name",
            "ID number",
            "Institution",
            "Department",
            "Email address",
            "Assignment: PyTorch kit (Real)",
            "Last downloaded from this course",
        ],
        ["Ada", "Lovelace", "S001", "Uni", "CS", "ada@uni.example", "30", "1733450000"],
        ["Ben", "Babbage", "S002", "Uni", "CS", "Ben@Uni.example", "28", "1733450000"],
        ["Cleo", "Herschel", "S003", "Uni", "CS", "cleo@uni.example", "16", "1733450000"],
    ]
    assert "students matched by email" in done.stdout


def test_moodle_by_id_number_when_asked(tmp_path):
    grades = GRADES.replace("\nada,", "\nS001,").replace("\nben,", "\nS002,").replace("\ncleo,", "\nS404,")
    done = export(
        tmp_path, "moodle", grades, MOODLE, "--column", "Assignment: PyTorch kit (Real)", "--match", "sis", "--out", str(tmp_path / "x.csv")
    )
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        "S404: no roster row has ID number = S404; not exported",
        "Herschel (ID number S003): on the roster, but not in the batch; left as it was",
    ]
    assert [row[6] for row in rows(tmp_path / "x.csv")] == ["Assignment: PyTorch kit (Real)", "30", "28", "-"]


@pytest.mark.parametrize(
    ("platform", "roster", "said"),
    [
        ("canvas", MOODLE, "is not a Canvas gradebook export: it has no column Student, ID, SIS User ID, SIS Login ID, Section"),
        ("moodle", CANVAS, "is not a Moodle gradebook export: it has no column First name, Last name"),
    ],
)
def test_a_roster_of_another_layout_is_a_usage_error_in_one_line(tmp_path, platform, roster, said):
    done = export(tmp_path, platform, GRADES, roster, "--column", "x")
    assert done.exit_code == 2
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_default_field_is_the_first_that_matches_every_student():
    roster = lms.Roster("canvas", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], None, [["A", "1", "ada", "x", "S"]])
    assert lms.choose_field(roster, ["ada"], None) == "sis"
