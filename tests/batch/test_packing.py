"""A student's job packed for a remote worker: the same files as read on the spot, as plain JSON, under a key that names them."""

from __future__ import annotations

import json
import zipfile

import pytest

from grader.batch import layouts, packing
from grader.batch.layouts import BadInput, Entry

STEMS = ["exercise1_tensors", "exercise2_reshape"]
E1, E2 = STEMS


def student(tmp_path, name="amy", files=None) -> Entry:
    folder = tmp_path / name
    folder.mkdir()
    for stem, data in (files if files is not None else {E1: b"x = 1\n", E2: b"y = 2\n"}).items():
        (folder / f"{stem}.py").write_bytes(data)
    return Entry(name, "folder", folder)


def test_a_packed_job_is_plain_json_and_unpacks_to_the_files_read_in_place(tmp_path):
    entry = student(tmp_path, files={E1: "# ç\nx = 1\n".encode(), E2: b"\xef\xbb\xbfy = 2\n"})
    job = json.loads(json.dumps(packing.pack(entry, STEMS)))
    assert {k: job[k] for k in ("student", "kind", "path")} == {"student": "amy", "kind": "folder", "path": str(entry.path)}
    assert packing.is_packed(job)
    assert not packing.is_packed(packing.by_path(entry))
    assert packing.unpack(job) == layouts.read_sources(entry, STEMS)
    assert packing.entry_of(job) == entry


def test_notes_and_a_problem_with_one_file_travel_with_the_job(tmp_path):
    entry = student(tmp_path, files={E1: b"x = 1\n", E2: b"\x00binary"})
    (entry.path / "exercises").mkdir()
    (entry.path / "exercises" / f"{E1}.py").write_bytes(b"x = 2\n")
    sources = packing.unpack(packing.pack(entry, STEMS))
    assert sources.files == {E1: b"x = 2\n"}
    assert sources.notes == [f"2 files for {E1} in the folder; graded exercises/{E1}.py"]
    assert (sources.problem.status, sources.problem.message) == ("not_python", f"{E2}.py is not Python source (it holds binary data)")


def test_a_submission_that_cannot_be_read_is_packed_as_refused(tmp_path):
    archive = tmp_path / "ned.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"../{E1}.py", "x = 1\n")
    job = packing.pack(Entry("ned", "zip", archive), STEMS)
    assert job["refused"] == ["bad_zip", f"ned.zip holds an unsafe path '../{E1}.py'; it was not unpacked"]
    assert "files" not in job
    with pytest.raises(BadInput) as raised:
        packing.unpack(job)
    assert raised.value.status == "bad_zip"


def test_the_key_names_the_student_the_files_the_kit_and_the_seed(tmp_path, monkeypatch):
    entry = student(tmp_path)
    key = packing.key(packing.pack(entry, STEMS), 7)
    student_id, digest, version, seed = key.split(":")
    assert (student_id, len(digest), version, seed) == ("amy", 64, packing.__version__, "7")
    assert packing.key(packing.pack(entry, STEMS), 7) == key
    assert packing.key(packing.pack(entry, STEMS), 8) != key
    (entry.path / f"{E2}.py").write_bytes(b"y = 3\n")
    assert packing.key(packing.pack(entry, STEMS), 7) != key
    monkeypatch.setattr(packing, "__version__", "9.9")
    assert packing.key(packing.pack(entry, STEMS), 7).split(":")[2] == "9.9"


def test_files_moved_between_stems_make_another_key(tmp_path):
    one = student(tmp_path, "a", {E1: b"x = 1\n", E2: b""})
    other = student(tmp_path, "b", {E1: b"", E2: b"x = 1\n"})
    digest = [packing.key(packing.pack(e, STEMS), 1).split(":")[1] for e in (one, other)]
    assert digest[0] != digest[1]


def test_a_job_refused_after_grading_failed_keeps_its_key_and_is_refused(tmp_path):
    job = packing.pack(student(tmp_path), STEMS)
    refused = packing.refuse(job, "grader_error", "it killed its worker")
    assert packing.key(refused, 3) == packing.key(job, 3)
    with pytest.raises(BadInput) as raised:
        packing.unpack(refused)
    assert (raised.value.status, raised.value.message) == ("grader_error", "it killed its worker")


def test_pending_skips_the_keys_already_recorded_and_regrades_changed_files_and_grader_errors(tmp_path):
    entries = [student(tmp_path, name, {E2: f"x = {name!r}\n".encode()}) for name in ("amy", "bob", "cat", "dan")]
    keys = {e.student: packing.key(packing.pack(e, [E2]), 9) for e in entries}
    recorded = {
        "amy": {"batch": {"status": "graded", "key": keys["amy"]}},
        "bob": {"batch": {"status": "grader_error", "key": keys["bob"]}},
        "cat": {"batch": {"status": "graded", "key": keys["cat"]}},
    }
    (tmp_path / "cat" / f"{E2}.py").write_text("x = 'cat, resubmitted'\n")
    assert [e.student for e in packing.pending(entries, recorded, [E2], 9)] == ["bob", "cat", "dan"]
    assert [e.student for e in packing.pending(entries, recorded, [E2], 10)] == ["amy", "bob", "cat", "dan"]
