"""``grade list`` reads the checks' points from their source: the same checks, points and hints pytest collects."""

from __future__ import annotations

from grader import registry
from grader.judge import engine, listing


def test_the_listing_read_from_source_is_what_pytest_collects():
    assert listing.listed(registry.EXERCISES) == engine.collect(registry.EXERCISES)


def test_a_parametrized_check_is_listed_once_per_parameter_and_a_hidden_one_says_so():
    source = (
        "@pytest.mark.parametrize('kind', ['a', 'b-c', 3])\n"
        "@check(points=2, hint=N_('try this'), hidden=True)\n"
        "def test_thing(student, kind):\n    pass\n\n"
        "def test_not_a_check():\n    pass\n"
    )
    found = listing.of_file("stem", source)
    assert found == [listing.Listed("stem", f"thing[{k}]", 2, "try this", True) for k in ("a", "b-c", "3")]
