"""Does ``grade`` start where Linux's calls are missing, as on Windows: no fcntl, termios or resource, no fork?

A ``sitecustomize`` on ``PYTHONPATH`` takes them away in the ``grade`` process before the kit is imported:
those three modules cannot be imported, and ``os.fork``, ``os.forkpty``, ``os.pidfd_open`` and ``os.unshare``
are gone. ``os.register_at_fork`` stays, since torch calls it on every platform but Windows. ``--help`` and
``list`` start no sandbox, so they must work there whatever the runner does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from grader import registry
from tests.cli_support import grade_cli

GONE_MODULES = ("fcntl", "termios", "resource")
GONE_CALLS = ("fork", "forkpty", "pidfd_open", "unshare")

SITECUSTOMIZE = textwrap.dedent(
    f"""\
    import os
    import sys


    class Gone:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name in {GONE_MODULES!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (tests/cli/test_platforms.py)", name=name)
            return None


    for name in {GONE_MODULES!r}:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, Gone)
    for name in {GONE_CALLS!r}:
        if hasattr(os, name):
            delattr(os, name)
    """
)


@pytest.fixture
def without_linux(tmp_path) -> dict:
    """The environment of a ``grade`` process whose Python lacks Linux's modules and calls."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


PROBE = f"""\
import os
for name in {GONE_MODULES!r}:
    try:
        __import__(name)
    except ModuleNotFoundError:
        print("no module", name)
print("calls left:", [name for name in {GONE_CALLS!r} if hasattr(os, name)], hasattr(os, "register_at_fork"))
"""


def test_the_stand_in_takes_the_linux_calls_away(without_linux):
    """The canary: without it the tests below would pass on any Linux, proving nothing."""
    environment = {**os.environ, **without_linux}
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [*(f"no module {name}" for name in GONE_MODULES), "calls left: [] True"]


def test_help_starts_without_them(without_linux):
    done = grade_cli("--help", env=without_linux, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "watch" in done.stdout
    assert done.stderr == ""


def test_list_starts_without_them(without_linux):
    done = grade_cli("list", env=without_linux, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines() if line[:1].isdigit()] == [e.name for e in registry.EXERCISES]
