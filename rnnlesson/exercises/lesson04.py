"""Checkers for lesson 04, the LSTM.

Three exercises, each a function the learner writes in the notebook:

* ``lstm_gates(a)``: slice the fused pre-activations ``a`` of shape (N, 4H) into the
  four gates in Keras's order i, f, c, o and apply their nonlinearities.
* ``lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias)``: one LSTM
  time step with fused weights, returning ``(h, c)``.
* ``cell_state_backward(dh, dc_next, c, c_prev, i, f, g, o)``: the backward step through
  the cell state, returning ``(dc_prev, da)`` with ``da`` the gradient of the fused
  pre-activations (N, 4H).

Each checker runs the learner's function on small seeded cases, compares it with a
reference written here in plain numpy (the tests check that reference against
``rnnlesson.cells.LSTMCell``), prints a verdict, and when the answer matches a
typical mistake, names it. A stub that still raises ``NotImplementedError`` gets
"not attempted yet" and ``None``; no checker ever raises on the learner's behalf.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_lstm_gates", "check_lstm_step_forward", "check_cell_state_backward"]

_OK = "\u2705"       # check mark
_WRONG = "\u274c"    # cross
_WAIT = "\u23f3"     # hourglass


# ---------------------------------------------------------------- shared helpers
def _call(fn, *args):
    """Run the learner's function: ("ok", result), ("stub", None) or ("error", exc)."""
    try:
        return "ok", fn(*args)
    except NotImplementedError:
        return "stub", None
    except Exception as exc:  # the learner's bug is reported, never raised
        return "error", exc


def _not_callable(fn, name) -> bool:
    if callable(fn):
        return False
    print(f"{_WRONG} check_{name} expects your function itself (e.g. check_{name}({name})), "
          f"got {type(fn).__name__}.")
    return True


def _stub(name):
    print(f"{_WAIT} {name}: not attempted yet. Your function still raises NotImplementedError; "
          "write it in the marked cell, run that cell, then run this check again.")
    return None


_SHAPES_HINT = ("print the shapes of your arrays. Inputs are batch first: x is (N, D), h and c "
                "are (N, H), the kernel is (D, 4H), the recurrent kernel (H, 4H).")


def _error(name, exc, hint=_SHAPES_HINT):
    print(f"{_WRONG} {name} raised {type(exc).__name__}: {exc}")
    print(f"   Hint: {hint}")
    return False


def _as_tuple(out, n, name):
    """The learner's result as a tuple of n float arrays, or None after printing why not."""
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = f"a {type(out).__name__}" + (f" of length {len(out)}"
                                           if isinstance(out, (tuple, list)) else "")
        print(f"{_WRONG} {name} should return a tuple of {n} arrays; it returned {got}.")
        return None
    arrays = []
    for k, a in enumerate(out):
        try:
            arrays.append(np.asarray(a, dtype=np.float64))
        except (TypeError, ValueError):
            print(f"{_WRONG} {name}: item {k} of the result is not an array of numbers "
                  f"(got {type(a).__name__}).")
            return None
    return tuple(arrays)


def _same(got, want, tol=1e-6) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=tol, atol=tol))


def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


def _max_err(got, want):
    return float(np.max(np.abs(got - want))) if got.shape == want.shape else float("nan")


# ---------------------------------------------------------------- references
def _ref_gates(a):
    """Reference: a (N, 4H) -> i, f, g, o, each (N, H), Keras order i, f, c, o."""
    H = a.shape[1] // 4
    return (_sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]),
            _sigmoid(a[:, 3 * H:]))


def _ref_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    i, f, g, o = _ref_gates(x @ kernel + h_prev @ recurrent_kernel + bias)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _ref_cell_backward(dh, dc_next, c, c_prev, i, f, g, o):
    tc = np.tanh(c)
    dc = dc_next + dh * o * (1.0 - tc ** 2)        # dL/dc_t: carried in + through h_t
    dc_prev = dc * f                               # dL/dc_{t-1}: the additive path
    da = np.concatenate([dc * g * i * (1.0 - i),   # dL/da_i
                         dc * c_prev * f * (1.0 - f),  # dL/da_f
                         dc * i * (1.0 - g ** 2),  # dL/da_c
                         dh * tc * o * (1.0 - o)],  # dL/da_o
                        axis=1)
    return dc_prev, da


def _report_wrong(name, got, want, mistakes, what):
    """Print the verdict for a wrong answer, naming a known mistake if one matches."""
    for label, candidate, hint in mistakes:
        if all(_same(g, w) for g, w in zip(got, candidate, strict=True)):
            print(f"{_WRONG} {name}: not quite. Your result matches a typical mistake: {label}.")
            print(f"   Hint: {hint}")
            return False
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        if g.shape != w.shape:
            print(f"{_WRONG} {name}: {what[k]} has shape {g.shape}; expected {w.shape}.")
            return False
    worst = max(range(len(want)), key=lambda k: _max_err(got[k], want[k]))
    print(f"{_WRONG} {name}: not quite. {what[worst]} is off by up to "
          f"{_max_err(got[worst], want[worst]):.3g}.")
    return False


def _cases(seed, shapes):
    rng = np.random.default_rng(seed)
    return [tuple(rng.normal(0.0, 1.0, s) for s in case) for case in shapes]


# ---------------------------------------------------------------- exercise 1: gates
def check_lstm_gates(lstm_gates):
    """Check ``lstm_gates(a) -> (i, f, g, o)``.

    ``a`` holds the fused pre-activations, shape (N, 4H), in Keras's order i, f, c, o;
    each returned gate has shape (N, H): sigmoid for i, f, o and tanh for the cell
    candidate g. Prints a verdict; returns True, False, or None while not attempted.
    """
    name = "lstm_gates"
    if _not_callable(lstm_gates, name):
        return False
    what = ("i (input gate)", "f (forget gate)", "g (cell candidate)", "o (output gate)")
    for (a,) in _cases(40, [((3, 8),), ((2, 20),), ((1, 4),)]):
        status, out = _call(lstm_gates, a.copy())
        if status == "stub":
            return _stub(name)
        if status == "error":
            return _error(name, out)
        got = _as_tuple(out, 4, name)
        if got is None:
            return False
        want = _ref_gates(a)
        if all(_same(g, w) for g, w in zip(got, want, strict=True)):
            continue
        H = a.shape[1] // 4
        s = [a[:, k * H:(k + 1) * H] for k in range(4)]
        inter = [a.reshape(a.shape[0], H, 4)[:, :, k] for k in range(4)]
        mistakes = [
            ("the order i, f, o, g (as in some courses) instead of Keras's i, f, c, o",
             (_sigmoid(s[0]), _sigmoid(s[1]), np.tanh(s[3]), _sigmoid(s[2])),
             "Keras and rnnlesson store the blocks as [i | f | c | o]: the cell candidate is "
             "the third block, a[:, 2*H:3*H], and the output gate the last."),
            ("the order f, i, c, o (input and forget gates swapped)",
             (_sigmoid(s[1]), _sigmoid(s[0]), np.tanh(s[2]), _sigmoid(s[3])),
             "the input gate is the first block a[:, :H], the forget gate the second."),
            ("no nonlinearities (raw slices)", tuple(s),
             "the gates i, f, o go through a sigmoid; the candidate g through tanh."),
            ("a sigmoid on all four blocks", tuple(_sigmoid(b) for b in s),
             "the cell candidate g uses tanh, so it can be negative as well as positive."),
            ("a tanh on all four blocks", tuple(np.tanh(b) for b in s),
             "the gates i, f, o use a sigmoid, so they lie between 0 and 1."),
            ("interleaved slicing (a.reshape(N, H, 4)) instead of four contiguous blocks",
             (_sigmoid(inter[0]), _sigmoid(inter[1]), np.tanh(inter[2]), _sigmoid(inter[3])),
             "the blocks are contiguous: a[:, 0:H], a[:, H:2*H], a[:, 2*H:3*H], a[:, 3*H:4*H]."),
        ]
        return _report_wrong(name, got, want, mistakes, what)
    print(f"{_OK} lstm_gates: correct! Four contiguous blocks in the order i, f, c, o, with "
          "sigmoid gates and a tanh candidate.")
    return True


# ---------------------------------------------------------------- exercise 2: step forward
def check_lstm_step_forward(lstm_step_forward):
    """Check ``lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h, c)``.

    Shapes: x (N, D), h_prev and c_prev (N, H), kernel (D, 4H), recurrent_kernel (H, 4H),
    bias (4H,); h and c are (N, H). Gate order i, f, c, o as Keras. Prints a verdict;
    returns True, False, or None while not attempted.
    """
    name = "lstm_step_forward"
    if _not_callable(lstm_step_forward, name):
        return False
    what = ("h (the new hidden state)", "c (the new cell state)")
    # D != H in every case, so a transposed weight cannot hide behind a square shape
    shapes = [((3, 5), (3, 4), (3, 4), (5, 16), (4, 16), (16,)),
              ((2, 2), (2, 6), (2, 6), (2, 24), (6, 24), (24,)),
              ((1, 7), (1, 3), (1, 3), (7, 12), (3, 12), (12,))]
    for args in _cases(41, shapes):
        status, out = _call(lstm_step_forward, *(v.copy() for v in args))
        if status == "stub":
            return _stub(name)
        if status == "error":
            return _error(name, out)
        got = _as_tuple(out, 2, name)
        if got is None:
            return False
        want = _ref_step(*args)
        if all(_same(g, w) for g, w in zip(got, want, strict=True)):
            continue
        x, h_prev, c_prev, Wx, Wh, b = args
        H = h_prev.shape[1]
        a = x @ Wx + h_prev @ Wh + b
        i, f, g, o = _ref_gates(a)
        s = [a[:, k * H:(k + 1) * H] for k in range(4)]
        c_swap = i * c_prev + f * g
        c_iog = f * c_prev + i * np.tanh(s[3])   # blocks read as [i | f | o | g]
        mistakes = [
            ("h = o * c, without the tanh on the cell state", (o * want[1], want[1]),
             "the output is h = o * tanh(c): the cell state can grow beyond [-1, 1], "
             "tanh squashes it before the output gate lets it out."),
            ("input and forget gates swapped (c = i*c_prev + f*g)", (o * np.tanh(c_swap), c_swap),
             "the forget gate f multiplies the old cell state, the input gate i the candidate: "
             "c = f * c_prev + i * g."),
            ("the gate order i, f, o, g instead of Keras's i, f, c, o",
             (_sigmoid(s[2]) * np.tanh(c_iog), c_iog),
             "slice the blocks as [i | f | c | o]: the candidate is a[:, 2*H:3*H]."),
            ("no forget gate (c = c_prev + i*g)", (o * np.tanh(c_prev + i * g), c_prev + i * g),
             "the old cell state is scaled by the forget gate: c = f * c_prev + i * g."),
            ("the new cell state forgot c_prev (c = i*g)", (o * np.tanh(i * g), i * g),
             "the cell state adds to what it carried: c = f * c_prev + i * g."),
        ]
        return _report_wrong(name, got, want, mistakes, what)
    print(f"{_OK} lstm_step_forward: correct! One matmul per weight, four gates, "
          "c = f*c_prev + i*g and h = o*tanh(c).")
    return True


# ---------------------------------------------------------------- exercise 3: backward
def check_cell_state_backward(cell_state_backward):
    """Check ``cell_state_backward(dh, dc_next, c, c_prev, i, f, g, o) -> (dc_prev, da)``.

    All inputs are (N, H): the upstream gradients dL/dh_t and dL/dc_t (from step t+1),
    the cell states c_t and c_{t-1}, and the gate activations of the step. Returns
    dL/dc_{t-1} of shape (N, H) and dL/da of shape (N, 4H), the gradient of the fused
    pre-activations in Keras's order i, f, c, o. Prints a verdict; returns True,
    False, or None while not attempted.
    """
    name = "cell_state_backward"
    if _not_callable(cell_state_backward, name):
        return False
    what = ("dc_prev", "da")
    rng = np.random.default_rng(42)
    for N, H in [(3, 4), (2, 5), (1, 3)]:
        dh, dc_next, c_prev = (rng.normal(size=(N, H)) for _ in range(3))
        a = rng.normal(size=(N, 4 * H))
        i, f, g, o = _ref_gates(a)
        c = f * c_prev + i * g
        args = (dh, dc_next, c, c_prev, i, f, g, o)
        status, out = _call(cell_state_backward, *(v.copy() for v in args))
        if status == "stub":
            return _stub(name)
        if status == "error":
            return _error(name, out)
        got = _as_tuple(out, 2, name)
        if got is None:
            return False
        want = _ref_cell_backward(*args)
        if all(_same(gg, w) for gg, w in zip(got, want, strict=True)):
            continue
        tc = np.tanh(c)
        dc_only = dc_next                          # forgot the path through h
        dc_notanh = dc_next + dh * o               # forgot tanh'(c)
        dc_full = dc_next + dh * o * (1 - tc ** 2)

        def da_from(dc, di_fac=i * (1 - i), df_fac=f * (1 - f), dg_fac=1 - g ** 2,
                    do_fac=o * (1 - o), _v=(dh, tc, c_prev, i, g)):
            dh_, tc_, c_prev_, i_, g_ = _v
            return np.concatenate([dc * g_ * di_fac, dc * c_prev_ * df_fac, dc * i_ * dg_fac,
                                   dh_ * tc_ * do_fac], axis=1)

        da_ok = da_from(dc_full)
        mistakes = [
            ("dL/dc_t misses the path through h_t = o * tanh(c_t)",
             (dc_only * f, da_from(dc_only)),
             "c_t feeds the next step AND this step's output, so dc = dc_next + dh * o * "
             "(1 - tanh(c)**2)."),
            ("the tanh derivative on the path through h_t is missing",
             (dc_notanh * f, da_from(dc_notanh)),
             "h = o * tanh(c), so dh reaches c as dh * o * (1 - tanh(c)**2)."),
            ("the sigmoid derivatives of the gates are missing",
             (dc_full * f, da_from(dc_full, 1, 1, 1 - g ** 2, 1)),
             "each gate went through a sigmoid s: multiply by s * (1 - s), e.g. di * i * (1 - i)."),
            ("the tanh derivative of the cell candidate is missing",
             (dc_full * f, da_from(dc_full, dg_fac=1)),
             "the candidate is g = tanh(a_c), so dL/da_c = dL/dg * (1 - g**2)."),
            ("the blocks of da are in the order i, f, o, g",
             (dc_full * f, np.concatenate([da_ok[:, :2 * H], da_ok[:, 3 * H:],
                                           da_ok[:, 2 * H:3 * H]], axis=1)),
             "stack the four gradients in Keras's order [da_i | da_f | da_c | da_o]."),
            ("dc_prev multiplied by the input gate instead of the forget gate",
             (dc_full * i, da_ok),
             "c_t = f * c_prev + i * g, so dL/dc_prev = dL/dc_t * f."),
        ]
        return _report_wrong(name, got, want, mistakes, what)
    print(f"{_OK} cell_state_backward: correct! dc_prev = dc * f carries the gradient back "
          "along the additive path, scaled only by the forget gate.")
    return True
