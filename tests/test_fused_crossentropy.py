"""SparseCategoricalCrossentropy(from_logits=True): the fused, in-place softmax cross-entropy.

Its numbers are the textbook ones (log-softmax, pick the label, mean; gradient
(softmax - onehot) / n), checked against float64 references of that textbook form
within the float32 rule of tests/numerics.py; its memory is one array of z's size.
"""

import tracemalloc

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson.gradcheck import check_function_gradient
from rnnlesson.losses import SparseCategoricalCrossentropy


def _reference(z, labels):
    """(loss, dL/dz) in float64, the textbook way."""
    z = np.asarray(z, np.float64)
    s = z - z.max(-1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(-1, keepdims=True))
    n = labels.size
    loss = -np.take_along_axis(logp, labels[..., None], -1).mean()
    d = np.exp(logp)
    np.put_along_axis(d, labels[..., None], np.take_along_axis(d, labels[..., None], -1) - 1, -1)
    return loss, d / n


def _case(n=6, t=5, v=11, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (n, t, v)), rng.integers(0, v, (n, t))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value_and_gradient_match_the_textbook_form(dtype):
    z, y = _case()
    loss = SparseCategoricalCrossentropy(from_logits=True)
    zf = z.astype(dtype)
    value = loss.forward(zf, y)
    grad = loss.backward()
    ref_value, ref_grad = _reference(zf, y)
    assert grad.dtype == np.dtype(dtype) and grad.shape == z.shape
    v = z.shape[-1]
    assert_close(value, ref_value, dtype=dtype, terms=v + y.size, scale=np.abs(z).max(),
                 what="loss")
    assert_close(grad, ref_grad, dtype=dtype, terms=v, what="dL/dz")
    np.testing.assert_array_equal(zf, z.astype(dtype))  # y_pred untouched
    assert loss.backward() is grad                      # a second call: the same array


def test_gradient_check_float64():
    z, y = _case(n=3, t=4, v=7, seed=1)
    loss = SparseCategoricalCrossentropy(from_logits=True)
    err = check_function_gradient(lambda a: np.array(loss.forward(a, y)),
                                  lambda d: loss.backward() * d, z, verbose=False)["x"]
    assert err < 1e-7


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_and_tiny_logits_take_the_shifted_route(dtype):
    z, y = _case(n=4, t=3, v=9, seed=2)
    z[0] += 1000.0          # exp overflows without the shift
    z[1] -= 1000.0          # every exp underflows to 0 without the shift
    z[2, 0] *= 200          # a row with a big spread: the label may sit far below the max
    zf = z.astype(dtype)
    loss = SparseCategoricalCrossentropy(from_logits=True)
    value = loss.forward(zf, y)
    grad = loss.backward()
    ref_value, ref_grad = _reference(zf, y)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert_close(value, ref_value, dtype=dtype, terms=9 + y.size, scale=np.abs(zf).max(),
                 what="loss")
    assert_close(grad, ref_grad, dtype=dtype, terms=9, what="dL/dz")


def test_minus_infinity_means_probability_zero():
    z = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]], np.float32)
    y = np.array([2, 0])
    loss = SparseCategoricalCrossentropy(from_logits=True)
    value = loss.forward(z, y)
    grad = loss.backward()
    finite = np.where(np.isinf(z), -1e30, z)
    ref_value, ref_grad = _reference(finite, y)
    assert value == pytest.approx(ref_value, rel=1e-6)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-7)
    assert grad[0, 1] == 0 and grad[1, 2] == 0
    # with another row that needs the shifted route, a -inf elsewhere is still fine
    z2 = np.array([[0.0, -np.inf, 1.0], [500.0, 499.0, 0.0]], np.float32)
    value = loss.forward(z2, y)
    assert value == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-6)  # both rows: ln(1 + 1/e)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_plus_infinity_are_refused(bad):
    z, y = _case(n=2, t=2, v=4)
    z[1, 0, 2] = bad
    with pytest.raises(ValueError, match="expected finite numbers"):
        SparseCategoricalCrossentropy(from_logits=True).forward(z.astype(np.float32), y)


def test_one_array_of_the_size_of_the_scores():
    """Forward and backward together allocate one (N*T, V) array (exp(z), which becomes
    the gradient), plus vectors of N*T; the textbook form makes several of z's size."""
    z, y = _case(n=20, t=35, v=2000, seed=3)
    z = z.astype(np.float32)
    loss = SparseCategoricalCrossentropy(from_logits=True)
    tracemalloc.start()
    try:
        loss.forward(z, y)
        grad = loss.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert grad.nbytes == z.nbytes
    assert peak < 1.2 * z.nbytes, (peak, z.nbytes)
    # the control: the textbook form in float32 needs several such arrays
    tracemalloc.start()
    try:
        _reference_f32 = np.exp(z - z.max(-1, keepdims=True))
        _ = _reference_f32 / _reference_f32.sum(-1, keepdims=True)
        _, peak_textbook = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_textbook > 1.9 * z.nbytes
