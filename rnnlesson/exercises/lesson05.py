"""Checkers for lesson 05, predicting a sine wave.

Two exercises, each a function the learner writes in the notebook:

* ``make_windows(series, tau)``: cut a 1-D series of length T into the T - tau windows
  of tau consecutive values, shape (T - tau, tau), and the value that follows each
  window, shape (T - tau,).
* ``autoregressive_predict(predict, window, n_steps)``: start from one window of
  shape (tau,) and predict ``n_steps`` values, feeding each prediction back in as
  the newest input. ``predict`` maps windows (N, tau) to predictions (N,).

The checkers print a verdict and name a typical mistake when the answer matches one;
a stub still raising ``NotImplementedError`` gets "not attempted yet" and ``None``.
"""

from __future__ import annotations

import numpy as np

from .lesson04 import _OK, _WRONG, _call, _error, _not_callable, _stub

__all__ = ["check_make_windows", "check_autoregressive_predict"]


def _ref_windows(series, tau):
    T = len(series)
    X = np.stack([series[t:t + tau] for t in range(T - tau)])
    return X, series[tau:].copy()


def _arr(a, what, name):
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        print(f"{_WRONG} {name}: {what} is not an array of numbers (got {type(a).__name__}).")
        return None


# ---------------------------------------------------------------- exercise 1: windows
def check_make_windows(make_windows):
    """Check ``make_windows(series, tau) -> (X, y)``.

    ``series`` has shape (T,); ``X`` must have shape (T - tau, tau) with row t equal to
    series[t : t + tau], and ``y`` shape (T - tau,) with y[t] = series[t + tau].
    Prints a verdict; returns True, False, or None while not attempted.
    """
    name = "make_windows"
    if _not_callable(make_windows, name):
        return False
    for T, tau in [(10, 3), (25, 4), (7, 1), (12, 6)]:
        series = np.arange(T, dtype=np.float64) * 1.5 + 0.25   # each value tells its index
        status, out = _call(make_windows, series.copy(), tau)
        if status == "stub":
            return _stub(name)
        if status == "error":
            return _error(name, out, "try your function on a short series by hand, e.g. "
                          "make_windows(np.arange(6.0), 2), and print what it returns.")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            print(f"{_WRONG} {name} should return a pair (X, y); it returned "
                  f"{type(out).__name__}.")
            return False
        X, y = _arr(out[0], "X", name), _arr(out[1], "y", name)
        if X is None or y is None:
            return False
        Xw, yw = _ref_windows(series, tau)
        if X.shape == Xw.shape and y.shape == yw.shape and np.allclose(X, Xw) \
                and np.allclose(y, yw):
            continue
        print(f"{_WRONG} {name}: not quite (series of length T={T}, tau={tau}).")
        if y.shape == (T - tau, 1) or X.shape == (T - tau, tau, 1):
            print(f"   Hint: return X of shape (T - tau, tau) = {Xw.shape} and y of shape "
                  f"(T - tau,) = {yw.shape}; the notebook adds the feature axis for the RNN "
                  "later.")
        elif X.shape == (T - tau + 1, tau) or X.shape == (T - tau - 1, tau):
            print(f"   Hint: there are exactly T - tau = {T - tau} windows that have a next "
                  f"value to predict; you made {X.shape[0]}.")
        elif X.shape == (T - tau, tau + 1):
            print("   Hint: each window holds tau values; the value after it goes into y, "
                  "not into X.")
        elif X.shape == Xw.shape and np.allclose(X, Xw) and y.shape == yw.shape \
                and np.allclose(y, series[tau - 1:T - 1]):
            print("   Hint: y is off by one: it repeats the last value of each window. "
                  "The target of window series[t:t+tau] is series[t+tau], the NEXT value.")
        elif X.shape == Xw.shape and np.allclose(X, Xw[:, ::-1]):
            print("   Hint: the values inside each window are reversed; keep time order, "
                  "oldest first: X[t] = series[t:t+tau].")
        elif X.shape == (tau, T - tau):
            print(f"   Hint: X looks transposed: one row per window, shape {Xw.shape}.")
        else:
            print(f"   Expected X of shape {Xw.shape} starting {Xw[0].tolist()} and y of "
                  f"shape {yw.shape} starting {yw[:3].tolist()}; got X of shape {X.shape} "
                  f"and y of shape {y.shape}.")
        return False
    print(f"{_OK} make_windows: correct! T - tau windows, each followed by the value to "
          "predict.")
    return True


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


def check_autoregressive_predict(autoregressive_predict):
    """Check ``autoregressive_predict(predict, window, n_steps) -> preds``.

    ``predict`` maps a batch of windows (N, tau) to predictions (N,); ``window`` is the
    last tau known values, shape (tau,); ``preds`` must have shape (n_steps,), each
    prediction made from a window whose newest values are the earlier predictions.
    Prints a verdict; returns True, False, or None while not attempted.
    """
    name = "autoregressive_predict"
    if _not_callable(autoregressive_predict, name):
        return False
    for tau, n_steps in [(4, 6), (3, 10), (5, 1)]:
        window = np.linspace(1.0, 2.0, tau) ** 2
        rec = _Recorder(tau)
        status, out = _call(autoregressive_predict, rec, window.copy(), n_steps)
        if status == "stub":
            return _stub(name)
        if status == "error":
            return _error(name, out, "predict takes a batch of windows, shape (N, tau): pass "
                          "window[None, :] and keep the window exactly tau values long.")
        got = _arr(out, "the result", name)
        if got is None:
            return False
        got = got.reshape(-1) if got.size == n_steps else got
        want = _ref_autoregressive(_Recorder(tau), window, n_steps)
        if got.shape == want.shape and np.allclose(got, want):
            continue
        print(f"{_WRONG} {name}: not quite (tau={tau}, n_steps={n_steps}).")
        first = rec.calls[0] if rec.calls else None
        if got.shape != want.shape:
            print(f"   Hint: return one prediction per step, shape ({n_steps},); got "
                  f"{got.shape}.")
        elif first is not None and len(rec.calls) >= 2 and \
                all(np.allclose(c, first) for c in rec.calls):
            print("   Hint: every prediction was made from the same window. After each "
                  "step, drop the oldest value and append the new prediction.")
        elif len(rec.calls) >= 2 and np.allclose(rec.calls[1][0, 0], want[0]):
            print("   Hint: the new prediction went in at the front of the window. Time runs "
                  "left to right: drop window[0] and append the prediction at the end.")
        else:
            print(f"   Expected the first predictions {np.round(want[:3], 4).tolist()}; got "
                  f"{np.round(got[:3], 4).tolist()}.")
        return False
    print(f"{_OK} autoregressive_predict: correct! Each prediction becomes the newest input "
          "of the next step.")
    return True
