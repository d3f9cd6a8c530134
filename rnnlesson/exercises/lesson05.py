"""Checkers for lesson 05, predicting a sine wave.

Two exercises, each a function the learner writes in the notebook:

* ``make_windows(series, tau)``: cut a 1-D series of length T into the T - tau windows
  of tau consecutive values, shape (T - tau, tau), and the value that follows each
  window, shape (T - tau,).
* ``autoregressive_predict(predict, window, n_steps)``: start from one window of
  shape (tau,) and predict ``n_steps`` values, feeding each prediction back in as
  the newest input. ``predict`` maps windows (N, tau) to predictions (N,).

The checkers name a typical mistake when the answer matches one. Each prints a verdict
with a hint and returns a :class:`~rnnlesson.exercises.harness.CheckResult`;
``strict=True`` raises ``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .harness import ROUNDINGS, Wrong, as_answer, call, close, run_check

__all__ = ["check_make_windows", "check_autoregressive_predict"]


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


# ---------------------------------------------------------------- exercise 2: autoregression
class _Recorder:
    """A fixed linear predictor (N, tau) -> (N,) that checks its input and logs it."""

    def __init__(self, tau):
        self.tau = tau
        self.w = 0.3 + 0.2 * np.arange(tau) / max(tau - 1, 1)   # newer values weigh more
        self.w = self.w / self.w.sum() * 0.95
        self.calls = []

    def __call__(self, windows):
        windows = np.asarray(windows, dtype=np.float64)
        if windows.ndim != 2 or windows.shape[1] != self.tau:
            raise ValueError(f"predict expects windows of shape (N, tau) = (N, {self.tau}); "
                             f"got {windows.shape}. Did you pass a single window without "
                             "making it a batch of one, window[None, :]?")
        self.calls.append(windows.copy())
        return windows @ self.w + 0.1


def _ref_autoregressive(predict, window, n_steps):
    window = np.array(window, dtype=np.float64)
    out = np.empty(n_steps)
    for k in range(n_steps):
        out[k] = predict(window[None, :])[0]
        window = np.append(window[1:], out[k])
    return out


def _autoregressive_body(autoregressive_predict):
    for tau, n_steps in [(4, 6), (3, 10), (5, 1)]:
        window = np.linspace(1.0, 2.0, tau) ** 2
        rec = _Recorder(tau)
        what = f"autoregressive_predict(predict, window, n_steps) for tau={tau}, n_steps={n_steps}"
        out = call(autoregressive_predict, rec, window, n_steps,
                   hint="predict takes a batch of windows, shape (N, tau): pass "
                        "window[None, :] and keep the window exactly tau values long.")
        want = _ref_autoregressive(_Recorder(tau), window, n_steps)
        got = np.asarray(out) if out is not None else out
        if got is not None and got.size == n_steps:
            got = got.reshape(-1)    # a column (n_steps, 1) is fine too
        got = as_answer(got, want, what,
                        hint=f"Return one prediction per step, shape ({n_steps},).")
        # each prediction is a tau-term dot product fed back n_steps times
        if close(got, want, terms=n_steps * (tau + ROUNDINGS)):
            continue
        first = rec.calls[0] if rec.calls else None
        if first is not None and len(rec.calls) >= 2 and \
                all(np.array_equal(c, first) for c in rec.calls):
            raise Wrong(f"{what}: every prediction was made from the same window.",
                        "After each step, drop the oldest value and append the new prediction.")
        if len(rec.calls) >= 2 and close(rec.calls[1][0, 0], want[0], terms=tau + ROUNDINGS):
            raise Wrong(f"{what}: the new prediction went in at the front of the window.",
                        "Time runs left to right: drop window[0] and append the prediction at "
                        "the end.")
        raise Wrong(f"{what}: the first predictions are {np.round(got[:3], 4).tolist()}.",
                    f"Expected {np.round(want[:3], 4).tolist()}: predict from the window, then "
                    "slide the window one step, with the prediction as its newest value.")
    return "Each prediction becomes the newest input of the next step."


def check_autoregressive_predict(autoregressive_predict, *, strict=False):
    """Check ``autoregressive_predict(predict, window, n_steps) -> preds``.

    ``predict`` maps a batch of windows (N, tau) to predictions (N,); ``window`` is the
    last tau known values, shape (tau,); ``preds`` must have shape (n_steps,), each
    prediction made from a window whose newest values are the earlier predictions.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("autoregressive_predict", _autoregressive_body, autoregressive_predict,
                     strict=strict)
