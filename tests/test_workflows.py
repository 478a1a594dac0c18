"""Is every GitHub Actions workflow the kit ships one that GitHub would accept?

None of them can run here, so each is validated against GitHub's workflow schema: SchemaStore's, as
check-jsonschema bundles it (``--builtin-schema vendor.github-workflows``), with the network refused, so
nothing is downloaded. The broken workflows show that the check refuses what GitHub would.
"""

from __future__ import annotations

import socket

import pytest
from check_jsonschema import main as check_jsonschema
from click.testing import CliRunner

from tests.helpers import KIT

WORKFLOWS = sorted([*(KIT / ".github" / "workflows").glob("*.yml"), *(KIT / "docs" / "workflows").glob("*.yml")])


def validate(*paths) -> tuple[int, str]:
    """check-jsonschema's exit status and output for ``paths`` against GitHub's workflow schema."""
    done = CliRunner().invoke(check_jsonschema, ["--builtin-schema", "vendor.github-workflows", *map(str, paths)])
    return done.exit_code, done.output


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No connection can be made: a schema fetched at test time would fail here, not pass."""

    def refuse(*args, **kwargs):
        raise OSError("tests/test_workflows.py: no network at test time")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_the_kit_ships_the_workflows_the_readme_names():
    names = {path.name for path in WORKFLOWS}
    assert {"grade.yml", "portable.yml", "official-grade.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_each_workflow_is_valid_under_githubs_schema(path):
    code, output = validate(path)
    assert code == 0, output


JOB = """\
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
"""
BROKEN = {  # the text after ``name:``, and what the refusal says
    "a job without runs-on": ("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n", "'runs-on' is a required property"),
    "a step that both uses and runs": ("on: push\n" + JOB + "        run: echo\n", "$.jobs.a"),
    "no jobs": ("on: push\n" + JOB.replace("jobs:", "job:"), "'jobs' is a required property"),
    "an unknown trigger": ("on: pull-request\n" + JOB, "pull-request"),
}


@pytest.mark.parametrize(("body", "said"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_workflow_is_refused(tmp_path, body, said):
    path = tmp_path / "broken.yml"
    path.write_text("name: broken\n" + body, encoding="utf-8")
    code, output = validate(path)
    assert code == 1
    assert said in output
