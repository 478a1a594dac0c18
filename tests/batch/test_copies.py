"""Copy detection: renamed, recommented, reformatted copies are found; shared stub or reference code is not."""

from __future__ import annotations

from grader.batch import copies
from grader.registry import KIT_ROOT

STEM = "exercise1_tensors"
SOLUTION = (KIT_ROOT / "solutions" / f"{STEM}.py").read_text(encoding="utf-8")
STUB = (KIT_ROOT / "exercises" / f"{STEM}.py").read_text(encoding="utf-8")

OWN = '''
def matmul_by_hand(a, b):
    """Row times column, the slow way."""
    rows, inner = a.shape
    out = torch.zeros(rows, b.shape[1])
    for i in range(rows):
        for j in range(b.shape[1]):
            total = 0.0
            for k in range(inner):
                total += a[i, k] * b[k, j]
            out[i, j] = total
    return out
'''
RENAMED = """
def matmul_by_hand(left, right):
    # my own loop!
    n, m = left.shape
    result = torch.zeros(n, right.shape[1])

    for r in range(n):
        for c in range(right.shape[1]):
            acc = 0.0
            for x in range(m):
                acc += left[r, x] * right[x, c]   # multiply-add
            result[r, c] = acc
    return result
"""
TWEAKED = OWN.replace("total = 0.0", "total = 0")
OTHER = """
def matmul_by_hand(a, b):
    return torch.stack([torch.stack([(a[i] * b[:, j]).sum() for j in range(b.shape[1])]) for i in range(a.shape[0])])
"""


def test_names_comments_docstrings_and_layout_do_not_matter():
    assert copies.normalise(OWN) == copies.normalise(RENAMED)
    assert copies.normalise(OWN) != copies.normalise(OTHER)


def test_attribute_names_are_kept_so_that_different_calls_differ():
    assert copies.normalise("x = torch.zeros(3)\n") != copies.normalise("x = torch.ones(3)\n")
    assert copies.normalise("x = torch.zeros(3)\n") == copies.normalise("y = np.zeros(3)\n")


def test_a_renamed_copy_is_identical_a_tweaked_one_similar_and_other_work_apart():
    sources = {
        "amy": {STEM: SOLUTION + OWN},
        "bob": {STEM: SOLUTION + RENAMED},
        "cat": {STEM: SOLUTION + TWEAKED},
        "dan": {STEM: SOLUTION + OTHER},
    }
    [group] = copies.groups(sources, [STEM])
    assert group.students == ("amy", "bob", "cat")
    assert 0.9 <= group.similarity < 1
    pair = copies.groups({"amy": sources["amy"], "bob": sources["bob"]}, [STEM])
    assert [(g.students, g.identical) for g in pair] == [(("amy", "bob"), True)]


def test_the_stub_and_the_reference_solution_are_not_evidence():
    sources = {"amy": {STEM: SOLUTION}, "bob": {STEM: SOLUTION}, "cat": {STEM: STUB}, "dan": {STEM: STUB}}
    assert copies.groups(sources, [STEM]) == []
    assert copies.own_work(SOLUTION + OWN, copies.bases(STEM))[0] == "§matmul_by_hand"


def test_too_little_own_work_is_not_compared():
    tiny = "\ndef make_scalar(value):\n    return torch.tensor(value)\n"
    assert copies.groups({"amy": {STEM: SOLUTION + tiny}, "bob": {STEM: SOLUTION + tiny}}, [STEM]) == []


def test_files_that_do_not_parse_are_still_compared():
    broken = "def matmul_by_hand(a, b)\n" + "    x = a @ b + a @ b - a * b\n" * 4
    assert copies.units(broken).keys() == {"<module>"}
    [group] = copies.groups({"amy": {STEM: broken}, "bob": {STEM: broken.replace("x", "y")}}, [STEM])
    assert group.identical


# ---------------------------------------------------------------- copies of the reference solution

HONEST = """
def matmul(a, b):
    if a.shape[-1] != b.shape[0]:
        raise ValueError(f"shapes {tuple(a.shape)} and {tuple(b.shape)} do not chain")
    return torch.matmul(a, b)
""" + OWN.replace("total = 0.0", "total = torch.tensor(0.0)")


RENAMED_KEY = """
def matmul_by_hand(left: Tensor, right: Tensor) -> Tensor:
    # row times column
    n, _m = left.shape

    width = right.shape[1]
    out = torch.zeros(n, width, dtype=left.dtype)
    for r in range(n):
        for c in range(width):
            out[r, c] = (left[r, :] * right[:, c]).sum()   # one cell
    return out
"""


def renamed_reference() -> str:
    """The reference with matmul_by_hand renamed, recommented and laid out anew (the last definition wins, as in Python)."""
    return SOLUTION + RENAMED_KEY


def test_verbatim_and_renamed_copies_of_the_reference_are_flagged_per_function_and_honest_work_is_not():
    sources = {
        "amy": {STEM: SOLUTION},
        "bob": {STEM: SOLUTION},
        "cat": {STEM: renamed_reference()},
        "dan": {STEM: STUB + HONEST},
        "eve": {STEM: STUB},
    }
    found = copies.reference_matches(sources, [STEM])
    assert [(m.student, m.exercise, m.functions) for m in found] == [
        ("amy", STEM, ("matmul", "matmul_by_hand")),
        ("bob", STEM, ("matmul", "matmul_by_hand")),
        ("cat", STEM, ("matmul", "matmul_by_hand")),
    ]
    assert copies.units(RENAMED_KEY)["matmul_by_hand"] == copies.bases(STEM)[1]["matmul_by_hand"]
    assert copies.groups(sources, [STEM]) == [], "copies of the key match the key, not each other"


def test_a_one_line_answer_everyone_writes_alike_is_never_flagged():
    short = STUB + "\n\ndef elementwise_sum(a: Tensor, b: Tensor) -> Tensor:\n    return a + b\n"
    assert copies.units(short)["elementwise_sum"] == copies.bases(STEM)[1]["elementwise_sum"]
    assert copies.reference_matches({"amy": {STEM: short}}, [STEM]) == []
