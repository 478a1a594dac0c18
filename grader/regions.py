"""Solution regions, the format of the reference solutions: ``### BEGIN SOLUTION`` ... ``### END SOLUTION``.

A region becomes the stub's body, as nbgrader's ClearSolutions does: ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` (:data:`STUB`). Why not nbgrader itself: ClearSolutions is a notebook
preprocessor (it has no path for a .py file), its errors name neither the file nor the line, and it accepts a
stray END. :func:`strip_solutions` is the same algorithm made strict; ``tests/course/test_notebooks.py`` proves that
ClearSolutions, given the kit's stub, turns every solution file into exactly the same text.
"""

from __future__ import annotations

from grader.errors import UsageProblem

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE / ВАШ КОД ЗДЕСЬ", "raise NotImplementedError()")


class MarkerError(UsageProblem, ValueError):
    """A solution file whose markers do not pair up; the message names the file and the line."""


def strip_solutions(source: str, name: str = "<source>") -> str:
    out, begin_line = [], None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line is not None:
                raise MarkerError(f"{name}:{number}: BEGIN SOLUTION inside the region opened at line {begin_line}")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(f"{indent}{stub}\n" for stub in STUB)
        elif marker == END:
            if begin_line is None:
                raise MarkerError(f"{name}:{number}: END SOLUTION without a BEGIN SOLUTION")
            begin_line = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            # nbgrader takes any line holding these words for a marker; the kit would not: refuse both readings
            raise MarkerError(f"{name}:{number}: a marker must stand alone on its line as {BEGIN!r} or {END!r}")
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise MarkerError(f"{name}:{begin_line}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "".join(out)
