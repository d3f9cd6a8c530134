"""The step kernels: gradient-checked on their own, and equal to the one-step cells."""

import numpy as np
import pytest

from rnnlesson import kernels
from rnnlesson.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlesson.gradcheck import check_function_gradient

N, D, H = 3, 4, 5


def _inputs(k, seed=0, bias_shape=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h = rng.standard_normal((N, H))
    W = 0.5 * rng.standard_normal((D, k * H))
    U = 0.5 * rng.standard_normal((H, k * H))
    b = 0.5 * rng.standard_normal(bias_shape or (k * H,))
    return rng, x, h, W, U, b


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_rnn_step_gradients(activation):
    rng, x, h, W, U, b = _inputs(1)
    if activation == "relu":
        x, h = x + 0.1 * np.sign(x), h  # keep pre-activations away from the kink
    errors = check_function_gradient(
        lambda *a: kernels.rnn_step_forward(*a, activation=activation)[0],
        lambda dh, *a: kernels.rnn_step_backward(
            dh, kernels.rnn_step_forward(*a, activation=activation)[1]),
        x, h, W, U, b, names=["x", "h_prev", "W", "U", "b"], verbose=False)
    assert max(errors.values()) < 1e-7, errors


def test_lstm_step_gradients():
    rng, x, h, W, U, b = _inputs(4)
    c = rng.standard_normal((N, H))

    def fwd(x, h, c, W, U, b):
        h_new, c_new, _ = kernels.lstm_step_forward(x, h, c, W, U, b)
        return h_new + 0.7 * c_new  # one output that depends on both h_t and c_t

    def bwd(dout, x, h, c, W, U, b):
        _, _, cache = kernels.lstm_step_forward(x, h, c, W, U, b)
        dx, dh, dcp, dW, dU, db = kernels.lstm_step_backward(dout, 0.7 * dout, cache)
        return dx, dh, dcp, dW, dU, db

    errors = check_function_gradient(fwd, bwd, x, h, c, W, U, b,
                                     names=["x", "h", "c", "W", "U", "b"], verbose=False)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_gradients(reset_after):
    rng, x, h, W, U, b = _inputs(3, bias_shape=(2, 3 * H) if reset_after else (3 * H,))
    errors = check_function_gradient(
        lambda *a: kernels.gru_step_forward(*a, reset_after=reset_after)[0],
        lambda dh, *a: kernels.gru_step_backward(
            dh, kernels.gru_step_forward(*a, reset_after=reset_after)[1]),
        x, h, W, U, b, names=["x", "h_prev", "W", "U", "b"], verbose=False)
    assert max(errors.values()) < 1e-7, errors


def test_sigmoid_is_the_logistic_function_and_never_overflows():
    z = np.linspace(-30, 30, 61)
    # absolute accuracy of a few eps everywhere (0.5 tanh(z/2) + 0.5 cancels for z << 0, so
    # values below eps keep only their absolute accuracy)
    np.testing.assert_allclose(kernels.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=0, atol=4e-16)
    with np.errstate(over="raise"):
        s = kernels.sigmoid(np.array([-1e4, 1e4], dtype=np.float32))
    assert s.dtype == np.float32 and s.tolist() == [0.0, 1.0]


def _cell_vs_kernel(cell, k, bias_shape=None):
    """Random float64 weights in ``cell`` and the same arrays for the kernel."""
    rng, x, h, W, U, b = _inputs(k, seed=3, bias_shape=bias_shape)
    cell.build((None, D))
    cell.set_weights([W, U, b])
    return rng, x, h, W, U, b


def test_simple_rnn_cell_is_the_kernel():
    cell = SimpleRNNCell(H, dtype="float64")
    rng, x, h, W, U, b = _cell_vs_kernel(cell, 1)
    out, _ = cell.forward(x, h)
    ref, cache = kernels.rnn_step_forward(x, h, W, U, b)
    np.testing.assert_array_equal(out, ref)
    dh = rng.standard_normal((N, H))
    cell.zero_grad()
    dx, dhp = cell.backward(dh)
    rdx, rdhp, dW, dU, db = kernels.rnn_step_backward(dh, cache)
    for a, r in ((dx, rdx), (dhp, rdhp), (cell.grads["kernel"], dW),
                 (cell.grads["recurrent_kernel"], dU), (cell.grads["bias"], db)):
        np.testing.assert_allclose(a, r, rtol=1e-13, atol=1e-14)


def test_lstm_cell_is_the_kernel():
    cell = LSTMCell(H, dtype="float64")
    rng, x, h, W, U, b = _cell_vs_kernel(cell, 4)
    c = rng.standard_normal((N, H))
    out, (h1, c1) = cell.forward(x, (h, c))
    rh, rc, cache = kernels.lstm_step_forward(x, h, c, W, U, b)
    np.testing.assert_allclose(out, rh, rtol=1e-14)
    np.testing.assert_allclose(c1, rc, rtol=1e-14)
    dh, dc = rng.standard_normal((2, N, H))
    cell.zero_grad()
    cell.forward(x, (h, c))
    dx, (dhp, dcp) = cell.backward(dh, (np.zeros((N, H)), dc))
    ref = kernels.lstm_step_backward(dh, dc, cache)
    for a, r in zip((dx, dhp, dcp, cell.grads["kernel"], cell.grads["recurrent_kernel"],
                     cell.grads["bias"]), ref, strict=True):
        np.testing.assert_allclose(a, r, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_is_the_kernel(reset_after):
    cell = GRUCell(H, reset_after=reset_after, dtype="float64")
    bias_shape = (2, 3 * H) if reset_after else (3 * H,)
    rng, x, h, W, U, b = _cell_vs_kernel(cell, 3, bias_shape)
    out, _ = cell.forward(x, h)
    ref, cache = kernels.gru_step_forward(x, h, W, U, b, reset_after=reset_after)
    np.testing.assert_allclose(out, ref, rtol=1e-14)
    dh = rng.standard_normal((N, H))
    cell.zero_grad()
    dx, dhp = cell.backward(dh)
    rdx, rdhp, dW, dU, db = kernels.gru_step_backward(dh, cache)
    for a, r in ((dx, rdx), (dhp, rdhp), (cell.grads["kernel"], dW),
                 (cell.grads["recurrent_kernel"], dU), (cell.grads["bias"], db)):
        np.testing.assert_allclose(a, r, rtol=1e-13, atol=1e-14)
