"""Stubs are generated from solutions, so they can never drift apart."""

import pytest

from grader import registry
from grader.course.generate import stub_text
from grader.regions import MarkerError, strip_solutions
from tests.helpers import KIT


@pytest.mark.parametrize("exercise", registry.EXERCISES, ids=lambda e: e.name)
def test_stub_is_exactly_the_generated_text(exercise):
    assert (KIT / "exercises" / f"{exercise.stem}.py").read_text() == stub_text(KIT / "solutions" / f"{exercise.stem}.py")


def test_region_becomes_not_implemented_with_its_indent():
    source = "def f():\n    x = 1\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert strip_solutions(source) == "def f():\n    x = 1\n    # YOUR CODE HERE / ВАШ КОД ЗДЕСЬ\n    raise NotImplementedError()\n"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("### BEGIN SOLUTION\nx\n", "f.py:1"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "f.py:2"),
        ("x\n### END SOLUTION\n", "f.py:2"),
        ("x = 1  # BEGIN SOLUTION\n", "f.py:1"),  # nbgrader would take it for a marker: refused
    ],
)
def test_unpaired_markers_name_the_file_and_line(source, line):
    with pytest.raises(MarkerError, match=line):
        strip_solutions(source, "f.py")
