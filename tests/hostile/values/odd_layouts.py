"""Tensors that are not dense and strided, or of a dtype the wire cannot carry: each is its check's failure."""

import torch


def zeros_matrix(rows, cols):
    return torch.zeros(rows, cols).to_sparse()


def ones_matrix(rows, cols):
    return torch.nested.nested_tensor([torch.ones(cols) for _row in range(rows)])


def make_matrix(rows):
    return torch.tensor(rows, dtype=torch.float32).to_mkldnn()


def elementwise_sum(a, b):
    return (a + b).to(torch.complex128)
