"""Does correct code written another way than the reference get full marks?

``tests/variants/<stem>.py`` solves an exercise in a student's own style: other names,
``inference_mode``, ``len(loader.dataset)``, extra history keys and files, aliased imports,
a positional ``map_location``. The training one trains 1 epoch against a 90% goal (the
reference reaches about 95% in one), to keep MNIST out of the kit's CI time.
"""

import pytest

from grader import engine, registry
from tests.conftest import KIT, grade

VARIANTS = KIT / "tests" / "variants"
QUICK = {"GRADER_MNIST_EPOCHS": "1", "GRADER_MNIST_THRESHOLD": "90"}


@pytest.mark.parametrize("exercise", [e for e in registry.EXERCISES if (VARIANTS / f"{e.stem}.py").is_file()], ids=lambda e: e.name)
def test_variant_gets_full_marks(exercise, monkeypatch):
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    doc, internal = grade(VARIANTS, [exercise], seed=5)
    part = doc["exercises"][0]
    failed = {c["name"]: c["message"] for c in part["checks"] if c["status"] not in ("passed", "skipped")}
    assert (internal, failed) == (0, {})
    assert part["score"] == part["max_score"] > 0 and engine.passed(doc)
