"""make_vector raises an exception whose str() raises; ones_matrix one whose str() never returns."""


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class Endless(Exception):
    def __str__(self):
        while True:
            pass


def make_vector(values):
    raise Unprintable()


def ones_matrix(rows, cols):
    raise Endless()
