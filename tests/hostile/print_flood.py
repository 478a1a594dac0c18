"""Print 50 MB: make_vector then answers wrongly (int64), zeros_matrix answers right."""

import sys

import torch


def flood():
    line = "x" * 1023 + "\n"
    for _ in range(25 * 1024):
        sys.stdout.write(line)
        sys.stderr.write(line)


def make_vector(values):
    flood()
    return torch.tensor(values)


def zeros_matrix(rows, cols):
    flood()
    return torch.zeros(rows, cols)
