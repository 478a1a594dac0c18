"""Who an exception in a sandbox child is charged to: the student, or the kit (a grader bug: exit 3).

The raising frame decides: the innermost frame that is the student's (in their module's folder)
or the kit's (the grader, the probe's own file). Kit code that raises because of something the
student did says so by raising a :class:`StudentMistake`. And where the student's code changed
torch (at import, say) so that a probe breaks, the break is theirs too: :class:`Tripwire` finds
the names they replaced by comparing torch before and after their code ran.
"""

from __future__ import annotations

import os
import traceback
import types

from grader.i18n import _

STUDENT, KIT = "student", "kit"
KIT_ROOT = os.path.dirname(os.path.abspath(__file__))  # the grader package


class StudentMistake(Exception):
    """Raised by the kit's own code for the student's doing (a banned call, a value that cannot cross back)."""


def not_implemented(message: str = "") -> str:
    """What a student reads when their code raised NotImplementedError (a stub's own raise, with its message if any)."""
    return _("not implemented yet: {message}").format(message=message) if message else _("not implemented yet")


def raised(kind: str, message: str, line: int | None = None, file: str = "") -> str:
    """What a student reads when their code raised ``kind`` (at ``line`` of ``file``, where the traceback says)."""
    if line:
        return _("your code raised {kind} at line {line} of {file}: {message}").format(kind=kind, line=line, file=file, message=message)
    return _("your code raised {kind}: {message}").format(kind=kind, message=message)


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


def asked_for(exc: BaseException, module, kit_files=()) -> dict | None:
    """Whether a kit frame's ``exc`` is the student's module lacking what the exercise asks for: ``{"name", "found"}``.

    Missing: an AttributeError of the module itself (``module.matmul_by_hand``, ``getattr(module, name)``).
    Not callable: a TypeError raised in the probe's own frame (not deeper, in torch), where that frame names one of the
    module's values (in its code, or as a string it holds, as ``call``'s ``name``) that cannot be called.
    """
    if module is None:
        return None
    if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is module and getattr(exc, "name", None):
        return {"name": exc.name, "found": None}
    if not isinstance(exc, TypeError) or exc.__traceback__ is None:
        return None
    last = exc.__traceback__
    while last.tb_next is not None:
        last = last.tb_next
    if not _kit_file(last.tb_frame.f_code.co_filename, kit_files):
        return None
    named = set(last.tb_frame.f_code.co_names) | {v for v in last.tb_frame.f_locals.values() if isinstance(v, str)}
    values = vars(module)
    for name in sorted(named):
        if not name.startswith("_") and name in values and not callable(values[name]) and not isinstance(values[name], types.ModuleType):
            return {"name": name, "found": type(values[name]).__name__}
    return None


def under(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(folder.rstrip(os.sep) + os.sep)


def _kit_file(path: str, kit_files) -> bool:
    return under(path, KIT_ROOT) or os.path.abspath(path) in kit_files


def origin(exc: BaseException, student_folder: str | None, kit_files=()) -> str:
    """STUDENT or KIT: whose frame, innermost first, raised ``exc`` (a StudentMistake is always the student's)."""
    if isinstance(exc, StudentMistake):
        return STUDENT
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if student_folder and under(frame.filename, student_folder):
            return STUDENT
        if _kit_file(frame.filename, kit_files):
            return KIT
    return STUDENT


def _watched():
    """The objects whose attributes a probe relies on: torch's public functions and its core classes."""
    import torch

    return {"torch": torch, "torch.Tensor": torch.Tensor, "torch.nn": torch.nn, "torch.nn.Module": torch.nn.Module,
            "torch.nn.functional": torch.nn.functional, "torch.autograd": torch.autograd, "torch.optim": torch.optim,
            "torch.optim.Optimizer": torch.optim.Optimizer}  # fmt: skip


class Tripwire:
    """What torch's public names are now, to tell later which ones a student's code replaced."""

    def __init__(self):
        self.before = {name: dict(vars(owner)) for name, owner in _watched().items()}

    def changed(self) -> list[str]:
        found = []
        for name, owner in _watched().items():
            now, before = vars(owner), self.before[name]
            found += [f"{name}.{key}" for key, value in before.items() if not key.startswith("_") and now.get(key) is not value]
        return found
