"""One student's job for a grading process (:mod:`.worker`), and the key its record is kept under.

A packed job carries the student's exercise files themselves, read under the caps of
:mod:`.layouts` and base64-encoded (plain JSON), or the reason they cannot be used, so that a
worker on another machine needs no shared file system and grades exactly the bytes the key names.
The key, ``student:sha256(files):kit version:seed``, tells a rerun whether that very grading is
recorded already: other files, another kit or another seed make another key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from grader import __version__
from grader.batch import layouts
from grader.batch.layouts import Entry
from grader.status import StudentStatus


def by_path(entry: layouts.Entry) -> dict:
    """The job ``grade batch --jobs`` sends: who, and where the files are (the worker reads them)."""
    return {"student": entry.student, "kind": entry.kind, "path": str(entry.path)}


def entry_of(job: dict) -> layouts.Entry:
    return layouts.Entry(job["student"], job["kind"], Path(job["path"]))


def pack(entry: layouts.Entry, stems: list[str]) -> dict:
    """The job with the student's files read into it, or with why they cannot be graded (``refused``)."""
    job = by_path(entry)
    try:
        sources = layouts.read_sources(entry, stems)
    except layouts.BadInput as exc:
        return refuse(job, exc.status, exc.message)
    return {
        **job,
        "files": {stem: base64.b64encode(data).decode("ascii") for stem, data in sources.files.items()},
        "notes": sources.notes,
        "problem": [sources.problem.status, sources.problem.message] if sources.problem else None,
    }


def refuse(packed: dict, status: str, message: str) -> dict:
    """The job recorded as not gradable with ``status``; the files it carries keep its key the same."""
    return {**packed, "refused": [status, message]}


def is_packed(job: dict) -> bool:
    return "files" in job or "refused" in job


def unpack(packed: dict) -> layouts.Sources:
    """The files a packed job carries; raises BadInput when it is refused."""
    if "refused" in packed:
        raise layouts.BadInput(*packed["refused"])
    problem = layouts.BadInput(*packed["problem"]) if packed["problem"] else None
    files = {stem: base64.b64decode(text) for stem, text in packed["files"].items()}
    return layouts.Sources(files, list(packed["notes"]), problem)


def key(packed: dict, seed: int) -> str:
    """``student:sha256(files):kit version:seed``; a job refused at reading hashes the refusal instead."""
    digest = hashlib.sha256()
    if "files" in packed:
        for stem, text in sorted(packed["files"].items()):
            data = base64.b64decode(text)
            digest.update(f"{stem}\0{len(data)}\0".encode())
            digest.update(data)
    else:
        digest.update(json.dumps(packed["refused"]).encode())
    return f"{packed['student']}:{digest.hexdigest()}:{__version__}:{seed}"


def pending(entries: list[Entry], recorded: dict[str, dict], stems: list[str], seed: int) -> list[Entry]:
    """The students to grade: those without a record under the key of their files as they are now, and those with
    grader_error. The resume rule, for ``--jobs`` and ``--cluster`` alike: a student whose files changed since their
    record (or a record of another kit or seed) is graded again, and the newer record wins."""
    todo = []
    for entry in entries:
        record = recorded.get(entry.student)
        if record is None or record["batch"]["status"] == StudentStatus.GRADER_ERROR:
            todo.append(entry)
        elif record["batch"].get("key") != key(pack(entry, stems), seed):
            todo.append(entry)  # other files, another kit: graded again, and the newer record wins
    return todo
