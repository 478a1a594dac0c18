from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "int64 instead of float32",
        """
def make_vector(values):
    return torch.tensor(values)
""",
        ("make_vector",),
    ),
    Mistake(
        "hard-coded answer for the tutorial's example",
        """
def make_scalar(value):
    return torch.tensor(3.0)
""",
        ("make_scalar",),
    ),
    Mistake(
        "@ in matmul_by_hand",
        """
def matmul_by_hand(a, b):
    return a @ b
""",
        ("matmul_by_hand", "matmul_by_hand_edge"),
    ),
    Mistake(
        "elementwise product with @",
        """
def elementwise_product(a, b):
    return a @ b
""",
        ("elementwise_product",),
    ),
    Mistake(
        "no shape check in matmul",
        """
def matmul(a, b):
    return a @ b
""",
        ("matmul_shape_error",),
    ),
    Mistake(
        "its own generator in random_matrix",
        """
def random_matrix(rows, cols):
    return torch.rand(rows, cols, generator=torch.Generator().manual_seed(0))
""",
        ("random_matrix",),
    ),
    Mistake(
        "describe returns a list",
        """
def describe(t):
    return [t.shape, t.dtype]
""",
        ("describe",),
    ),
    Mistake(
        "a vector stacked from scalars, which fails for an empty list",
        """
def make_vector(values):
    return torch.stack([torch.tensor(float(v)) for v in values])
""",
        ("make_vector_empty",),
    ),
]
