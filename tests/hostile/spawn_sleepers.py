"""Start 20 sleeping processes: make_vector then hangs, zeros_matrix returns the right answer.

Each call starts 5 through subprocess, 5 more in a new session (setsid), 5 bare os.fork children
and 5 more that also call setsid. The test replaces MARKER: exec'd sleepers carry it in their
environment, forked ones take it as their process name; both are what the test looks for from outside.
"""

import ctypes
import os
import subprocess
import sys
import time

import torch


def spawn():
    env = {**os.environ, "HOSTILE_MARKER": "MARKER"}
    for i in range(10):
        subprocess.Popen(["sleep", "120"], env=env, start_new_session=i % 2 == 1)
    for i in range(10):
        if os.fork() == 0:
            if i % 2:
                os.setsid()
            ctypes.CDLL(None).prctl(15, b"MARKER"[:15], 0, 0, 0)  # PR_SET_NAME
            time.sleep(120)
            os._exit(0)
    print("spawned 20")
    sys.stdout.flush()


def make_vector(values):
    spawn()
    while True:
        time.sleep(1)


def zeros_matrix(rows, cols):
    spawn()
    return torch.zeros(rows, cols)
