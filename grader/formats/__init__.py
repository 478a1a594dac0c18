"""Every way to print a result document, by name: ``grade --format`` and ``grade batch`` read this one table.

Each format renders FROM the document that :func:`grader.judge.engine.grade` returns (schema 1); none
grades again. ``write(doc, "junit", path)`` is what ``grade batch`` calls for one student's file.

Layer: the document and everything drawn from it (the text report, the charts, the curves,
visibility). May import only the base modules and the sandbox's names (:mod:`grader.sandbox.layers`);
the checking layer, the judge and everything above import it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.formats import github, gradescope, junit


def _json(doc: dict, seconds: float | None = None) -> str:
    return json.dumps(doc, indent=2)


def _text(doc: dict, seconds: float | None = None) -> str:
    import click

    from grader.formats.report import render

    return click.unstyle(render(doc))


@dataclass(frozen=True)
class Format:
    render: Callable[..., str]  # render(doc, seconds=None) -> str
    suffix: str  # how ``grade batch`` names one student's file: <student><suffix>


FORMATS: dict[str, Format] = {
    "text": Format(_text, ".txt"),
    "json": Format(_json, ".json"),
    "junit": Format(junit.render, ".junit.xml"),
    "github": Format(github.render, ".github.txt"),
    "gradescope": Format(gradescope.render, ".gradescope.json"),
}
NAMES = tuple(FORMATS)


def render(doc: dict, fmt: str, seconds: float | None = None) -> str:
    """The document in format ``fmt``; ``seconds`` is the grading time, where a format records it."""
    return FORMATS[fmt].render(doc, seconds=seconds)


def write(doc: dict, fmt: str, path: str | Path, seconds: float | None = None) -> Path:
    """Write what ``grade --format fmt`` prints into ``path`` (one student's file in ``grade batch``)."""
    path = Path(path)
    text = render(doc, fmt, seconds)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path


def emit(doc: dict, fmt: str, seconds: float | None = None, hints: bool = False) -> None:
    """Print the document on stdout; ``github`` also appends its summary to ``$GITHUB_STEP_SUMMARY``.
    ``hints``: the text report shows the full hints, not the nudges (``grade N --hints``)."""
    if fmt == "text":
        import click

        from grader.formats.report import render as text

        click.echo(text(doc, hints=hints))  # click keeps the colours on a terminal and drops them elsewhere
        return
    body = render(doc, fmt, seconds)
    sys.stdout.write(body if body.endswith("\n") else body + "\n")
    sys.stdout.flush()
    if fmt == "github":
        github.append_summary(doc)
