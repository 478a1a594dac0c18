"""Do comparisons fail on type, shape and dtype before values, never broadcast, and say where they differ?"""

from __future__ import annotations

import pytest
import torch

from grader.checking.compare import CheckFailed, describe, expect_number, expect_same, expect_tensor, expect_trained


def fails(function, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        function(*args, **kwargs)
    return str(caught.value)


def test_a_failed_comparison_is_an_assertion():
    assert issubclass(CheckFailed, AssertionError)  # so pytest, and the plugin, call it "failed"


def test_equal_tensors_pass():
    expected = torch.arange(6.0).reshape(2, 3)
    assert expect_tensor(expected.clone(), expected, "f()") is None


def test_float32_tolerance_is_about_1e_5():
    expected = torch.tensor([1.0, 100.0, -3.0])
    expect_tensor(expected + 5e-6, expected, "f()")
    assert "wrong value at [1]" in fails(expect_tensor, expected + torch.tensor([0.0, 0.01, 0.0]), expected, "f()")


def test_no_broadcasting_of_the_students_value():
    expected = torch.tensor([1.0, 2.0, 3.0])
    message = fails(expect_tensor, expected.reshape(3, 1), expected, "f(x)")
    assert message == "f(x) returned shape (3, 1); expected (3,)"
    assert "shape (1, 3); expected (3,)" in fails(expect_tensor, expected.reshape(1, 3), expected, "f(x)")
    assert "shape (3,); expected (3, 3)" in fails(expect_tensor, expected, expected.expand(3, 3), "f(x)")


def test_dtype_is_checked_before_values():
    expected = torch.tensor([1.0, 2.0])
    assert fails(expect_tensor, torch.tensor([1, 2]), expected, "make_vector([1, 2])") == (
        "make_vector([1, 2]) returned dtype torch.int64; expected torch.float32"
    )
    assert "dtype torch.float64" in fails(expect_tensor, expected.double(), expected, "f()")


def test_message_shows_the_first_differing_element():
    expected = torch.zeros(2, 3)
    got = expected.clone()
    got[1, 2], got[0, 1] = 7.5, -2.0
    message = fails(expect_tensor, got, expected, "f(a)")
    assert message == "f(a) has the wrong value at [0, 1]: got -2, expected 0 (wrong in 2 of 6 elements)"


def test_zero_dimensional_tensors_name_no_index():
    message = fails(expect_tensor, torch.tensor(2.0), torch.tensor(3.0), "make_scalar(3.0)")
    assert message == "make_scalar(3.0) has the wrong value: got 2, expected 3"


def test_integer_tensors_compare_exactly_and_nan_equals_nan():
    assert "wrong value at [0]" in fails(expect_tensor, torch.tensor([1, 2]), torch.tensor([2, 2]), "f()")
    expect_tensor(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]), "f()")


def test_a_non_tensor_is_described():
    message = fails(expect_tensor, [1.0, 2.0, 3.0], torch.zeros(3), "f()")
    assert message == "f() returned a list of 3 items; expected a tensor of shape (3,) and dtype float32"
    assert "returned None" in fails(expect_tensor, None, torch.zeros(3), "f()")


def test_numbers():
    expect_number(0.1 + 0.2, 0.3, "f()")
    assert "use .item()" in fails(expect_number, torch.tensor(0.3), 0.3, "f()")
    assert "expected a Python number" in fails(expect_number, True, 1.0, "f()")
    assert fails(expect_number, 0.5, 0.25, "f()") == "f() returned 0.5; expected 0.25"


def test_same_compares_structures_recursively_with_exact_types():
    shape_and_dtype = (torch.Size([2, 3]), torch.float32)
    expect_same((torch.Size([2, 3]), torch.float32), shape_and_dtype, "describe(t)")
    assert "returned a list of 2 items; expected a tuple" in fails(expect_same, list(shape_and_dtype), shape_and_dtype, "describe(t)")
    assert "describe(t)[0]" in fails(expect_same, ((2, 3), torch.float32), shape_and_dtype, "describe(t)")
    assert "describe(t)[1]" in fails(expect_same, (torch.Size([2, 3]), torch.float64), shape_and_dtype, "describe(t)")
    assert "returned 3 items; expected 2" in fails(expect_same, (1, 2, 3), (1, 2), "f()")


def test_same_compares_dicts_and_nested_tensors():
    expected = {"weight": torch.ones(2, 2), "bias": torch.zeros(2)}
    expect_same({"bias": torch.zeros(2), "weight": torch.ones(2, 2)}, expected, "state_dict()")
    assert "has keys ['weight']; expected ['bias', 'weight']" in fails(expect_same, {"weight": torch.ones(2, 2)}, expected, "state_dict()")
    assert "state_dict()['bias'] returned shape (1, 2)" in fails(
        expect_same, {"weight": torch.ones(2, 2), "bias": torch.zeros(1, 2)}, expected, "state_dict()"
    )


def test_same_does_not_take_an_int_for_a_str_or_a_bool_for_an_int():
    assert "returned int 1; expected str '1'" in fails(expect_same, 1, "1", "f()")
    assert "returned bool True; expected int 1" in fails(expect_same, True, 1, "f()")


def test_describe():
    assert describe(torch.zeros(2, 1, dtype=torch.int64)) == "a tensor of shape (2, 1) and dtype int64"
    assert describe((1,)) == "a tuple of 1 item"
    assert describe(None) == "None"
    assert describe(torch.Size([3, 2, 4])) == "torch.Size([3, 2, 4])"  # not "Size torch.Size(...)"


def adam_trained(lr: float, threads: int, steps: int = 3) -> tuple[dict, dict]:
    """A small network's weights before and after ``steps`` Adam steps on ``threads`` CPU threads: (start, trained)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        generator = torch.Generator().manual_seed(7)
        net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        with torch.no_grad():
            for parameter in net.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
        start = {key: value.clone() for key, value in net.state_dict().items()}
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        inputs, targets = torch.randn(steps, 32, 784, generator=generator), torch.randint(0, 10, (steps, 32), generator=generator)
        for x, y in zip(inputs, targets):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            optimizer.step()
        return start, {key: value.detach().clone() for key, value in net.state_dict().items()}
    finally:
        torch.set_num_threads(before)


def test_adam_weights_trained_on_other_threads_are_the_same_training():
    start, expected = adam_trained(0.01, threads=2)
    _, got = adam_trained(0.01, threads=1)
    expect_trained(got, expected, start, "model.state_dict()")


def test_a_weight_that_adam_moved_the_other_way_where_its_gradient_was_almost_zero_is_no_failure():
    start, expected = adam_trained(0.01, threads=1)
    got = {key: value.clone() for key, value in expected.items()}
    got["0.weight"][3, 5] += 2 * 3 * 0.01  # a whole step the other way, in each of the 3 steps
    expect_trained(got, expected, start, "model.state_dict()")
    with pytest.raises(CheckFailed):  # compared as any tensor, it is a difference
        expect_same(got, expected, "model.state_dict()")


def test_weights_of_another_learning_rate_fail_where_they_first_differ():
    start, expected = adam_trained(0.01, threads=1)
    _, got = adam_trained(0.001, threads=1)
    said = fails(expect_trained, got, expected, start, "model.state_dict()")
    assert said.startswith("model.state_dict()['0.weight'] has the wrong value at [0, 0]")


def test_many_small_differences_fail_though_each_weight_is_close_to_a_step():
    start, expected = adam_trained(0.01, threads=1)
    got = {key: value.clone() for key, value in expected.items()}
    got["0.weight"][:2] += 1e-3  # 1,568 of 101,770 elements: more than a few near-zero gradients
    assert "wrong in 1,568 of 100,352 elements" in fails(expect_trained, got, expected, start, "model.state_dict()")


def test_trained_weights_with_nan_a_missing_key_or_another_shape_fail():
    start, expected = adam_trained(0.01, threads=1)
    with_nan = {key: value.clone() for key, value in expected.items()}
    with_nan["2.bias"][0] = float("nan")
    assert "2.bias" in fails(expect_trained, with_nan, expected, start, "m")
    lacking = {key: value for key, value in expected.items() if key != "2.bias"}
    assert "has keys" in fails(expect_trained, lacking, expected, start, "m")
    reshaped = {**expected, "2.bias": expected["2.bias"][:5]}
    assert "shape (5,)" in fails(expect_trained, reshaped, expected, start, "m")
    assert "expected a dict" in fails(expect_trained, [1], expected, start, "m")
