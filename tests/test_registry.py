"""One registry knows the exercises; the trees and the checks must agree with it."""

import pytest

from grader import registry
from grader.judge import engine
from tests.helpers import KIT


def stems(folder: str, prefix: str = "") -> set[str]:
    return {p.stem.removeprefix(prefix) for p in (KIT / folder).glob(f"{prefix}*.py") if p.name != "__init__.py"}


def test_exercises_solutions_and_checks_match_by_stem():
    registered = {e.stem for e in registry.EXERCISES}
    assert stems("exercises") == registered
    assert stems("solutions") == registered
    assert stems("grader/checks", "test_") == registered


def test_numbers_are_one_to_n_in_order():
    assert [e.number for e in registry.EXERCISES] == list(range(1, len(registry.EXERCISES) + 1))


def test_every_check_has_points_a_hint_and_a_nudge():
    found = engine.collect(registry.EXERCISES)
    assert {stem for stem, *_ in found} == {e.stem for e in registry.EXERCISES}
    for stem, name, points, hint, _, nudge in found:
        assert points > 0, f"{stem}::{name} has no points"
        assert len(hint.strip()) > 10, f"{stem}::{name} has no real hint"
        assert len(nudge.strip()) > 10, f"{stem}::{name} has no real nudge"


@pytest.mark.parametrize("exercise", registry.EXERCISES, ids=lambda e: e.name)
def test_number_name_stem_and_topic_all_resolve(exercise):
    for word in exercise.words() | {exercise.name.upper()}:
        assert registry.resolve(word) is exercise


def test_unknown_word_lists_the_choices():
    with pytest.raises(registry.UnknownExercise, match="exercise1"):
        registry.resolve("exercise99")


@pytest.mark.parametrize(
    ("word", "match"), [("tensor", "tensors"), ("autogard", "autograd"), ("exercse1", "exercise1"), ("exercise9", None), ("foo", None)]
)
def test_a_misspelt_exercise_gets_a_did_you_mean_but_another_number_does_not(word, match):
    assert registry.closest(word) == match
    with pytest.raises(registry.UnknownExercise) as raised:
        registry.resolve(word)
    assert ("did you mean" in str(raised.value)) == (match is not None)


def test_check_modules_never_import_solutions_at_module_level():
    """The sandbox child imports check modules to find probes; the reference must not ride along."""
    for exercise in registry.EXERCISES:
        source = exercise.check_file.read_text()
        assert "import solutions" not in source, exercise.stem
        assert "from solutions" not in source, exercise.stem
