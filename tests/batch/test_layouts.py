"""Finding the students of a class, and reading each one's exercise files without trusting them."""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest

from grader import source
from grader.batch import layouts
from grader.batch.layouts import BadInput, Entry, LayoutError

STEMS = ["exercise1_tensors", "exercise2_reshape"]
GOOD = b"import torch\n\n\ndef f():\n    return 1\n"

LINKED = "is a link, and the grader never follows one: submit the file itself"


def write(path: Path, data: bytes | str = GOOD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def zipped(path: Path, members: dict[str, bytes], **options) -> Path:
    with zipfile.ZipFile(path, "w", options.get("compression", zipfile.ZIP_DEFLATED)) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def folder(path: Path) -> Entry:
    return Entry(path.name, "folder", path)


def problem(entry: Entry) -> tuple[str, str]:
    with pytest.raises(BadInput) as raised:
        layouts.read_sources(entry, STEMS)
    return raised.value.status, raised.value.message


# -- discover


def test_folders_and_zips_are_students_named_after_them(tmp_path):
    write(tmp_path / "bob" / "exercise1_tensors.py")
    zipped(tmp_path / "amy.zip", {"exercise1_tensors.py": GOOD})
    zipped(tmp_path / "bob.zip", {"exercise1_tensors.py": GOOD})
    write(tmp_path / "notes.txt", "x")
    (tmp_path / ".git").mkdir()
    layout = layouts.discover(tmp_path)
    assert [(e.student, e.kind) for e in layout.entries] == [("amy", "zip"), ("bob", "folder"), ("bob.zip", "zip")]
    assert layout.kind == "mixed"
    assert layout.ignored == ["notes.txt"]
    assert layout.describe() == "one folder or .zip per student (1 folder, 2 zips); ignored 1 other file: notes.txt"


@pytest.mark.parametrize("given", ["course", "course/submitted"])
def test_an_nbgrader_course_or_its_submitted_folder_is_the_nbgrader_layout(tmp_path, given):
    write(tmp_path / "course" / "submitted" / "amy" / "ps1" / "exercise1_tensors.py")
    write(tmp_path / "course" / "source" / "ps1" / "exercise1_tensors.py")
    layout = layouts.discover(tmp_path / given)
    assert layout.kind == "nbgrader"
    assert [(e.student, e.path) for e in layout.entries] == [("amy", tmp_path / "course" / "submitted" / "amy")]
    assert layouts.read_sources(layout.entries[0], STEMS).files == {"exercise1_tensors": GOOD}


def test_what_is_not_a_class_says_what_to_pass(tmp_path):
    with pytest.raises(LayoutError, match=re.escape("is not a folder; pass the folder that holds one folder or .zip per student")):
        layouts.discover(tmp_path / "nowhere")
    with pytest.raises(LayoutError, match=re.escape("is one zip file; put one .zip or folder per student in a folder")):
        layouts.discover(zipped(tmp_path / "all.zip", {"a.py": GOOD}))
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match=re.escape("holds no student folders or .zip files")):
        layouts.discover(tmp_path / "empty")
    write(tmp_path / "mine" / "exercise1_tensors.py")
    with pytest.raises(LayoutError, match="like one student's submission; grade it with 'grade all --submission"):
        layouts.discover(tmp_path / "mine")


# -- a student's folder


def test_exercises_folder_wins_over_another_copy_and_the_teacher_is_told(tmp_path):
    write(tmp_path / "amy" / "exercise1_tensors.py", b"x = 1\n")
    write(tmp_path / "amy" / "exercises" / "exercise1_tensors.py")
    write(tmp_path / "amy" / "deep" / "er" / "exercise2_reshape.py", b"y = 2\n")
    found = layouts.read_sources(folder(tmp_path / "amy"), STEMS)
    assert found.files == {"exercise1_tensors": GOOD, "exercise2_reshape": b"y = 2\n"}
    assert found.notes == ["2 files for exercise1_tensors in the folder; graded exercises/exercise1_tensors.py"]
    assert found.problem is None


def test_empty_folder_and_folder_without_exercise_files(tmp_path):
    (tmp_path / "amy" / "sub").mkdir(parents=True)
    assert problem(folder(tmp_path / "amy")) == ("empty", "the folder is empty")
    write(tmp_path / "bob" / "Exercise1.py")
    write(tmp_path / "bob" / "report.pdf", b"%PDF")
    assert problem(folder(tmp_path / "bob")) == (
        "no_exercise_files",
        "no exercise file found (looked for exercise1_tensors.py, exercise2_reshape.py); found Exercise1.py, report.pdf",
    )


def test_binary_and_wrongly_encoded_files_are_not_python(tmp_path):
    write(tmp_path / "amy" / "exercise1_tensors.py", b"\x7fELF\x02\x01\x01\x00")
    assert problem(folder(tmp_path / "amy")) == ("not_python", "exercise1_tensors.py is not Python source (it holds binary data)")
    write(tmp_path / "bob" / "exercise1_tensors.py", "# Задание\nx = 1\n".encode("cp1251"))
    assert problem(folder(tmp_path / "bob")) == (
        "not_python",
        "exercise1_tensors.py is not UTF-8 text (saved in another encoding?); save it as UTF-8",
    )


def test_a_declared_encoding_is_read_and_passed_on_as_utf8(tmp_path):
    write(tmp_path / "amy" / "exercise1_tensors.py", "# -*- coding: cp1251 -*-\n# Задание\n".encode("cp1251"))
    assert layouts.read_sources(folder(tmp_path / "amy"), STEMS).files["exercise1_tensors"] == (
        "# -*- coding: cp1251 -*-\n# Задание\n".encode()
    )


def test_one_unusable_file_is_a_problem_but_the_other_exercise_is_still_graded(tmp_path):
    write(tmp_path / "amy" / "exercise1_tensors.py", b"\x00\x01")
    write(tmp_path / "amy" / "exercise2_reshape.py")
    found = layouts.read_sources(folder(tmp_path / "amy"), STEMS)
    assert found.files == {"exercise2_reshape": GOOD}
    assert (found.problem.status, found.problem.message) == (
        "not_python",
        "exercise1_tensors.py is not Python source (it holds binary data)",
    )


def test_links_out_of_the_submission_fifos_and_huge_files_are_not_read(tmp_path, monkeypatch):
    secret = write(tmp_path / "secret.py", b"password = 1\n")
    (tmp_path / "amy").mkdir()
    (tmp_path / "amy" / "exercise1_tensors.py").symlink_to(secret)
    assert problem(folder(tmp_path / "amy")) == ("unreadable", f"exercise1_tensors.py {LINKED}")
    (tmp_path / "bob").mkdir()
    os.mkfifo(tmp_path / "bob" / "exercise1_tensors.py")  # opening it for reading would block forever
    assert problem(folder(tmp_path / "bob")) == ("unreadable", "exercise1_tensors.py is not a regular file")
    monkeypatch.setattr(source, "MAX_FILE", 10)
    write(tmp_path / "cat" / "exercise1_tensors.py", b"x = 1\n" * 10)
    assert problem(folder(tmp_path / "cat")) == ("too_large", "exercise1_tensors.py is larger than 0 MiB")


def test_a_link_inside_the_submission_is_not_followed_either(tmp_path):
    write(tmp_path / "amy" / "work" / "mine.py")
    (tmp_path / "amy" / "exercise1_tensors.py").symlink_to(tmp_path / "amy" / "work" / "mine.py")
    assert problem(folder(tmp_path / "amy")) == ("unreadable", f"exercise1_tensors.py {LINKED}")


def test_a_notebook_gives_its_code_cells_without_magics_or_autograder_cells(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Task"},
        {"cell_type": "code", "metadata": {}, "source": ["%matplotlib inline\n", "import torch\n"]},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade": False}}, "source": "def f():\n    return 1"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False}}, "source": "check('f')"},
    ]
    write(tmp_path / "amy" / "ps1" / "exercise1_tensors.ipynb", json.dumps({"cells": cells}))
    found = layouts.read_sources(folder(tmp_path / "amy"), STEMS)
    assert found.files == {"exercise1_tensors": b"# %matplotlib inline\nimport torch\ndef f():\n    return 1\n"}
    write(tmp_path / "bob" / "exercise1_tensors.ipynb", b"{not json")
    assert problem(folder(tmp_path / "bob")) == (
        "not_python",
        "exercise1_tensors.ipynb is not a Jupyter notebook (its JSON cannot be read)",
    )


def test_a_python_file_wins_over_a_notebook_of_the_same_stem(tmp_path):
    write(tmp_path / "amy" / "exercise1_tensors.ipynb", b"{}")
    write(tmp_path / "amy" / "exercise1_tensors.py")
    assert layouts.read_sources(folder(tmp_path / "amy"), STEMS).files == {"exercise1_tensors": GOOD}


# -- a student's zip


def test_a_zip_is_read_from_any_folder_inside_it_and_junk_is_skipped(tmp_path):
    path = zipped(
        tmp_path / "amy.zip",
        {
            "amy/exercises/exercise1_tensors.py": GOOD,
            "__MACOSX/amy/._exercise2_reshape.py": b"\x00",
            "amy/.hidden/exercise2_reshape.py": b"x = 1\n",
        },
    )
    found = layouts.read_sources(Entry("amy", "zip", path), STEMS)
    assert found.files == {"exercise1_tensors": GOOD}
    assert found.problem is None


@pytest.mark.parametrize(
    "name",
    [
        "/etc/exercise1_tensors.py",
        "../exercise1_tensors.py",
        "a/../../exercise1_tensors.py",
        "..\\exercise1_tensors.py",
        "C:/exercise1_tensors.py",
    ],
)
def test_a_zip_naming_a_path_outside_itself_is_refused_whole(tmp_path, name):
    path = zipped(tmp_path / "amy.zip", {"exercise2_reshape.py": GOOD, name: GOOD})
    assert problem(Entry("amy", "zip", path)) == ("bad_zip", f"amy.zip holds an unsafe path {name!r}; it was not unpacked")


def test_zip_bombs_are_refused_by_ratio_and_by_total_size(tmp_path, monkeypatch):
    bomb = zipped(tmp_path / "amy.zip", {"exercise1_tensors.py": GOOD, "zeros": bytes(5 << 20)})
    assert problem(Entry("amy", "zip", bomb)) == (
        "bad_zip",
        "amy.zip compresses 'zeros' more than 200:1 (a zip bomb?); it was not unpacked",
    )
    monkeypatch.setattr(layouts, "MAX_UNPACKED", 1 << 20)
    big = zipped(tmp_path / "bob.zip", {"exercise1_tensors.py": GOOD, "a": os.urandom(600 << 10), "b": os.urandom(600 << 10)})
    assert problem(Entry("bob", "zip", big)) == ("bad_zip", "bob.zip would unpack to more than 1 MiB (a zip bomb?); it was not unpacked")


def test_a_link_inside_a_zip_is_not_followed(tmp_path):
    path = tmp_path / "amy.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("exercise1_tensors.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("exercise2_reshape.py", GOOD)
    found = layouts.read_sources(Entry("amy", "zip", path), STEMS)
    assert found.files == {"exercise2_reshape": GOOD}
    assert (found.problem.status, found.problem.message) == (
        "unreadable",
        "exercise1_tensors.py is a link inside the zip; links are not followed",
    )


def test_an_encrypted_zip_is_not_read(tmp_path):
    data = bytearray(zipped(tmp_path / "plain.zip", {"exercise1_tensors.py": GOOD}).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" bit of the flags
        at = data.index(signature) + offset
        data[at] |= 0x1
    path = write(tmp_path / "amy.zip", bytes(data))
    assert problem(Entry("amy", "zip", path)) == ("unreadable", "exercise1_tensors.py is encrypted")


def test_broken_and_empty_zips(tmp_path):
    broken = write(tmp_path / "amy.zip", b"PK\x03\x04 not really")
    status, message = problem(Entry("amy", "zip", broken))
    assert status == "bad_zip"
    assert message.startswith("amy.zip is not a readable zip file (")
    empty = zipped(tmp_path / "bob.zip", {})
    assert problem(Entry("bob", "zip", empty)) == ("empty", "bob.zip is empty")
