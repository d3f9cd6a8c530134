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
with the reference in :mod:`rnnlesson.kernels`, recognises the usual mistakes by
computing them too, prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises
``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Formula, Wrong, as_answer, call, check_counts, diagnose, run_check

__all__ = ["check_rnn_step", "check_rnn_forward", "check_param_count"]

_SHAPE_HINT = ("Check the order of the matrix product: in the row-vector code the input "
               "comes first, `x_t @ W_xh` with W_xh of shape (D, H).")


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
    """h_t (N, H) from x_t (N, D) and h_prev (N, H): the package's kernel."""
    return kernels.rnn_step_forward(x, h, W_xh, W_hh, b_h)[0]


def _ref_forward(x, h0, W_xh, W_hh, b_h):
    """hs (N, T, H) = h_1 ... h_T for x (N, T, D), one kernel step at a time."""
    N, T, _ = x.shape
    hs = np.empty((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = _ref_step(x[:, t], h, W_xh, W_hh, b_h)
        hs[:, t] = h
    return hs


# ------------------------------------------------------------------ exercise 1
def _rnn_step_body(rnn_step):
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 6, 6), (1, 3, 2)]):
        x, h, W_xh, W_hh, b_h = _step_case(seed, N, D, H)
        what = f"rnn_step(...) for N={N}, D={D}, H={H}"
        ref = _ref_step(x, h, W_xh, W_hh, b_h)
        out = as_answer(call(rnn_step, x, h, W_xh, W_hh, b_h), ref, what, hint=_SHAPE_HINT)
        z = x @ W_xh + h @ W_hh + b_h
        mistakes = [
            ("it equals the pre-activation z, without the tanh", z,
             "Squash the sum with np.tanh: h_t = tanh(x_t W_xh + h_prev W_hh + b_h)."),
            ("it uses W_hh transposed", np.tanh(x @ W_xh + h @ W_hh.T + b_h),
             "In the row-vector code the state comes first: h_prev @ W_hh, with "
             "W_hh[i, j] the weight from unit i of h_prev to unit j of h_t."),
            ("the bias b_h is missing", np.tanh(x @ W_xh + h @ W_hh),
             "Add b_h (shape (H,)) inside the tanh."),
            ("the previous state h_prev is ignored", np.tanh(x @ W_xh + b_h),
             "The memory enters through h_prev @ W_hh; without it this is a "
             "feed-forward layer."),
            ("the input x_t is ignored", np.tanh(h @ W_hh + b_h),
             "Add x_t @ W_xh inside the tanh."),
            ("it uses ReLU instead of tanh", np.maximum(z, 0), "Use np.tanh."),
            ("the tanh is applied to each term separately",
             np.tanh(x @ W_xh) + np.tanh(h @ W_hh) + np.tanh(b_h),
             "Add the three terms first, then take one tanh of the sum."),
        ]
        diagnose(out, ref, mistakes, what=what, terms=D + H + 1 + ROUNDINGS,
                 hint="Compare with h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h) term by term; "
                      "print the shapes of each term.")
    return "Your step matches tanh(x_t @ W_xh + h_prev @ W_hh + b_h) on 3 test cases."


def check_rnn_step(rnn_step, *, strict=False):
    """Check ``rnn_step(x_t, h_prev, W_xh, W_hh, b_h) -> h_t``.

    Shapes: x_t (N, D), h_prev (N, H), W_xh (D, H), W_hh (H, H), b_h (H,);
    returns h_t (N, H) = tanh(x_t @ W_xh + h_prev @ W_hh + b_h).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("rnn_step", _rnn_step_body, rnn_step, strict=strict)


# ------------------------------------------------------------------ exercise 2
def _rnn_forward_body(rnn_forward):
    for seed, (N, T, D, H) in enumerate([(2, 5, 3, 4), (4, 4, 3, 3), (1, 7, 2, 5)]):
        x = np.random.default_rng(100 + seed).normal(size=(N, T, D))
        _, h0, W_xh, W_hh, b_h = _step_case(200 + seed, N, D, H)
        what = f"rnn_forward(...) for N={N}, T={T}, D={D}, H={H}"
        out = call(rnn_forward, x, h0, W_xh, W_hh, b_h)
        if out is not None and np.shape(out) == (N, H):
            raise Wrong(f"{what} returned shape (N, H) = {(N, H)}; expected all the "
                        f"states, (N, T, H) = {(N, T, H)}.",
                        "Store every h_t in hs[:, t] inside the loop.")
        ref = _ref_forward(x, h0, W_xh, W_hh, b_h)
        out = as_answer(out, ref, what, hint=_SHAPE_HINT)
        mistakes = [
            ("hs[:, t] holds the state *before* step t (h0 ... h_{T-1}): an off-by-one in time",
             np.concatenate([h0[:, None], ref[:, :-1]], axis=1),
             "Compute h from x[:, t] first, then store it: hs[:, t] = new h."),
            ("every step starts again from h0, so nothing is remembered",
             np.stack([_ref_step(x[:, t], h0, W_xh, W_hh, b_h) for t in range(T)], 1),
             "Carry the state: h = rnn_step(x[:, t], h, ...) with the h of the previous step."),
            ("it uses W_hh transposed", _ref_forward(x, h0, W_xh, W_hh.T, b_h),
             "Use h @ W_hh, not h @ W_hh.T."),
            ("it reads the sequence backwards", _ref_forward(x[:, ::-1], h0, W_xh, W_hh, b_h),
             "Loop t = 0, 1, ..., T-1 over axis 1 of x."),
        ]
        diagnose(out, ref, mistakes, what=what, terms=T * (D + H + 1 + ROUNDINGS),
                 hint="Loop over t in range(T), take x[:, t] (shape (N, D)) and the previous "
                      "h, and store each new h in hs[:, t].")
    return ("All hidden states match on 3 test cases (including N = T, where a mixed-up "
            "batch and time axis would hide).")


def check_rnn_forward(rnn_forward, *, strict=False):
    """Check ``rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs``.

    Shapes: x (N, T, D), h0 (N, H), weights as :func:`check_rnn_step`; returns
    hs (N, T, H) with hs[:, t] = h_{t+1}, the state after reading x[:, t]
    (h0 itself is not included).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("rnn_forward", _rnn_forward_body, rnn_forward, strict=strict)


# ------------------------------------------------------------------ exercise 3
def _ref_count(D, H, C, T):
    return D * H + H * H + H + H * C + C


_COUNT_MISTAKES = [
    Formula("it multiplies by T", lambda D, H, C, T: T * _ref_count(D, H, C, T),
            "The same W_xh, W_hh and b_h are used at every time step (weight sharing), "
            "so the length of the sequence does not change the count."),
    Formula("the RNN weights are counted once per step",
            lambda D, H, C, T: T * (D * H + H * H + H) + H * C + C,
            "Weights are shared across time: count W_xh, W_hh, b_h once."),
    Formula("the biases are missing", lambda D, H, C, T: D * H + H * H + H * C,
            "Add b_h (H numbers) and b_y (C numbers)."),
    Formula("the output layer is missing", lambda D, H, C, T: D * H + H * H + H,
            "Add W_hy (H x C) and b_y (C)."),
    Formula("the recurrent matrix W_hh is missing", lambda D, H, C, T: D * H + H + H * C + C,
            "W_hh is H x H: every unit of h_{t-1} feeds every unit of h_t."),
]


def _param_count_body(param_count):
    note = check_counts(
        param_count, [(14, 8, 2, 5), (3, 16, 5, 20), (100, 32, 1, 500)], _ref_count,
        _COUNT_MISTAKES, show=lambda D, H, C, T: f"param_count(D={D}, H={H}, C={C}, T={T})",
        hint="Add up the sizes: W_xh is D x H, W_hh is H x H, b_h has H, W_hy is H x C, "
             "b_y has C.")
    return "For D=14, H=8, C=2: 112 + 64 + 8 + 16 + 2 = 202 numbers, whatever T is.", note


def check_param_count(param_count, *, strict=False):
    """Check ``param_count(D, H, C, T) -> int``.

    The model reads T vectors of size D with an RNN of H units and maps the last
    state to C scores with a dense layer: W_xh (D, H), W_hh (H, H), b_h (H,),
    W_hy (H, C), b_y (C,). T is there to tempt you: the weights are shared
    across time, so the count does not depend on it.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("param_count", _param_count_body, param_count, strict=strict)
