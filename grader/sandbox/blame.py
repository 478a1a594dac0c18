"""Who an exception in a sandbox child is charged to: the student, or the kit (a grader bug: exit 3).

The raising frame decides: the innermost frame that is the student's (in their module's folder)
or the kit's (the grader, the probe's own file). Kit code that raises because of something the
student did says so by raising a :class:`StudentMistake`. What the student then reads is worded by
:mod:`grader.checking.results`, in the judge: a child has no words of its own. And where the student's code changed
torch (at import, say) so that a probe breaks, the break is theirs too: :class:`Tripwire` finds
the names they replaced by comparing torch before and after their code ran.
"""

from __future__ import annotations

import os
import traceback
import types

STUDENT, KIT = "student", "kit"
# The grader package, as its frames name their files: not resolved (registry.PACKAGE_DIR is), since a frame's file is
# the path it was imported by, links and all.
GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class StudentMistake(Exception):
    """Raised by the kit's own code for the student's doing (a banned call, a value that cannot cross back)."""


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
    return under(path, GRADER_DIR) or os.path.abspath(path) in kit_files


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
