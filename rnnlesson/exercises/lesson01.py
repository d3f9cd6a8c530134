"""Checkers for lesson 01, the vanilla RNN.

Three exercises, one checker each:

* :func:`check_rnn_step` for ``rnn_step(x_t, h_prev, W_xh, W_hh, b_h) -> h_t``,
  one time step ``h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)`` with
  ``x_t (N, D)``, ``h_prev (N, H)``, ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``
  and ``h_t (N, H)``.
* :func:`check_rnn_forward` for ``rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs``, the
  whole sequence: ``x (N, T, D)``, ``h0 (N, H)``, and ``hs (N, T, H)`` holding
  ``h_1 ... h_T`` (not ``h0``).
* :func:`check_param_count` for ``param_count(D, H, C, T) -> int``, the number of
  trainable numbers in a many-to-one RNN with a dense read-out.

Each checker runs the learner's function on seeded float64 test cases, compares
with a reference, recognises the usual mistakes by computing them too, and prints
a verdict with a hint. It returns True (correct), False (wrong) or None (the stub
still raises ``NotImplementedError``: "not attempted yet"). It never raises, so a
notebook's "Run All" keeps going.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_rnn_step", "check_rnn_forward", "check_param_count"]

# ------------------------------------------------------------------ feedback helpers
# Shared with lesson02.py (imported from here).

_OK = "\N{WHITE HEAVY CHECK MARK}"
_NO = "\N{CROSS MARK}"
_WAIT = "\N{HOURGLASS WITH FLOWING SAND}"


class _NotAttempted(Exception):
    """The learner's function still raises NotImplementedError."""


class _Wrong(Exception):
    """The learner's answer is wrong; the message is the verdict, ``hint`` the hint."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.hint = hint


def _name(fn) -> str:
    return getattr(fn, "__name__", "your function")


def _call(fn, *args):
    """Call ``fn(*args)`` on copies; turn every failure into _NotAttempted or _Wrong."""
    copies = [a.copy() if isinstance(a, np.ndarray) else
              [b.copy() for b in a] if isinstance(a, list) else a for a in args]
    try:
        out = fn(*copies)
    except NotImplementedError as exc:
        raise _NotAttempted() from exc
    except Exception as exc:  # the learner's code may raise anything
        raise _Wrong(
            f"{_name(fn)} raised {type(exc).__name__}: {exc}",
            "Read the error message: it names the line that failed. A shape error usually "
            "means a matrix is used the wrong way round; print the shapes of the arrays "
            "in that line.",
        ) from exc
    for a, c in zip(args, copies, strict=True):
        changed = (isinstance(a, np.ndarray) and not np.array_equal(a, c)) or (
            isinstance(a, list)
            and any(not np.array_equal(x, y) for x, y in zip(a, c, strict=True)))
        if changed:
            raise _Wrong(
                f"{_name(fn)} changed one of its input arrays in place.",
                "Compute new arrays (e.g. `g * scale`) instead of writing into the "
                "arguments (`g *= scale`, `x[...] = ...`): the caller may still need them.",
            )
    return out


def _as_array(out, shape, what):
    """Check that ``out`` is an array of ``shape``, else raise _Wrong."""
    if out is None:
        raise _Wrong(f"{what} returned None.", "Did you forget the `return` statement?")
    arr = np.asarray(out)
    if arr.shape != tuple(shape):
        raise _Wrong(
            f"{what} has shape {arr.shape}; expected {tuple(shape)}.",
            "Check the order of the matrix product: in the row-vector code the input "
            "comes first, `x_t @ W_xh` with W_xh of shape (D, H).",
        )
    if not np.all(np.isfinite(arr)):
        raise _Wrong(f"{what} contains NaN or inf.", "Look for a division or an overflow.")
    return arr


def _diagnose(arr, mistakes, default_hint, what):
    """Raise _Wrong naming the first known mistake whose result equals ``arr``."""
    for result, message, hint in mistakes:
        if result is not None and np.shape(result) == arr.shape and np.allclose(
                arr, result, rtol=1e-6, atol=1e-9):
            raise _Wrong(f"{what} is not right: {message}", hint)
    raise _Wrong(f"{what} does not match the reference.", default_hint)


def _run(title, body):
    """Run a checker body; print the verdict; return True, False or None."""
    try:
        detail = body()
    except _NotAttempted:
        print(f"{_WAIT} {title}: not attempted yet. Fill in the function above (replace the "
              "`raise NotImplementedError`), run its cell, then run this cell again.")
        return None
    except _Wrong as exc:
        print(f"{_NO} {title}: not yet. {exc}")
        if exc.hint:
            print(f"   Hint: {exc.hint}")
        return False
    print(f"{_OK} {title}: correct! {detail}")
    return True


def _close(a, b):
    return np.allclose(a, b, rtol=1e-7, atol=1e-10)


# ------------------------------------------------------------------ test data
def _step_case(seed, N=3, D=4, H=5):
    """Seeded float64 arrays for one step; W_hh is far from symmetric so a transpose shows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    h = rng.uniform(-0.9, 0.9, size=(N, H))
    W_xh = rng.normal(scale=0.5, size=(D, H))
    W_hh = rng.normal(scale=0.5, size=(H, H))
    b_h = rng.normal(scale=0.3, size=(H,))
    return x, h, W_xh, W_hh, b_h


def _ref_step(x, h, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh + h @ W_hh + b_h)


def _ref_forward(x, h0, W_xh, W_hh, b_h):
    N, T, _ = x.shape
    hs = np.empty((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = _ref_step(x[:, t], h, W_xh, W_hh, b_h)
        hs[:, t] = h
    return hs


# ------------------------------------------------------------------ exercise 1
def check_rnn_step(rnn_step):
    """Check ``rnn_step(x_t, h_prev, W_xh, W_hh, b_h) -> h_t``.

    Shapes: x_t (N, D), h_prev (N, H), W_xh (D, H), W_hh (H, H), b_h (H,);
    returns h_t (N, H) = tanh(x_t @ W_xh + h_prev @ W_hh + b_h).

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 6, 6), (1, 3, 2)]):
            x, h, W_xh, W_hh, b_h = _step_case(seed, N, D, H)
            out = _as_array(_call(rnn_step, x, h, W_xh, W_hh, b_h), (N, H),
                            f"rnn_step(...) for N={N}, D={D}, H={H}")
            ref = _ref_step(x, h, W_xh, W_hh, b_h)
            if _close(out, ref):
                continue
            z = x @ W_xh + h @ W_hh + b_h
            mistakes = [
                (z, "it equals the pre-activation z, without the tanh.",
                 "Squash the sum with np.tanh: h_t = tanh(x_t W_xh + h_prev W_hh + b_h)."),
                (np.tanh(x @ W_xh + h @ W_hh.T + b_h),
                 "it uses W_hh transposed.",
                 "In the row-vector code the state comes first: h_prev @ W_hh, with "
                 "W_hh[i, j] the weight from unit i of h_prev to unit j of h_t."),
                (np.tanh(x @ W_xh + h @ W_hh),
                 "the bias b_h is missing.", "Add b_h (shape (H,)) inside the tanh."),
                (np.tanh(x @ W_xh + b_h), "the previous state h_prev is ignored.",
                 "The memory enters through h_prev @ W_hh; without it this is a "
                 "feed-forward layer."),
                (np.tanh(h @ W_hh + b_h), "the input x_t is ignored.",
                 "Add x_t @ W_xh inside the tanh."),
                (np.maximum(z, 0), "it uses ReLU instead of tanh.", "Use np.tanh."),
                (np.tanh(x @ W_xh) + np.tanh(h @ W_hh) + np.tanh(b_h),
                 "the tanh is applied to each term separately.",
                 "Add the three terms first, then take one tanh of the sum."),
            ]
            _diagnose(out, mistakes, "Compare with h_t = tanh(x_t @ W_xh + h_prev @ W_hh + "
                      "b_h) term by term; print the shapes of each term.",
                      f"rnn_step(...) for N={N}, D={D}, H={H}")
        return "Your step matches tanh(x_t @ W_xh + h_prev @ W_hh + b_h) on 3 test cases."

    return _run("rnn_step", body)


# ------------------------------------------------------------------ exercise 2
def check_rnn_forward(rnn_forward):
    """Check ``rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs``.

    Shapes: x (N, T, D), h0 (N, H), weights as :func:`check_rnn_step`; returns
    hs (N, T, H) with hs[:, t] = h_{t+1}, the state after reading x[:, t]
    (h0 itself is not included).

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        for seed, (N, T, D, H) in enumerate([(2, 5, 3, 4), (4, 4, 3, 3), (1, 7, 2, 5)]):
            rng = np.random.default_rng(100 + seed)
            x = rng.normal(size=(N, T, D))
            _, h0, W_xh, W_hh, b_h = _step_case(200 + seed, N, D, H)
            what = f"rnn_forward(...) for N={N}, T={T}, D={D}, H={H}"
            out = _call(rnn_forward, x, h0, W_xh, W_hh, b_h)
            if out is not None and np.shape(out) == (N, H):
                raise _Wrong(f"{what} returned shape (N, H) = {(N, H)}; expected all the "
                             f"states, (N, T, H) = {(N, T, H)}.",
                             "Store every h_t in hs[:, t] inside the loop.")
            out = _as_array(out, (N, T, H), what)
            ref = _ref_forward(x, h0, W_xh, W_hh, b_h)
            if _close(out, ref):
                continue
            shifted = np.concatenate([h0[:, None], ref[:, :-1]], axis=1)
            no_carry = np.stack([_ref_step(x[:, t], h0, W_xh, W_hh, b_h) for t in range(T)], 1)
            transposed = _ref_forward(x, h0, W_xh, W_hh.T, b_h)
            reversed_ = _ref_forward(x[:, ::-1], h0, W_xh, W_hh, b_h)
            mistakes = [
                (shifted, "hs[:, t] holds the state *before* step t (h0 ... h_{T-1}): "
                 "an off-by-one in time.",
                 "Compute h from x[:, t] first, then store it: hs[:, t] = new h."),
                (no_carry, "every step starts again from h0, so nothing is remembered.",
                 "Carry the state: h = rnn_step(x[:, t], h, ...) with the h of the "
                 "previous step."),
                (transposed, "it uses W_hh transposed.", "Use h @ W_hh, not h @ W_hh.T."),
                (reversed_, "it reads the sequence backwards.",
                 "Loop t = 0, 1, ..., T-1 over axis 1 of x."),
            ]
            _diagnose(out, mistakes, "Loop over t in range(T), take x[:, t] (shape (N, D)) "
                      "and the previous h, and store each new h in hs[:, t].", what)
        return "All hidden states match on 3 test cases (including N = T, where a mixed-up "\
               "batch and time axis would hide)."

    return _run("rnn_forward", body)


# ------------------------------------------------------------------ exercise 3
def _ref_count(D, H, C, T):
    return D * H + H * H + H + H * C + C


def check_param_count(param_count):
    """Check ``param_count(D, H, C, T) -> int``.

    The model reads T vectors of size D with an RNN of H units and maps the last
    state to C scores with a dense layer: W_xh (D, H), W_hh (H, H), b_h (H,),
    W_hy (H, C), b_y (C,). T is there to tempt you: the weights are shared
    across time, so the count does not depend on it.

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        for D, H, C, T in [(14, 8, 2, 5), (3, 16, 5, 20), (100, 32, 1, 500)]:
            out = _call(param_count, D, H, C, T)
            what = f"param_count(D={D}, H={H}, C={C}, T={T})"
            if out is None:
                raise _Wrong(f"{what} returned None.", "Did you forget the `return`?")
            ref = _ref_count(D, H, C, T)
            try:
                value = float(out)
            except (TypeError, ValueError):
                raise _Wrong(f"{what} returned {out!r}, not a number.",
                             "Return one integer.") from None
            if value == ref:
                continue
            mistakes = [
                (T * ref, "it multiplies by T.",
                 "The same W_xh, W_hh and b_h are used at every time step (weight sharing), "
                 "so the length of the sequence does not change the count."),
                (T * (D * H + H * H + H) + H * C + C, "the RNN weights are counted once per step.",
                 "Weights are shared across time: count W_xh, W_hh, b_h once."),
                (D * H + H * H + H * C, "the biases are missing.",
                 "Add b_h (H numbers) and b_y (C numbers)."),
                (D * H + H * H + H, "the output layer is missing.",
                 "Add W_hy (H x C) and b_y (C)."),
                (D * H + H + H * C + C, "the recurrent matrix W_hh is missing.",
                 "W_hh is H x H: every unit of h_{t-1} feeds every unit of h_t."),
            ]
            for wrong, message, hint in mistakes:
                if value == wrong:
                    raise _Wrong(f"{what} = {out}, expected {ref}: {message}", hint)
            raise _Wrong(f"{what} = {out}, expected {ref}.",
                         "Add up the sizes: W_xh is D x H, W_hh is H x H, b_h has H, "
                         "W_hy is H x C, b_y has C.")
        return "For D=14, H=8, C=2: 112 + 64 + 8 + 16 + 2 = 202 numbers, whatever T is."

    return _run("param_count", body)
