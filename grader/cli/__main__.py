"""``python -m grader.cli``: the ``grade`` command, where no console script is installed."""

from grader.cli import entry

entry()
