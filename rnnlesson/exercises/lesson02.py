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

Each returns True, False or None (not attempted yet), prints a verdict and a hint,
and never raises (see :mod:`rnnlesson.exercises.lesson01`).
"""

from __future__ import annotations

import numpy as np

from .lesson01 import _as_array, _call, _close, _diagnose, _run, _step_case, _Wrong

__all__ = ["check_tanh_backward", "check_bptt_step", "check_clip_global_norm"]


# ------------------------------------------------------------------ exercise 1
def check_tanh_backward(tanh_backward):
    """Check ``tanh_backward(dh, h) -> dz`` with h = tanh(z), all arrays (N, H).

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        for seed, (N, H) in enumerate([(3, 4), (2, 7), (5, 1)]):
            rng = np.random.default_rng(300 + seed)
            z = rng.normal(scale=1.5, size=(N, H))
            h = np.tanh(z)
            dh = rng.normal(size=(N, H))
            what = f"tanh_backward(dh, h) for shape {(N, H)}"
            out = _as_array(_call(tanh_backward, dh, h), (N, H), what)
            if _close(out, dh * (1 - h**2)):
                continue
            mistakes = [
                (dh, "it passes dh through unchanged: the tanh derivative is missing.",
                 "Multiply by tanh'(z) = 1 - tanh(z)**2 = 1 - h**2."),
                (dh * (1 - np.tanh(h) ** 2), "it takes tanh of h again.",
                 "h is already tanh(z), so tanh'(z) = 1 - h**2 (no second np.tanh)."),
                (dh * (1 - h), "it uses 1 - h instead of 1 - h**2.", "Square h: 1 - h**2."),
                (1 - h**2, "it forgets the upstream gradient dh.",
                 "Chain rule: dL/dz = dL/dh * dh/dz = dh * (1 - h**2)."),
                (dh * h * (1 - h), "it uses the sigmoid's derivative h (1 - h).",
                 "For tanh the derivative is 1 - h**2."),
            ]
            _diagnose(out, mistakes, "dL/dz = dh * (1 - h**2), elementwise.", what)
        return "dz = dh * (1 - h**2) on 3 test cases."

    return _run("tanh_backward", body)


# ------------------------------------------------------------------ exercise 2
def _ref_bptt_step(dh, x, h_prev, h, W_xh, W_hh):
    dz = dh * (1 - h**2)
    return dz @ W_xh.T, dz @ W_hh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


_STEP_NAMES = ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")


def check_bptt_step(bptt_step):
    """Check ``bptt_step(dh, x_t, h_prev, h_t, W_xh, W_hh) -> (dx_t, dh_prev, dW_xh, dW_hh, db_h)``.

    Shapes: dh, h_prev, h_t (N, H); x_t (N, D); W_xh (D, H); W_hh (H, H). Returns
    gradients of shapes (N, D), (N, H), (D, H), (H, H), (H,).

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 3, 3), (4, 6, 2)]):
            x, h_prev, W_xh, W_hh, b_h = _step_case(400 + seed, N, D, H)
            h = np.tanh(x @ W_xh + h_prev @ W_hh + b_h)
            dh = np.random.default_rng(500 + seed).normal(size=(N, H))
            what = f"bptt_step(...) for N={N}, D={D}, H={H}"
            out = _call(bptt_step, dh, x, h_prev, h, W_xh, W_hh)
            if out is None:
                raise _Wrong(f"{what} returned None.", "Did you forget the `return`?")
            if not isinstance(out, (tuple, list)) or len(out) != 5:
                raise _Wrong(f"{what} should return 5 arrays (dx_t, dh_prev, dW_xh, dW_hh, "
                             f"db_h); got {type(out).__name__}"
                             + (f" of length {len(out)}" if hasattr(out, "__len__") else "")
                             + ".", "End with `return dx_t, dh_prev, dW_xh, dW_hh, db_h`.")
            ref = _ref_bptt_step(dh, x, h_prev, h, W_xh, W_hh)
            dz = dh * (1 - h**2)
            for k, (name, got, want) in enumerate(zip(_STEP_NAMES, out, ref, strict=True)):
                hint_shape = {"db_h": "Sum dz over the batch axis: dz.sum(axis=0)."}
                if got is not None and np.shape(got) != want.shape and name in hint_shape:
                    raise _Wrong(f"{name} has shape {np.shape(got)}; expected {want.shape}.",
                                 hint_shape[name])
                arr = _as_array(got, want.shape, f"{name} from {what}")
                if _close(arr, want):
                    continue
                no_deriv = (dh @ W_xh.T, dh @ W_hh.T, x.T @ dh, h_prev.T @ dh, dh.sum(0))[k]
                transposed = {1: dz @ W_hh, 3: dz.T @ h_prev}.get(k)
                off_by_one = h.T @ dz if k == 3 else None
                mistakes = [
                    (no_deriv, "the tanh derivative is missing.",
                     "First go back through the tanh: dz = dh * (1 - h_t**2); every other "
                     "gradient is built from dz, not from dh."),
                    (transposed, "a weight is used transposed.",
                     "Shapes tell you the order: dh_prev (N, H) = dz (N, H) @ W_hh.T, and "
                     "dW_hh (H, H) = h_prev.T (H, N) @ dz (N, H)."),
                    (off_by_one,
                     "dW_hh uses h_t where it needs h_prev: an off-by-one in time.",
                     "W_hh multiplies the state *entering* the step, so dW_hh = h_prev.T @ dz."),
                ]
                _diagnose(arr, mistakes, f"Write {name} from dz = dh * (1 - h_t**2) and "
                          "check its shape against the shape of what it differentiates.",
                          f"{name} from {what}")
        return "All five gradients match on 3 test cases."

    return _run("bptt_step", body)


# ------------------------------------------------------------------ exercise 3
def _ref_clip(grads, max_norm):
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm


def check_clip_global_norm(clip_global_norm):
    """Check ``clip_global_norm(grads, max_norm) -> list`` of new, clipped arrays.

    ``grads`` is a list of arrays of any shapes (e.g. dW_xh (D, H), dW_hh (H, H),
    db_h (H,)). If their global norm sqrt(sum of all squared entries) exceeds
    ``max_norm``, every array is multiplied by max_norm / norm (one scale for all,
    so the direction is kept); otherwise they come back unchanged. The input
    arrays must not be modified.

    Returns True, False or None (not attempted yet); prints a verdict and a hint.
    """

    def body():
        rng = np.random.default_rng(600)
        shapes = [(4, 3), (3, 3), (3,)]
        cases = [([rng.normal(scale=3.0, size=s) for s in shapes], 1.0),   # clipped
                 ([rng.normal(scale=0.1, size=s) for s in shapes], 5.0),   # left alone
                 ([rng.normal(scale=2.0, size=s) for s in shapes], 2.5)]   # clipped
        for grads, max_norm in cases:
            want, norm = _ref_clip(grads, max_norm)
            what = f"clip_global_norm(grads, max_norm={max_norm}) (global norm {norm:.3g})"
            out = _call(clip_global_norm, grads, max_norm)
            if out is None:
                raise _Wrong(f"{what} returned None.",
                             "Return the list of clipped arrays (new arrays, not the inputs "
                             "modified).")
            if not isinstance(out, (list, tuple)) or len(out) != len(grads):
                raise _Wrong(f"{what} should return a list of {len(grads)} arrays; got "
                             f"{type(out).__name__}.", "Return one array per gradient.")
            got = [_as_array(o, w.shape, f"array {i} of {what}")
                   for i, (o, w) in enumerate(zip(out, want, strict=True))]
            if all(_close(a, b) for a, b in zip(got, want, strict=True)):
                continue
            flat = np.concatenate([g.ravel() for g in got])
            elementwise = np.concatenate([np.clip(g, -max_norm, max_norm).ravel() for g in grads])
            per_array = np.concatenate([
                (g * min(1.0, max_norm / np.linalg.norm(g))).ravel() for g in grads])
            always = np.concatenate([(g * max_norm / norm).ravel() for g in grads])
            mistakes = [
                (elementwise, "it clips each entry to [-max_norm, max_norm] (elementwise "
                 "clipping), which changes the gradient's direction.",
                 "Compute one number, norm = sqrt(sum of g**2 over all arrays), and scale "
                 "every array by the same max_norm / norm."),
                (per_array, "it clips each array by its own norm, so the arrays are scaled "
                 "differently and the overall direction changes.",
                 "Use one global norm over all the arrays together."),
                (always, "it rescales even when the norm is already below max_norm.",
                 "Only scale when norm > max_norm; otherwise return the arrays unchanged."),
            ]
            _diagnose(flat, mistakes, "scale = max_norm / norm if norm > max_norm else 1, "
                      "with norm = sqrt(sum(np.sum(g**2) for g in grads)).", what)
        return "One global scale, applied only when needed, inputs untouched (3 test cases)."

    return _run("clip_global_norm", body)
