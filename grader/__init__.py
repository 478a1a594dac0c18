"""A trusted judge for PyTorch exercises: checks run here, student code runs in a sandbox.

Imported first by every process of the kit, so it settles where the kit imports from: never from
the working directory, which is the student's folder when a teacher runs ``cd alice && grade 3``.

The packages are layers by role, and each imports only from the layers below it (tests/test_layers.py):

- the base modules here: errors, i18n, regions, status, registry, settings, data, source, own_files;
- :mod:`.sandbox`: where student code runs, and the plain data that comes back;
- :mod:`.formats`: the result document and what is drawn from it;
- :mod:`.checking`: what a check file imports; :mod:`.checks`: the check files;
- :mod:`.judge`: a grading, in the trusted process;
- :mod:`.student` (grade watch and progress) and :mod:`.jupyter` (notebooks);
- :mod:`.course` and :mod:`.batch`: the teacher's, left out of a student release;
- :mod:`.cli`: the ``grade`` command.
"""

import importlib
import importlib.abc
import importlib.util
import os
import sys

__version__ = "0.1.0"

KIT_PARENT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the folder that holds this package


def trusted_path(path=None) -> list[str]:
    """``path`` (sys.path) without what the working directory put there, every entry absolute.

    ``''``, a relative entry and the working directory itself go (``python -m`` and ``python -c`` put it first,
    ahead of the standard library: a ``json.py`` there would be imported), unless the entry is the folder that
    holds this very package: the kit's own checkout, which a test or a plain clone runs from.
    """
    here = os.path.realpath(os.getcwd())
    kept = []
    for entry in sys.path if path is None else path:
        absolute = os.path.abspath(entry or os.curdir)
        real = os.path.realpath(absolute)
        from_here = not os.path.isabs(entry) or real == here
        if (not from_here or real == KIT_PARENT) and absolute not in kept:
            kept.append(absolute)
    return kept


if sys.argv[:1] == ["-m"]:  # python -m grader.X, the package being imported: the working directory is on sys.path
    sys.path[:] = trusted_path()


# Where the modules of the flat layout went: a course's own check file or script that imports an old name
# (``from grader import compare``) gets the module itself, under both names.
MOVED = {
    "grader.wire": "grader.sandbox.wire",
    "grader.blame": "grader.sandbox.blame",
    "grader.document": "grader.formats.document",
    "grader.visibility": "grader.formats.visibility",
    "grader.charts": "grader.formats.charts",
    "grader.curves": "grader.formats.curves",
    "grader.report": "grader.formats.report",
    "grader.compare": "grader.checking.compare",
    "grader.probing": "grader.checking.probing",
    "grader.canaries": "grader.checking.canaries",
    "grader.mnist_tensors": "grader.checking.mnist_tensors",
    "grader.results": "grader.checking.results",
    "grader.budgets": "grader.checking.budgets",
    "grader.engine": "grader.judge.engine",
    "grader.plugin": "grader.judge.plugin",
    "grader.expected": "grader.judge.expected",
    "grader.devices": "grader.judge.devices",
    "grader.policy": "grader.judge.policy",
    "grader.watch": "grader.student.watch",
    "grader.history": "grader.student.history",
    "grader.progress": "grader.student.progress",
    "grader.cells": "grader.jupyter.cells",
    "grader.kernel": "grader.jupyter.kernel",
    "grader.generate": "grader.course.generate",
    "grader.release": "grader.course.release",
    "grader.gradescope_bundle": "grader.course.gradescope_bundle",
    "grader.notebooks": "grader.course.notebooks",
    "grader.reference_run": "grader.course.reference_run",
    "grader.teaching": "grader.cli.teaching",
}


class _Moved(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module name as the module at its new home (:data:`MOVED`)."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        """Nothing to run: the module ran at its new home."""


sys.meta_path.append(_Moved())
