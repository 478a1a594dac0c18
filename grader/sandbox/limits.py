"""What a sandboxed run may use (:class:`Limits`) and how it ended (:class:`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.i18n import number
from grader.settings import DEFAULT_MEMORY, DEFAULT_TIMEOUT  # the defaults' one home

GiB = 1 << 30
MiB = 1 << 20
OUTPUT_CAP = 64 * 1024
RESULT_CAP = 256 * MiB
# What a child may say about a failure, in characters: any longer is cut, with a note of how much (grader.sandbox.wire.cut)
MESSAGE_BUDGET = 2048  # an exception's text, or any one check's message of what came back
NAME_BUDGET = 200  # an exception's type name
TRACEBACK_BUDGET = 8192  # the student's frames of a traceback
PROCESS_CAP = 300  # processes and threads of one child and all it starts (Linux's least pid_max is 301): a fork bomb spins there
FILE_CAP = 512 * MiB  # the largest file a child may write (a checkpoint is ~0.4 MB)
TMPFS_CAP = 512 * MiB  # the private /tmp and /dev/shm of a child, each
# torch's CPU threads in a check's probe (grader.checking.probing.few_threads) and in the judge while that check runs (grader.judge.plugin):
# the reference's answer and the student's are computed on as many threads, since the count changes the summation order
# (one epoch of the tutorial's network on 96 images gave 65,860 differing weights on 1 thread against 2).
PROBE_THREADS = 1


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    memory: int | None = DEFAULT_MEMORY
    output: int = OUTPUT_CAP
    threads: int | None = None
    address_space: bool = True  # cap virtual memory too; off for CUDA, whose driver reserves far more than it uses
    nice: int = 0  # added to the child's niceness: a short check's child yields to a long one's


@dataclass
class Outcome:
    """How a child ended. ``status`` is one of ok, raised, timeout, memory, crashed."""

    status: str
    value: object = None
    error: dict = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    imported: bool | None = None  # whether the student's module loaded before the child ended; None: no module, or cancelled

    @property
    def output(self) -> str:
        return "\n".join(part for part in (self.stdout, self.stderr) if part)


def size(n: int | None) -> str:
    """A byte count as a message says it: 4 GiB, 256 MiB, 1.5 GiB (Russian «1,5 GiB»)."""
    return f"{number(round(n / GiB, 2))} GiB" if n and n >= GiB else f"{number((n or 0) >> 20)} MiB"
