"""make_vector reads memory at address 16 through ctypes: the process dies of SIGSEGV."""

import ctypes


def make_vector(values):
    return ctypes.cast(16, ctypes.POINTER(ctypes.c_int))[0]
