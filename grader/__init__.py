"""A trusted judge for PyTorch exercises: checks run here, student code runs in a sandbox."""

__version__ = "0.1.0"
