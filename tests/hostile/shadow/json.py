"""A student's file named like a module of the standard library (so do click.py, numpy.py, torch.py and grader/).

Only student code in the sandbox may ever import it. Imported by the kit outside the sandbox (the CLI, the
zygote, a batch worker), it writes the importing process into EVIDENCE, which the sandbox cannot write to, and
ends that process. The test copies this file under each name and replaces the EVIDENCE line.
"""

import os
import sys

EVIDENCE = ""
try:
    with open(EVIDENCE, "a", encoding="utf-8") as file:
        file.write(f"{__name__} imported by pid {os.getpid()} uid {os.getuid()}: {sys.argv}\n")
except OSError:
    pass  # in the sandbox: nothing can be written there
raise SystemExit(f"the student's {__name__} was imported")
