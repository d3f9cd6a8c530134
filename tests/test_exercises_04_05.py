"""The exercises of lessons 04 (LSTM) and 05 (sine prediction): right answers and typical
mistakes for every checker (run through the common tests in test_exercises_harness.py),
and the checkers' references against the package and a numerical gradient."""

from functools import partial

import numpy as np
from exercise_table import Exercise, Mistake

from rnnlesson import exercises as ex
from rnnlesson import gradcheck


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- lesson 04
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


def lstm_step(x, h_prev, c_prev, Wx, Wh, b, *, gates=gates_ok, transposed=False, bias=True,
              new_c=lambda i, f, g, c_prev: f * c_prev + i * g, squash=np.tanh):
    """One LSTM step, right by default; each keyword puts in one typical mistake."""
    i, f, g, o = gates(x @ Wx + h_prev @ (Wh.T if transposed else Wh) + (b if bias else 0))
    c = new_c(i, f, g, c_prev)
    return o * squash(c), c


step_ok = lstm_step
step_no_tanh = partial(lstm_step, squash=lambda c: c)
step_swapped_gates = partial(lstm_step, new_c=lambda i, f, g, c_prev: i * c_prev + f * g)
step_ifog = partial(lstm_step, gates=gates_ifog)
step_transposed_weight = partial(lstm_step, transposed=True)   # (N, H) @ (4H, H): shapes clash
step_no_forget = partial(lstm_step, new_c=lambda i, f, g, c_prev: c_prev + i * g)
step_no_bias = partial(lstm_step, bias=False)


def cell_backward(dh, dc_next, c, c_prev, i, f, g, o, *, through_h=True, tanh_slope=True,
                  gate_slopes=True):
    """The cell-state backward step, right by default; each keyword leaves out one part."""
    tc = np.tanh(c)
    dc = dc_next + (dh * o * ((1 - tc ** 2) if tanh_slope else 1) if through_h else 0)

    def slope(s):
        return s * (1 - s) if gate_slopes else 1

    return dc * f, np.concatenate([dc * g * slope(i), dc * c_prev * slope(f),
                                   dc * i * (1 - g ** 2), dh * tc * slope(o)], axis=1)


back_ok = cell_backward
back_no_h_path = partial(cell_backward, through_h=False)
back_no_sigmoid_derivative = partial(cell_backward, gate_slopes=False)
back_no_tanh_derivative = partial(cell_backward, tanh_slope=False)


def back_gate_order_ifog(dh, dc_next, c, c_prev, i, f, g, o):
    dc_prev, da = back_ok(dh, dc_next, c, c_prev, i, f, g, o)
    di, df, dg, do = np.split(da, 4, axis=1)
    return dc_prev, np.concatenate([di, df, do, dg], axis=1)


def back_times_input_gate(dh, dc_next, c, c_prev, i, f, g, o):
    dc_prev, da = back_ok(dh, dc_next, c, c_prev, i, f, g, o)
    return dc_prev / f * i, da


def test_step_checker_reports_a_learner_who_writes_into_its_inputs(capsys):
    """Writing into c_prev is reported, and does not corrupt the checker's own cases."""
    def mutating(x, h_prev, c_prev, Wx, Wh, b):
        out = step_ok(x, h_prev, c_prev, Wx, Wh, b)
        c_prev += 100.0
        return out
    assert not ex.check_lstm_step_forward(mutating)
    assert "in place" in capsys.readouterr().out
    assert ex.check_lstm_step_forward(step_ok)


def test_step_transposed_weight_is_reported_with_the_shapes(capsys):
    assert not ex.check_lstm_step_forward(step_transposed_weight)
    out = capsys.readouterr().out
    assert "raised ValueError" in out and "(H, 4H)" in out


def test_backward_reference_passes_a_gradient_check():
    """The checker's own reference is right: compare it with numerical gradients of
    h = o * tanh(c), c = f * c_prev + i * g with respect to a and c_prev."""
    rng = np.random.default_rng(3)
    a, c_prev = rng.normal(size=(2, 12)), rng.normal(size=(2, 3))

    def forward(a, c_prev):
        i, f, g, o = gates_ok(a)
        c = f * c_prev + i * g
        return o * np.tanh(c), c

    def backward(dout, a, c_prev):
        i, f, g, o = gates_ok(a)
        dc_prev, da = ex.lesson04._ref_cell_backward(*dout, f * c_prev + i * g, c_prev,
                                                      i, f, g, o)
        return da, dc_prev

    errors = gradcheck.check_function_gradient(forward, backward, a, c_prev,
                                               names=["a", "c_prev"], verbose=False)
    assert max(errors.values()) < gradcheck.OK_BELOW, errors


# ---------------------------------------------------------------- lesson 05
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


def autoregress(predict, window, n_steps, *, slide=lambda w, p: np.append(w[1:], p)):
    """n_steps predictions, each fed back; ``slide(window, p)`` makes the next window."""
    window = np.array(window, dtype=float)
    preds = []
    for _ in range(n_steps):
        p = float(predict(window[None, :])[0])
        preds.append(p)
        window = slide(window, p)
    return np.array(preds)


ar_ok = autoregress
ar_frozen_window = partial(autoregress, slide=lambda w, p: w)
ar_prepends = partial(autoregress, slide=lambda w, p: np.concatenate([[p], w[:-1]]))
ar_growing_window = partial(autoregress, slide=lambda w, p: np.append(w, p))


EXERCISES = [
    Exercise(ex.check_lstm_gates, "lstm_gates", gates_ok, [
        Mistake(gates_ifog, "i, f, o, g"),
        Mistake(gates_swapped_if, "swapped"),
        Mistake(gates_no_activation, "no nonlinearities"),
        Mistake(gates_all_sigmoid, "sigmoid on all four"),
        Mistake(gates_interleaved, "interleaved"),
        # splitting along the batch axis fails on a batch of 3: reported, not raised
        Mistake(gates_split_wrong_axis, "raised ValueError", numeric=False),
        Mistake(lambda a: np.concatenate(gates_ok(a), axis=1), "tuple of 4 arrays",
                numeric=False),
    ]),
    Exercise(ex.check_lstm_step_forward, "lstm_step_forward", step_ok, [
        Mistake(step_no_tanh, "without the tanh"),
        Mistake(step_swapped_gates, "swapped"),
        Mistake(step_ifog, "i, f, o, g"),
        Mistake(step_no_forget, "no forget gate"),
        Mistake(step_no_bias, "off by up to"),
    ]),
    Exercise(ex.check_cell_state_backward, "cell_state_backward", back_ok, [
        Mistake(back_no_h_path, "misses the path through h_t"),
        Mistake(back_no_sigmoid_derivative, "sigmoid derivatives"),
        Mistake(back_no_tanh_derivative, "tanh derivative on the path"),
        Mistake(back_gate_order_ifog, "order i, f, o, g"),
        Mistake(back_times_input_gate, "instead of the forget gate"),
    ]),
    Exercise(ex.check_make_windows, "make_windows", windows_ok, [
        Mistake(windows_off_by_one_target, "off by one"),
        Mistake(windows_one_too_many, "exactly T - tau"),
        Mistake(windows_with_target_inside, "goes into y"),
        Mistake(windows_reversed, "reversed"),
        Mistake(windows_column_target, "shape (T - tau,)"),
    ]),
    Exercise(ex.check_autoregressive_predict, "autoregressive_predict", ar_ok, [
        Mistake(ar_frozen_window, "same window"),
        Mistake(ar_prepends, "at the front"),
        Mistake(ar_growing_window, "raised ValueError", numeric=False),
    ]),
]


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
