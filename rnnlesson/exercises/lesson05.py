"""Checkers for lesson 05, predicting a sine wave.

Three exercises, each a function the learner writes in the notebook:

* ``make_windows(series, tau)``: cut a 1-D series of length T into the T - tau windows
  of tau consecutive values, shape (T - tau, tau), and the value that follows each
  window, shape (T - tau,) (the warm-up: the lesson cuts windows by hand).
* ``mean_predictor_mse(tau, sigma, slope)``: a derivation answered with a number, the
  expected squared error of predicting the next value by the mean of the last tau,
  on a straight line with noise: the noise floor, the mean's noise and the lag.
* ``rollout_fixed_point(a, b)``: a derivation, the value on which a linear predictor's
  autoregressive rollout settles, graded by the fixed-point property.

The checkers name a typical mistake when the answer matches one. Each prints a verdict
with a hint and returns a :class:`~rnnlesson.exercises.harness.CheckResult`;
``strict=True`` raises ``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .harness import ROUNDINGS, Wrong, call, close, run_check

__all__ = ["check_make_windows", "check_mean_predictor_mse", "check_rollout_fixed_point"]


def _ref_windows(series, tau):
    T = len(series)
    X = np.stack([series[t:t + tau] for t in range(T - tau)])
    return X, series[tau:].copy()


def _numbers(a, what):
    """``a`` as a float64 array of any shape, or Wrong."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} is not an array of numbers (got {type(a).__name__}).",
                    "Return numpy arrays.") from None
    return arr


# ---------------------------------------------------------------- exercise 1: windows
def _windows_hint(X, y, Xw, yw, series, T, tau):
    """What went wrong, from the shapes and values of X (T - tau, tau) and y (T - tau,)."""
    if y.shape == (T - tau, 1) or X.shape == (T - tau, tau, 1):
        return ("X or y has an extra axis.",
                f"Return X of shape (T - tau, tau) = {Xw.shape} and y of shape (T - tau,) = "
                f"{yw.shape}; the notebook adds the feature axis for the RNN later.")
    if X.shape in ((T - tau + 1, tau), (T - tau - 1, tau)):
        return (f"there are {X.shape[0]} windows.",
                f"There are exactly T - tau = {T - tau} windows that have a next value to "
                "predict.")
    if X.shape == (T - tau, tau + 1):
        return ("each window holds tau + 1 values.",
                "Each window holds tau values; the value after it goes into y, not into X.")
    if X.shape == Xw.shape and y.shape == yw.shape and close(X, Xw, terms=1) \
            and close(y, series[tau - 1:T - 1], terms=1):
        return ("y is off by one: it repeats the last value of each window.",
                "The target of window series[t:t+tau] is series[t+tau], the NEXT value.")
    if X.shape == Xw.shape and close(X, Xw[:, ::-1], terms=1):
        return ("the values inside each window are reversed.",
                "Keep time order, oldest first: X[t] = series[t:t+tau].")
    if X.shape == (tau, T - tau):
        return ("X looks transposed.", f"One row per window, shape {Xw.shape}.")
    return (f"got X of shape {X.shape} and y of shape {y.shape}.",
            f"Expected X of shape {Xw.shape} starting {Xw[0].tolist()} and y of shape "
            f"{yw.shape} starting {yw[:3].tolist()}.")


def _windows_body(make_windows):
    for T, tau in [(10, 3), (25, 4), (7, 1), (12, 6)]:
        series = np.arange(T, dtype=np.float64) * 1.5 + 0.25   # each value tells its index
        what = f"make_windows(series, tau) for T={T}, tau={tau}"
        out = call(make_windows, series, tau,
                   hint="Try your function on a short series by hand, e.g. "
                        "make_windows(np.arange(6.0), 2), and print what it returns.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Wrong(f"{what} should return a pair (X, y); it returned "
                        f"{type(out).__name__}.", "End with `return X, y`.")
        X, y = _numbers(out[0], f"X from {what}"), _numbers(out[1], f"y from {what}")
        Xw, yw = _ref_windows(series, tau)
        # the windows are copies of the series: exact in any float dtype
        if X.shape == Xw.shape and y.shape == yw.shape and close(X, Xw, terms=1) \
                and close(y, yw, terms=1):
            continue
        message, hint = _windows_hint(X, y, Xw, yw, series, T, tau)
        raise Wrong(f"{what}: {message}", hint)
    return "T - tau windows, each followed by the value to predict."


def check_make_windows(make_windows, *, strict=False):
    """Check ``make_windows(series, tau) -> (X, y)``.

    ``series`` has shape (T,); ``X`` must have shape (T - tau, tau) with row t equal to
    series[t : t + tau], and ``y`` shape (T - tau,) with y[t] = series[t + tau].

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("make_windows", _windows_body, make_windows, strict=strict)


# ---------------------------------------------------------------- exercise 2: a window's mean
def _ref_mean_mse(tau, sigma, slope):
    """E (x_{t+tau} - mean(x_t .. x_{t+tau-1}))^2 for x_t = a + slope t + noise of std sigma.

    The target's own noise (sigma^2), the mean's noise (sigma^2 / tau) and the lag: the
    mean sits at the window's middle, t + (tau - 1) / 2, (tau + 1) / 2 steps behind.
    """
    return sigma**2 * (1 + 1 / tau) + (slope * (tau + 1) / 2) ** 2


def simulated_mean_mse(tau, sigma, slope, n=200_000, seed=0):
    """The same error measured on a simulated series of n windows (for the tests)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + tau)
    series = 0.3 + slope * t + rng.normal(0.0, sigma, size=n + tau)
    X, y = _ref_windows(series, tau)
    return float(np.mean((y - X.mean(axis=1)) ** 2))


def _as_number(out, what):
    try:
        value = float(out)
    except (TypeError, ValueError):
        raise Wrong(f"{what} returned {out!r}, not a number.", "Return one float.") from None
    if not np.isfinite(value):
        raise Wrong(f"{what} returned {value}.", "Look for a division by zero.")
    return value


def _mean_mse_body(mean_predictor_mse):
    cases = [(4, 0.2, 0.01), (9, 0.2, 0.01), (1, 0.5, 0.3), (16, 0.1, 0.0), (5, 0.0, 0.2)]
    for tau, sigma, slope in cases:
        what = f"mean_predictor_mse(tau={tau}, sigma={sigma}, slope={slope})"
        got = _as_number(call(mean_predictor_mse, tau, sigma, slope), what)
        want = _ref_mean_mse(tau, sigma, slope)
        if close(got, want, terms=ROUNDINGS):
            continue
        lag = slope * (tau + 1) / 2
        for label, value, hint in [
            ("the target's own noise is missing", sigma**2 / tau + lag**2,
             "The value you predict carries its own noise, independent of the window: it "
             "adds sigma^2 that no predictor can remove (the noise floor of section 1)."),
            ("the lag behind the slope is missing", sigma**2 * (1 + 1 / tau),
             "The mean of the window belongs to the window's middle time, but the target comes "
             "after its end: on a slope the prediction lags behind."),
            ("the lag is slope * tau / 2: one step short", sigma**2 * (1 + 1 / tau)
             + (slope * tau / 2) ** 2,
             "The window's middle is t + (tau - 1) / 2 and the target is at t + tau: that is "
             "(tau + 1) / 2 steps."),
            ("the lag enters unsquared", sigma**2 * (1 + 1 / tau) + abs(lag),
             "The lag is a constant error b in every prediction: it adds b^2 to the mean "
             "squared error."),
            ("the mean's noise is sigma^2, not sigma^2 / tau", 2 * sigma**2 + lag**2,
             "The mean of tau independent noises has variance sigma^2 / tau: averaging is what "
             "a longer window buys."),
        ]:
            if close(got, value, terms=ROUNDINGS) and not close(value, want, terms=ROUNDINGS):
                raise Wrong(f"{what} = {got:.6g}, expected {want:.6g}: {label}.", hint)
        raise Wrong(f"{what} = {got:.6g}, expected {want:.6g}.",
                    "Write the error as (signal at t + tau - the window's mean signal) + "
                    "(noise of the target - the mean of the window's noises); the two parts are "
                    "independent, so their squares' expectations add.")
    return ("Noise of the target, noise of the mean, and the lag: sigma^2 (1 + 1/tau) + "
            "(slope (tau + 1) / 2)^2, on five cases.")


def check_mean_predictor_mse(mean_predictor_mse, *, strict=False):
    """Check ``mean_predictor_mse(tau, sigma, slope) -> float``.

    For a series x_t = a + slope * t + e_t with independent noise e_t of standard
    deviation sigma, predict x_{t+tau} by the mean of the window x_t, ..., x_{t+tau-1}:
    the expected squared error of that prediction (the same for every t and a).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("mean_predictor_mse", _mean_mse_body, mean_predictor_mse, strict=strict)


# ---------------------------------------------------------------- exercise 3: the fixed point
def _ref_fixed_point(a, b):
    """v with f(v, ..., v) = v for the linear predictor f(w) = w @ a + b."""
    return b / (1.0 - float(np.sum(a)))


def _rollout(a, b, steps=3000):
    """Section 4's rollout of the linear predictor from a window of zeros; its last value."""
    window = np.zeros(len(a))
    for _ in range(steps):
        window = np.append(window[1:], window @ a + b)
    return float(window[-1])


def _fixed_point_body(rollout_fixed_point):
    cases = [(np.array([0.1, 0.2, 0.3, 0.3]), 0.5),       # sum 0.9: a slow approach
             (np.array([0.5, -0.2, 0.4]), -1.2),          # sum 0.7, one negative weight
             (np.array([0.0, 0.0, 0.0, -1.5]), 2.0),      # sum -1.5: the rollout oscillates off
             (np.array([0.25]), 0.3)]                     # a window of one value
    for a, b in cases:
        what = f"rollout_fixed_point(a={a.tolist()}, b={b})"
        got = _as_number(call(rollout_fixed_point, a, b), what)
        want = _ref_fixed_point(a, b)
        if close(got, want, terms=len(a) + ROUNDINGS):
            continue
        s = float(np.sum(a))
        for label, value, hint in [
            ("b / (1 + sum(a)): a sign", b / (1 + s),
             "Write f(v, ..., v) = v: v * sum(a) + b = v, and solve for v."),
            ("b / (1 - mean(a))", b / (1 - s / len(a)),
             "Every entry of the window is v, so w @ a = v * (a_1 + ... + a_tau): a sum, "
             "not a mean."),
            ("b / sum(a)", b / s,
             "Collect the v's on one side: v - v * sum(a) = b."),
            ("b: the weights are missing", b,
             "The fixed point is where the prediction equals its inputs, so the weights on "
             "those inputs matter."),
        ]:
            if close(got, value, terms=len(a) + ROUNDINGS):
                raise Wrong(f"{what} = {got:.6g}, expected {want:.6g}: {label}.", hint)
        rolled = _rollout(a, b) if abs(s) < 1 else None
        extra = f" (a rollout of 3000 steps ends at {rolled:.6g})" if rolled is not None else ""
        raise Wrong(f"{what} = {got:.6g}, expected {want:.6g}{extra}.",
                    "A fixed point v does not move: feed the window (v, ..., v) to f and you "
                    "get v back. Write that as an equation for v.")
    return ("v = b / (1 - sum(a)): where the rollouts of section 4 flatten out, whenever they "
            "settle at all (here one oscillates away from its fixed point).")


def check_rollout_fixed_point(rollout_fixed_point, *, strict=False):
    """Check ``rollout_fixed_point(a, b) -> float``.

    For the linear predictor f(w) = w @ a + b of windows w (tau,), with a (tau,) and b a
    number, the value v with f(v, v, ..., v) = v.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("rollout_fixed_point", _fixed_point_body, rollout_fixed_point,
                     strict=strict)
