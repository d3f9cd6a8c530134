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


def forget_bias_right(keep, steps):
    f = keep ** (1.0 / steps)
    return np.log(f / (1.0 - f))


def gru_gates(dh, h_prev, z, r, hh, u_h, *, sign=1.0, swap_z=False, sigmoid_slopes=True,
              tanh_slope=True, reset_on=None, r_in_du=True):
    """The GRU gates' backward pass, right by default; each keyword puts in one mistake."""
    keep_new = z if swap_z else 1 - z          # the candidate's share
    sz, sr = (z * (1 - z), r * (1 - r)) if sigmoid_slopes else (1.0, 1.0)
    d_z = sign * dh * (h_prev - hh) * sz
    d_h = dh * keep_new * ((1 - hh ** 2) if tanh_slope else 1.0)
    d_r = d_h * (u_h if reset_on is None else reset_on(h_prev)) * sr
    return (np.concatenate([d_z, d_r, d_h], axis=1),
            np.concatenate([d_z, d_r, d_h * r if r_in_du else d_h], axis=1))


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


def test_gru_reference_passes_a_gradient_check():
    """The checker's reference (da, du) against numerical gradients of one Keras GRU step
    with respect to both bias rows (a one-sample batch: db is exactly (da, du))."""
    from rnnlesson import kernels

    args, (x, W, U, b) = ex.lesson04._gru_case(3, 1, 3, 4)
    dh, h_prev = args[0], args[1]

    def loss():
        return float(np.sum(kernels.gru_step_forward(x, h_prev, W, U, b)[0] * dh))

    # eps = 1e-5: the loss is of order 1, so 1e-6 leaves rounding noise of 1e-10 per entry
    numeric = gradcheck.numerical_gradient(loss, b, eps=1e-5)
    assert gradcheck.rel_error(np.concatenate(ex.lesson04._ref_gru_gates(*args)), numeric) < 1e-7


def test_forget_bias_property_is_measured_through_the_lstm_backward():
    """The checker measures the cell path through the kernel: sigmoid(b_f) ** steps."""
    for b_f, steps in [(1.0, 10), (4.97, 100), (-0.5, 3)]:
        want = (1.0 / (1.0 + np.exp(-b_f))) ** steps
        assert abs(ex.lesson04._cell_path_gain(b_f, steps) - want) < 1e-12


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


def mean_mse_right(tau, sigma, slope):
    return sigma**2 * (1 + 1 / tau) + (slope * (tau + 1) / 2) ** 2


def fixed_point_right(a, b):
    return b / (1.0 - np.sum(a))


EXERCISES = [
    Exercise(ex.check_lstm_step_forward, "lstm_step_forward", step_ok, [
        Mistake(step_no_tanh, "without the tanh"),
        Mistake(step_swapped_gates, "swapped"),
        Mistake(step_ifog, "i, f, o, g"),
        Mistake(step_no_forget, "no forget gate"),
        Mistake(step_no_bias, "off by up to"),
    ]),
    Exercise(ex.check_forget_bias, "forget_bias_for", forget_bias_right, [
        Mistake(lambda keep, steps: keep ** (1.0 / steps), "value f, not its bias"),
        Mistake(lambda keep, steps: np.log(keep / (1 - keep)), "bias for one step"),
        Mistake(lambda keep, steps: np.log(keep) / steps, "sigmoid is missing"),
        Mistake(lambda keep, steps: forget_bias_right(keep, steps - 1) if steps > 1 else 0.0,
                "steps - 1"),
        Mistake(lambda keep, steps: forget_bias_right(keep, steps) + 0.1, "solve sigmoid"),
        Mistake(lambda keep, steps: [1.0], "not a number", numeric=False),
    ], float32=False),
    Exercise(ex.check_gru_gates_backward, "gru_gates_backward", gru_gates, [
        Mistake(partial(gru_gates, sign=-1.0), "wrong sign"),
        Mistake(partial(gru_gates, swap_z=True), "roles of z and 1 - z"),
        Mistake(partial(gru_gates, sigmoid_slopes=False), "sigmoid derivatives"),
        Mistake(partial(gru_gates, tanh_slope=False), "tanh derivative"),
        Mistake(partial(gru_gates, reset_on=lambda h_prev: h_prev), "multiplies u_h"),
        Mistake(partial(gru_gates, r_in_du=False), "misses the factor r"),
        Mistake(lambda *a: np.concatenate(gru_gates(*a), axis=1), "tuple of 2", numeric=False),
    ]),
    Exercise(ex.check_make_windows, "make_windows", windows_ok, [
        Mistake(windows_off_by_one_target, "off by one"),
        Mistake(windows_one_too_many, "exactly T - tau"),
        Mistake(windows_with_target_inside, "goes into y"),
        Mistake(windows_reversed, "reversed"),
        Mistake(windows_column_target, "shape (T - tau,)"),
    ]),
    Exercise(ex.check_mean_predictor_mse, "mean_predictor_mse", mean_mse_right, [
        Mistake(lambda tau, s, k: s**2 / tau + (k * (tau + 1) / 2) ** 2, "own noise"),
        Mistake(lambda tau, s, k: s**2 * (1 + 1 / tau), "lag behind the slope"),
        Mistake(lambda tau, s, k: s**2 * (1 + 1 / tau) + (k * tau / 2) ** 2, "one step short"),
        Mistake(lambda tau, s, k: s**2 * (1 + 1 / tau) + abs(k * (tau + 1) / 2), "unsquared"),
        Mistake(lambda tau, s, k: 2 * s**2 + (k * (tau + 1) / 2) ** 2, "sigma^2 / tau"),
        Mistake(lambda tau, s, k: s**2 * (1 + 1 / tau) + k, "independent"),
    ], float32=False),
    Exercise(ex.check_rollout_fixed_point, "rollout_fixed_point", fixed_point_right, [
        Mistake(lambda a, b: b / (1 + np.sum(a)), "a sign"),
        Mistake(lambda a, b: b / (1 - np.mean(a)), "mean(a)"),
        Mistake(lambda a, b: b / np.sum(a), "b / sum(a)"),
        Mistake(lambda a, b: b, "weights are missing"),
        Mistake(lambda a, b: 2 * b / (1 - np.sum(a)), "rollout of 3000 steps"),
    ], float32=False),
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



def test_window_reference_agrees_with_the_package():
    from rnnlesson.datasets import make_windows
    from rnnlesson.exercises import lesson05

    series = np.random.default_rng(0).normal(size=30)
    for tau in (1, 4, 9):
        X_ref, y_ref = lesson05._ref_windows(series, tau)
        X, y = make_windows(series, tau)
        np.testing.assert_array_equal(X, X_ref)
        np.testing.assert_array_equal(y, y_ref)


def test_lesson05_references_are_what_they_claim():
    """The window-mean error against a simulation; the fixed point against a long rollout."""
    from rnnlesson.exercises import lesson05

    for args in [(4, 0.2, 0.01), (1, 0.5, 0.3), (9, 0.2, 0.05)]:
        assert abs(lesson05.simulated_mean_mse(*args) / lesson05._ref_mean_mse(*args) - 1) < 0.02
    for a, b in [(np.array([0.1, 0.2, 0.3, 0.3]), 0.5), (np.array([0.5, -0.2, 0.4]), -1.2)]:
        assert abs(lesson05._rollout(a, b) - lesson05._ref_fixed_point(a, b)) < 1e-9
