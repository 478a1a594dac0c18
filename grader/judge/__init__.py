"""The judge: runs a grading in the trusted process, pytest and the checks, and writes the result document.

:mod:`.engine` runs a grading, :mod:`.plugin` is its pytest plugin (fixtures, guards, results),
:mod:`.expected` gives the checks the reference's answers (live, recorded for a release, or replayed),
:mod:`.devices` picks cpu or cuda, :mod:`.policy` turns a score into an exit code, and :mod:`.listing`
lists the checks without importing them. May import the base modules, the sandbox, the formats and
the checking layer; nothing above it (the student's loop, the course tools, the batch, the CLI).
"""
