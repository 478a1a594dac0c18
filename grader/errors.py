"""The kit's own exceptions and exit codes, each defined once; ``grade`` maps the one to the other in one place.

Library code raises a :class:`KitError`: a :class:`UsageProblem` when what it was given (a flag, a
file, a folder, the machine) cannot be used as it is, and the message says what to do instead; an
:class:`InternalError` when the grader itself failed. Never ``click`` exceptions: those are the
CLI's alone.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    PASSED = 0  # every check passed (or, with --min-score/--min-percent, the score reached the minimum); a batch is done
    FAILED = 1  # a check failed (or the score fell short of the minimum)
    USAGE = 2  # a bad flag, an unknown exercise, a missing folder or file, MNIST missing, a weaker sandbox than required
    INTERNAL = 3  # the grader itself failed: never the student's fault
    INTERRUPTED = 130  # Ctrl-C: a batch reruns where it stopped


class KitError(Exception):
    """An error the kit raises on purpose; its message is one line for people."""

    exit_code = ExitCode.INTERNAL


class UsageProblem(KitError):
    """What the kit was given cannot be used as it is; the message says what to do instead."""

    exit_code = ExitCode.USAGE


class InternalError(KitError):
    """The grader itself failed (a broken check, a sandbox that cannot start): exit 3, never the student's fault."""

    exit_code = ExitCode.INTERNAL
