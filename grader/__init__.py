"""A trusted judge for PyTorch exercises: checks run here, student code runs in a sandbox.

Imported first by every process of the kit, so it settles where the kit imports from: never from
the working directory, which is the student's folder when a teacher runs ``cd alice && grade 3``.
"""

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
