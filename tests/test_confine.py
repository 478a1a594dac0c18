"""Can student code read the reference solutions by path, or write outside its own folder? With namespaces
(the mounts hide and the file system is read-only) and without them (Landlock, Linux 5.13+, does both)."""

from __future__ import annotations

import os

import pytest

from grader.sandbox import confine
from tests import sandbox_targets as targets
from tests.conftest import KIT

needs_landlock = pytest.mark.skipif(not confine.available(), reason="this kernel has no Landlock (Linux 5.13+), so files cannot be hidden")
SOLUTION = KIT / "solutions" / "exercise1_tensors.py"


@needs_landlock
def test_student_code_cannot_open_a_reference_solution(box):
    outcome = box.run(targets.read_text, str(SOLUTION))
    assert outcome.status == "raised" and outcome.error["type"] == "PermissionError"


def test_everything_else_stays_readable(box):
    for path in (KIT / "exercises" / "exercise1_tensors.py", KIT / "README.md", KIT / "data" / "README.md"):
        outcome = box.run(targets.read_text, str(path))
        assert outcome.status == "ok" and outcome.value == path.read_text(encoding="utf-8")


@needs_landlock
def test_student_code_writes_only_in_its_working_directory(box, tmp_path):
    assert box.run(targets.write_text, "model.pt", "weights").value.endswith("/model.pt")
    assert box.run(targets.temp_file).value is True  # tempfile writes there too
    for outside in (tmp_path / "gradebook.jsonl", KIT / "grader" / "checks" / "conftest.py"):
        refused = box.run(targets.write_text, str(outside), "forged").value
        assert refused in ("PermissionError", "OSError", "FileNotFoundError"), refused  # Landlock, read-only, or a /tmp of its own
        assert not outside.exists()


def test_dataloader_workers_still_work_in_a_confined_child(box):
    outcome = box.run(targets.loader_workers, 2)
    assert (outcome.status, outcome.value) == ("ok", 45), outcome.error


def test_the_reference_graded_as_a_submission_can_still_be_read(box):
    outcome = box.run(targets.student_function, "make_scalar", 2.5, module=SOLUTION)
    assert outcome.status == "ok" and outcome.value.item() == 2.5


def test_rules_never_open_a_way_to_a_hidden_folder(tmp_path):
    hidden = tmp_path / "kit" / "solutions"
    hidden.mkdir(parents=True)
    (tmp_path / "kit" / "exercises").mkdir()
    (tmp_path / "kit" / "README.md").write_text("")
    (tmp_path / "kit" / "to_solutions").symlink_to(hidden)
    (tmp_path / "kit" / "to_kit").symlink_to(tmp_path / "kit")
    (tmp_path / "kit" / "into").symlink_to(hidden / "anything")
    found = dict(confine.rules([str(hidden)]))
    assert found[str(tmp_path / "kit" / "exercises")] == confine.READ_FILE | confine.READ_DIR
    assert found[str(tmp_path / "kit" / "README.md")] == confine.READ_FILE
    for parent in (tmp_path / "kit", tmp_path, "/"):
        assert found[os.path.realpath(parent)] == confine.READ_DIR  # listed, never read
    assert not {str(hidden), *(str(tmp_path / "kit" / name) for name in ("to_solutions", "to_kit", "into"))} & set(found)


def test_with_nothing_hidden_everything_is_readable_and_only_the_writable_folders_writable():
    assert confine.rules([], ["/tmp/work"]) == [("/", confine.READ_FILE | confine.READ_DIR), ("/tmp/work", confine.WRITE)]


def test_a_writable_folder_is_readable_too_when_folders_are_hidden(tmp_path):
    """A working directory beside a hidden folder's parents: the child must read back what it wrote."""
    (tmp_path / "solutions").mkdir()
    found = dict(confine.rules([str(tmp_path / "solutions")], [str(tmp_path / "work")]))
    assert found[str(tmp_path / "work")] == confine.WRITE | confine.READ_FILE | confine.READ_DIR
