from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "unsqueeze at the wrong position",
        """
def add_batch_dim(x):
    return x.unsqueeze(-1)
""",
        ("add_batch_dim",),
    ),
    Mistake(
        "transpose instead of permute",
        """
def hwc_to_chw(image):
    return image.transpose(0, 2)
""",
        ("hwc_to_chw",),
    ),
    Mistake(
        "arange without dtype (int64)",
        """
def arange_float(n):
    return torch.arange(n)
""",
        ("arange_float",),
    ),
    Mistake(
        "view fails on non-contiguous input",
        """
def flatten_batch(images):
    return images.view(images.shape[0], -1)
""",
        ("flatten_batch[non-contiguous]",),
    ),
    Mistake(
        "flatten including the batch dimension",
        """
def flatten_batch(images):
    return images.flatten()
""",
        ("flatten_batch[NHW]", "flatten_batch[NCHW]"),
    ),
    Mistake(
        "hard-coded tutorial example",
        """
def arange_float(n):
    return torch.arange(12, dtype=torch.float32)
""",
        ("arange_float",),
    ),
    Mistake(
        "reshape without the size check",
        """
def to_matrix(x, rows, cols):
    return x.reshape(rows, cols)
""",
        ("to_matrix_error",),
    ),
    Mistake(
        "a batch dimension spelled out for 2-d inputs only",
        """
def add_batch_dim(x):
    return x.reshape(1, x.shape[0], x.shape[1])
""",
        ("add_batch_dim_any_rank",),
    ),
    Mistake(
        "flattening that keeps height times width, folding channels into the batch",
        """
def flatten_batch(images):
    return images.reshape(-1, images.shape[-2] * images.shape[-1])
""",
        ("flatten_batch_colour",),
    ),
]
