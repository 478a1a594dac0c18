"""Do the README's Colab cells grade a notebook in a real Jupyter kernel, on a machine that refuses namespaces?

The cells are taken from the README's "Colab and Jupyter" section, so the README cannot drift from what is
tested. Only the install line is left out (it clones and installs over the network): a student release of
exercise 1 stands in for its clone, at the path the next cell puts on ``sys.path``, in a kernel started from
this environment, where torch is installed, as Colab's is. ``GRADER_NO_NAMESPACES=1`` makes this machine act as
one that refuses namespaces, which a container such as Colab's may be.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from grader import registry
from grader.course import release
from grader.sandbox import layers
from tests.helpers import KIT

pytestmark = pytest.mark.slow  # a kernel, torch's import in it and a sandbox's start: about 20 s

SECTION = "### Colab and Jupyter"
CLONE = "/content/course-kit"  # where the README's install line puts the release
SEED = 2**31 + 21


def readme_cells() -> list[str]:
    """The section's ``python`` code blocks, in order: a notebook cell each."""
    text = (KIT / "README.md").read_text(encoding="utf-8").split(SECTION, 1)[1]
    text = re.split(r"\n##+ ", text, maxsplit=1)[0]
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def without_the_install_line(cells: list[str]) -> list[str]:
    """The cells with the one install line (a shell line: ``!git clone ... && pip install ...``) taken out."""
    installs = [line for cell in cells for line in cell.splitlines() if line.startswith("!")]
    assert len(installs) == 1
    assert "pip install" in installs[0]
    assert CLONE in installs[0]
    kept = ["\n".join(line for line in cell.splitlines() if not line.startswith("!")) for cell in cells]
    return [cell for cell in kept if cell.strip()]


def outputs(cell) -> str:
    """What a cell printed, and the lines of its error as IPython showed them."""
    said = []
    for output in cell.outputs:
        if output.output_type == "stream":
            said.append(output.text)
        elif output.output_type == "error":
            said.append("\n".join(output.traceback))
    return "".join(said)


@pytest.fixture(scope="module")
def course_kit(tmp_path_factory):
    """A student release of exercise 1, as the README's clone would hold it."""
    folder = tmp_path_factory.mktemp("colab") / "course-kit"
    release.write(folder, [registry.EXERCISES[0]], 1, seeds=(SEED,), progress=lambda line: None)
    return folder


def test_the_readme_has_the_install_line_a_path_cell_and_a_check_cell():
    cells = readme_cells()
    assert cells[0].startswith("!git clone")
    assert any(f'sys.path.insert(0, "{CLONE}")' in cell for cell in cells)
    assert any('check("exercise1_tensors", "make_scalar")' in cell for cell in cells)


def test_the_readmes_cells_grade_a_notebook_with_the_namespaces_refused(course_kit, tmp_path, monkeypatch):
    monkeypatch.setenv(layers.NO_NAMESPACES_ENV, "1")  # the kernel inherits this process's environment
    monkeypatch.setenv("GRADER_LANG", "en")
    cells = [cell.replace(CLONE, str(course_kit)) for cell in without_the_install_line(readme_cells())]
    where = "import grader\nprint(grader.__file__)"  # not the README's: which kit the kernel graded with
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in [*cells, where]])
    client = NotebookClient(notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    said = [outputs(cell) for cell in notebook.cells]
    checked = said[-2]
    assert checked.splitlines()[-1] == "✓ make_scalar  1/1"  # the grade came back, from the check cell
    assert re.search(rf"\(graded this notebook's code for exercise1 on \w+ with seed {SEED}\)", checked)
    assert "sandbox: no namespaces here (turned off (GRADER_NO_NAMESPACES=1))" in checked  # which layer did not hold
    assert said[-1].strip().startswith(str(course_kit))  # the release on the path cell's folder, not this kit
