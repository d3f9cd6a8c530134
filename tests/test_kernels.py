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


#: the one-state kernels: (forward, backward, gate blocks, bias shape, option)
ONE_STATE = {
    "rnn-tanh": (kernels.rnn_step_forward, kernels.rnn_step_backward, 1, None, "tanh"),
    "rnn-relu": (kernels.rnn_step_forward, kernels.rnn_step_backward, 1, None, "relu"),
    "rnn-sigmoid": (kernels.rnn_step_forward, kernels.rnn_step_backward, 1, None, "sigmoid"),
    "rnn-linear": (kernels.rnn_step_forward, kernels.rnn_step_backward, 1, None, "linear"),
    "gru-reset-after": (kernels.gru_step_forward, kernels.gru_step_backward, 3, (2, 3 * H), True),
    "gru-reset-before": (kernels.gru_step_forward, kernels.gru_step_backward, 3, None, False),
}


@pytest.mark.parametrize("kind", ONE_STATE)
def test_one_state_step_gradients(kind):
    forward, backward, k, bias_shape, option = ONE_STATE[kind]
    rng, x, h, W, U, b = _inputs(k, bias_shape=bias_shape)
    if option == "relu":
        x = x + 0.1 * np.sign(x)  # keep pre-activations away from the kink
    errors = check_function_gradient(
        lambda *a: forward(*a, option)[0],
        lambda dh, *a: backward(dh, forward(*a, option)[1]),
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


@pytest.mark.parametrize("kind", ONE_STATE)
def test_one_state_cell_is_the_kernel(kind):
    forward, backward, k, bias_shape, option = ONE_STATE[kind]
    if kind.startswith("rnn"):
        cell = SimpleRNNCell(H, option, dtype="float64")
    else:
        cell = GRUCell(H, reset_after=option, dtype="float64")
    rng, x, h, W, U, b = _cell_vs_kernel(cell, k, bias_shape)
    out, _ = cell.forward(x, h)
    ref, cache = forward(x, h, W, U, b, option)
    np.testing.assert_array_equal(out, ref)
    dh = rng.standard_normal((N, H))
    cell.zero_grad()
    dx, dhp = cell.backward(dh)
    for got, want in zip((dx, dhp, *cell.grads.values()), backward(dh, cache), strict=True):
        np.testing.assert_array_equal(got, want)


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
