"""make_vector never returns; only its check times out."""


def make_vector(values):
    while True:
        pass
