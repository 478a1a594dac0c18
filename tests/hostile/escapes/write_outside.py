"""describe writes outside its working directory: it creates TARGETS["create"], appends TARGETS["ink"] to
TARGETS["append"] (the kit's checks, a gradebook, a classmate's file), climbs out with ``..`` and writes
through a link. The test replaces the TARGETS line and looks at those files from outside.
"""

import os

TARGETS: dict = {}


def _create(path: str) -> str:
    with open(path, "x") as f:
        f.write(TARGETS["ink"])
    return "created"


def _append(path: str) -> str:
    with open(path, "a") as f:
        f.write(f"\n# {TARGETS['ink']}\n")
    return "appended to"


def _through_a_link(path: str) -> str:
    os.symlink(path, "a-link")
    return _create("a-link")


def _try(attempt, path: str) -> str:
    try:
        return f"{attempt(path)} {path}"
    except OSError as exc:
        return f"{path}: {type(exc).__name__}"


def describe(t):
    name = TARGETS["marker"]
    attempts = [(_create, path) for path in TARGETS["create"]] + [(_append, path) for path in TARGETS["append"]]
    attempts += [(_create, f"../{name}-write-up"), (_through_a_link, f"/tmp/{name}-write-link")]
    tried = [_try(attempt, path) for attempt, path in attempts]
    raise RuntimeError(f"write attack: {'; '.join(tried)}")
