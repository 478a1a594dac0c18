"""Write results claiming full marks (cwd, /tmp, the submission folder, stdout), then answer wrongly.

Where the sandbox confines writes, only the first two land (both in the child's own folder).

The test replaces MARKER so that the files it looks for are its own.
"""

import contextlib
import json
import tempfile
from pathlib import Path

import torch

FAKE = {
    "schema": 1,
    "score": 1000.0,
    "max_score": 1000.0,
    "status": "passed",
    "exercises": [{"exercise": "exercise1_tensors", "score": 1000.0, "max_score": 1000.0, "status": "graded", "checks": []}],
}
for folder in (Path.cwd(), Path(tempfile.gettempdir()), Path(__file__).parent):
    for name in ("results.json", "MARKER.json"):
        with contextlib.suppress(OSError):
            (folder / name).write_text(json.dumps(FAKE))
print(json.dumps(FAKE))


def make_vector(values):
    return torch.tensor(values)  # int64 for a list of ints: wrong
