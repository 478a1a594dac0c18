"""From the end of a check to its entry in the document: whose failure it was, its status, points and message.

A child's bad ending becomes a :class:`StudentFailure` (the student's: a status and the message
they read) or a :class:`ProbeError` (the kit's own code failed: an internal error, exit 3). A
pytest outcome becomes a :class:`Result`, and a Result an entry of the JSON document.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.checking import budgets
from grader.errors import InternalError
from grader.i18n import _, number
from grader.sandbox import blame, wire
from grader.status import CheckStatus, RunStatus


def not_implemented(message: str = "") -> str:
    """What a student reads when their code raised NotImplementedError (a stub's own raise, with its message if any)."""
    return _("not implemented yet: {message}").format(message=message) if message else _("not implemented yet")


def raised(kind: str, message: str, line: int | None = None, file: str = "") -> str:
    """What a student reads when their code raised ``kind`` (at ``line`` of ``file``, where the traceback says)."""
    if line:
        return _("your code raised {kind} at line {line} of {file}: {message}").format(kind=kind, line=line, file=file, message=message)
    return _("your code raised {kind}: {message}").format(kind=kind, message=message)


def not_plain(message: str) -> str:
    """What a student reads when their code returned a value that cannot cross back to the judge (``message`` says
    what and where): the sandbox refused it, and nothing of theirs raised."""
    return _("your code returned a value the grader cannot take: {message}").format(message=message)


def not_imported(file: str, message: str) -> str:
    """What every check of an exercise says when the student's module could not be imported."""
    return _("could not import {file}: {message}").format(file=file, message=message)


def not_found(file: str) -> str:
    """What each check of an exercise says when the submission has no file for it: where it looked is said once."""
    return _("not graded: there is no {file}").format(file=file)


def not_run(file: str) -> str:
    """What each check of an exercise says when its module could not be imported: the reason is said once, for the exercise."""
    return _("not graded: {file} could not be imported").format(file=file)


def not_defined(name: str, file: str, found: str | None = None) -> str:
    """What a student reads when a check asked their module for ``name`` and found nothing (or ``found``, a value of
    that type, where a function or a class is called)."""
    if found is None:
        return _("`{name}` is not defined in {file}").format(name=name, file=file)
    return _("`{name}` in {file} is a value of type {kind}, not a function or a class").format(name=name, file=file, kind=found)


class StudentFailure(Exception):
    """Student code did not give a value: it raised, hung, ran out of memory or crashed."""

    def __init__(self, status: CheckStatus, message: str, output: str = "", line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.output, self.line = status, message, output, line  # line: where their code raised


class ProbeError(InternalError):
    """The kit's own code in the child (a probe, or a canary of what it relies on) failed: the grader's bug, exit 3."""


class CheckOverran(Exception):
    """A check ran past its outer guard (its own limit plus GRACE): raised in it by the plugin's pytest-timeout timer."""


@dataclass
class Result:
    exercise: str
    name: str
    score: float
    max_score: float
    status: CheckStatus
    message: str
    hint: str
    output: str = ""
    line: int | None = None  # of the student's file, where their code raised
    data: dict = field(default_factory=dict)  # what the check recorded with the ``data`` fixture
    hidden: bool = False  # a teacher's check, not in the student release
    internal: bool = field(default=False, repr=False)
    position: int = field(default=0, repr=False)  # in the check files, whatever order the checks ran in
    nudge: str = ""  # what to look at, shown before the hint (:func:`grader.checking.check`)


def failure(outcome, path: Path) -> StudentFailure:
    """Turn a child's bad ending into the failure a student reads; a kit frame's failure is raised, as the grader's."""
    error = outcome.error
    asked = error.get("asked") if outcome.status == RunStatus.RAISED else None
    if isinstance(asked, dict) and isinstance(asked.get("name"), str):  # the child's word, so checked: a forgery costs only its author
        # the module lacks a name the exercise asks for, or holds a value there that cannot be called
        found = asked.get("found") if isinstance(asked.get("found"), str) else None
        return StudentFailure(CheckStatus.ERROR, not_defined(asked["name"], path.name, found), outcome.output)
    if outcome.status in (RunStatus.RAISED, RunStatus.MEMORY) and error.get("origin") == blame.KIT:
        raise ProbeError(f"{error.get('type', 'Exception')}: {error.get('message', '')}")
    if outcome.status == RunStatus.RAISED:
        kind, message = error.get("type", "Exception"), error.get("message", "")
        if kind == "NotImplementedError":
            return StudentFailure(CheckStatus.FAILED, not_implemented(message), outcome.output)
        if kind == wire.NotPlainData.__name__:
            return StudentFailure(CheckStatus.ERROR, not_plain(message), outcome.output)
        text = raised(kind, message, error.get("line"), path.name)
        if error.get("traceback"):
            text += "\n" + error["traceback"].rstrip()
        return StudentFailure(CheckStatus.ERROR, text, outcome.output, error.get("line"))
    status = CheckStatus(outcome.status)  # timeout, memory and crashed are a check's statuses too
    return StudentFailure(status, error.get("message", status), outcome.output)


def import_failure(outcome, path: Path) -> StudentFailure:
    found = failure(outcome, path)
    found.message = not_imported(path.name, found.message)
    found.status = CheckStatus.ERROR if found.status == CheckStatus.FAILED else found.status
    return found


def from_error(result: Result, error: BaseException, outer_limit: float) -> Result:
    """Fill in ``result`` from the exception that ended its check."""
    if isinstance(error, StudentFailure):
        result.status, result.message, result.output, result.line = error.status, error.message, error.output or result.output, error.line
    elif isinstance(error, AssertionError):
        result.status, result.message = CheckStatus.FAILED, str(error) or _("the check failed")
    elif isinstance(error, CheckOverran):
        result.status, result.message = (
            CheckStatus.TIMEOUT,
            _("the check ran past {seconds} s").format(seconds=number(round(outer_limit, 2))),
        )
    else:
        result.status, result.internal = CheckStatus.ERROR, True
        result.message = _("internal error in the grader's check: {kind}: {problem}").format(kind=type(error).__name__, problem=error)
    return result


def with_output(message: str, output: str) -> str:
    """A message a student reads, with what their code printed after it, if anything."""
    return message + "\n" + _("--- your code printed ---") + f"\n{output}" if output else message


def import_failed(result: Result, missing: bool = False) -> Result:
    """A check of an exercise whose module is missing or could not be imported: its own message only says so, since the
    document says why once, for the exercise (:func:`exercise_message`), not under every check; and it has no hint,
    since the check's own would be about code that never ran."""
    file = f"{result.exercise}.py"
    result.message, result.output, result.hint, result.nudge = not_found(file) if missing else not_run(file), "", "", ""
    return result


def exercise_message(failed: StudentFailure) -> str:
    """Why an exercise's module could not be imported, with what it printed: the exercise's ``message`` in the document,
    within a check's budgets (:mod:`grader.checking.budgets`), since the student's code chose both."""
    return with_output(budgets.cut(failed.message, budgets.CHECK_MESSAGE), budgets.cut(failed.output, budgets.OUTPUT))


def as_dict(result: Result) -> dict:
    """A check in the JSON document's shape, its hint and nudge in the chosen language (hints are source strings, marked with ``N_``);
    what the student's code printed joins the message."""
    data = asdict(result)
    data["hint"] = _(result.hint) if result.hint else result.hint
    data["nudge"] = _(result.nudge) if result.nudge else result.nudge
    if result.status != CheckStatus.PASSED:
        data["message"] = with_output(result.message, result.output)
    entry = {key: data[key] for key in ("name", "score", "max_score", "status", "message", "hint", "nudge", "line", "hidden")}
    if result.data:
        entry["data"] = data["data"]
    return entry
