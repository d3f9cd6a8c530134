"""Checkers for lesson 04, the LSTM.

Three exercises, each a function the learner writes in the notebook:

* ``lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias)``: one LSTM
  time step with fused weights, returning ``(h, c)`` (the warm-up: the lesson writes
  this step out).
* ``forget_bias_for(keep, steps)``: a design question answered with a number, the
  forget-gate bias that lets the fraction ``keep`` of the gradient survive ``steps``
  steps along the cell state. Graded by that property, through the LSTM's backward step.
* ``gru_gates_backward(dh, h_prev, z, r, hh, u_h)``: a derivation, the backward pass
  of the GRU's gates (Keras's ``reset_after=True``): the gradients ``(da, du)`` of the
  input and recurrent parts of the three pre-activations, each (N, 3H).

Each checker runs the learner's function on small seeded cases, compares it with the
reference in :mod:`rnnlesson.kernels` (the LSTM and GRU steps, forward and backward),
and when the answer matches a typical mistake, names it. It prints a verdict with a hint
and returns a :class:`~rnnlesson.exercises.harness.CheckResult`; ``strict=True`` raises
``AssertionError`` instead when the answer is not right (see
:mod:`rnnlesson.exercises.harness`).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .harness import ROUNDINGS, Wrong, as_answer, call, diagnose, run_check

__all__ = ["check_lstm_step_forward", "check_forget_bias", "check_gru_gates_backward"]

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


def _cases(seed, shapes):
    rng = np.random.default_rng(seed)
    return [tuple(rng.normal(0.0, 1.0, s) for s in case) for case in shapes]


def _blocks(a):
    """The four (N, H) blocks of a (N, 4H)."""
    H = a.shape[1] // 4
    return [a[:, k * H:(k + 1) * H] for k in range(4)]


# ---------------------------------------------------------------- exercise 1: step forward
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


# ---------------------------------------------------------------- exercise 2: forget bias
def _cell_path_gain(b_f, steps):
    """How much of dL/dc_T reaches c_{T-steps} along the cell state of a one-unit LSTM whose
    weights are all zero and whose forget bias is b_f (the kernel's backward, step by step)."""
    bias = np.array([0.0, b_f, 0.0, 0.0])                    # blocks i | f | c | o, H = 1
    W, U = np.zeros((1, 4)), np.zeros((1, 4))
    h = c = np.zeros((1, 1))
    _, _, cache = kernels.lstm_step_forward(np.zeros((1, 1)), h, c, W, U, bias)
    dc = np.ones((1, 1))
    for _ in range(steps):     # every step is the same: zero input, zero state
        dc = kernels.lstm_step_backward(np.zeros((1, 1)), dc, cache)[2]
    return float(dc[0, 0])


def _ref_forget_bias(keep, steps):
    f = keep ** (1.0 / steps)          # the forget gate that keeps `keep` after `steps`
    return float(np.log(f / (1.0 - f)))   # the pre-activation whose sigmoid is f


def _forget_body(forget_bias_for):
    for keep, steps in [(0.5, 100), (0.9, 20), (0.01, 50), (0.5, 1)]:
        what = f"forget_bias_for(keep={keep}, steps={steps})"
        out = call(forget_bias_for, keep, steps)
        try:
            b_f = float(out)
        except (TypeError, ValueError):
            raise Wrong(f"{what} returned {out!r}, not a number.",
                        "Return one float: the bias of the forget gate.") from None
        want = _ref_forget_bias(keep, steps)
        gain = _cell_path_gain(b_f, steps) if np.isfinite(b_f) else float("nan")
        # the property, within rounding: sigmoid(b_f)**steps == keep
        if abs(gain - keep) <= 1e-9 * keep * steps:
            continue
        f = keep ** (1.0 / steps)
        for label, value, hint in [
            ("the forget gate's value f, not its bias", f,
             "The gate is f = sigmoid(b_f): you have f, now invert the sigmoid, "
             "b_f = log(f / (1 - f))."),
            ("the bias for one step: sigmoid(b_f) = keep", np.log(keep / (1 - keep)),
             "Going back one step multiplies the gradient by f, so `steps` steps multiply it "
             "by f**steps; solve f**steps = keep first."),
            ("log(keep) / steps: the sigmoid is missing", np.log(keep) / steps,
             "That is log f. The gate is a sigmoid of the bias: f = sigmoid(b_f)."),
            ("the bias for steps - 1 steps",
             _ref_forget_bias(keep, steps - 1) if steps > 1 else None,
             "Count the factors: from c_T back to c_{T-steps} the gradient crosses `steps` "
             "forget gates, dc_{t-1} = dc_t * f_t."),
        ]:
            if value is not None and abs(b_f - value) <= 1e-9 * (1 + abs(value)):
                raise Wrong(f"{what} = {b_f:.6g}: that is {label}; then "
                            f"{gain:.4g} of the gradient survives, not {keep}.", hint)
        raise Wrong(f"{what} = {b_f:.6g}: with it {gain:.4g} of the gradient survives "
                    f"{steps} steps, not {keep} (expected b_f = {want:.4g}).",
                    "Along the cell state one step back multiplies the gradient by f = "
                    "sigmoid(b_f) (section 4): solve sigmoid(b_f)**steps = keep for b_f.")
    return (f"sigmoid(b_f)**steps = keep, measured through the LSTM's backward step: half of "
            f"the gradient survives 100 steps with b_f = {_ref_forget_bias(0.5, 100):.2f}, "
            "against Keras's starting bias of 1.")


def check_forget_bias(forget_bias_for, *, strict=False):
    """Check ``forget_bias_for(keep, steps) -> float``.

    The bias b_f of the forget gate for which, in an LSTM whose inputs and weights are all
    zero (so f = sigmoid(b_f) at every step), the fraction ``keep`` of dL/dc_t still
    reaches c_{t - steps} along the cell state.

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("forget_bias_for", _forget_body, forget_bias_for, strict=strict)


# ---------------------------------------------------------------- exercise 3: GRU gates
def _gru_case(seed, N, D, H):
    """One Keras GRU step (reset_after=True): returns (dh, h_prev, z, r, hh, u_h), x, W, U, b."""
    rng = np.random.default_rng(seed)
    x, h_prev = rng.normal(size=(N, D)), rng.uniform(-0.9, 0.9, size=(N, H))
    W, U = rng.normal(0, 0.7, (D, 3 * H)), rng.normal(0, 0.7, (H, 3 * H))
    b = rng.normal(0, 0.3, (2, 3 * H))
    _, cache = kernels.gru_step_forward(x, h_prev, W, U, b)
    dh = rng.normal(size=(N, H))
    return (dh, h_prev, cache.z, cache.r, cache.hh, cache.u_h), (x, W, U, b)


def _ref_gru_gates(dh, h_prev, z, r, hh, u_h):
    """(da, du), each (N, 3H): dL/d(x W + b[0]) and dL/d(h_prev U + b[1]), blocks z | r | h.

    From the kernel's backward, one sample at a time: with a one-sample batch, the bias
    gradient db (2, 3H) is exactly (da, du) of that sample. The weights play no part.
    """
    N, H = h_prev.shape
    da, du = np.empty((N, 3 * H)), np.empty((N, 3 * H))
    for n in range(N):
        cache = kernels.GRUStepCache(np.zeros((1, 1)), h_prev[n:n + 1], z[n:n + 1], r[n:n + 1],
                                     hh[n:n + 1], u_h[n:n + 1], None, np.zeros((1, 3 * H)),
                                     np.zeros((H, 3 * H)), True)
        db = kernels.gru_step_backward(dh[n:n + 1], cache)[4]
        da[n], du[n] = db
    return da, du


def _gru_body(gru_gates_backward):
    for seed, (N, D, H) in enumerate([(3, 2, 4), (2, 3, 5), (4, 1, 3)]):
        args, _ = _gru_case(1200 + seed, N, D, H)
        dh, h_prev, z, r, hh, u_h = args
        what = f"gru_gates_backward(...) for N={N}, H={H}"
        want = _ref_gru_gates(*args)
        got = as_answer(call(gru_gates_backward, *args, hint=_SHAPES_HINT), want, what,
                        ("da", "du"), hint="da and du both stack the three blocks z | r | h "
                                           "side by side: (N, 3H).")
        sz, sr, th = z * (1 - z), r * (1 - r), 1 - hh ** 2

        def grads(d_z, d_h, d_r, r_in_u=True, r=r):
            """(da, du) from the three pre-activation gradients."""
            return (np.concatenate([d_z, d_r, d_h], axis=1),
                    np.concatenate([d_z, d_r, d_h * r if r_in_u else d_h], axis=1))

        dz_ok, dhh_ok = dh * (h_prev - hh) * sz, dh * (1 - z) * th
        dr_ok = dhh_ok * u_h * sr
        mistakes = [
            ("dL/dz has the wrong sign: (hh - h_prev) instead of (h_prev - hh)",
             grads(-dz_ok, dhh_ok, dr_ok),
             "h_t = z * h_prev + (1 - z) * hh, so dh_t/dz = h_prev - hh."),
            ("the roles of z and 1 - z are swapped",
             grads(dz_ok, dh * z * th, dh * z * th * u_h * sr),
             "In Keras's GRU z multiplies the *old* state: the candidate gets (1 - z)."),
            ("the sigmoid derivatives of z and r are missing",
             grads(dh * (h_prev - hh), dhh_ok, dhh_ok * u_h),
             "z and r are sigmoids of their pre-activations: multiply by z (1 - z) and "
             "r (1 - r)."),
            ("the tanh derivative of the candidate is missing",
             grads(dz_ok, dh * (1 - z), dh * (1 - z) * u_h * sr),
             "hh = tanh(pre_h): multiply by 1 - hh**2."),
            ("dL/dr uses h_prev where the reset gate multiplies u_h = h_prev U_h + b_rh",
             grads(dz_ok, dhh_ok, dhh_ok * h_prev * sr),
             "With reset_after=True (Keras), pre_h = a_h + r * u_h: r multiplies u_h, so "
             "dL/dr = dL/dpre_h * u_h. (h_prev would be the original GRU, reset before U_h.)"),
            ("du's candidate block misses the factor r",
             grads(dz_ok, dhh_ok, dr_ok, r_in_u=False),
             "u_h enters pre_h as r * u_h, so dL/du_h = dL/dpre_h * r."),
        ]
        diagnose(got, want, mistakes, what=what, terms=ROUNDINGS, scale=1.0, names=("da", "du"),
                 hint="Go backwards through h_t = z * h_prev + (1 - z) * hh, then hh = "
                      "tanh(a_h + r * u_h), then the two sigmoids; da and du differ only in the "
                      "candidate block.")
    return ("The gradients of all three pre-activations match the GRU's backward step; "
            "the reset gate's lives on u_h.")


def check_gru_gates_backward(gru_gates_backward, *, strict=False):
    """Check ``gru_gates_backward(dh, h_prev, z, r, hh, u_h) -> (da, du)``.

    Keras's GRU step (reset_after=True), blocks in the order z, r, h:
    a = x W + b[0] and u = h_prev U + b[1], both (N, 3H); z = sigmoid(a_z + u_z),
    r = sigmoid(a_r + u_r), hh = tanh(a_h + r * u_h), h = z * h_prev + (1 - z) * hh.
    Inputs, each (N, H): dh = dL/dh, h_prev, the gates z and r, the candidate hh and
    u_h = h_prev U_h + b[1]_h. Returns da = dL/da and du = dL/du, each (N, 3H).

    Prints the verdict and returns a CheckResult (truthy when correct); with
    ``strict=True`` an answer that is not right raises AssertionError instead.
    """
    return run_check("gru_gates_backward", _gru_body, gru_gates_backward, strict=strict)
