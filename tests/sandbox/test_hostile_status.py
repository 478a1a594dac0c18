"""Can student code forge its own wait status, the four bytes the zygote writes once it has reaped the child?

It once could: the child was forked holding the write end of its own status pipe, and a status that says "stopped"
made the judge raise (exit 3, the grader's failure) where the child's end is the student's own.
"""

from __future__ import annotations

from grader import sandbox
from grader.status import RunStatus
from tests.sandbox import pipe_targets as targets

STOPPED = 0x137F  # stopped by SIGSTOP: os.waitstatus_to_exitcode refuses it


def test_a_forged_wait_status_is_not_read(box):
    outcome = box.run(targets.forges_status, STOPPED, 16384, limits=sandbox.Limits(timeout=1.0))
    assert outcome.status == RunStatus.TIMEOUT  # it waits to be killed: nothing it wrote ended the run early
