"""The settings of a grading, defined once: what ``grade``, ``grade watch``, ``grade batch``'s workers and the
notebook kernel grade with, with their defaults and a JSON round trip for the processes they cross to."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 10.0  # seconds a check's student code may run, before --timeout-scale
DEFAULT_MEMORY = 4 << 30  # bytes of memory for student code per check (4 GiB); --memory-limit none lifts it

# The teacher's seeds (fresh, or derived per student) are below this; a student release's public seeds are at or
# above it, so the teacher's grade never draws a public seed: answers hard-coded from a release score nothing there.
PUBLIC_SEEDS_FROM = 2**31


def new_seed() -> int:
    """A fresh seed for a run's inputs, printed so that ``--seed`` replays it."""
    return secrets.randbelow(PUBLIC_SEEDS_FROM)


def derived_seed(secret: str, key: str) -> int:
    """The seed of one student's grading, from a course secret and who they are: the same on every rerun, unknown
    to anyone without the secret (nbgrader's autograde: ``grader.jupyter.kernel``)."""
    digest = hmac.new(secret.encode(), key.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % PUBLIC_SEEDS_FROM


def new_public_seed() -> int:
    """A public seed for a student release (``grade release``), from a range the teacher's grade never draws from."""
    return PUBLIC_SEEDS_FROM + secrets.randbelow(PUBLIC_SEEDS_FROM)


@dataclass(frozen=True)
class Settings:
    submission: Path
    seed: int
    device: str = "cpu"
    timeout_scale: float = 1.0
    memory: int | None = DEFAULT_MEMORY  # bytes of memory for student code per check; None lifts the limit
    data_dir: Path | None = None  # MNIST's .gz files (--data-dir, GRADER_DATA); None: the kit's data/
    threads: int | None = None  # torch's threads in each child; None: torch's own choice
    require: tuple[str, ...] = ()  # isolation layers the sandbox must have, or no check runs (--require-isolation)
    defer_long: bool = False  # grade watch: a head-started check (MNIST training) runs only once its exercise's other checks pass
    shown_as: str | None = None  # what the document calls the submission, when graded from a copy (a batch's student folder or zip)
    lang: str = "en"  # the language of messages and hints (grader.i18n): a batch's workers speak the teacher's choice

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        return {**data, "submission": str(self.submission), "data_dir": str(self.data_dir) if self.data_dir else None,
                "require": list(self.require)}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> Settings:
        return cls(**{**data, "submission": Path(data["submission"]), "data_dir": Path(data["data_dir"]) if data["data_dir"] else None,
                      "require": tuple(data["require"])})  # fmt: skip
