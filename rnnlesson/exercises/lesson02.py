"""Checkers for lesson 02, backpropagation through time.

Three exercises, each a derivation the lesson does not print, one checker each:

* :func:`check_initial_state_grad` for ``initial_state_grad(dlogits, x, hs, params) -> dh0``:
  the gradient of the loss with respect to a *learned* initial state h0 of shape (H,),
  shared by every sequence of the batch. Inputs as the lesson's ``backward``:
  ``dlogits (N, C)``, ``x (N, T, D)``, ``hs (N, T + 1, H)`` with ``hs[:, 0] = h0``, and
  ``params = [W_xh (D, H), W_hh (H, H), b_h (H,), W_hy (H, C), b_y (C,)]``.
* :func:`check_masked_cross_entropy` for ``masked_cross_entropy(logits, labels, mask) ->
  (loss, dlogits)``: softmax cross-entropy at every step of a many-to-many model, with
  padded steps left out: ``logits (N, T, C)``, integer ``labels (N, T)``, ``mask (N, T)``
  of 1 (a real step) and 0 (padding); the loss is the mean over the real steps only,
  ``sum(mask * loss_nt) / sum(mask)``, and ``dlogits (N, T, C)`` its gradient.
* :func:`check_rms_growth` for ``rms_growth(s, H) -> float``: why an initialisation
  explodes, answered with a number. With W_hh of shape (H, H) drawn with independent
  N(0, s^2) entries, one step back through a linear RNN, ``delta @ W_hh.T``, multiplies
  the expected squared norm of ``delta`` by g^2; the answer is g.

The references come from :func:`rnnlesson.kernels.rnn_step_backward` (the gradient) and
the definitions (the loss, the growth); tests/test_exercises_01_02.py checks them against
numerical gradients and a Monte Carlo measurement. Each checker prints a verdict with a
hint and returns a :class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True``
raises ``AssertionError`` instead when the answer is not right.
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Wrong, as_answer, call, close, diagnose, run_check

__all__ = ["check_initial_state_grad", "check_masked_cross_entropy", "check_rms_growth"]


# ------------------------------------------------------------------ exercise 1: dL/dh0
def _h0_case(seed, N, T, D, H, C):
    """A batch run forward from a shared h0: (dlogits, x, hs, params, h0)."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, 0.6, (D, H)), rng.normal(0, 0.6, (H, H)), rng.normal(0, 0.2, H),
              rng.normal(0, 0.6, (H, C)), rng.normal(0, 0.2, C)]
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.8, 0.8, size=H)
    hs = np.empty((N, T + 1, H))
    hs[:, 0] = h0
    for t in range(1, T + 1):
        hs[:, t] = kernels.rnn_step_forward(x[:, t - 1], hs[:, t - 1], *params[:3])[0]
    dlogits = rng.normal(size=(N, C)) / N
    return dlogits, x, hs, params, h0


def _deltas(dlogits, x, hs, params, slope_at=0):
    """dL/dh_t for t = T, ..., 0, each (N, H), walking back with the kernel.

    ``slope_at=-1`` puts in a typical mistake: the tanh slope taken at h_{t-1}, not h_t.
    """
    W_xh, W_hh, _, W_hy, _ = params
    T = x.shape[1]
    dh, out = dlogits @ W_hy.T, []
    for t in range(T, 0, -1):
        out.append(dh)
        h_used = hs[:, t + slope_at]
        cache = kernels.RNNStepCache(x[:, t - 1], hs[:, t - 1], h_used, W_xh, W_hh, "tanh")
        dh = kernels.rnn_step_backward(dh, cache)[1]
    out.append(dh)
    return out            # out[k] = dL/dh_{T-k}; out[-1] = dL/dh_0


def _ref_h0_grad(dlogits, x, hs, params):
    """dL/dh0 (H,) for an h0 shared by the batch: the sum over the batch of dL/dh_0."""
    return _deltas(dlogits, x, hs, params)[-1].sum(axis=0)


def _h0_body(initial_state_grad):
    for seed, (N, T, D, H, C) in enumerate([(3, 4, 5, 6, 2), (2, 6, 3, 4, 3), (4, 1, 2, 3, 2)]):
        dlogits, x, hs, params, _ = _h0_case(800 + seed, N, T, D, H, C)
        what = f"initial_state_grad(...) for N={N}, T={T}, D={D}, H={H}"
        out = call(initial_state_grad, dlogits, x, hs, params)
        if out is not None and np.shape(out) == (N, H) and N != H:
            raise Wrong(f"{what} has shape (N, H) = {(N, H)}: one gradient per sequence.",
                        "h0 is one vector shared by all N sequences, like a weight: each "
                        "sequence's gradient adds to it, so sum dL/dh_0 over the batch.")
        want = _ref_h0_grad(dlogits, x, hs, params)
        got = as_answer(out, want, what, hint="dL/dh0 has the shape of h0: (H,).")
        deltas = _deltas(dlogits, x, hs, params)
        W_xh, W_hh, _, W_hy, _ = params
        no_slope = dlogits @ W_hy.T @ np.linalg.matrix_power(W_hh.T, T)
        mistakes = [
            ("it stops one step early: it returns dL/dh_1, not dL/dh_0",
             deltas[-2].sum(axis=0) if T > 0 else None,
             "h0 enters the first step: go back through step 1 as well, "
             "dL/dh_0 = (dL/dh_1 * (1 - h_1**2)) @ W_hh.T."),
            ("the tanh derivative is missing", no_slope.sum(axis=0),
             "Every step back goes through the tanh first: dz_t = delta_t * (1 - h_t**2), "
             "then delta_{t-1} = dz_t @ W_hh.T."),
            ("the tanh slope is taken at h_{t-1} instead of h_t",
             _deltas(dlogits, x, hs, params, slope_at=-1)[-1].sum(axis=0),
             "Step t computed h_t = tanh(z_t), so its slope is 1 - h_t**2 = 1 - hs[:, t]**2."),
            ("it averages over the batch instead of summing", deltas[-1].mean(axis=0),
             "dlogits already holds the 1/N of the mean loss: add the N sequences' gradients, "
             "do not divide again."),
        ]
        diagnose(got, want, mistakes, what=what, terms=N * T * (H + ROUNDINGS), scale=1.0,
                 hint="Walk back exactly as backward() does, and keep the last dh: that is "
                      "dL/dh_0 for every sequence; h0 is shared, so add them up.")
    return "dL/dh0 matches BPTT on 3 test cases (and T = 1)."


def check_initial_state_grad(initial_state_grad, *, strict=False):
    """Check ``initial_state_grad(dlogits, x, hs, params) -> dh0`` of shape (H,).

    dlogits (N, C) is dL/dlogits, x (N, T, D) the inputs, hs (N, T + 1, H) the states of
    the forward pass with hs[:, 0] = h0 (one vector of shape (H,) shared by the batch),
    params = [W_xh, W_hh, b_h, W_hy, b_y] as in lesson 02.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("initial_state_grad", _h0_body, initial_state_grad, strict=strict)


# ------------------------------------------------------------------ exercise 2: masked loss
def _log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _onehot(labels, C):
    return np.eye(C)[labels]


def _ref_masked(logits, labels, mask):
    """(loss (), dlogits (N, T, C)): the mean cross-entropy over the steps where mask = 1."""
    log_p = _log_softmax(logits)
    losses = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]   # (N, T)
    count = mask.sum()
    dlogits = mask[..., None] * (np.exp(log_p) - _onehot(labels, logits.shape[-1])) / count
    return np.array((mask * losses).sum() / count), dlogits


def _masked_case(seed, N, T, C):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(N, T, C))
    labels = rng.integers(0, C, size=(N, T))
    lengths = rng.integers(1, T + 1, size=N)
    lengths[0] = T                                  # one full row, one of length 1
    lengths[-1] = 1
    mask = (np.arange(T) < lengths[:, None]).astype(np.float64)   # real steps first
    return logits, labels, mask


def _masked_body(masked_cross_entropy):
    for seed, (N, T, C) in enumerate([(4, 6, 3), (3, 5, 5), (5, 3, 2)]):
        logits, labels, mask = _masked_case(900 + seed, N, T, C)
        what = f"masked_cross_entropy(...) for N={N}, T={T}, C={C}"
        want = _ref_masked(logits, labels, mask)
        out = call(masked_cross_entropy, logits, labels, mask)
        got = as_answer(tuple(out) if isinstance(out, list) else out, want, what,
                        ("loss", "dlogits"),
                        hint="loss is one number; dlogits has the shape of logits, (N, T, C).")
        log_p = _log_softmax(logits)
        losses = -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
        diff = np.exp(log_p) - _onehot(labels, C)
        m, count = mask[..., None], mask.sum()
        per_row = mask.sum(axis=1)
        mistakes = [
            ("it divides by N * T, counting the padded steps",
             ((mask * losses).sum() / (N * T), m * diff / (N * T)),
             "The mean is over the real steps only: divide by mask.sum(), the number of them."),
            ("the padded steps still get a gradient", (want[0], diff / count),
             "A step the loss leaves out has no effect on it: multiply the gradient by the "
             "mask too (mask[..., None])."),
            ("it averages each sequence over its own steps, then over the batch",
             (np.mean((mask * losses).sum(axis=1) / per_row),
              m * diff / (N * per_row[:, None, None])),
             "That weights a step of a short sequence more than a step of a long one. Here "
             "every real step counts the same: sum(mask * loss) / sum(mask)."),
            ("the gradient lacks the 1/sum(mask) of the mean", (want[0], m * diff),
             "The loss is divided by mask.sum(), so each entry of its gradient is too."),
        ]
        diagnose(got, want, mistakes, what=what, terms=N * T * C + ROUNDINGS, scale=1.0,
                 names=("loss", "dlogits"),
                 hint="At a real step the gradient is (p - onehot(label)) divided by the "
                      "number of real steps; at a padded step it is 0.")
    return "The masked mean and its gradient are right on 3 test cases, with rows of length 1 to T."


def check_masked_cross_entropy(masked_cross_entropy, *, strict=False):
    """Check ``masked_cross_entropy(logits, labels, mask) -> (loss, dlogits)``.

    logits (N, T, C), labels (N, T) integers in 0..C-1, mask (N, T) of 0.0 and 1.0.
    loss = sum over n, t of mask[n, t] * (-log softmax(logits[n, t])[labels[n, t]]),
    divided by mask.sum(); dlogits (N, T, C) = dloss/dlogits.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("masked_cross_entropy", _masked_body, masked_cross_entropy, strict=strict)


# ------------------------------------------------------------------ exercise 3: a number
def _ref_growth(s, H):
    """The RMS growth of ||v W^T|| / ||v|| for W with iid N(0, s^2) entries: s sqrt(H)."""
    return s * math.sqrt(H)


def measured_growth(s, H, n=2000, seed=0):
    """The same growth measured: sqrt(mean ||v W^T||^2 / ||v||^2) over n random W."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=H)
    W = rng.normal(0.0, s, size=(n, H, H))
    return float(np.sqrt(np.mean(np.sum((W @ v) ** 2, axis=1)) / (v @ v)))


def _growth_body(rms_growth):
    cases = [(0.1, 16), (1.5, 16), (0.5, 32), (1.0, 1), (0.02, 400)]
    for s, H in cases:
        what = f"rms_growth(s={s}, H={H})"
        out = call(rms_growth, s, H)
        try:
            got = float(out)
        except (TypeError, ValueError):
            raise Wrong(f"{what} returned {out!r}, not a number.",
                        "Return one float: the growth factor per step.") from None
        want = _ref_growth(s, H)
        if close(got, want, terms=ROUNDINGS):
            continue
        for label, value, hint in [
            ("s * H: the standard deviations were added", s * H,
             "Independent terms add their *variances*, not their standard deviations: "
             "a sum of H terms of variance s^2 v_i^2 has variance s^2 ||v||^2."),
            ("s: the number of units H is missing", s,
             "Each of the H entries of v W^T is a sum over H terms: the squared norm adds "
             "up H such entries."),
            ("s**2 * H: that is the growth of the squared norm", s**2 * H,
             "The question asks for the factor on the norm itself: the square root."),
            ("s / sqrt(H)", s / math.sqrt(H),
             "More units make the product larger, not smaller: count the terms again."),
        ]:
            if close(got, value, terms=ROUNDINGS) and not close(value, want, terms=ROUNDINGS):
                raise Wrong(f"{what} = {got:.4g}, expected {want:.4g}: it equals {label}.", hint)
        raise Wrong(f"{what} = {got:.4g}, expected {want:.4g}.",
                    "Write one entry of v W^T as a sum over i of v_i W_ji; its variance is the "
                    "sum of the terms' variances; then add up the H entries.")
    return (f"g = s * sqrt(H). Measured over 2000 random 16 x 16 matrices with s = 1.5: "
            f"{measured_growth(1.5, 16):.2f} (predicted 6.00): section 6's big initialisation "
            "multiplies the gradient by about 6 at every step.")


def check_rms_growth(rms_growth, *, strict=False):
    """Check ``rms_growth(s, H) -> float``: the root-mean-square factor g by which one
    step back through a linear RNN, ``delta @ W_hh.T``, multiplies the norm of delta
    (1, H), for W_hh (H, H) with independent N(0, s^2) entries:
    E ||delta W_hh^T||^2 = g^2 ||delta||^2.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("rms_growth", _growth_body, rms_growth, strict=strict)
