"""The result document (schema 1): what every format renders from, checked against the JSON Schema the kit ships.

``grader/schemas/result-1.schema.json`` is the contract for programs that read the document;
:func:`validate` holds a document to it, for ``grade render`` and the kit's own tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from grader.errors import UsageProblem

SCHEMA = 1
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / f"result-{SCHEMA}.schema.json"


class DocumentError(UsageProblem, ValueError):
    """Not a result document of schema 1; the message says where it goes wrong."""


@cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate(doc) -> None:
    """Raise DocumentError naming the first place where ``doc`` breaks schema 1."""
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path).lstrip(".")
        raise DocumentError(f"{'at ' + where + ': ' if where else ''}{error.message}")
