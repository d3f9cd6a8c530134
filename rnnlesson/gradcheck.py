"""Numerical gradient checks: is a backward pass right?

A backward pass is checked against central differences,

    dL/dw  ~  (L(w + eps) - L(w - eps)) / (2 eps)      for every entry w,

with the scalar loss ``L = sum(out * dout)`` for a fixed random upstream gradient
``dout``. A random ``dout`` (rather than all ones) makes every output entry count with
a different weight, so a transposed or mis-summed gradient cannot hide.

* :func:`numerical_gradient` ``(f, x)``: the finite-difference gradient of a
  function ``f() -> float`` with respect to the array ``x`` (perturbed in place and
  restored).
* :func:`rel_error` ``(a, b)``: the largest relative difference between two arrays.
* :func:`check_layer_gradients` ``(layer, x)``: checks ``dL/dx`` and every parameter
  of a layer (and the initial states of a recurrent layer) and prints a table.
* :func:`check_function_gradient` ``(f_forward, f_backward, *inputs)``: the same for
  your own functions, e.g. a hand-written ``tanh`` step and its backward.

The two ``check_*`` functions use a sharper estimate by default: central
differences at steps 1e-3 and 2e-3 combined by Richardson extrapolation (error
O(eps**4)), checked against a plain eps=1e-6 difference so a ReLU kink nearby
cannot fool it; pass ``eps=1e-6`` to get plain central differences instead. The
sharper estimate matters for gated layers (LSTM, GRU), whose gradients always have
a few tiny entries that plain differences measure only to ~1e-6 relative.

Reading the numbers (float64): a correct backward gives relative errors around
1e-10 to 1e-8; anything above 1e-3 is a bug. In between, look closer: a kink (ReLU
exactly at 0) or a float32 computation somewhere can cause it. Checks need
float64: float32 rounding (about 1e-7 relative) swamps the differences, so build
layers with ``dtype='float64'`` for a check.

Example::

    >>> from rnnlesson.layers import Dense
    >>> layer = Dense(3, activation="tanh", dtype="float64", seed=0)
    >>> x = np.random.default_rng(0).normal(size=(4, 5))
    >>> errors = check_layer_gradients(layer, x, verbose=False)
    >>> sorted(errors)
    ['bias', 'input', 'kernel']
    >>> max(errors.values()) < 1e-7
    True
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from . import _checks

__all__ = ["numerical_gradient", "rel_error", "check_layer_gradients", "check_function_gradient",
           "OK_BELOW", "BUG_ABOVE"]

#: Relative errors below this are what correct float64 code gives.
OK_BELOW = 1e-7
#: Relative errors above this mean the backward pass is wrong.
BUG_ABOVE = 1e-3

READING_GUIDE = ("Reading guide: < 1e-7 is what correct float64 code gives; "
                 "> 1e-3 means a bug; in between, look closer (a ReLU kink at 0? float32?).")


# ---------------------------------------------------------------------- primitives
def numerical_gradient(f, x, eps=1e-6, indices=None):
    """Central-difference gradient of the scalar function ``f()`` with respect to ``x``.

    Args:
        f: a function of no arguments returning a float; it must read ``x`` (the
            same array object) when it computes the loss.
        x: a float array of any shape; each entry is perturbed in place by +eps and
            -eps and put back exactly (also if ``f`` raises).
        eps: the step size. 1e-6 suits float64.
        indices: optional list of index tuples to check; the other entries of the
            result stay 0. None checks every entry (2 calls of ``f`` per entry).

    Returns:
        An array of x's shape (float64) with dL/dx[i] ~ (f(x+eps e_i) - f(x-eps e_i)) / (2 eps).
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        got = type(x).__name__ if not isinstance(x, np.ndarray) else f"an array of dtype {x.dtype}"
        raise TypeError(
            "numerical_gradient expects x to be a float numpy array (it is perturbed in "
            f"place); got {got}."
        )
    if not callable(f):
        raise TypeError(f"numerical_gradient expects f to be a function f() -> float; got {f!r}.")
    eps = _checks.real_number(eps, "eps", "numerical_gradient", low=0, low_inclusive=False)
    grad = np.zeros(x.shape, dtype=np.float64)
    if indices is None:
        indices = np.ndindex(*x.shape)
    for idx in indices:
        f_plus, f_minus = _plus_minus(x, idx, eps, lambda: float(f()))
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def _plus_minus(x, idx, eps, run):
    """``run()`` with ``x[idx]`` raised by eps, then lowered by eps; ``x[idx]`` is put back
    exactly afterwards, also when ``run`` raises. Returns both results."""
    old = x[idx].copy()
    try:
        x[idx] = old + eps
        plus = run()
        x[idx] = old - eps
        minus = run()
    finally:
        x[idx] = old
    return plus, minus


def _richardson_outputs(run, x, douts, eps, indices=None, small_eps=1e-6):
    """Richardson extrapolation (4 g(eps) - g(2 eps)) / 3 of two output-differenced central
    differences: the eps**2 error terms cancel, leaving O(eps**4).

    A plain central difference with the small step ``small_eps`` is computed too. The
    two agree to its rounding noise (~1e-10) wherever the function is smooth within
    2 eps of the entry; where they disagree by more than 1e-8 (and 1e-7 relative), a
    kink such as ReLU at 0 lies within reach of the large steps, and the small-step
    estimate is used for that entry.
    """
    g1 = _numerical_gradient_outputs(run, x, douts, eps, indices)
    g2 = _numerical_gradient_outputs(run, x, douts, 2 * eps, indices)
    g0 = _numerical_gradient_outputs(run, x, douts, small_eps, indices)
    out = (4 * g1 - g2) / 3
    gap = np.abs(out - g0)
    kinked = (gap > 1e-8) & (gap > 1e-7 * (np.abs(out) + np.abs(g0)))
    out[kinked] = g0[kinked]
    return out


def _numerical_gradient_outputs(run, x, douts, eps, indices=None):
    """Like :func:`numerical_gradient` for ``L = sum(out * dout)``, but differencing the outputs.

    ``run()`` returns the list of outputs. Computing ``sum((out+ - out-) * dout)``
    instead of ``L(x+) - L(x-)`` avoids the rounding error of two big sums that
    nearly cancel: outputs that do not depend on ``x[i]`` cancel exactly.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    if indices is None:
        indices = np.ndindex(*x.shape)
    for idx in indices:
        # copies: run() may hand back arrays that its next call overwrites
        plus, minus = _plus_minus(x, idx, eps,
                                  lambda: [np.array(o, dtype=np.float64) for o in run()])
        diff = sum(float(np.sum((p - m) * d)) for p, m, d in zip(plus, minus, douts, strict=True))
        grad[idx] = diff / (2.0 * eps)
    return grad


def rel_error(a, b) -> float:
    """Largest relative difference ``max |a - b| / max(1e-8, |a| + |b|)`` over the entries.

    Both arguments must have the same shape. Two all-zero arrays give 0.0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error expects two arrays of the same shape; got {_checks.shape_str(a.shape)} "
            f"and {_checks.shape_str(b.shape)}."
        )
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


#: The step of the default (Richardson-extrapolated) numerical gradient.
RICHARDSON_EPS = 1e-3


def _method(eps, owner):
    """(numeric function, step, description) for ``eps`` (None: the default method)."""
    if eps is None:
        return _richardson_outputs, RICHARDSON_EPS, (
            f"numerical gradient: central differences at eps={RICHARDSON_EPS:g} and "
            f"{2 * RICHARDSON_EPS:g}, Richardson-extrapolated")
    eps = _checks.real_number(eps, "eps", owner, low=0, low_inclusive=False)
    return _numerical_gradient_outputs, eps, f"numerical gradient: central differences, eps={eps:g}"


def _verdict(err: float) -> str:
    if not np.isfinite(err):
        return "BUG (not finite)"
    if err < OK_BELOW:
        return "ok"
    if err <= BUG_ABOVE:
        return "look closer"
    return "BUG"


def _print_table(title: str, rows) -> None:
    """rows: (name, shape, error). Prints ``parameter | shape | relative error | verdict``."""
    header = ("parameter", "shape", "relative error", "verdict")
    body = [(name, _checks.shape_str(shape), f"{err:.2e}", _verdict(err))
            for name, shape, err in rows]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(4)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    print(title)
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in body:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print(READING_GUIDE)


def _sample_indices(shape, max_entries, rng):
    """All indices, or ``max_entries`` distinct random ones."""
    size = int(np.prod(shape))
    if max_entries is None or size <= max_entries:
        return None
    flat = rng.choice(size, size=max_entries, replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def _subset_error(analytic, numeric, indices) -> float:
    if indices is None:
        return rel_error(analytic, numeric)
    a = np.array([analytic[i] for i in indices])
    b = np.array([numeric[i] for i in indices])
    return rel_error(a, b)


# ---------------------------------------------------------------------- layers
def check_layer_gradients(layer, x, *, forward_kwargs=None, seed=0, eps=None, verbose=True,
                          max_entries=None) -> dict:
    """Compare a layer's backward pass with numerical gradients.

    The loss is ``L = sum(out * dout)`` for a random upstream gradient ``dout`` drawn
    with ``seed`` (one per output when the layer returns a list, as with
    ``return_state=True``), so ``backward(dout)`` must give dL/dx and dL/dparams.

    Args:
        layer: a layer built with ``dtype='float64'`` (raises TypeError otherwise:
            float32 rounding makes the check meaningless). It is built on ``x`` if
            it is not built yet. Its weights are perturbed and restored exactly.
            A ``Sequential`` model of float64 layers works too: its weights are
            reported as ``'<layer name>/<weight name>'``.
        x: the input: a float array such as (N, T, D) or (N, D), or integer ids
            (N, T) for ``Embedding``. A float64 copy is used; your array is not touched.
        forward_kwargs: extra arguments for ``layer.forward``, e.g.
            ``{'training': True}`` or ``{'initial_state': [h0]}``. Each initial state
            is checked too, under the name ``'initial_state[i]'``, against
            ``layer.initial_state_grads[i]``.
        seed: seed of the random upstream gradient (and of the sampled entries).
        eps: None (default) for the accurate estimate described below; a number
            for plain central differences with that step (e.g. 1e-6, as CS231n).
        verbose: print a table ``parameter | shape | relative error | verdict``.
        max_entries: check at most this many random entries of each array (None:
            all). Useful for bigger layers: each entry costs two forward passes.

    Returns:
        dict: ``'input'`` (absent when the input is integer ids or ``backward``
        returns None), every parameter name, and ``'initial_state[i]'`` -> the
        relative error (a float).

    The numerical gradient: the default combines central differences with steps
    1e-3 and 2e-3 by Richardson extrapolation, ``(4 g(eps) - g(2 eps)) / 3``, whose
    error is O(eps**4) (~1e-12) while the rounding noise stays near 1e-13. Plain
    central differences at eps=1e-6 have a noise floor near 1e-10 absolute, which
    is a relative 1e-6 on the small gradient entries that gated layers (LSTM, GRU)
    always have, so correct code would read "look closer". A plain eps=1e-6
    estimate is made as well and replaces the extrapolated one for any entry where
    the two disagree beyond its noise, which happens only when a kink (ReLU at 0)
    lies within 2e-3 of the entry. The price: six forward passes per entry instead
    of two (``max_entries`` limits the work on big layers). Outputs are differenced
    entry by entry (``sum((out+ - out-) * dout)``), which keeps the sums exact
    where an output does not depend on the perturbed entry.

    How randomness and state are held fixed, so that every evaluation of L is the
    same function of the checked array:

    * the layer's random generator ``layer.rng`` is rewound to the same point
      before every forward pass, so ``Dropout`` (and any layer that draws its
      masks from ``layer.rng``) uses one fixed mask, also with ``training=True``;
    * the carried states of a stateful recurrent layer are saved first and put
      back before every forward pass, and again at the end, so the check leaves
      them as it found them.
    """
    owner = "check_layer_gradients"
    if not all(hasattr(layer, a) for a in ("forward", "backward", "params")):
        raise TypeError(f"{owner} expects a layer (with forward, backward and params); got "
                        f"{type(layer).__name__}.")
    # a Sequential model (with .layers) is checked as a whole: every layer's parameters
    parts = [layer] + list(getattr(layer, "layers", None) or [])
    for part in parts:
        dtype = np.dtype(getattr(part, "dtype", np.float64))
        if dtype != np.float64:
            raise TypeError(
                f"{owner} needs float64 layers; {type(part).__name__} "
                f"'{getattr(part, 'name', '')}' has dtype {dtype.name}. float32 rounding (about "
                "1e-7 relative) swamps the finite differences: build the layer with "
                "dtype='float64' for the check."
            )
    numeric, step, how = _method(eps, owner)
    if forward_kwargs is None:
        forward_kwargs = {}
    if not isinstance(forward_kwargs, dict):
        raise TypeError(f"{owner} expects forward_kwargs to be a dict or None; got "
                        f"{type(forward_kwargs).__name__}.")
    kwargs = dict(forward_kwargs)

    x_arr = np.asarray(x)
    if x_arr.dtype.kind in "biu":
        x_check = x_arr.copy()  # integer ids: no gradient with respect to them
        integer_input = True
    else:
        x_check = _checks.as_float_array(x, np.float64, owner, "x").copy()
        integer_input = False

    # initial states: private float64 copies that we can perturb
    init_states = None
    if kwargs.get("initial_state") is not None:
        s = kwargs["initial_state"]
        single = isinstance(s, np.ndarray) or not isinstance(s, (list, tuple))
        seq = [s] if single else list(s)
        init_states = [_checks.as_float_array(a, np.float64, owner, f"initial_state[{i}]").copy()
                       for i, a in enumerate(seq)]
        kwargs["initial_state"] = init_states

    # things that must be identical in every evaluation (of the layer, or of every layer
    # of a model): the carried states of stateful layers and the random generators
    saved_states = [
        (part, None if part.states is None else [np.array(s, copy=True) for s in part.states])
        for part in parts if getattr(part, "stateful", False) and hasattr(part, "states")
    ]
    rng_states = []
    for part in parts:
        rng = getattr(part, "rng", None)
        if isinstance(rng, np.random.Generator):
            rng_states.append((rng, rng.bit_generator.state))

    def restore():
        for part, states in saved_states:
            part.states = None if states is None else [s.copy() for s in states]
        for rng, state in rng_states:
            rng.bit_generator.state = state

    def run_forward():
        restore()
        return layer.forward(x_check, **kwargs)

    try:
        out = run_forward()
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        grng = np.random.default_rng(seed)
        douts = [grng.standard_normal(np.shape(o)) for o in outs]
        dy = douts if isinstance(out, (list, tuple)) else douts[0]

        def outputs():
            o = run_forward()
            return list(o) if isinstance(o, (list, tuple)) else [o]

        # analytic gradients (one forward, one backward, at the unperturbed point)
        run_forward()
        dx = layer.backward(dy)
        analytic = {}
        if dx is not None and not integer_input:
            analytic["input"] = (np.array(dx, dtype=np.float64), x_check)
        if isinstance(layer.params, dict):
            for name, p in layer.params.items():
                analytic[name] = (np.array(layer.grads[name], dtype=np.float64), p)
        else:  # a model: '<layer name>/<weight name>' for every trainable layer
            for part in parts[1:]:
                if not getattr(part, "trainable", True):
                    continue
                for name, p in part.params.items():
                    analytic[f"{part.name}/{name}"] = (
                        np.array(part.grads[name], dtype=np.float64), p)
        if init_states is not None:
            got = getattr(layer, "initial_state_grads", None)
            if got is None or len(got) != len(init_states):
                raise RuntimeError(
                    f"{owner}: forward got {len(init_states)} initial state(s), but after backward "
                    f"layer.initial_state_grads is {got!r}; the layer must store one gradient "
                    "per initial state there."
                )
            for i, (g, s) in enumerate(zip(got, init_states, strict=True)):
                analytic[f"initial_state[{i}]"] = (np.array(g, dtype=np.float64), s)

        errors, rows = {}, []
        for name, (a, arr) in analytic.items():
            if a.shape != arr.shape:
                raise RuntimeError(
                    f"{owner}: the analytic gradient of '{name}' has shape "
                    f"{_checks.shape_str(a.shape)} but '{name}' has shape "
                    f"{_checks.shape_str(arr.shape)}."
                )
            idx = _sample_indices(arr.shape, max_entries, grng)
            num = numeric(outputs, arr, douts, step, indices=idx)
            err = _subset_error(a, num, idx)
            errors[name] = err
            rows.append((name, arr.shape, err))
    finally:
        restore()

    if verbose:
        title = (f"Gradient check of {type(layer).__name__} '{getattr(layer, 'name', '')}' "
                 f"(float64, random upstream gradient, seed={seed})\n{how}")
        if max_entries is not None:
            title += f", at most {max_entries} entries per array"
        _print_table(title, rows)
    return errors


# ---------------------------------------------------------------------- functions
def check_function_gradient(f_forward, f_backward, *inputs, names=None, seed=0, eps=None,
                            verbose=True) -> dict:
    """Check a hand-written backward function against numerical gradients.

    ``f_forward(*inputs)`` must return an array (or a tuple of arrays) and
    ``f_backward(dout)`` the gradient(s) with respect to the inputs: one array for
    one input, a tuple in the order of ``inputs`` for several. ``f_backward`` is
    always called right after ``f_forward`` on the same inputs, so it may use what
    the forward stored (a closure or a cache). If ``f_backward`` takes more than
    one argument it is called as ``f_backward(dout, *inputs)`` instead.

    Args:
        f_forward: e.g. ``lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh + b)``.
        f_backward: e.g. ``lambda dh, x, h, Wx, Wh, b: (dx, dh_prev, dWx, dWh, db)``.
        *inputs: the float arrays to check at (float64 copies are used).
        names: one name per input for the table (default ``'x'`` for one input,
            ``'x0', 'x1', ...`` for several).
        seed, eps, verbose: as :func:`check_layer_gradients` (eps=None: Richardson
            extrapolation with step 1e-3; a number: plain central differences).

    Returns:
        dict: input name -> relative error.

    Example::

        >>> def fwd(z):
        ...     return np.tanh(z)
        >>> def bwd(dout, z):
        ...     return dout * (1 - np.tanh(z) ** 2)
        >>> err = check_function_gradient(fwd, bwd, np.linspace(-2, 2, 6), verbose=False)
        >>> err["x"] < 1e-7
        True
    """
    owner = "check_function_gradient"
    if not callable(f_forward) or not callable(f_backward):
        raise TypeError(f"{owner} expects two functions, f_forward and f_backward; got "
                        f"{type(f_forward).__name__} and {type(f_backward).__name__}.")
    if not inputs:
        raise ValueError(f"{owner} expects at least one input array after the two functions.")
    numeric, step, how = _method(eps, owner)
    arrays = [_checks.as_float_array(a, np.float64, owner, f"input {i}").copy()
              for i, a in enumerate(inputs)]
    if names is None:
        names = ["x"] if len(arrays) == 1 else [f"x{i}" for i in range(len(arrays))]
    names = list(names)
    if len(names) != len(arrays):
        raise ValueError(f"{owner} expects one name per input ({len(arrays)}); got {len(names)}.")

    try:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                      inspect.Parameter.VAR_POSITIONAL)
        n_params = len([p for p in inspect.signature(f_backward).parameters.values()
                        if p.kind in positional])
        pass_inputs = n_params > 1
    except (TypeError, ValueError):  # builtins without a signature
        pass_inputs = False

    out = f_forward(*arrays)
    multi_out = isinstance(out, (list, tuple))
    outs = list(out) if multi_out else [out]
    for o in outs:
        if np.asarray(o).dtype != np.float64:
            warnings.warn(f"{owner}: f_forward returned an array of dtype {np.asarray(o).dtype}; "
                          "float64 is needed for meaningful errors.", stacklevel=2)
            break
    grng = np.random.default_rng(seed)
    douts = [grng.standard_normal(np.shape(o)) for o in outs]
    dout = tuple(douts) if multi_out else douts[0]

    def outputs():
        o = f_forward(*arrays)
        return list(o) if isinstance(o, (list, tuple)) else [o]

    f_forward(*arrays)  # so a backward that reads a stored cache sees this very point
    grads = f_backward(dout, *arrays) if pass_inputs else f_backward(dout)
    if len(arrays) == 1 and not isinstance(grads, (list, tuple)):
        grads = [grads]
    if not isinstance(grads, (list, tuple)) or len(grads) != len(arrays):
        got = type(grads).__name__
        if isinstance(grads, (list, tuple)):
            got += f" of length {len(grads)}"
        raise ValueError(f"{owner} expects f_backward to return {len(arrays)} gradient(s), one "
                         f"per input; got {got}.")

    errors, rows = {}, []
    for name, g, arr in zip(names, grads, arrays, strict=True):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != arr.shape:
            raise ValueError(f"{owner}: the gradient returned for '{name}' has shape "
                             f"{_checks.shape_str(g.shape)}; expected the input's shape "
                             f"{_checks.shape_str(arr.shape)}.")
        num = numeric(outputs, arr, douts, step)
        errors[name] = rel_error(g, num)
        rows.append((name, arr.shape, errors[name]))
    if verbose:
        fname = getattr(f_forward, "__name__", "function")
        _print_table(f"Gradient check of {fname} (float64, random upstream gradient, "
                     f"seed={seed})\n{how}", rows)
    return errors
