"""make_vector returns a list nested 5,000 deep: too deep to cross, so its checks fail, and no other."""


def make_vector(values):
    deep = []
    for _level in range(5000):
        deep = [deep]
    return deep
