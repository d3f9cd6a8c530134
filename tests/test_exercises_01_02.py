"""The exercises of lessons 01 and 02: a right answer and the typical mistakes for each
checker (run through the common tests in test_exercises_harness.py), and the checkers'
references against the package."""

import numpy as np
from exercise_table import Exercise, Mistake

from rnnlesson.exercises import (
    check_bptt_step,
    check_clip_global_norm,
    check_latch_weights,
    check_linear_rnn_filter,
    check_rnn_step,
    check_tanh_backward,
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
TANH_MISTAKES = [
    Mistake(lambda dh, h: dh, "derivative is missing"),
    Mistake(lambda dh, h: dh * (1 - np.tanh(h) ** 2), "tanh of h again"),
    Mistake(lambda dh, h: dh * (1 - h), "1 - h instead"),
    Mistake(lambda dh, h: 1 - h**2, "forgets the upstream"),
    Mistake(lambda dh, h: (dh * (1 - h**2)).T, "shape", numeric=False),
]


def bptt_right(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh * (1 - h**2)
    return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def bptt_no_derivative(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh
    return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def bptt_transposed(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh * (1 - h**2)
    return dz @ W_xh.T, dz @ W_hh, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def bptt_off_by_one(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh * (1 - h**2)
    return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h.T @ dz, dz.sum(axis=0)


def bptt_bias_not_summed(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh * (1 - h**2)
    return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz


def bptt_mutates_dh(dh, x, h_prev, h, W_xh, W_hh):
    dh *= 1 - h**2
    return dh @ W_xh.T, dh @ W_hh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0)


def clip_right(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads]


def clip_elementwise(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def clip_per_array(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]


def clip_always(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * (max_norm / norm) for g in grads]


def clip_in_place(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    for g in grads:
        g *= min(1.0, max_norm / norm)
    return grads


EXERCISES = [
    Exercise(check_rnn_step, "rnn_step", step_right, STEP_MISTAKES),
    Exercise(check_latch_weights, "latch_weights", latch, LATCH_MISTAKES, float32=False),
    Exercise(check_linear_rnn_filter, "linear_rnn_filter", filter_right, FILTER_MISTAKES),
    Exercise(check_tanh_backward, "tanh_backward", lambda dh, h: dh * (1 - h**2), TANH_MISTAKES),
    Exercise(check_bptt_step, "bptt_step", bptt_right, [
        Mistake(bptt_no_derivative, "tanh derivative is missing"),
        Mistake(bptt_transposed, "transposed"),
        Mistake(bptt_off_by_one, "off-by-one"),
        Mistake(bptt_bias_not_summed, "Sum dz over the batch", numeric=False),
        Mistake(bptt_mutates_dh, "in place", numeric=False),
        Mistake(lambda *a: bptt_right(*a)[:4], "5 arrays", numeric=False),
    ]),
    Exercise(check_clip_global_norm, "clip_global_norm", clip_right, [
        Mistake(clip_elementwise, "elementwise"),
        Mistake(clip_per_array, "its own norm"),
        Mistake(clip_always, "already below"),
        Mistake(clip_in_place, "in place", numeric=False),
    ]),
]


# ---------------------------------------------------------------- references = package
def test_checker_references_agree_with_the_package():
    """The answers the checkers hold as right are what rnnlesson computes."""
    from rnnlesson.cells import SimpleRNNCell
    from rnnlesson.exercises import lesson01, lesson02
    from rnnlesson.layers import SimpleRNN
    from rnnlesson.optimizers import clip_by_global_norm

    x, h, W_xh, W_hh, b_h = lesson01._step_case(7, N=3, D=4, H=5)
    cell = SimpleRNNCell(5, dtype="float64")
    cell.build((None, 4))
    cell.set_weights([W_xh, W_hh, b_h])
    h_t, _ = cell.forward(x, h)
    np.testing.assert_allclose(lesson01._ref_step(x, h, W_xh, W_hh, b_h), h_t, rtol=1e-12)

    dh = np.random.default_rng(8).normal(size=(3, 5))
    dx, dh_prev = cell.backward(dh)
    ref = lesson02._ref_bptt_step(dh, x, h, h_t, W_xh, W_hh)
    for got, want in zip(ref, [dx, dh_prev, cell.grads["kernel"], cell.grads["recurrent_kernel"],
                               cell.grads["bias"]], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)

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

    grads = [np.random.default_rng(10).normal(scale=3, size=s) for s in [(4, 3), (3, 3), (3,)]]
    want, norm = lesson02._ref_clip(grads, 1.0)
    copies = [g.copy() for g in grads]
    assert np.isclose(clip_by_global_norm(copies, 1.0), norm)
    for a, b in zip(copies, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
