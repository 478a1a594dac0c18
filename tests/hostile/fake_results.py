"""Write results claiming full marks (cwd, /tmp, the submission folder, stdout), then answer wrongly.

The test replaces MARKER so that the files it looks for are its own.
"""

import json
import tempfile
from pathlib import Path

import torch

FAKE = {"schema": 1, "score": 1000.0, "max_score": 1000.0, "status": "passed",
        "exercises": [{"exercise": "exercise1_tensors", "score": 1000.0, "max_score": 1000.0, "status": "graded", "checks": []}]}
for folder in (Path.cwd(), Path(__file__).parent):
    (folder / "results.json").write_text(json.dumps(FAKE))
for folder in (Path.cwd(), Path(tempfile.gettempdir()), Path(__file__).parent):
    (folder / "MARKER.json").write_text(json.dumps(FAKE))
print(json.dumps(FAKE))


def make_vector(values):
    return torch.tensor(values)  # int64 for a list of ints: wrong
