"""Do the checks give the same grades against recorded answers as against the live reference?

``grade release`` records each public check's answers with :class:`grader.judge.expected.Recorder`; the
student's release replays them (:class:`grader.judge.expected.Replay`). Here each exercise is recorded at one
seed, then the reference solutions, the stubs and every realistic mistake of ``tests/mistakes`` are
graded against the replay: the same scores as live, on the public checks.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
import torch

from grader import registry
from grader.judge import engine, expected
from tests import mistakes
from tests.helpers import KIT, checks, each_exercise, grade, solution_with, submission_from
from tests.i18n_tools import speaking_marked_checks, unmarked_wording

SEED = 2**31 + 7


def recorded(folder, exercises, seed=SEED):
    """Record ``exercises`` on the reference solutions at ``seed`` into ``folder``; the replay of it."""
    recorder = expected.Recorder()
    doc, internal = grade(KIT / "solutions", exercises, seed=seed, source=recorder)
    assert internal == 0
    assert doc["score"] == doc["max_score"] > 0, "the reference itself loses points on a public check"
    assert not any(c["hidden"] for c in checks(doc).values()), "a recording ran a hidden check"
    asking = {f"{c.stem}::{c.name}" for c in engine.collect(exercises) if not c.hidden and "reference" in asks(c)}
    assert set(checks(doc)) == asking, "a recording runs exactly the public checks that ask the reference"
    info = {e.stem: {"public": [], "public_points": 0.0, "hidden_checks": 0, "hidden_points": 0.0} for e in exercises}
    expected.write(folder, {seed: recorder.book}, info)
    release = expected.release.__wrapped__(folder)
    return expected.Replay(release, seed)


def asks(listed) -> tuple[str, ...]:
    """The fixtures a check of the catalog takes (its parameters)."""
    module = importlib.import_module(f"grader.checks.test_{listed.stem}")
    function = getattr(module, f"test_{listed.name.split('[')[0]}")  # a parametrized check's name ends in [its case]
    return tuple(inspect.signature(function).parameters)


@pytest.fixture(scope="module")
def replays(tmp_path_factory):
    """Each exercise's replay, recorded once, when a test first asks for it."""
    made: dict[str, expected.Replay] = {}

    def of(exercise) -> expected.Replay:
        if exercise.stem not in made:
            made[exercise.stem] = recorded(tmp_path_factory.mktemp(exercise.stem), [exercise])
        return made[exercise.stem]

    return of


EXERCISES = pytest.mark.parametrize("exercise", each_exercise())


def public(doc) -> dict:
    return {key: (c["score"], c["status"]) for key, c in checks(doc).items() if not c["hidden"]}


@EXERCISES
def test_the_reference_gets_full_public_marks_from_its_own_recording(replays, exercise):
    doc, internal = grade(KIT / "solutions", [exercise], seed=SEED, source=replays(exercise))
    assert internal == 0
    assert doc["score"] == doc["max_score"] > 0
    assert doc["release"]["public_seeds"] == [SEED]


@EXERCISES
def test_the_stubs_get_nothing_from_the_recording(replays, exercise):
    doc, internal = grade(KIT / "exercises", [exercise], seed=SEED, source=replays(exercise))
    assert internal == 0
    assert doc["score"] == 0
    assert doc["max_score"] > 0


@pytest.mark.slow  # every realistic mistake, graded twice
@pytest.mark.parametrize(("exercise", "mistake"), mistakes.every(registry.EXERCISES))
def test_a_mistake_loses_points_on_its_check_and_scores_the_same_against_the_recording(tmp_path, monkeypatch, replays, exercise, mistake):
    """Each realistic mistake is graded twice, and only here: live, as the teacher's kit grades, and by replay, as a
    student release does (tests/course/test_release.py grades a few of them in a real release, cold). The live grading
    speaks a pseudo catalog, so that its messages show any sentence built outside the catalog (tests/i18n_tools.py)."""
    for name, value in mistake.env.items():
        monkeypatch.setenv(name, value)
    folder = submission_from(tmp_path, exercise.stem, solution_with(exercise.stem, mistake.code))
    with speaking_marked_checks(tmp_path / "locale"):  # its messages, read for prose built outside the catalog
        live, internal = grade(folder, [exercise], seed=SEED)
        _seen, leaks = unmarked_wording(live)  # in the run's language: what the student's code printed is cut off
    assert internal == 0
    assert leaks == [], "a check's message holds English built outside the catalog"
    found = checks(live)
    caught = [
        name for name in mistake.catches if found[f"{exercise.stem}::{name}"]["score"] < found[f"{exercise.stem}::{name}"]["max_score"]
    ]
    assert caught, f"none of {mistake.catches} lost points"
    assert live["score"] < live["max_score"]
    again, internal = grade(folder, [exercise], seed=SEED, source=replays(exercise))
    assert internal == 0
    assert public(again) == public(live)
    if any(not found[f"{exercise.stem}::{name}"]["hidden"] for name in mistake.catches):
        assert again["score"] < again["max_score"]
    else:  # a mistake only a teacher's hidden check catches: the release cannot see it, the teacher's grade does
        assert again["score"] == again["max_score"]
        assert live["score"] < live["max_score"]


def test_a_seed_that_was_not_recorded_is_refused_naming_the_public_ones(replays):
    with pytest.raises(expected.SeedError, match=f"public seeds \\({SEED}\\)"):
        expected.Replay(replays(registry.EXERCISES[0]).release, SEED + 1)


def test_inputs_other_than_those_recorded_are_the_kits_error_not_the_students(replays):
    reference = replays(registry.EXERCISES[0]).reference(registry.EXERCISES[0].stem, "test_make_scalar")
    with pytest.raises(expected.ExpectationError, match="other inputs than the release recorded"):
        reference.make_scalar(123456.0)


def test_a_rounding_apart_is_the_same_input_and_another_draw_is_not():
    x = torch.randn(100, generator=torch.Generator().manual_seed(1))
    assert expected.same(expected.fingerprint((x, 3, "a/path")), expected.fingerprint((x * (1 + 1e-7), 3, "b/path")))
    assert not expected.same(expected.fingerprint((x,)), expected.fingerprint((torch.randn(100),)))
    assert not expected.same(expected.fingerprint((x, 3)), expected.fingerprint((x, 4)))


CALLS = []


def counted_weights(solution, values):
    """A reference answer that draws from the random state, as building a model does, and says how often it ran."""
    CALLS.append(values)
    return {"weights": torch.randn(3) + values, "count": len(values)}


def test_the_live_reference_works_an_answer_out_once_for_the_same_inputs_and_random_state(monkeypatch):
    monkeypatch.setattr(expected, "KEPT", {})
    CALLS.clear()
    reference = expected.Live().reference(registry.EXERCISES[0].stem, "test_make_scalar")
    torch.manual_seed(3)
    first = reference.compute(counted_weights, torch.arange(3.0))
    drawn = first["weights"].clone()
    first["weights"].add_(100)  # a check that changes its answer in place changes its own copy only
    again = reference.compute(counted_weights, torch.arange(6.0)[::2] / 2)  # equal values, other strides
    assert len(CALLS) == 1
    assert torch.equal(again["weights"], drawn)
    assert again["count"] == 3
    reference.compute(counted_weights, torch.arange(3.0) + 1)
    torch.manual_seed(4)
    other_state = reference.compute(counted_weights, torch.arange(3.0))
    assert len(CALLS) == 3
    assert not torch.equal(other_state["weights"], again["weights"])


def test_every_exercise_has_a_hidden_check():
    hidden = {listed.stem for listed in engine.collect(registry.EXERCISES) if listed.hidden}
    assert hidden == {e.stem for e in registry.EXERCISES}
