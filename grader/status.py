"""Every status the kit gives, each defined once: of a check, an exercise, a student in a batch, a sandboxed run.

They are strings too (``CheckStatus.PASSED == "passed"``), so the JSON document, which keeps its values in
English whatever the language of the feedback, reads and writes them as they are.
"""

from __future__ import annotations

from enum import Enum

from grader.i18n import N_, _


class _Status(str, Enum):
    def __str__(self) -> str:
        return self.value


class CheckStatus(_Status):
    PASSED = "passed"
    FAILED = "failed"  # the value was wrong
    ERROR = "error"  # the student's code raised
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"  # the process died, or sent back what is not plain data
    SKIPPED = "skipped"  # cannot run here (CUDA on a CPU), or not run yet (grade watch): no one's failure


# A status as people read it, in the chosen language (the report, the feedback, GitHub's titles); the document keeps the key.
NAMES = {"passed": N_("passed"), "failed": N_("failed"), "error": N_("error"), "timeout": N_("timeout"), "memory": N_("memory"),
         "crashed": N_("crashed"), "skipped": N_("skipped"), "graded": N_("graded"), "missing": N_("missing")}  # fmt: skip


def shown(status: str) -> str:
    """``status`` (a check's, an exercise's) as people read it; English when it has no name here."""
    return _(NAMES[status]) if status in NAMES else str(status)


NO_VALUE = (CheckStatus.ERROR, CheckStatus.TIMEOUT, CheckStatus.MEMORY, CheckStatus.CRASHED)  # the student's code gave no value at all
ANSWERED = (CheckStatus.PASSED, CheckStatus.SKIPPED)  # nothing to fix


class ExerciseStatus(_Status):
    GRADED = "graded"
    MISSING = "missing"  # no file for it in the submission
    ERROR = "error"  # its module does not import


class StudentStatus(_Status):
    """A student's one-word status in a batch's gradebook, by precedence: the first that applies."""

    GRADER_ERROR = "grader_error"  # a check broke inside the grader: retried on a rerun
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    BAD_ZIP = "bad_zip"
    NO_EXERCISE_FILES = "no_exercise_files"
    NOT_PYTHON = "not_python"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"
    ERROR = "error"
    MISSING = "missing"
    GRADED = "graded"


INPUT_PROBLEMS = (
    StudentStatus.EMPTY,
    StudentStatus.UNREADABLE,
    StudentStatus.TOO_LARGE,
    StudentStatus.BAD_ZIP,
    StudentStatus.NO_EXERCISE_FILES,
    StudentStatus.NOT_PYTHON,
)
TROUBLE = (
    StudentStatus.TIMEOUT,
    StudentStatus.MEMORY,
    StudentStatus.CRASHED,
    StudentStatus.ERROR,
)  # what a student's code did, worst first


class RunStatus(_Status):
    """How a sandboxed child ended (:class:`grader.sandbox.Outcome`)."""

    OK = "ok"
    RAISED = "raised"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASHED = "crashed"
