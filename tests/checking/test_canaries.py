"""Does everything the checks rely on in torch, Python and pytest-timeout still work here? (A new release breaks these first.)"""

from __future__ import annotations

import pytest

from grader import sandbox
from grader.checking.canaries import CANARIES
from tests import sandbox_targets as targets


@pytest.mark.parametrize("name", sorted(CANARIES))
def test_the_canary_holds_in_a_sandbox_child(name):
    outcome = sandbox.run(targets.sing, name)
    assert (outcome.status, outcome.value) == ("ok", "held"), outcome.error


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the grading plugin registers the checks' marks
def test_every_probe_with_canaries_names_registered_ones():
    """A probe's canaries are the registered ones, so that none escapes the kit's own tests."""
    from grader import registry

    registered = set(CANARIES.values())
    for exercise in registry.EXERCISES:
        module = __import__(exercise.check_module, fromlist=["_"])
        for name, value in vars(module).items():
            for canary in getattr(value, "canaries", ()):
                assert canary in registered, f"{exercise.check_module}.{name} has an unregistered canary {canary.__name__}"
