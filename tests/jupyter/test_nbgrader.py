"""The notebooks under the real nbgrader: generate_assignment, autograde, the gradebook, generate_feedback.

One course, exercise 1 only, two students: one who wrote the solutions in, one who handed the
released notebook back untouched. Each autograde runs a kernel and the kit's checks (~10 s a
student), so this test is the one place the whole Jupyter flow runs; the notebook's parts have
fast tests in test_notebooks.py and test_kernel.py.
"""

import html
import os
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import regions, registry
from grader.course import notebooks
from grader.formats import visibility
from grader.judge.engine import collect
from grader.jupyter import kernel

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(900)]

EXERCISE = registry.EXERCISES[0]
STEM = EXERCISE.stem


def nbgrader(course, *args):
    """The real nbgrader command line, in the course folder, deaf to the user's own Jupyter config."""
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / ".jupyter"))
    # nbgrader runs `alembic` for its gradebook: it must find this environment's bin folder.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--debug"], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def solution_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.fixture(scope="module")
def checks():
    """The kit's checks of the exercise: (stem, name, points, hint)."""
    return collect([EXERCISE])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course whose two submissions went through generate_assignment, autograde and generate_feedback."""
    root = tmp_path_factory.mktemp("course")
    notebooks.write_course(root, [EXERCISE])
    nbgrader(root, "generate_assignment", STEM)
    source = nbformat.read(root / "source" / STEM / f"{STEM}.ipynb", as_version=4)
    released = nbformat.read(root / "release" / STEM / f"{STEM}.ipynb", as_version=4)
    for student, fill in (("diligent", True), ("idle", False)):
        handed_in = nbformat.read(root / "release" / STEM / f"{STEM}.ipynb", as_version=4)
        if fill:  # the student's code: the solution, without the teacher's markers
            for grade_id, cell in solution_cells(handed_in).items():
                lines = solution_cells(source)[grade_id].source.splitlines()
                cell.source = "\n".join(line for line in lines if line.strip() not in (regions.BEGIN, regions.END))
        folder = root / "submitted" / student / STEM
        folder.mkdir(parents=True)
        nbformat.write(handed_in, folder / f"{STEM}.ipynb")
    graded = nbgrader(root, "autograde", STEM)
    nbgrader(root, "generate_feedback", STEM)
    return {"root": root, "source": source, "released": released, "autograde": graded.stdout + graded.stderr}


def test_released_notebook_has_the_stubs_not_the_solutions(course):
    source, released = solution_cells(course["source"]), solution_cells(course["released"])
    assert source.keys() == released.keys()
    assert source
    for grade_id, cell in released.items():
        assert cell.source == regions.strip_solutions(source[grade_id].source, grade_id).rstrip("\n")  # the kit's stub, exactly
        assert "raise NotImplementedError()" in cell.source
        assert "BEGIN SOLUTION" not in cell.source
    assert not any("BEGIN SOLUTION" in c.source for c in course["released"].cells)


@pytest.mark.parametrize(("student", "full"), [("diligent", True), ("idle", False)])
def test_gradebook_scores_match_the_kits_points(course, checks, student, full):
    with Gradebook(f"sqlite:///{course['root'] / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(STEM, student)
        grades = {g.name: (g.score, g.max_score) for g in submission.notebooks[0].grades}
        total = (submission.score, submission.max_score)
    assert grades == {f"check_{c.name}": (c.points if full else 0.0, c.points) for c in checks}
    assert total == ((sum(c.points for c in checks) if full else 0.0), sum(c.points for c in checks))


def test_feedback_holds_the_kits_messages_and_hints(course, checks):
    def feedback(student):
        return html.unescape((course["root"] / "feedback" / student / STEM / f"{STEM}.html").read_text(encoding="utf-8"))

    diligent, idle = feedback("diligent"), feedback("idle")
    for _, name, points, hint, hidden, _nudge in checks:
        assert f"✓ {name}  {points:g}/{points:g}" in diligent
        assert f"✗ {name}  0/{points:g}" in idle
        assert hint not in idle if hidden else hint in idle
    public = [c for c in checks if not c.hidden]
    assert idle.count("not implemented yet") == len(public)  # a hidden check's message is sealed: no reveal date is set
    assert idle.count(visibility.sealed_message(1)) == sum(1 for c in checks if c.hidden and c.points == 1) > 0


def test_the_released_notebook_does_not_name_the_hidden_checks(course, checks):
    """A hidden check's cell calls it by its seal: the student's notebook names neither it nor its inputs."""
    released = "\n".join(c.source for c in course["released"].cells)
    for _, name, _, _, hidden, _nudge in checks:
        assert (f"check({STEM!r}, {name!r})" in released) is not hidden, name
        assert (f"sealed={kernel.seal(STEM, name)!r}" in released) is hidden, name
    assert "HIDDEN TESTS" not in released


def test_autograde_warns_of_nothing_the_kit_did(course):
    """No "Attribute 'checksum' for cell ... has changed!" (jupyter/nbgrader#1961): no cell of the kit's has a region
    that generate_assignment strips after it saved the cell's checksum."""
    warned = [line for line in course["autograde"].splitlines() if "has changed" in line or "checksum" in line.lower()]
    assert warned == []
