"""What several formats share: exact numbers, and where in the student's file a check went wrong."""

from __future__ import annotations

import re
from pathlib import Path

from grader.i18n import _
from grader.registry import module_path
from grader.settings import PUBLIC_SEEDS_FROM
from grader.status import CheckStatus, shown

# XML 1.0 cannot hold these even escaped, and a terminal obeys them; a student's output may print them.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def visible(text: str) -> str:
    """Control characters spelled out (``\\x1b``), so that no format carries them raw."""
    return CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def points(value: float) -> str:
    """Points as people write them and as they are: 17, 1.5, 0.3333333333333333; never rounded to a few digits."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def replay(doc: dict, for_students: bool = False) -> str:
    """How to replay this grading, said so that it works where it is read. A student's own run replays with ``--seed``
    in the kit that ran it; but what the teacher's kit writes for students (``grade batch``'s feedback, Gradescope)
    carries a teacher's seed, below the public ones, which a student release refuses: there, it says who can replay it."""
    if for_students and doc["seed"] < PUBLIC_SEEDS_FROM:
        return _("the teacher's kit replays this grading with grade --seed {seed}; a student release has only its public seeds")
    return _("replay with --seed {seed}")


def checks(doc: dict):
    """Every (exercise, check) pair of a document, in order."""
    for exercise in doc["exercises"]:
        for item in exercise["checks"]:
            yield exercise, item


def details(item: dict) -> str:
    """A check's message and hint, as a student should read them."""
    text = item["message"] or shown(item["status"])
    if item["hint"] and item["status"] != CheckStatus.SKIPPED:
        text += "\n" + _("hint: {hint}").format(hint=item["hint"])
    return text


def student_file(doc: dict, stem: str) -> Path:
    """The file the submission holds for ``stem`` (``exercises/<stem>.py`` or ``<stem>.py``), or where it belongs."""
    return module_path(Path(doc["submission"]), stem)


def failing_line(item: dict, source: str | None) -> int | None:
    """The line to point at: where the student's code raised (the check's ``line``), else the ``def``
    of the function the check is named after (``matmul_shape_error`` tries ``matmul_shape``, then ``matmul``)."""
    if item["status"] == CheckStatus.ERROR and item.get("line"):  # carried as data by the document since it gained "line"
        return item["line"]
    if not source:
        return None
    words = item["name"].split("_")
    for end in range(len(words), 0, -1):
        name = "_".join(words[:end])
        found = list(re.finditer(rf"^def {re.escape(name)}\s*\(", source, re.MULTILINE))
        if found:  # the last definition is the one Python keeps
            return source.count("\n", 0, found[-1].start()) + 1
    return None
