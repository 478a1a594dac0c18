"""Texts of 24 MiB a student controls: an exception's message, a returned string, an exception type's name, and printed
output. Each check fails, and what it says is cut to its budget."""

import sys

HUGE = 24 << 20


def elementwise_product(a, b):
    raise ValueError("m" * HUGE)


def make_scalar(value):
    return "r" * HUGE


def ones_matrix(rows, cols):
    raise type("N" * (1 << 20), (Exception,), {})("a type with a long name")


def zeros_matrix(rows, cols):
    sys.stdout.write("o" * HUGE)
    return None


def make_matrix(rows):
    return ["x" * (1 << 20)] * 8  # 8 MiB of value that crosses: the check's message shows its repr
