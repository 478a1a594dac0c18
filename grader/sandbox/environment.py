"""The environment of the processes the sandbox starts: what Python, torch and a GPU need, never the grader's secrets.

A CI job's tokens and a teacher's credentials live in environment variables. A sandbox child
can read its own environment (and ``/proc/self/environ``, which is the one its zygote or worker
was started with), so those processes start with these variables alone.
"""

from __future__ import annotations

import json
import os
import sys

import grader

KEEP = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "LANG", "LANGUAGE", "TMPDIR", "PYTHONPATH", "PYTHONHASHSEED",
        "VIRTUAL_ENV", "LD_LIBRARY_PATH",
        # Windows: Python and torch fail to start without the first three (upper case: os.environ's on Windows)
        "SYSTEMROOT", "WINDIR", "TEMP", "TMP", "USERPROFILE", "LOCALAPPDATA", "APPDATA", "PATHEXT", "COMSPEC")  # fmt: skip
KEEP_PREFIXES = ("LC_", "GRADER_", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "TORCH_", "PYTORCH_")
COURSE_SECRET = "GRADER_COURSE_SECRET"  # what a teacher derives each student's seed from (grader.jupyter.kernel)
SECRETS = (COURSE_SECRET,)  # kept from every process the sandbox starts, though their names start with GRADER_
PRELOAD = ("torch", "grader.sandbox.wire", "grader.sandbox.child")  # what every zygote or portable worker imports first


def clean(**extra: str) -> dict[str, str]:
    """This process's environment with only the variables above, the language this process speaks, and ``extra``."""
    from grader import i18n

    kept = {name: value for name, value in os.environ.items() if (name in KEEP or name.startswith(KEEP_PREFIXES)) and name not in SECRETS}
    return {**kept, i18n.ENV: i18n.current(), **extra}


# Started with -I (no working directory, PYTHONPATH or user site on sys.path; PYTHONSTARTUP ignored), a process of the
# kit then imports from the trusted path its starter gave it: this interpreter's, without the working directory.
BOOT = (
    "import json, runpy, sys; sys.path[:] = json.loads(sys.argv[1]); del sys.argv[:2]; "
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


def python(module: str, *args: str) -> list[str]:
    """The command that runs ``python -m module *args`` as a process of the kit: importing nothing a student can touch."""
    return [sys.executable, "-I", "-c", BOOT, json.dumps(grader.trusted_path()), module, *args]
