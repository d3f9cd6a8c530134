"""Checkers for lesson 02, backpropagation through time.

Three exercises, one checker each:

* :func:`check_tanh_backward` for ``tanh_backward(dh, h) -> dz``: the gradient
  through ``h = tanh(z)``, from the upstream ``dh`` and the *output* ``h``
  (both (N, H)): ``dz = dh * (1 - h**2)``.
* :func:`check_bptt_step` for
  ``bptt_step(dh, x_t, h_prev, h_t, W_xh, W_hh) -> (dx_t, dh_prev, dW_xh, dW_hh, db_h)``:
  one step back through ``h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)``, where
  ``dh (N, H)`` is the whole gradient reaching ``h_t``; shapes x_t (N, D),
  h_prev and h_t (N, H), W_xh (D, H), W_hh (H, H); the gradients have the shapes
  of what they differentiate (db_h is (H,)).
* :func:`check_clip_global_norm` for ``clip_global_norm(grads, max_norm) -> list``:
  new arrays, all scaled by ``max_norm / norm`` when the global norm
  ``sqrt(sum of all squares)`` exceeds ``max_norm``, returned unchanged otherwise;
  the input arrays are left alone.

Each prints a verdict with a hint and returns a
:class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises ``AssertionError``
instead when the answer is not right (see :mod:`rnnlesson.exercises.harness`). The
reference gradients come from :func:`rnnlesson.kernels.rnn_step_backward`.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Wrong, as_answer, call, diagnose, run_check
from .lesson01 import _SHAPE_HINT, _ref_step, _step_case

__all__ = ["check_tanh_backward", "check_bptt_step", "check_clip_global_norm"]


# ------------------------------------------------------------------ exercise 1
def _tanh_backward_body(tanh_backward):
    for seed, (N, H) in enumerate([(3, 4), (2, 7), (5, 1)]):
        rng = np.random.default_rng(300 + seed)
        h = np.tanh(rng.normal(scale=1.5, size=(N, H)))
        dh = rng.normal(size=(N, H))
        what = f"tanh_backward(dh, h) for shape {(N, H)}"
        want = dh * kernels.ACTIVATIONS["tanh"][1](h)
        out = as_answer(call(tanh_backward, dh, h), want, what, hint=_SHAPE_HINT)
        mistakes = [
            ("it passes dh through unchanged: the tanh derivative is missing", dh,
             "Multiply by tanh'(z) = 1 - tanh(z)**2 = 1 - h**2."),
            ("it takes tanh of h again", dh * (1 - np.tanh(h) ** 2),
             "h is already tanh(z), so tanh'(z) = 1 - h**2 (no second np.tanh)."),
            ("it uses 1 - h instead of 1 - h**2", dh * (1 - h), "Square h: 1 - h**2."),
            ("it forgets the upstream gradient dh", 1 - h**2,
             "Chain rule: dL/dz = dL/dh * dh/dz = dh * (1 - h**2)."),
            ("it uses the sigmoid's derivative h (1 - h)", dh * h * (1 - h),
             "For tanh the derivative is 1 - h**2."),
        ]
        # the rounding error of 1 - h**2 scales with dh, not with the (possibly small) product
        diagnose(out, want, mistakes, what=what, terms=ROUNDINGS,
                 scale=float(np.max(np.abs(dh))), hint="dL/dz = dh * (1 - h**2), elementwise.")
    return "dz = dh * (1 - h**2) on 3 test cases."


def check_tanh_backward(tanh_backward, *, strict=False):
    """Check ``tanh_backward(dh, h) -> dz`` with h = tanh(z), all arrays (N, H).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("tanh_backward", _tanh_backward_body, tanh_backward, strict=strict)


# ------------------------------------------------------------------ exercise 2
_STEP_NAMES = ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")


def _ref_bptt_step(dh, x, h_prev, h, W_xh, W_hh):
    """The five gradients of one tanh step, from the kernel (shapes as check_bptt_step)."""
    return kernels.rnn_step_backward(dh, kernels.RNNStepCache(x, h_prev, h, W_xh, W_hh, "tanh"))


def _bptt_step_body(bptt_step):
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 3, 3), (4, 6, 2)]):
        x, h_prev, W_xh, W_hh, b_h = _step_case(400 + seed, N, D, H)
        h = _ref_step(x, h_prev, W_xh, W_hh, b_h)
        dh = np.random.default_rng(500 + seed).normal(size=(N, H))
        what = f"bptt_step(...) for N={N}, D={D}, H={H}"
        out = call(bptt_step, dh, x, h_prev, h, W_xh, W_hh)
        ref = _ref_bptt_step(dh, x, h_prev, h, W_xh, W_hh)
        if isinstance(out, (tuple, list)) and len(out) == 5 and out[4] is not None \
                and np.shape(out[4]) != (H,):
            raise Wrong(f"db_h from {what} has shape {np.shape(out[4])}; expected {(H,)}.",
                        "Sum dz over the batch axis: dz.sum(axis=0).")
        got = as_answer(out, tuple(ref), what, _STEP_NAMES, hint=_SHAPE_HINT)
        dz = dh * (1 - h**2)
        no_deriv = (dh @ W_xh.T, dh @ W_hh.T, x.T @ dh, h_prev.T @ dh, dh.sum(0))
        transposed = {1: dz @ W_hh, 3: dz.T @ h_prev}
        for k, name in enumerate(_STEP_NAMES):
            mistakes = [
                ("the tanh derivative is missing", no_deriv[k],
                 "First go back through the tanh: dz = dh * (1 - h_t**2); every other "
                 "gradient is built from dz, not from dh."),
                ("a weight is used transposed", transposed.get(k),
                 "Shapes tell you the order: dh_prev (N, H) = dz (N, H) @ W_hh.T, and "
                 "dW_hh (H, H) = h_prev.T (H, N) @ dz (N, H)."),
                ("dW_hh uses h_t where it needs h_prev: an off-by-one in time",
                 h.T @ dz if k == 3 else None,
                 "W_hh multiplies the state *entering* the step, so dW_hh = h_prev.T @ dz."),
            ]
            diagnose(got[k], ref[k], mistakes, what=f"{name} from {what}",
                     # inputs and weights are of order 1: so are the terms of every sum
                     terms=N + D + H + ROUNDINGS, scale=1.0,
                     hint=f"Write {name} from dz = dh * (1 - h_t**2) and check its shape "
                          "against the shape of what it differentiates.")
    return "All five gradients match on 3 test cases."


def check_bptt_step(bptt_step, *, strict=False):
    """Check ``bptt_step(dh, x_t, h_prev, h_t, W_xh, W_hh) -> (dx_t, dh_prev, dW_xh, dW_hh, db_h)``.

    Shapes: dh, h_prev, h_t (N, H); x_t (N, D); W_xh (D, H); W_hh (H, H). Returns
    gradients of shapes (N, D), (N, H), (D, H), (H, H), (H,).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("bptt_step", _bptt_step_body, bptt_step, strict=strict)


# ------------------------------------------------------------------ exercise 3
def _ref_clip(grads, max_norm):
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


def _joined(arrays):
    """All the arrays' entries in one flat array, to compare a list of gradients at once."""
    return np.concatenate([np.ravel(a) for a in arrays])


def _clip_body(clip_global_norm):
    rng = np.random.default_rng(600)
    shapes = [(4, 3), (3, 3), (3,)]
    cases = [([rng.normal(scale=3.0, size=s) for s in shapes], 1.0),   # clipped
             ([rng.normal(scale=0.1, size=s) for s in shapes], 5.0),   # left alone
             ([rng.normal(scale=2.0, size=s) for s in shapes], 2.5)]   # clipped
    for grads, max_norm in cases:
        want, norm = _ref_clip(grads, max_norm)
        what = f"clip_global_norm(grads, max_norm={max_norm}) (global norm {norm:.3g})"
        out = call(clip_global_norm, grads, max_norm)
        if out is None:
            raise Wrong(f"{what} returned None.",
                        "Return the list of clipped arrays (new arrays, not the inputs modified).")
        if not isinstance(out, (list, tuple)) or len(out) != len(grads):
            raise Wrong(f"{what} should return a list of {len(grads)} arrays; got "
                        f"{type(out).__name__}.", "Return one array per gradient.")
        got = as_answer(tuple(out), tuple(want), what)
        flat = _joined(got)
        mistakes = [
            ("it clips each entry to [-max_norm, max_norm] (elementwise clipping), which "
             "changes the gradient's direction",
             _joined(np.clip(g, -max_norm, max_norm) for g in grads),
             "Compute one number, norm = sqrt(sum of g**2 over all arrays), and scale "
             "every array by the same max_norm / norm."),
            ("it clips each array by its own norm, so the arrays are scaled differently and "
             "the overall direction changes",
             _joined(g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads),
             "Use one global norm over all the arrays together."),
            ("it rescales even when the norm is already below max_norm",
             _joined(g * max_norm / norm for g in grads),
             "Only scale when norm > max_norm; otherwise return the arrays unchanged."),
        ]
        diagnose(flat, _joined(want), mistakes, what=what,
                 terms=sum(g.size for g in grads) + ROUNDINGS,
                 hint="scale = max_norm / norm if norm > max_norm else 1, "
                      "with norm = sqrt(sum(np.sum(g**2) for g in grads)).")
    return "One global scale, applied only when needed, inputs untouched (3 test cases)."


def check_clip_global_norm(clip_global_norm, *, strict=False):
    """Check ``clip_global_norm(grads, max_norm) -> list`` of new, clipped arrays.

    ``grads`` is a list of arrays of any shapes (e.g. dW_xh (D, H), dW_hh (H, H),
    db_h (H,)). If their global norm sqrt(sum of all squared entries) exceeds
    ``max_norm``, every array is multiplied by max_norm / norm (one scale for all,
    so the direction is kept); otherwise they come back unchanged. The input
    arrays must not be modified.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("clip_global_norm", _clip_body, clip_global_norm, strict=strict)

