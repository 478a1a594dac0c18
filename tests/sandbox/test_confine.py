"""Can student code read the reference solutions by path, or write outside its own folder? With namespaces
(the mounts show an allow-list and the file system is read-only) and without them (Landlock, Linux 5.13+, does both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox import confine
from tests import sandbox_targets as targets
from tests.helpers import KIT

needs_landlock = pytest.mark.skipif(not confine.available(), reason="this kernel has no Landlock (Linux 5.13+), so files cannot be hidden")
SOLUTION = KIT / "solutions" / "exercise1_tensors.py"


@needs_landlock
def test_student_code_cannot_open_a_reference_solution(box):
    outcome = box.run(targets.read_text, str(SOLUTION))
    assert outcome.status == "raised"
    assert outcome.error["type"] in ("PermissionError", "FileNotFoundError")


def test_the_interpreter_its_library_and_torch_stay_readable(box):
    """What a student's code may read of the machine: an allow-list (see test_sandbox for all it may not)."""
    import json

    import torch

    for path in (json.__file__, torch.__file__):
        outcome = box.run(targets.read_text, path)
        assert outcome.status == "ok", outcome.error
        assert outcome.value == Path(path).read_text(encoding="utf-8"), outcome.error


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
    assert outcome.status == "ok"
    assert outcome.value.item() == 2.5


def test_the_allow_list_grants_reading_alone_and_writing_in_the_writable_folders(tmp_path):
    (tmp_path / "file").write_text("")
    found = confine.allow([str(tmp_path), str(tmp_path / "file")], ["/tmp/work"])
    assert found == [(str(tmp_path), confine.READ_FILE | confine.READ_DIR), (str(tmp_path / "file"), confine.READ_FILE),
                     ("/tmp/work", confine.WRITE | confine.READ_FILE | confine.READ_DIR)]  # fmt: skip
