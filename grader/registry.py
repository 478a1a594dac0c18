"""The one list of exercises: the CLI, the pytest markers and the kit's tests all read it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from grader import KIT_PARENT
from grader.errors import UsageProblem
from grader.i18n import N_, _

KIT_ROOT = Path(KIT_PARENT)  # the kit: the folder that holds grader/, exercises/, solutions/ and data/
PACKAGE_DIR = KIT_ROOT / "grader"  # the grader package
CHECKS_DIR = PACKAGE_DIR / "checks"
RECORDED_DIR = PACKAGE_DIR / "recorded"  # a student release's recorded answers and manifest (grade release writes them)
MANIFEST = "manifest.json"
REFERENCE_PACKAGE = "solutions"  # the reference solutions, solutions/<stem>.py: in the teacher's kit only, never in a release
REFERENCE_DIR = KIT_ROOT / REFERENCE_PACKAGE
STUBS_DIR = KIT_ROOT / "exercises"


@dataclass(frozen=True)
class Exercise:
    number: int
    stem: str
    topics: tuple[str, ...]
    title: str  # N_-marked: shown translated, with _(title)
    needs_mnist: bool = False

    @property
    def name(self) -> str:
        """The short name students type and the pytest marker, e.g. ``exercise3``."""
        return f"exercise{self.number}"

    @property
    def check_file(self) -> Path:
        return CHECKS_DIR / f"test_{self.stem}.py"

    @property
    def check_module(self) -> str:
        return f"grader.checks.test_{self.stem}"

    def words(self) -> set[str]:
        return {str(self.number), self.name, self.stem, *self.topics}


COURSE: tuple[Exercise, ...] = (
    Exercise(1, "exercise1_tensors", ("tensors",), N_("Tensors: creation, properties and basic operations")),
    Exercise(2, "exercise2_reshape", ("reshape",), N_("Reshaping: view, reshape, unsqueeze, flatten, permute")),
    Exercise(3, "exercise3_autograd", ("autograd",), N_("Autograd and gradient descent by hand")),
    Exercise(4, "exercise4_modules", ("modules",), N_("nn.Module: SimpleNetwork, an MLP, parameters and predict")),
    Exercise(5, "exercise5_data", ("data",), N_("Dataset and DataLoader: a dataset of squares, MNIST and batches"), needs_mnist=True),
    Exercise(6, "exercise6_training", ("training",), N_("The MNIST training loop: checkpoints and an accuracy goal"), needs_mnist=True),
    Exercise(7, "exercise7_devices", ("devices",), N_("Devices: the same code on a CPU and on a GPU")),
)
# The exercises this kit grades: the whole course in the teacher's kit; in a student release, those it was made for
# (grade release copies the checks of those alone).
EXERCISES: tuple[Exercise, ...] = tuple(e for e in COURSE if e.check_file.is_file())


def candidates(submission: Path, stem: str) -> list[Path]:
    """Where a submission may hold an exercise, in the order the kit looks: ``exercises/<stem>.py``, then ``<stem>.py``."""
    return [submission / "exercises" / f"{stem}.py", submission / f"{stem}.py"]


def find_module(submission: Path, stem: str) -> Path | None:
    """The first of :func:`candidates` that is there; a link there is found too, to be refused
    (:func:`grader.source.link_in`)."""
    for candidate in candidates(submission, stem):
        if candidate.is_file() or candidate.is_symlink():
            return candidate
    return None


def module_path(submission: Path, stem: str) -> Path:
    """The file a submission holds for ``stem``, or where it belongs: in ``exercises/`` where the submission has one."""
    found = find_module(submission, stem)
    if found is not None:
        return found
    first, second = candidates(submission, stem)
    return first if first.parent.is_dir() else second


class UnknownExercise(UsageProblem, LookupError):
    """Raised for a word that names no exercise; the message lists the choices."""


def resolve(word: str) -> Exercise:
    """Find an exercise by number, short name, stem or topic: ``3``, ``exercise3``, ``autograd``."""
    key = word.strip().lower()
    for exercise in EXERCISES:
        if key in exercise.words():
            return exercise
    choices = ", ".join(f"{e.number} ({e.name}, {e.topics[0]})" for e in EXERCISES)
    if match := closest(key):
        said = _("unknown exercise {word}: did you mean {match}? Choose one of {choices}, or 'all'")
        raise UnknownExercise(said.format(word=repr(word), match=repr(match), choices=choices))
    raise UnknownExercise(_("unknown exercise {word}; choose one of {choices}, or 'all'").format(word=repr(word), choices=choices))


def closest(word: str) -> str | None:
    """The exercise's name, stem or topic that ``word`` most likely misspells (``tensor``: ``tensors``), by difflib's
    ratio, as click suggests an option; None where none is close, or where the numbers differ (``exercise9`` is
    not a typo of ``exercise1``)."""
    names = sorted({w for e in EXERCISES for w in e.words() if not w.isdigit()})
    digits = [c for c in word if c.isdigit()]
    return next((m for m in difflib.get_close_matches(word, names, n=3, cutoff=0.75) if [c for c in m if c.isdigit()] == digits), None)


def by_stem(stem: str) -> Exercise | None:
    return next((e for e in EXERCISES if e.stem == stem), None)


def in_release() -> bool:
    """Whether this kit is a student release: one with a manifest of recorded answers, and no reference solutions.

    Here, without torch, so that ``grade --help`` and ``grade list`` stay quick; the judge reads the manifest itself
    (:func:`grader.judge.expected.release`) and says if it is damaged.
    """
    return (RECORDED_DIR / MANIFEST).is_file()


def default_submission(cwd: Path | None = None) -> Path:
    """The kit's own ``exercises/`` folder: found from the current directory, else next to the grader."""
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "grader").is_dir():
            return folder / "exercises"
    return KIT_ROOT / "exercises"
