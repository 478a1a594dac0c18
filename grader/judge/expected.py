"""What a check takes from the reference solution: plain answers, through one small interface.

A check's ``reference`` fixture is a :class:`Reference`. ``reference.make_vector(values)`` is the
reference's answer for those arguments; ``reference.compute(fn, *args)`` is ``fn(reference_module,
*args)``, for a check that needs more than one call (build the reference's model, load weights into
it, run it). Both take plain arguments and give plain data only (tensors, numbers, strings, and
lists, tuples and dicts of them), so that an answer can be recorded and replayed. Where the answers
come from is the run's :class:`Source`:

- in the teacher's kit, the reference solutions themselves (:class:`Live`);
- ``grade release`` runs every public check once per public seed with a :class:`Recorder`, which keeps
  each answer with a fingerprint of its inputs (:func:`fingerprint`);
- the student's release has no reference solutions: :class:`Replay` gives the recorded answers, in the
  order the check asks for them, and refuses inputs other than those recorded.

So the release holds what the checks expect for a few fixed seeds, never a reference function body.
Its files live in ``grader/recorded/`` (:data:`FOLDER`): their presence is what makes a kit a release.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

from grader.errors import InternalError, UsageProblem
from grader.i18n import _, ngettext
from grader.registry import MANIFEST, RECORDED_DIR, REFERENCE_PACKAGE
from grader.sandbox.wire import NotPlainData, decode, encode, plain

FOLDER, MANIFEST = RECORDED_DIR, MANIFEST
ANSWERS = ".plain"  # <stem>.plain: a release's recorded answers as grader.sandbox.wire bytes (JSON and safetensors), never a pickle
HEAD = 8  # a tensor's fingerprint keeps this many of its first values


class ExpectationError(InternalError):
    """A check asked for an answer that cannot be recorded, or that its release did not record: the kit's fault."""


class SeedError(UsageProblem):
    """A release grades with its public seeds only; the message names them."""


def _call(module, name: str, args: tuple, kwargs: dict):
    return getattr(module, name)(*args, **kwargs)


class Reference:
    """The reference solution of one exercise, as one check sees it."""

    def __init__(self, source: Source, stem: str, check: str):
        self.source, self.stem, self.check = source, stem, check
        self.asked = 0  # answers given so far: a replay gives them in this order

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.compute(_call, name, args, kwargs)

    def compute(self, fn, *args):
        """``fn(reference_module, *args)`` as plain data; ``fn`` is a module-level function of the check file."""
        what = args[0] if fn is _call else fn.__name__
        try:
            args = plain(args, _("the inputs of {what}").format(what=what))
        except NotPlainData as exc:
            raise ExpectationError(
                _("{check} gives the reference {problem}: pass plain data, build objects inside the function").format(
                    check=self.check, problem=exc
                )
            ) from None
        self.asked += 1
        return self.source.answer(self, fn, args, what)


class Source:
    """Where a run's reference answers come from."""

    public_only = False  # True: the run leaves out hidden checks (they are neither recorded nor in a release)
    asking_only = False  # True: the run leaves out the checks that never ask the reference (nothing to record: MNIST training)

    def reference(self, stem: str, check: str) -> Reference:
        return Reference(self, stem, check)

    def answer(self, reference: Reference, fn, args: tuple, what: str):
        raise NotImplementedError


class Live(Source):
    """The teacher's kit: the answers of the reference module itself, computed in the trusted process.

    Each answer is worked out once per process for the same function, inputs and random state (:data:`KEPT`):
    a batch's students share one seed, so every student's checks ask the reference the same questions."""

    def answer(self, reference: Reference, fn, args: tuple, what: str):
        key = _question(reference.stem, fn, args)
        if key not in KEPT:
            KEPT[key] = self._work_out(reference, fn, args, what)
            while len(KEPT) > KEEP:
                del KEPT[next(iter(KEPT))]  # the oldest: a run asks in the same order each time
        return _copy(KEPT[key])  # a check may change its answer in place; the kept one must stay as it was

    @staticmethod
    def _work_out(reference: Reference, fn, args: tuple, what: str):
        module = importlib.import_module(f"{REFERENCE_PACKAGE}.{reference.stem}")
        with torch.random.fork_rng(devices=[]):  # what the reference draws leaves the check's own random state as it was
            value = fn(module, *args)
        try:
            return plain(value, _("the reference's answer to {what}").format(what=what))
        except NotPlainData as exc:
            raise ExpectationError(
                _("{check}: {problem}; reduce it to plain data in a function given to reference.compute").format(
                    check=reference.check, problem=exc
                )
            ) from None


KEEP = 1024  # answers a process keeps: the checks of exercises 1-5 ask 61 for one seed
KEPT: dict[bytes, object] = {}


def _question(stem: str, fn, args: tuple) -> bytes:
    """What decides a reference's answer, as a digest: the function, its plain inputs and the random state it
    starts from (a model's initial weights). Equal inputs give equal digests, whatever their tensors' strides."""
    digest = hashlib.blake2b(f"{stem}:{fn.__module__}.{fn.__qualname__}".encode(), digest_size=20)
    _feed(digest, (args, torch.random.get_rng_state()))
    return digest.digest()


def _copy(value):
    """A copy of plain data, its tensors cloned (``copy.deepcopy`` takes ~1.5 ms an answer)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(item) for item in value)
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value  # immutable: numbers, strings, None, torch.Size, dtypes, devices


def _feed(digest, value) -> None:
    if isinstance(value, torch.Tensor):
        digest.update(f"tensor {value.dtype} {tuple(value.shape)} {value.device}:".encode())
        digest.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        digest.update(f"{type(value).__name__} {len(value)}(".encode())
        for key, item in items:
            digest.update(f"{key!r}:".encode())
            _feed(digest, item)
        digest.update(b")")
    else:  # plain scalars (wire.PLAIN_SCALARS) and torch.Size, each by its type and repr
        digest.update(f"{type(value).__name__} {value!r};".encode())


class Recorder(Live):
    """``grade release``: the live answers, each kept with its inputs' fingerprint, per (stem, check), in order."""

    public_only = asking_only = True

    def __init__(self):
        self.book: dict[tuple[str, str], list[dict]] = {}

    def answer(self, reference: Reference, fn, args: tuple, what: str):
        value = super().answer(reference, fn, args, what)
        self.book.setdefault((reference.stem, reference.check), []).append({"what": what, "inputs": fingerprint(args), "value": value})
        return value


class Replay(Source):
    """The student's release: the answers recorded for this run's seed."""

    public_only = True

    def __init__(self, release: Release, seed: int):
        self.release, self.seed = release, release.check_seed(seed)

    def answer(self, reference: Reference, fn, args: tuple, what: str):
        kept = self.release.answers(reference.stem, self.seed).get(reference.check, [])
        if reference.asked > len(kept):
            said = ngettext(
                "the release recorded {count} answer for {check}, and it asks for more",
                "the release recorded {count} answers for {check}, and it asks for more",
                len(kept),
            )
            raise ExpectationError(said.format(count=len(kept), check=reference.check))
        entry = kept[reference.asked - 1]
        if entry["what"] != what or not same(entry["inputs"], fingerprint(args)):
            raise ExpectationError(
                _(
                    "{check} asks for {what} on other inputs than the release recorded with torch {recorded} "
                    "(torch {here} here): ask your teacher for a release made with this torch"
                ).format(check=reference.check, what=what, recorded=self.release.torch, here=torch.__version__)
            )
        return entry["value"]


# ------------------------------------------------------------------ a release's recorded answers


@dataclass(frozen=True)
class Release:
    """A student release's manifest: its public seeds and, per exercise, its public and hidden checks' points."""

    folder: Path
    seeds: tuple[int, ...]
    torch: str
    exercises: dict  # stem -> {"public": [names], "public_points": float, "hidden_checks": int, "hidden_points": float}

    def check_seed(self, seed: int) -> int:
        if seed not in self.seeds:
            raise SeedError(
                _(
                    "seed {seed} is not one of this release's public seeds ({seeds}): "
                    "the student kit holds the expected answers for those only, and the teacher grades on fresh inputs"
                ).format(seed=seed, seeds=", ".join(map(str, self.seeds)))
            )
        return seed

    def answers(self, stem: str, seed: int) -> dict:
        return _answers(self.folder / f"{stem}{ANSWERS}").get(seed, {})

    def summary(self, stems) -> dict:
        """The document's ``release`` key for a run of these exercises: what this kit cannot grade."""
        entries = [self.exercises.get(stem, {}) for stem in stems]
        return {"public_seeds": list(self.seeds), "hidden_checks": sum(int(e.get("hidden_checks", 0)) for e in entries),
                "hidden_points": sum(float(e.get("hidden_points", 0.0)) for e in entries)}  # fmt: skip


@cache
def _answers(path: Path) -> dict:
    try:
        return decode(path.read_bytes())
    except FileNotFoundError:
        return {}
    except Exception as exc:  # noqa: BLE001 - a damaged release file, whatever the wire makes of it
        raise ExpectationError(
            _("{path} cannot be read ({kind}: {problem}): reinstall the kit your teacher gave you").format(
                path=path, kind=type(exc).__name__, problem=exc
            )
        ) from None


@cache
def release(folder: Path = FOLDER) -> Release | None:
    """This kit's release manifest; None in the teacher's kit, which has none."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Release(folder, tuple(int(s) for s in data["seeds"]), str(data["torch"]), dict(data["exercises"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ExpectationError(
            _("{path} is damaged ({problem}): reinstall the kit your teacher gave you").format(path=path, problem=exc)
        ) from None


def write(folder: Path, books: dict[int, dict], exercises: dict) -> list[Path]:
    """Write a release's answers into ``folder``: the manifest, and ``<stem>.plain`` (:mod:`grader.sandbox.wire` bytes: JSON and
    safetensors, no pickle) per exercise.

    ``books`` maps each public seed to its :class:`Recorder`'s book; ``exercises`` is the manifest's
    per-exercise entry (:class:`Release`)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem in exercises:
        answers = {seed: {check: kept for (of, check), kept in book.items() if of == stem} for seed, book in books.items()}
        (folder / f"{stem}{ANSWERS}").write_bytes(encode(answers))
        written.append(folder / f"{stem}{ANSWERS}")
    manifest = {"seeds": sorted(books), "torch": torch.__version__.split("+")[0], "exercises": exercises}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return [*written, folder / MANIFEST]


def source(seed: int) -> Source:
    """The answers a run with ``seed`` compares against: the release's recorded ones, else the live reference."""
    found = release()
    return Replay(found, seed) if found is not None else Live()


def run_seed(asked: int | None) -> int:
    """The seed of a run: ``asked`` (``--seed``), else a fresh one; in a release, one of its public seeds."""
    from grader.settings import new_seed

    found = release()
    if found is None:
        return new_seed() if asked is None else asked
    if asked is None:
        return found.seeds[new_seed() % len(found.seeds)]
    return found.check_seed(asked)


# ------------------------------------------------------------------ inputs, as a replay compares them


def fingerprint(value):
    """What a replay compares of a check's inputs, small enough to keep for every answer.

    A tensor becomes its dtype, shape, sum, sum of magnitudes and first values, in float64: another CPU
    may draw the same seeded inputs a rounding apart (x86's vectorised sampling against ARM's), which
    :func:`same` allows, while another torch that draws other numbers shows at once. Strings are left
    out: they are the paths (MNIST's folder), which differ between machines.
    """
    if isinstance(value, torch.Tensor):
        flat = value.detach().reshape(-1)
        numbers = flat.to(torch.float64) if not flat.is_complex() else torch.view_as_real(flat).reshape(-1).to(torch.float64)
        stats = torch.cat([numbers.sum().reshape(1), numbers.abs().sum().reshape(1), numbers[:HEAD]])
        return {"tensor": str(value.dtype), "shape": list(value.shape), "stats": stats}
    if isinstance(value, str):
        return None
    if isinstance(value, (list, tuple)):
        return [fingerprint(item) for item in value]
    if isinstance(value, dict):
        return {key: fingerprint(item) for key, item in value.items()}
    if isinstance(value, (torch.dtype, torch.device, torch.Size, bytes)):
        return str(value)
    return value


def same(recorded, now) -> bool:
    """Two fingerprints are of the same inputs: equal, up to a rounding in floating-point numbers."""
    if isinstance(recorded, dict) and "stats" in recorded:
        return (
            isinstance(now, dict)
            and recorded.keys() == now.keys()
            and (recorded["tensor"], recorded["shape"]) == (now["tensor"], now["shape"])
            and recorded["stats"].shape == now["stats"].shape
            and bool(torch.allclose(recorded["stats"], now["stats"], rtol=1e-5, atol=1e-6))
        )
    if isinstance(recorded, list):
        return isinstance(now, list) and len(recorded) == len(now) and all(same(a, b) for a, b in zip(recorded, now))
    if isinstance(recorded, dict):
        return isinstance(now, dict) and recorded.keys() == now.keys() and all(same(recorded[k], now[k]) for k in recorded)
    if isinstance(recorded, float) and isinstance(now, float):
        return math.isclose(recorded, now, rel_tol=1e-6, abs_tol=1e-9)
    return type(recorded) is type(now) and recorded == now
