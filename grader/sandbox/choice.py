"""Which runner grades here, the rule's one home: the Linux sandbox (:mod:`.parent`) or the portable one (:mod:`.portable`).

The Linux sandbox forks its children from a zygote and builds them with pidfds, namespaces and
Landlock; where those calls do not exist (macOS, Windows, a Python without ``os.fork``) the portable
runner grades instead, with less isolation, and says so. ``GRADER_SANDBOX`` asks for one by name.
"""

from __future__ import annotations

import os
import sys

from grader.errors import UsageProblem
from grader.i18n import _

ENV = "GRADER_SANDBOX"
LINUX, PORTABLE = "linux", "portable"
NEEDED = ("fork", "pidfd_open")  # what the zygote calls in os; unshare, mount and Landlock it reaches through libc


def linux_layers_missing() -> str | None:
    """Why the Linux sandbox cannot run here, or None where it can."""
    if sys.platform != "linux":
        return _("{platform} is not Linux").format(platform=sys.platform)
    lacking = [name for name in NEEDED if not hasattr(os, name)]
    if lacking:
        return _("this Python has no os.{name}").format(name=lacking[0])
    return None


def chosen() -> tuple[str, str | None]:
    """The runner to use, and for the portable one why the Linux sandbox is not used; a bad ``GRADER_SANDBOX`` is a
    :class:`UsageProblem` (exit 2)."""
    asked = os.environ.get(ENV, "").strip().lower()
    if asked not in ("", LINUX, PORTABLE):
        said = _("{variable}={value!r} names no sandbox; set it to linux or portable, or unset it")
        raise UsageProblem(said.format(variable=ENV, value=os.environ[ENV][:40]))
    if asked == LINUX:
        return LINUX, None
    if asked == PORTABLE:
        return PORTABLE, _("asked for with {setting}").format(setting=f"{ENV}={PORTABLE}")
    missing = linux_layers_missing()
    return (PORTABLE, missing) if missing else (LINUX, None)
