"""The checkers of lessons 01 and 02 accept right answers, reject typical wrong ones
(with a hint naming the mistake), and say "not attempted" for a stub."""

import numpy as np
import pytest

from rnnlesson import exercises
from rnnlesson.exercises import (
    check_bptt_step,
    check_clip_global_norm,
    check_param_count,
    check_rnn_forward,
    check_rnn_step,
    check_tanh_backward,
)


def stub(*args):
    raise NotImplementedError


def verdict(checker, fn, capsys):
    result = checker(fn)
    return result, capsys.readouterr().out


# ---------------------------------------------------------------- lesson 01
def step_right(x, h, W_xh, W_hh, b):
    return np.tanh(x @ W_xh + h @ W_hh + b)


STEP_WRONG = {
    "no tanh": (lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b, "without the tanh"),
    "W_hh transposed": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), "transposed"),
    "no bias": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh), "bias"),
    "no memory": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b), "h_prev is ignored"),
    "relu": (lambda x, h, Wx, Wh, b: np.maximum(x @ Wx + h @ Wh + b, 0), "ReLU"),
    "W_xh transposed": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b), "raised"),
    "mutates h": (lambda x, h, Wx, Wh, b: np.tanh(np.add(x @ Wx, h @ Wh, out=h) + b),
                  "in place"),
    "forgot return": (lambda x, h, Wx, Wh, b: None, "return"),
}


def test_rnn_step_accepts_the_right_answer(capsys):
    result, out = verdict(check_rnn_step, step_right, capsys)
    assert result is True, out
    assert "correct" in out


@pytest.mark.parametrize("case", sorted(STEP_WRONG))
def test_rnn_step_rejects_typical_mistakes(case, capsys):
    fn, words = STEP_WRONG[case]
    result, out = verdict(check_rnn_step, fn, capsys)
    assert result is False, out
    assert words in out
    assert "Hint:" in out


def test_rnn_step_stub_is_not_attempted(capsys):
    result, out = verdict(check_rnn_step, stub, capsys)
    assert result is None
    assert "not attempted yet" in out


def forward_right(x, h0, W_xh, W_hh, b):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def forward_off_by_one(x, h0, W_xh, W_hh, b):
    hs, h = [], h0
    for t in range(x.shape[1]):
        hs.append(h)
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b)
    return np.stack(hs, axis=1)


def forward_no_carry(x, h0, W_xh, W_hh, b):
    return np.stack([np.tanh(x[:, t] @ W_xh + h0 @ W_hh + b) for t in range(x.shape[1])], 1)


def forward_batch_time_mixed(x, h0, W_xh, W_hh, b):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[t] @ W_xh + h @ W_hh + b)   # x[t] is sample t, not time step t
        hs.append(h)
    return np.stack(hs, axis=1)


def forward_last_only(x, h0, W_xh, W_hh, b):
    return forward_right(x, h0, W_xh, W_hh, b)[:, -1]


def test_rnn_forward_accepts_the_right_answer(capsys):
    result, out = verdict(check_rnn_forward, forward_right, capsys)
    assert result is True, out


@pytest.mark.parametrize("fn, words", [
    (forward_off_by_one, "off-by-one"),
    (forward_no_carry, "nothing is remembered"),
    (forward_batch_time_mixed, "not yet"),
    (forward_last_only, "all the states"),
])
def test_rnn_forward_rejects_typical_mistakes(fn, words, capsys):
    result, out = verdict(check_rnn_forward, fn, capsys)
    assert result is False, out
    assert words in out


def test_rnn_forward_stub_is_not_attempted(capsys):
    result, out = verdict(check_rnn_forward, stub, capsys)
    assert result is None
    assert "not attempted yet" in out


def test_param_count_right_and_wrong(capsys):
    result, out = verdict(check_param_count, lambda D, H, C, T: D * H + H * H + H + H * C + C,
                          capsys)
    assert result is True, out
    assert "202" in out
    for wrong, words in [
        (lambda D, H, C, T: T * (D * H + H * H + H + H * C + C), "multiplies by T"),
        (lambda D, H, C, T: D * H + H * H + H * C, "biases are missing"),
        (lambda D, H, C, T: D * H + H + H * C + C, "W_hh is missing"),
        (lambda D, H, C, T: D * H + H * H + H + H * C + C + 1, "expected"),
        (lambda D, H, C, T: "many", "not a number"),
    ]:
        result, out = verdict(check_param_count, wrong, capsys)
        assert result is False, out
        assert words in out
    assert verdict(check_param_count, stub, capsys)[0] is None


# ---------------------------------------------------------------- lesson 02
def test_tanh_backward_right_wrong_and_stub(capsys):
    result, out = verdict(check_tanh_backward, lambda dh, h: dh * (1 - h**2), capsys)
    assert result is True, out
    for wrong, words in [
        (lambda dh, h: dh, "derivative is missing"),
        (lambda dh, h: dh * (1 - np.tanh(h) ** 2), "tanh of h again"),
        (lambda dh, h: dh * (1 - h), "1 - h instead"),
        (lambda dh, h: 1 - h**2, "forgets the upstream"),
        (lambda dh, h: (dh * (1 - h**2)).T, "shape"),
    ]:
        result, out = verdict(check_tanh_backward, wrong, capsys)
        assert result is False, out
        assert words in out
    result, out = verdict(check_tanh_backward, stub, capsys)
    assert result is None and "not attempted yet" in out


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


def test_bptt_step_accepts_the_right_answer(capsys):
    result, out = verdict(check_bptt_step, bptt_right, capsys)
    assert result is True, out


@pytest.mark.parametrize("fn, words", [
    (bptt_no_derivative, "tanh derivative is missing"),
    (bptt_transposed, "transposed"),
    (bptt_off_by_one, "off-by-one"),
    (bptt_bias_not_summed, "Sum dz over the batch"),
    (bptt_mutates_dh, "in place"),
    (lambda *a: bptt_right(*a)[:4], "5 arrays"),
])
def test_bptt_step_rejects_typical_mistakes(fn, words, capsys):
    result, out = verdict(check_bptt_step, fn, capsys)
    assert result is False, out
    assert words in out


def test_bptt_step_stub_is_not_attempted(capsys):
    result, out = verdict(check_bptt_step, stub, capsys)
    assert result is None and "not attempted yet" in out


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


def test_clip_global_norm_right_wrong_and_stub(capsys):
    result, out = verdict(check_clip_global_norm, clip_right, capsys)
    assert result is True, out
    for wrong, words in [(clip_elementwise, "elementwise"), (clip_per_array, "its own norm"),
                         (clip_always, "already below"), (clip_in_place, "in place")]:
        result, out = verdict(check_clip_global_norm, wrong, capsys)
        assert result is False, out
        assert words in out
    result, out = verdict(check_clip_global_norm, stub, capsys)
    assert result is None and "not attempted yet" in out


def test_checkers_are_exported_and_never_raise(capsys):
    for name in ["check_rnn_step", "check_rnn_forward", "check_param_count",
                 "check_tanh_backward", "check_bptt_step", "check_clip_global_norm"]:
        assert name in exercises.__all__
        # A function that raises something other than NotImplementedError is a wrong
        # answer, reported, not an exception.
        assert getattr(exercises, name)(lambda *a: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


# ---------------------------------------------------------------- references = package
def test_checker_references_agree_with_the_package():
    """The answers the checkers hold as right are what rnnlesson computes."""
    from rnnlesson.cells import SimpleRNNCell
    from rnnlesson.exercises import lesson01, lesson02
    from rnnlesson.layers import Dense, SimpleRNN
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

    xs = np.random.default_rng(9).normal(size=(3, 6, 4))
    rnn = SimpleRNN(5, return_sequences=True, dtype="float64")
    rnn.build((None, 6, 4))
    rnn.set_weights([W_xh, W_hh, b_h])
    np.testing.assert_allclose(lesson01._ref_forward(xs, np.zeros((3, 5)), W_xh, W_hh, b_h),
                               rnn.forward(xs), rtol=1e-12, atol=1e-14)

    for D, H, C in [(14, 8, 2), (100, 32, 1)]:
        layer, dense = SimpleRNN(H), Dense(C)
        layer.build((None, None, D))
        dense.build((None, H))
        assert lesson01._ref_count(D, H, C, 50) == layer.count_params() + dense.count_params()

    grads = [np.random.default_rng(10).normal(scale=3, size=s) for s in [(4, 3), (3, 3), (3,)]]
    want, norm = lesson02._ref_clip(grads, 1.0)
    copies = [g.copy() for g in grads]
    assert np.isclose(clip_by_global_norm(copies, 1.0), norm)
    for a, b in zip(copies, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
