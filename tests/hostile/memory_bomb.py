"""Allocate until the memory limit stops it: Python objects in make_vector, a huge tensor in zeros_matrix."""

import torch


def make_vector(values):
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


def zeros_matrix(rows, cols):
    return torch.zeros(1 << 20, 1 << 20)  # 4 TiB
