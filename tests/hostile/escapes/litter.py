"""random_matrix leaves files in every temporary folder it can reach, and temporary files it never removes.

Named after TARGETS["marker"] with ``-litter``, so that the test finds them in /tmp, /var/tmp, /dev/shm and
the judge's TMPDIR. The test replaces the TARGETS line.
"""

import os
import tempfile

TARGETS: dict = {}


def random_matrix(rows, cols):
    name = f"{TARGETS['marker']}-litter"
    left = []
    for folder in dict.fromkeys(["/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir(), os.environ.get("TMPDIR") or "/tmp"]):
        path = os.path.join(folder, name)
        try:
            with open(path, "w") as f:
                f.write("litter")
            left.append(path)
        except OSError as exc:
            left.append(f"{path}: {type(exc).__name__}")
    try:
        left.append(tempfile.mkdtemp(prefix=name))
        fd, path = tempfile.mkstemp(prefix=name)
        os.close(fd)
        left.append(path)
    except OSError as exc:
        left.append(f"{tempfile.gettempdir()}: {type(exc).__name__}")
    raise RuntimeError(f"litter attack: {'; '.join(left)}")
