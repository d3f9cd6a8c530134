"""Checkers for lesson 04, the LSTM.

Three exercises, each a function the learner writes in the notebook:

* ``lstm_gates(a)``: slice the fused pre-activations ``a`` of shape (N, 4H) into the
  four gates in Keras's order i, f, c, o and apply their nonlinearities.
* ``lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias)``: one LSTM
  time step with fused weights, returning ``(h, c)``.
* ``cell_state_backward(dh, dc_next, c, c_prev, i, f, g, o)``: the backward step through
  the cell state, returning ``(dc_prev, da)`` with ``da`` the gradient of the fused
  pre-activations (N, 4H).

Each checker runs the learner's function on small seeded cases, compares it with the
reference in :mod:`rnnlesson.kernels` (``lstm_step_forward`` and ``lstm_step_backward``),
and when the answer matches a typical mistake, names it. It prints a verdict with a hint
and returns a :class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises
``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, as_answer, call, diagnose, run_check

__all__ = ["check_lstm_gates", "check_lstm_step_forward", "check_cell_state_backward"]

_SHAPES_HINT = ("Print the shapes of your arrays. Inputs are batch first: x is (N, D), h and c "
                "are (N, H), the kernel is (D, 4H), the recurrent kernel (H, 4H).")
_sigmoid = kernels.sigmoid


# ---------------------------------------------------------------- references (the kernels)
def _ref_gates(a):
    """Reference: a (N, 4H) -> i, f, g, o, each (N, H), Keras order i, f, c, o."""
    N, H = a.shape[0], a.shape[1] // 4
    # a step with no input and a zero state whose bias is a: its pre-activation is a exactly
    _, _, cache = kernels.lstm_step_forward(np.zeros((N, 0)), np.zeros((N, H)), np.zeros((N, H)),
                                            np.zeros((0, 4 * H)), np.zeros((H, 4 * H)), a)
    return cache.i, cache.f, cache.g, cache.o


def _ref_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Reference: ``(h, c)``, each (N, H), of one step."""
    h, c, _ = kernels.lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias)
    return h, c


def _ref_cell_backward(dh, dc_next, c, c_prev, i, f, g, o):
    """Reference: ``(dc_prev (N, H), da (N, 4H))`` from the kernel's backward step.

    The kernel returns dL/dW = x^T da rather than da itself; with x the identity (N, N),
    one one-hot input per sample, that product is da. The weights play no part in either.
    """
    N, H = c.shape
    cache = kernels.LSTMStepCache(np.eye(N), np.zeros((N, H)), c_prev, i, f, g, o, np.tanh(c),
                                  np.zeros((N, 4 * H)), np.zeros((H, 4 * H)))
    _, _, dc_prev, da, _, _ = kernels.lstm_step_backward(dh, dc_next, cache)
    return dc_prev, da


def _cases(seed, shapes):
    rng = np.random.default_rng(seed)
    return [tuple(rng.normal(0.0, 1.0, s) for s in case) for case in shapes]


def _blocks(a):
    """The four (N, H) blocks of a (N, 4H)."""
    H = a.shape[1] // 4
    return [a[:, k * H:(k + 1) * H] for k in range(4)]


# ---------------------------------------------------------------- exercise 1: gates
_GATE_NAMES = ("i (input gate)", "f (forget gate)", "g (cell candidate)", "o (output gate)")


def _gates_body(lstm_gates):
    for (a,) in _cases(40, [((3, 8),), ((2, 20),), ((1, 4),)]):
        N, H = a.shape[0], a.shape[1] // 4
        what = f"lstm_gates(a) for N={N}, H={H}"
        want = _ref_gates(a)
        got = as_answer(call(lstm_gates, a, hint=_SHAPES_HINT), want, what, ("i", "f", "g", "o"),
                        hint=_SHAPES_HINT)
        s = _blocks(a)
        inter = [a.reshape(N, H, 4)[:, :, k] for k in range(4)]
        mistakes = [
            ("the order i, f, o, g (as in some courses) instead of Keras's i, f, c, o",
             (_sigmoid(s[0]), _sigmoid(s[1]), np.tanh(s[3]), _sigmoid(s[2])),
             "Keras and rnnlesson store the blocks as [i | f | c | o]: the cell candidate is "
             "the third block, a[:, 2*H:3*H], and the output gate the last."),
            ("the order f, i, c, o (input and forget gates swapped)",
             (_sigmoid(s[1]), _sigmoid(s[0]), np.tanh(s[2]), _sigmoid(s[3])),
             "The input gate is the first block a[:, :H], the forget gate the second."),
            ("no nonlinearities (raw slices)", tuple(s),
             "The gates i, f, o go through a sigmoid; the candidate g through tanh."),
            ("a sigmoid on all four blocks", tuple(_sigmoid(b) for b in s),
             "The cell candidate g uses tanh, so it can be negative as well as positive."),
            ("a tanh on all four blocks", tuple(np.tanh(b) for b in s),
             "The gates i, f, o use a sigmoid, so they lie between 0 and 1."),
            ("interleaved slicing (a.reshape(N, H, 4)) instead of four contiguous blocks",
             (_sigmoid(inter[0]), _sigmoid(inter[1]), np.tanh(inter[2]), _sigmoid(inter[3])),
             "The blocks are contiguous: a[:, 0:H], a[:, H:2*H], a[:, 2*H:3*H], a[:, 3*H:4*H]."),
        ]
        diagnose(got, want, mistakes, what=what, terms=ROUNDINGS, names=_GATE_NAMES,
                 hint="Slice a into four blocks of H columns, [i | f | c | o]; sigmoid for "
                      "i, f, o and tanh for g.")
    return ("Four contiguous blocks in the order i, f, c, o, with sigmoid gates and a tanh "
            "candidate.")


def check_lstm_gates(lstm_gates, *, strict=False):
    """Check ``lstm_gates(a) -> (i, f, g, o)``.

    ``a`` holds the fused pre-activations, shape (N, 4H), in Keras's order i, f, c, o;
    each returned gate has shape (N, H): sigmoid for i, f, o and tanh for the cell
    candidate g.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("lstm_gates", _gates_body, lstm_gates, strict=strict)


# ---------------------------------------------------------------- exercise 2: step forward
def _step_body(lstm_step_forward):
    # D != H in every case, so a transposed weight cannot hide behind a square shape
    shapes = [((3, 5), (3, 4), (3, 4), (5, 16), (4, 16), (16,)),
              ((2, 2), (2, 6), (2, 6), (2, 24), (6, 24), (24,)),
              ((1, 7), (1, 3), (1, 3), (7, 12), (3, 12), (12,))]
    for args in _cases(41, shapes):
        x, h_prev, c_prev, Wx, Wh, b = args
        (N, D), H = x.shape, h_prev.shape[1]
        what = f"lstm_step_forward(...) for N={N}, D={D}, H={H}"
        want = _ref_step(*args)
        got = as_answer(call(lstm_step_forward, *args, hint=_SHAPES_HINT), want, what,
                        ("h", "c"), hint=_SHAPES_HINT)
        a = x @ Wx + h_prev @ Wh + b
        i, f, g, o = _ref_gates(a)
        s = _blocks(a)
        c_swap = i * c_prev + f * g
        c_iog = f * c_prev + i * np.tanh(s[3])   # blocks read as [i | f | o | g]
        mistakes = [
            ("h = o * c, without the tanh on the cell state", (o * want[1], want[1]),
             "The output is h = o * tanh(c): the cell state can grow beyond [-1, 1], "
             "tanh squashes it before the output gate lets it out."),
            ("input and forget gates swapped (c = i*c_prev + f*g)", (o * np.tanh(c_swap), c_swap),
             "The forget gate f multiplies the old cell state, the input gate i the candidate: "
             "c = f * c_prev + i * g."),
            ("the gate order i, f, o, g instead of Keras's i, f, c, o",
             (_sigmoid(s[2]) * np.tanh(c_iog), c_iog),
             "Slice the blocks as [i | f | c | o]: the candidate is a[:, 2*H:3*H]."),
            ("no forget gate (c = c_prev + i*g)", (o * np.tanh(c_prev + i * g), c_prev + i * g),
             "The old cell state is scaled by the forget gate: c = f * c_prev + i * g."),
            ("the new cell state forgot c_prev (c = i*g)", (o * np.tanh(i * g), i * g),
             "The cell state adds to what it carried: c = f * c_prev + i * g."),
        ]
        diagnose(got, want, mistakes, what=what, terms=D + H + 1 + ROUNDINGS,
                 names=("h (the new hidden state)", "c (the new cell state)"),
                 hint="Go line by line: a = x @ kernel + h_prev @ recurrent_kernel + bias, the "
                      "four gates from a, c = f * c_prev + i * g, h = o * tanh(c).")
    return "One matmul per weight, four gates, c = f*c_prev + i*g and h = o*tanh(c)."


def check_lstm_step_forward(lstm_step_forward, *, strict=False):
    """Check ``lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h, c)``.

    Shapes: x (N, D), h_prev and c_prev (N, H), kernel (D, 4H), recurrent_kernel (H, 4H),
    bias (4H,); h and c are (N, H). Gate order i, f, c, o as Keras.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("lstm_step_forward", _step_body, lstm_step_forward, strict=strict)


# ---------------------------------------------------------------- exercise 3: backward
def _cell_backward_body(cell_state_backward):
    rng = np.random.default_rng(42)
    for N, H in [(3, 4), (2, 5), (1, 3)]:
        dh, dc_next, c_prev = (rng.normal(size=(N, H)) for _ in range(3))
        i, f, g, o = _ref_gates(rng.normal(size=(N, 4 * H)))
        c = f * c_prev + i * g
        args = (dh, dc_next, c, c_prev, i, f, g, o)
        what = f"cell_state_backward(...) for N={N}, H={H}"
        want = _ref_cell_backward(*args)
        got = as_answer(call(cell_state_backward, *args, hint=_SHAPES_HINT), want, what,
                        ("dc_prev", "da"), hint="dc_prev has the shape of c, (N, H); da "
                        "stacks the four gates' gradients side by side, (N, 4H).")
        tc = np.tanh(c)
        dc_notanh = dc_next + dh * o               # forgot tanh'(c)
        dc_full = dc_next + dh * o * (1 - tc ** 2)

        def da_from(dc, di_fac=i * (1 - i), df_fac=f * (1 - f), dg_fac=1 - g ** 2,
                    do_fac=o * (1 - o), _v=(dh, tc, c_prev, i, g)):
            dh_, tc_, c_prev_, i_, g_ = _v
            return np.concatenate([dc * g_ * di_fac, dc * c_prev_ * df_fac, dc * i_ * dg_fac,
                                   dh_ * tc_ * do_fac], axis=1)

        da_ok = want[1]
        mistakes = [
            ("dL/dc_t misses the path through h_t = o * tanh(c_t)",
             (dc_next * f, da_from(dc_next)),
             "c_t feeds the next step AND this step's output, so dc = dc_next + dh * o * "
             "(1 - tanh(c)**2)."),
            ("the tanh derivative on the path through h_t is missing",
             (dc_notanh * f, da_from(dc_notanh)),
             "h = o * tanh(c), so dh reaches c as dh * o * (1 - tanh(c)**2)."),
            ("the sigmoid derivatives of the gates are missing",
             (dc_full * f, da_from(dc_full, 1, 1, 1 - g ** 2, 1)),
             "Each gate went through a sigmoid s: multiply by s * (1 - s), e.g. di * i * (1 - i)."),
            ("the tanh derivative of the cell candidate is missing",
             (dc_full * f, da_from(dc_full, dg_fac=1)),
             "The candidate is g = tanh(a_c), so dL/da_c = dL/dg * (1 - g**2)."),
            ("the blocks of da are in the order i, f, o, g",
             (dc_full * f, np.concatenate([da_ok[:, :2 * H], da_ok[:, 3 * H:],
                                           da_ok[:, 2 * H:3 * H]], axis=1)),
             "Stack the four gradients in Keras's order [da_i | da_f | da_c | da_o]."),
            ("dc_prev multiplied by the input gate instead of the forget gate",
             (dc_full * i, da_ok),
             "c_t = f * c_prev + i * g, so dL/dc_prev = dL/dc_t * f."),
        ]
        diagnose(got, want, mistakes, what=what, terms=2 * ROUNDINGS, names=("dc_prev", "da"),
                 hint="First dc = dc_next + dh * o * (1 - tanh(c)**2), then each gate's "
                      "gradient from dc, through its own nonlinearity.")
    return ("dc_prev = dc * f carries the gradient back along the additive path, scaled only "
            "by the forget gate.")


def check_cell_state_backward(cell_state_backward, *, strict=False):
    """Check ``cell_state_backward(dh, dc_next, c, c_prev, i, f, g, o) -> (dc_prev, da)``.

    All inputs are (N, H): the upstream gradients dL/dh_t and dL/dc_t (from step t+1),
    the cell states c_t and c_{t-1}, and the gate activations of the step. Returns
    dL/dc_{t-1} of shape (N, H) and dL/da of shape (N, 4H), the gradient of the fused
    pre-activations in Keras's order i, f, c, o.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("cell_state_backward", _cell_backward_body, cell_state_backward,
                     strict=strict)
