"""The exercise checkers of lessons 04 (LSTM) and 05 (sine prediction).

Each checker must accept a correct answer, reject typical wrong answers with a
useful hint, say "not attempted yet" (returning None, never raising) for a stub,
and never raise on the learner's behalf when their code crashes.
"""

import numpy as np
import pytest

from rnnlesson import exercises as ex


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- lesson 04: gates
def gates_ok(a):
    H = a.shape[1] // 4
    return (sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]),
            sigmoid(a[:, 3 * H:]))


def gates_ifog(a):   # CS231n's order
    H = a.shape[1] // 4
    return (sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 3 * H:]),
            sigmoid(a[:, 2 * H:3 * H]))


def gates_swapped_if(a):
    i, f, g, o = gates_ok(a)
    return f, i, g, o


def gates_no_activation(a):
    return tuple(np.split(a, 4, axis=1))


def gates_all_sigmoid(a):
    return tuple(sigmoid(b) for b in np.split(a, 4, axis=1))


def gates_interleaved(a):
    r = a.reshape(a.shape[0], -1, 4)
    return sigmoid(r[..., 0]), sigmoid(r[..., 1]), np.tanh(r[..., 2]), sigmoid(r[..., 3])


def gates_split_wrong_axis(a):
    return tuple(np.split(a, 4, axis=0))


def stub(*args):
    raise NotImplementedError("write this function")


def test_gates_accepts_correct(capsys):
    assert ex.check_lstm_gates(gates_ok) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (gates_ifog, "i, f, o, g"),
    (gates_swapped_if, "swapped"),
    (gates_no_activation, "no nonlinearities"),
    (gates_all_sigmoid, "sigmoid on all four"),
    (gates_interleaved, "interleaved"),
])
def test_gates_rejects_typical_mistakes(capsys, wrong, words):
    assert ex.check_lstm_gates(wrong) is False
    out = capsys.readouterr().out
    assert "not quite" in out and words in out and "Hint" in out


def test_gates_reports_a_crash_without_raising(capsys):
    # splitting along the batch axis fails on a batch of 3: reported, not raised
    assert ex.check_lstm_gates(gates_split_wrong_axis) is False
    assert "raised ValueError" in capsys.readouterr().out


def test_gates_stub_is_not_attempted(capsys):
    assert ex.check_lstm_gates(stub) is None
    assert "not attempted yet" in capsys.readouterr().out


def test_checker_wants_a_function(capsys):
    assert ex.check_lstm_gates(gates_ok(np.zeros((1, 4)))) is False
    assert "expects your function itself" in capsys.readouterr().out


def test_wrong_return_type_is_explained(capsys):
    assert ex.check_lstm_gates(lambda a: np.concatenate(gates_ok(a), axis=1)) is False
    assert "tuple of 4 arrays" in capsys.readouterr().out


# ---------------------------------------------------------------- lesson 04: step forward
def step_ok(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh + b)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def step_no_tanh(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh + b)
    c = f * c_prev + i * g
    return o * c, c


def step_swapped_gates(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh + b)
    c = i * c_prev + f * g
    return o * np.tanh(c), c


def step_ifog(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ifog(x @ Wx + h_prev @ Wh + b)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def step_transposed_weight(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh.T + b)   # (N, H) @ (4H, H): shapes clash
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def step_no_forget(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh + b)
    c = c_prev + i * g
    return o * np.tanh(c), c


def step_no_bias(x, h_prev, c_prev, Wx, Wh, b):
    i, f, g, o = gates_ok(x @ Wx + h_prev @ Wh)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def test_step_accepts_correct(capsys):
    assert ex.check_lstm_step_forward(step_ok) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (step_no_tanh, "without the tanh"),
    (step_swapped_gates, "swapped"),
    (step_ifog, "i, f, o, g"),
    (step_no_forget, "no forget gate"),
    (step_no_bias, "off by up to"),
])
def test_step_rejects_typical_mistakes(capsys, wrong, words):
    assert ex.check_lstm_step_forward(wrong) is False
    out = capsys.readouterr().out
    assert "not quite" in out and words in out


def test_step_transposed_weight_is_reported(capsys):
    assert ex.check_lstm_step_forward(step_transposed_weight) is False
    out = capsys.readouterr().out
    assert "raised ValueError" in out and "(H, 4H)" in out


def test_step_stub_is_not_attempted(capsys):
    assert ex.check_lstm_step_forward(stub) is None
    assert "not attempted yet" in capsys.readouterr().out


def test_step_checker_does_not_let_the_learner_mutate_its_cases():
    def mutating(x, h_prev, c_prev, Wx, Wh, b):
        out = step_ok(x, h_prev, c_prev, Wx, Wh, b)
        c_prev += 100.0   # a learner bug that must not corrupt the reference
        return out
    assert ex.check_lstm_step_forward(mutating) is True


# ---------------------------------------------------------------- lesson 04: cell backward
def back_ok(dh, dc_next, c, c_prev, i, f, g, o):
    dc = dc_next + dh * o * (1 - np.tanh(c) ** 2)
    return dc * f, np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                   dc * i * (1 - g ** 2), dh * np.tanh(c) * o * (1 - o)], axis=1)


def back_no_h_path(dh, dc_next, c, c_prev, i, f, g, o):
    dc = dc_next
    return dc * f, np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                   dc * i * (1 - g ** 2), dh * np.tanh(c) * o * (1 - o)], axis=1)


def back_no_sigmoid_derivative(dh, dc_next, c, c_prev, i, f, g, o):
    dc = dc_next + dh * o * (1 - np.tanh(c) ** 2)
    return dc * f, np.concatenate([dc * g, dc * c_prev, dc * i * (1 - g ** 2),
                                   dh * np.tanh(c)], axis=1)


def back_no_tanh_derivative(dh, dc_next, c, c_prev, i, f, g, o):
    dc = dc_next + dh * o
    return dc * f, np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                   dc * i * (1 - g ** 2), dh * np.tanh(c) * o * (1 - o)], axis=1)


def back_gate_order_ifog(dh, dc_next, c, c_prev, i, f, g, o):
    dc_prev, da = back_ok(dh, dc_next, c, c_prev, i, f, g, o)
    di, df, dg, do = np.split(da, 4, axis=1)
    return dc_prev, np.concatenate([di, df, do, dg], axis=1)


def back_times_input_gate(dh, dc_next, c, c_prev, i, f, g, o):
    dc_prev, da = back_ok(dh, dc_next, c, c_prev, i, f, g, o)
    return dc_prev / f * i, da


def test_backward_accepts_correct(capsys):
    assert ex.check_cell_state_backward(back_ok) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (back_no_h_path, "misses the path through h_t"),
    (back_no_sigmoid_derivative, "sigmoid derivatives"),
    (back_no_tanh_derivative, "tanh derivative on the path"),
    (back_gate_order_ifog, "order i, f, o, g"),
    (back_times_input_gate, "instead of the forget gate"),
])
def test_backward_rejects_typical_mistakes(capsys, wrong, words):
    assert ex.check_cell_state_backward(wrong) is False
    out = capsys.readouterr().out
    assert "not quite" in out and words in out


def test_backward_stub_is_not_attempted(capsys):
    assert ex.check_cell_state_backward(stub) is None
    assert "not attempted yet" in capsys.readouterr().out


def test_backward_reference_matches_numerical_gradient():
    """The checker's own reference is right: compare it with central differences."""
    rng = np.random.default_rng(3)
    N, H = 2, 3
    a = rng.normal(size=(N, 4 * H))
    c_prev, dh, dc_next = (rng.normal(size=(N, H)) for _ in range(3))

    def loss(a, c_prev):
        i, f, g, o = gates_ok(a)
        c = f * c_prev + i * g
        return float(np.sum(dh * o * np.tanh(c)) + np.sum(dc_next * c))

    i, f, g, o = gates_ok(a)
    c = f * c_prev + i * g
    dc_prev, da = ex.lesson04._ref_cell_backward(dh, dc_next, c, c_prev, i, f, g, o)
    eps = 1e-6
    num_da = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += eps
        am[idx] -= eps
        num_da[idx] = (loss(ap, c_prev) - loss(am, c_prev)) / (2 * eps)
    num_dc = np.zeros_like(c_prev)
    for idx in np.ndindex(c_prev.shape):
        cp, cm = c_prev.copy(), c_prev.copy()
        cp[idx] += eps
        cm[idx] -= eps
        num_dc[idx] = (loss(a, cp) - loss(a, cm)) / (2 * eps)
    np.testing.assert_allclose(da, num_da, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dc_prev, num_dc, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- lesson 05: windows
def windows_ok(series, tau):
    T = len(series)
    return np.stack([series[t:t + tau] for t in range(T - tau)]), series[tau:]


def windows_off_by_one_target(series, tau):
    X, _ = windows_ok(series, tau)
    return X, series[tau - 1:-1]


def windows_one_too_many(series, tau):
    T = len(series)
    X = np.stack([series[t:t + tau] for t in range(T - tau + 1)])
    return X, np.append(series[tau:], 0.0)


def windows_with_target_inside(series, tau):
    T = len(series)
    return np.stack([series[t:t + tau + 1] for t in range(T - tau)]), series[tau:]


def windows_reversed(series, tau):
    X, y = windows_ok(series, tau)
    return X[:, ::-1], y


def windows_column_target(series, tau):
    X, y = windows_ok(series, tau)
    return X, y[:, None]


def test_windows_accepts_correct(capsys):
    assert ex.check_make_windows(windows_ok) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (windows_off_by_one_target, "off by one"),
    (windows_one_too_many, "exactly T - tau"),
    (windows_with_target_inside, "goes into y"),
    (windows_reversed, "reversed"),
    (windows_column_target, "shape (T - tau,)"),
])
def test_windows_rejects_typical_mistakes(capsys, wrong, words):
    assert ex.check_make_windows(wrong) is False
    out = capsys.readouterr().out
    assert "not quite" in out and words in out


def test_windows_stub_is_not_attempted(capsys):
    assert ex.check_make_windows(stub) is None
    assert "not attempted yet" in capsys.readouterr().out


# ---------------------------------------------------------------- lesson 05: autoregression
def ar_ok(predict, window, n_steps):
    window = np.array(window, dtype=float)
    preds = []
    for _ in range(n_steps):
        p = float(predict(window[None, :])[0])
        preds.append(p)
        window = np.append(window[1:], p)
    return np.array(preds)


def ar_frozen_window(predict, window, n_steps):
    return np.array([float(predict(np.asarray(window)[None, :])[0]) for _ in range(n_steps)])


def ar_prepends(predict, window, n_steps):
    window = np.array(window, dtype=float)
    preds = []
    for _ in range(n_steps):
        p = float(predict(window[None, :])[0])
        preds.append(p)
        window = np.concatenate([[p], window[:-1]])
    return np.array(preds)


def ar_growing_window(predict, window, n_steps):
    window = list(window)
    preds = []
    for _ in range(n_steps):
        p = float(predict(np.array(window)[None, :])[0])
        preds.append(p)
        window.append(p)
    return np.array(preds)


def test_autoregressive_accepts_correct(capsys):
    assert ex.check_autoregressive_predict(ar_ok) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (ar_frozen_window, "same window"),
    (ar_prepends, "at the front"),
    (ar_growing_window, "raised ValueError"),
])
def test_autoregressive_rejects_typical_mistakes(capsys, wrong, words):
    assert ex.check_autoregressive_predict(wrong) is False
    assert words in capsys.readouterr().out


def test_autoregressive_stub_is_not_attempted(capsys):
    assert ex.check_autoregressive_predict(stub) is None
    assert "not attempted yet" in capsys.readouterr().out


# ---------------------------------------------------------------- references against the package
def test_lstm_references_agree_with_the_package_cell():
    """The checkers' own answers are the package's LSTMCell, forward and backward."""
    from rnnlesson.cells import LSTMCell
    from rnnlesson.exercises import lesson04

    rng = np.random.default_rng(7)
    D, H = 3, 5
    cell = LSTMCell(H, dtype="float64", input_dim=D, seed=0)
    kernel, recurrent_kernel, bias = (rng.normal(0, 0.5, w.shape) for w in cell.get_weights())
    cell.set_weights([kernel, recurrent_kernel, bias])
    x, h_prev, c_prev = rng.normal(size=(1, D)), rng.normal(size=(1, H)), rng.normal(size=(1, H))

    h_ref, c_ref = lesson04._ref_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias)
    cell.zero_grad()
    h, (_, c) = cell.forward(x, (h_prev, c_prev))
    np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, c_ref, rtol=1e-10, atol=1e-12)

    i, f, g, o = lesson04._ref_gates(x @ kernel + h_prev @ recurrent_kernel + bias)
    dh, dc_next = rng.normal(size=(1, H)), rng.normal(size=(1, H))
    dc_prev_ref, da_ref = lesson04._ref_cell_backward(dh, dc_next, c_ref, c_prev, i, f, g, o)
    _, (_, dc_prev) = cell.backward(dh, (np.zeros((1, H)), dc_next))
    np.testing.assert_allclose(dc_prev, dc_prev_ref, rtol=1e-9, atol=1e-12)
    # with a batch of one, dL/dbias is exactly dL/da
    np.testing.assert_allclose(cell.grads["bias"], da_ref[0], rtol=1e-9, atol=1e-12)


def test_window_reference_agrees_with_the_package():
    from rnnlesson.datasets import make_windows
    from rnnlesson.exercises import lesson05

    series = np.random.default_rng(0).normal(size=30)
    for tau in (1, 4, 9):
        X_ref, y_ref = lesson05._ref_windows(series, tau)
        X, y = make_windows(series, tau)
        np.testing.assert_array_equal(X, X_ref)
        np.testing.assert_array_equal(y, y_ref)
