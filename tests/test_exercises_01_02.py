"""The exercises of lessons 01 and 02: a right answer and the typical mistakes for each
checker (run through the common tests in test_exercises_harness.py), and the checkers'
references against the package."""

from functools import partial

import numpy as np
from exercise_table import Exercise, Mistake

from rnnlesson.exercises import (
    check_initial_state_grad,
    check_latch_weights,
    check_linear_rnn_filter,
    check_masked_cross_entropy,
    check_rms_growth,
    check_rnn_step,
)


# ---------------------------------------------------------------- lesson 01
def step_right(x, h, W_xh, W_hh, b):
    return np.tanh(x @ W_xh + h @ W_hh + b)


STEP_MISTAKES = [
    Mistake(lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b, "without the tanh"),
    Mistake(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), "transposed"),
    Mistake(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh), "bias"),
    Mistake(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b), "h_prev is ignored"),
    Mistake(lambda x, h, Wx, Wh, b: np.maximum(x @ Wx + h @ Wh + b, 0), "ReLU"),
    Mistake(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b), "raised", numeric=False),
    Mistake(lambda x, h, Wx, Wh, b: np.tanh(np.add(x @ Wx, h @ Wh, out=h) + b), "in place",
            numeric=False),
    Mistake(lambda x, h, Wx, Wh, b: None, "return", numeric=False),
]


def latch(V, not_id, w=5.0, b=-2.5, push=10.0, row=None):
    W_xh = np.zeros((V, 1))
    W_xh[not_id if row is None else row] = push
    return W_xh, np.array([[w]]), np.array([b])


LATCH_MISTAKES = [
    Mistake(lambda V, k: latch(V, k, w=1.0), "faded"),
    Mistake(lambda V, k: latch(V, k, w=0.5, b=-1.0), "faded"),
    Mistake(lambda V, k: latch(V, k, b=0.0), "settle near -1"),
    Mistake(lambda V, k: latch(V, k, row=k - 1), "picks row k"),
    Mistake(lambda V, k: latch(V, k, push=3.0), "does not flip"),
    Mistake(lambda V, k: (latch(V, k)[0], 5.0, np.array([-2.5])), "(1, 1)", numeric=False),
]


def filter_right(W_xh, W_hh, b_h, T):
    powers = [np.linalg.matrix_power(W_hh, k) for k in range(T)]
    return np.stack([W_xh @ powers[T - 1 - t] for t in range(T)]), b_h @ sum(powers)


def filter_shifted(W_xh, W_hh, b_h, T):
    powers = [np.linalg.matrix_power(W_hh, k) for k in range(T + 1)]
    return np.stack([W_xh @ powers[T - t] for t in range(T)]), b_h @ sum(powers[:T])


def filter_reversed(W_xh, W_hh, b_h, T):
    powers = [np.linalg.matrix_power(W_hh, k) for k in range(T)]
    return np.stack([W_xh @ powers[t] for t in range(T)]), b_h @ sum(powers)


FILTER_MISTAKES = [
    Mistake(filter_shifted, "one factor W_hh too many"),
    Mistake(filter_reversed, "wrong way"),
    Mistake(lambda W_xh, W_hh, b_h, T: filter_right(W_xh, W_hh.T, b_h, T), "column-vector"),
    Mistake(lambda W_xh, W_hh, b_h, T: (filter_right(W_xh, W_hh, b_h, T)[0], b_h),
            "counted once"),
    Mistake(lambda W_xh, W_hh, b_h, T: (filter_right(W_xh, W_hh, b_h, T)[0], T * b_h),
            "T times"),
    Mistake(lambda W_xh, W_hh, b_h, T: (list(filter_right(W_xh, W_hh, b_h, T)[0]),),
            "tuple of 2", numeric=False),
]


# ---------------------------------------------------------------- lesson 02
def h0_grad(dlogits, x, hs, params, *, slope=lambda hs, t: 1 - hs[:, t] ** 2, stop=0,
            reduce=lambda d: d.sum(axis=0)):
    """dL/dh0 by BPTT, right by default; each keyword puts in one typical mistake."""
    W_xh, W_hh, b_h, W_hy, b_y = params
    dh = dlogits @ W_hy.T
    for t in range(x.shape[1], stop, -1):
        dh = (dh * slope(hs, t)) @ W_hh.T
    return reduce(dh)


H0_MISTAKES = [
    Mistake(partial(h0_grad, stop=1), "one step early"),
    Mistake(partial(h0_grad, slope=lambda hs, t: 1.0), "tanh derivative is missing"),
    Mistake(partial(h0_grad, slope=lambda hs, t: 1 - hs[:, t - 1] ** 2), "h_{t-1} instead"),
    Mistake(partial(h0_grad, reduce=lambda d: d.mean(axis=0)), "averages over the batch"),
    Mistake(partial(h0_grad, reduce=lambda d: d), "shared by all N", numeric=False),
]


def masked_right(logits, labels, mask, *, count=None, grad_mask=True, scale=True):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    losses = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    n = mask.sum() if count is None else count(mask)
    d = np.exp(log_p) - np.eye(logits.shape[-1])[labels]
    if grad_mask:
        d = d * mask[..., None]
    return (mask * losses).sum() / n, d / n if scale else d


def masked_per_row(logits, labels, mask):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    losses = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    rows = mask.sum(axis=1)
    d = (np.exp(log_p) - np.eye(logits.shape[-1])[labels]) * mask[..., None]
    return np.mean((mask * losses).sum(axis=1) / rows), d / (len(rows) * rows[:, None, None])


MASKED_MISTAKES = [
    Mistake(partial(masked_right, count=lambda m: m.size), "N * T"),
    Mistake(partial(masked_right, grad_mask=False), "padded steps still get"),
    Mistake(masked_per_row, "each sequence over its own steps"),
    Mistake(partial(masked_right, scale=False), "1/sum(mask)"),
    Mistake(lambda *a: masked_right(*a)[1], "tuple of 2", numeric=False),
]

GROWTH_MISTAKES = [
    Mistake(lambda s, H: s * H, "standard deviations were added"),
    Mistake(lambda s, H: s, "H is missing"),
    Mistake(lambda s, H: s**2 * H, "squared norm"),
    Mistake(lambda s, H: s / np.sqrt(H), "larger, not smaller"),
    Mistake(lambda s, H: s * np.sqrt(H) * 1.1, "Write one entry"),
    Mistake(lambda s, H: "big", "not a number"),
]


EXERCISES = [
    Exercise(check_rnn_step, "rnn_step", step_right, STEP_MISTAKES),
    Exercise(check_latch_weights, "latch_weights", latch, LATCH_MISTAKES, float32=False),
    Exercise(check_linear_rnn_filter, "linear_rnn_filter", filter_right, FILTER_MISTAKES),
    Exercise(check_initial_state_grad, "initial_state_grad", h0_grad, H0_MISTAKES),
    Exercise(check_masked_cross_entropy, "masked_cross_entropy", masked_right, MASKED_MISTAKES),
    Exercise(check_rms_growth, "rms_growth", lambda s, H: s * np.sqrt(H), GROWTH_MISTAKES,
             float32=False),
]


# ---------------------------------------------------------------- references = package
def test_checker_references_agree_with_the_package():
    """The answers the checkers hold as right are what rnnlesson computes."""
    from rnnlesson.cells import SimpleRNNCell
    from rnnlesson.exercises import lesson01
    from rnnlesson.layers import SimpleRNN

    x, h, W_xh, W_hh, b_h = lesson01._step_case(7, N=3, D=4, H=5)
    cell = SimpleRNNCell(5, dtype="float64")
    cell.build((None, 4))
    cell.set_weights([W_xh, W_hh, b_h])
    h_t, _ = cell.forward(x, h)
    np.testing.assert_allclose(lesson01._ref_step(x, h, W_xh, W_hh, b_h), h_t, rtol=1e-12)

    # the latch and the filter are graded against the kernel's recurrence; that recurrence
    # is the package's SimpleRNN (tanh and linear)
    W1, W2, b1 = latch(7, 3)
    ids = np.array([[0, 0, 2, 3, 4, 5], [0, 1, 2, 4, 5, 6]])
    layer = SimpleRNN(1, dtype="float64")
    layer.build((None, 6, 7))
    layer.set_weights([W1, W2, b1])
    np.testing.assert_allclose(lesson01._run_rnn(ids, 7, W1, W2, b1),
                               layer.forward(np.eye(7)[ids]), rtol=1e-12)
    W_xh, W_hh, b_h = lesson01._filter_case(3, 4, 5)
    xs = np.random.default_rng(9).normal(size=(3, 6, 4))
    linear = SimpleRNN(5, activation="linear", dtype="float64")
    linear.build((None, 6, 4))
    linear.set_weights([W_xh, W_hh, b_h])
    M, c = lesson01._ref_filter(W_xh, W_hh, b_h, 6)
    np.testing.assert_allclose(np.einsum("ntd,tdh->nh", xs, M) + c, linear.forward(xs),
                               rtol=1e-12, atol=1e-12)



def test_lesson02_references_are_the_gradients_they_claim():
    """The checkers' references: dL/dh0 against a numerical gradient, the masked loss
    against a numerical gradient and (all steps real) the package's loss, the growth
    against a Monte Carlo measurement."""
    from rnnlesson import gradcheck, kernels
    from rnnlesson.exercises import lesson02
    from rnnlesson.losses import SparseCategoricalCrossentropy

    dlogits, x, hs, params, h0 = lesson02._h0_case(1, 3, 4, 5, 6, 2)
    W_xh, W_hh, b_h, W_hy, b_y = params

    def loss_h0():
        h = np.tile(h0, (3, 1))
        for t in range(4):
            h = kernels.rnn_step_forward(x[:, t], h, W_xh, W_hh, b_h)[0]
        return float(np.sum((h @ W_hy + b_y) * dlogits))

    numeric = gradcheck.numerical_gradient(loss_h0, h0)
    assert gradcheck.rel_error(lesson02._ref_h0_grad(dlogits, x, hs, params), numeric) < 1e-7

    logits, labels, mask = lesson02._masked_case(3, 4, 5, 3)
    loss, dlogits = lesson02._ref_masked(logits, labels, mask)
    numeric = gradcheck.numerical_gradient(
        lambda: float(lesson02._ref_masked(logits, labels, mask)[0]), logits)
    # the norm-wise error: some entries are tiny (6e-6) next to the numerical noise (1e-10)
    whole = np.linalg.norm(dlogits - numeric) / (np.linalg.norm(dlogits) + np.linalg.norm(numeric))
    assert whole < 1e-7
    assert not dlogits[mask == 0].any()
    full = np.ones_like(mask)
    ref = SparseCategoricalCrossentropy(from_logits=True)
    want = ref.forward(logits.reshape(-1, 3), labels.reshape(-1))
    np.testing.assert_allclose(lesson02._ref_masked(logits, labels, full)[0], want, rtol=1e-12)

    for s_, H in [(1.5, 16), (0.1, 16), (0.5, 32)]:
        assert abs(lesson02.measured_growth(s_, H) / lesson02._ref_growth(s_, H) - 1) < 0.03
