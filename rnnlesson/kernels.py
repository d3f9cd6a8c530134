"""One time step of each recurrent network, forward and backward, as pure functions.

This module is the reference for the recurrent maths of the whole package. The
one-step cells (:mod:`rnnlesson.cells`), the exercise checkers and their reference
solutions call these functions; the fast sequence layers (``SimpleRNN``, ``LSTM``,
``GRU``) rearrange the same arithmetic for speed and are tested against them.

The style is CS231n's: ``*_step_forward(...)`` returns the outputs and a ``cache``;
``*_step_backward(upstream gradients, cache)`` returns every gradient. Nothing is
stored anywhere else and no argument is modified, so a learner can call them, look
at the numbers, and gradient-check them directly.

Conventions (Keras's, as in the whole package): batch first, row vectors, so one
step is ``x_t @ W + h_{t-1} @ U + b``. Shapes: x_t (N, D), h (N, H), c (N, H);
``W`` (D, kH), ``U`` (H, kH), ``b`` (kH,) with k = 1 (RNN), 4 (LSTM) or 3 (GRU).

Vanilla RNN::

    h_t = act(x_t W + h_{t-1} U + b)

LSTM, gate blocks in Keras's (and torch's) order i, f, c, o::

    z   = x_t W + h_{t-1} U + b        (N, 4H): z_i | z_f | z_c | z_o
    i   = sigmoid(z_i)                 input gate
    f   = sigmoid(z_f)                 forget gate
    g   = tanh(z_c)                    candidate cell state (c~)
    o   = sigmoid(z_o)                 output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

GRU, gate blocks in Keras's order z, r, h. With ``reset_after=True`` (Keras 3 and
torch) the bias ``b`` is (2, 3H): row 0 for the input part, row 1 for the recurrent
part::

    a  = x_t W + b[0]                  input part of every block
    u  = h_{t-1} U + b[1]              recurrent part
    z  = sigmoid(a_z + u_z)            update gate
    r  = sigmoid(a_r + u_r)            reset gate
    hh = tanh(a_h + r * u_h)           candidate
    h_t = z * h_{t-1} + (1 - z) * hh

With ``reset_after=False`` (the original paper) ``b`` is (3H,) and the reset gate acts
on h_{t-1} before U_h: ``hh = tanh(x_t W_h + (r * h_{t-1}) U_h + b_h)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["sigmoid", "ACTIVATIONS", "rnn_step_forward", "rnn_step_backward",
           "lstm_step_forward", "lstm_step_backward", "gru_step_forward", "gru_step_backward",
           "RNNStepCache", "LSTMStepCache", "GRUStepCache"]


def sigmoid(z, out=None):
    """The logistic function 1 / (1 + exp(-z)), written as 0.5 tanh(z/2) + 0.5.

    The two are equal for every z; the tanh form never overflows (exp(-z) does for
    z < -88 in float32) and keeps the input's dtype. Its error is a few eps in absolute
    terms (in the far negative tail, where the value is below eps, that is all it keeps).

    With ``out`` (an array of z's shape) the result is written there, with no temporary
    array, for the time loops of the sequence layers; ``out`` may be ``z`` itself.
    """
    if out is None:
        return 0.5 * np.tanh(0.5 * z) + 0.5
    np.multiply(z, 0.5, out)
    np.tanh(out, out)
    np.multiply(out, 0.5, out)
    np.add(out, 0.5, out)
    return out


def _relu(z):
    return np.maximum(z, 0)


#: activation of a vanilla RNN step: name -> (f(z), f'(z) written from y = f(z))
ACTIVATIONS = {
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "relu": (_relu, lambda y: (y > 0).astype(y.dtype)),
    "sigmoid": (sigmoid, lambda y: y * (1 - y)),
    "linear": (lambda z: z, np.ones_like),
}


# ---------------------------------------------------------------------- vanilla RNN
class RNNStepCache(NamedTuple):
    """What ``rnn_step_backward`` needs from the forward step."""

    x: np.ndarray        # x_t (N, D)
    h_prev: np.ndarray   # h_{t-1} (N, H)
    h: np.ndarray        # h_t (N, H)
    W: np.ndarray        # kernel (D, H)
    U: np.ndarray        # recurrent kernel (H, H)
    activation: str


def rnn_step_forward(x, h_prev, W, U, b, activation="tanh"):
    """One step of a vanilla (Elman) RNN: ``h = act(x W + h_prev U + b)``.

    Args:
        x: inputs of this step, (N, D).
        h_prev: the previous hidden state, (N, H).
        W: (D, H); U: (H, H); b: (H,).
        activation: 'tanh' (default), 'relu', 'sigmoid' or 'linear'.

    Returns:
        ``(h, cache)``: the new hidden state (N, H) and what the backward step needs.
    """
    act, _ = ACTIVATIONS[activation]
    h = act(x @ W + h_prev @ U + b)
    return h, RNNStepCache(x, h_prev, h, W, U, activation)


def rnn_step_backward(dh, cache: RNNStepCache):
    """Back through one RNN step.

    Args:
        dh: dL/dh_t, the whole gradient reaching h_t (from the output at t and from
            step t+1), (N, H).
        cache: from :func:`rnn_step_forward`.

    Returns:
        ``(dx, dh_prev, dW, dU, db)``: (N, D), (N, H), (D, H), (H, H), (H,).
    """
    x, h_prev, h, W, U, activation = cache
    _, slope = ACTIVATIONS[activation]
    dz = dh * slope(h)            # dL/dz = dL/dh * act'(z), act' written from h = act(z)
    dW = x.T @ dz                 # dL/dW = x_tᵀ dz
    dU = h_prev.T @ dz            # dL/dU = h_{t-1}ᵀ dz
    db = dz.sum(axis=0)           # dL/db = Σ_n dz
    dx = dz @ W.T                 # dL/dx_t = dz Wᵀ
    dh_prev = dz @ U.T            # dL/dh_{t-1} = dz Uᵀ
    return dx, dh_prev, dW, dU, db


# ---------------------------------------------------------------------- LSTM
class LSTMStepCache(NamedTuple):
    """What ``lstm_step_backward`` needs from the forward step (gates after activation)."""

    x: np.ndarray        # x_t (N, D)
    h_prev: np.ndarray   # h_{t-1} (N, H)
    c_prev: np.ndarray   # c_{t-1} (N, H)
    i: np.ndarray        # input gate (N, H)
    f: np.ndarray        # forget gate
    g: np.ndarray        # candidate c~
    o: np.ndarray        # output gate
    tanh_c: np.ndarray   # tanh(c_t)
    W: np.ndarray        # kernel (D, 4H)
    U: np.ndarray        # recurrent kernel (H, 4H)


def lstm_step_forward(x, h_prev, c_prev, W, U, b):
    """One LSTM step (gate order i, f, c, o; equations in the module docstring).

    Args:
        x: (N, D); h_prev, c_prev: (N, H); W: (D, 4H); U: (H, 4H); b: (4H,).

    Returns:
        ``(h, c, cache)``: the new hidden and cell states, each (N, H), and the cache.
    """
    H = h_prev.shape[1]
    z = x @ W + h_prev @ U + b         # (N, 4H): every gate's pre-activation at once
    i = sigmoid(z[:, :H])              # input gate: how much of the candidate to write
    f = sigmoid(z[:, H:2 * H])         # forget gate: how much of the old cell to keep
    g = np.tanh(z[:, 2 * H:3 * H])     # candidate c~
    o = sigmoid(z[:, 3 * H:])          # output gate: how much of the cell to show
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, LSTMStepCache(x, h_prev, c_prev, i, f, g, o, tanh_c, W, U)


def lstm_step_backward(dh, dc, cache: LSTMStepCache):
    """Back through one LSTM step.

    Args:
        dh: dL/dh_t, everything reaching h_t (its output and step t+1), (N, H).
        dc: dL/dc_t arriving from step t+1 (zeros after the last step), (N, H).
        cache: from :func:`lstm_step_forward`.

    Returns:
        ``(dx, dh_prev, dc_prev, dW, dU, db)``: (N, D), (N, H), (N, H), (D, 4H), (H, 4H), (4H,).
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, W, U = cache
    # h = o * tanh(c)
    do = dh * tanh_c                           # dL/do = dL/dh * tanh(c)
    dc = dc + dh * o * (1 - tanh_c ** 2)       # dL/dc: from step t+1, plus through h
    # c = f * c_prev + i * g
    di = dc * g                                # dL/di = dL/dc * c~
    df = dc * c_prev                           # dL/df = dL/dc * c_{t-1}
    dg = dc * i                                # dL/dc~ = dL/dc * i
    dc_prev = dc * f                           # dL/dc_{t-1} = dL/dc * f
    # back through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - tanh^2
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2),
                         do * o * (1 - o)], axis=1)   # (N, 4H), order i, f, c, o
    # z = x W + h_prev U + b
    dW = x.T @ dz                              # dL/dW = x_tᵀ dz       (D, 4H)
    dU = h_prev.T @ dz                         # dL/dU = h_{t-1}ᵀ dz   (H, 4H)
    db = dz.sum(axis=0)                        # dL/db = Σ_n dz        (4H,)
    dx = dz @ W.T                              # dL/dx_t = dz Wᵀ       (N, D)
    dh_prev = dz @ U.T                         # dL/dh_{t-1} = dz Uᵀ   (N, H)
    return dx, dh_prev, dc_prev, dW, dU, db


# ---------------------------------------------------------------------- GRU
class GRUStepCache(NamedTuple):
    """What ``gru_step_backward`` needs from the forward step."""

    x: np.ndarray            # x_t (N, D)
    h_prev: np.ndarray       # h_{t-1} (N, H)
    z: np.ndarray            # update gate (N, H)
    r: np.ndarray            # reset gate (N, H)
    hh: np.ndarray           # candidate (N, H)
    u_h: np.ndarray | None   # h_{t-1} U_h + b_rh (reset_after) or None
    rh: np.ndarray | None    # r * h_{t-1} (not reset_after) or None
    W: np.ndarray            # kernel (D, 3H)
    U: np.ndarray            # recurrent kernel (H, 3H)
    reset_after: bool


def gru_step_forward(x, h_prev, W, U, b, reset_after=True):
    """One GRU step (gate order z, r, h; equations in the module docstring).

    Args:
        x: (N, D); h_prev: (N, H); W: (D, 3H); U: (H, 3H);
        b: (2, 3H) with ``reset_after=True`` (input row, recurrent row), else (3H,).

    Returns:
        ``(h, cache)``: the new hidden state (N, H) and the cache.
    """
    H = h_prev.shape[1]
    a = x @ W + (b[0] if reset_after else b)      # input part of z | r | h
    if reset_after:
        u = h_prev @ U + b[1]                     # recurrent part of z | r | h
        z = sigmoid(a[:, :H] + u[:, :H])          # update gate
        r = sigmoid(a[:, H:2 * H] + u[:, H:2 * H])  # reset gate
        u_h, rh = u[:, 2 * H:], None
        hh = np.tanh(a[:, 2 * H:] + r * u_h)      # candidate: reset applied after U_h
    else:
        u = h_prev @ U[:, :2 * H]
        z = sigmoid(a[:, :H] + u[:, :H])
        r = sigmoid(a[:, H:2 * H] + u[:, H:])
        u_h, rh = None, r * h_prev
        hh = np.tanh(a[:, 2 * H:] + rh @ U[:, 2 * H:])  # reset applied before U_h
    h = z * h_prev + (1 - z) * hh
    return h, GRUStepCache(x, h_prev, z, r, hh, u_h, rh, W, U, reset_after)


def gru_step_backward(dh, cache: GRUStepCache):
    """Back through one GRU step.

    Args:
        dh: dL/dh_t, everything reaching h_t, (N, H).
        cache: from :func:`gru_step_forward`.

    Returns:
        ``(dx, dh_prev, dW, dU, db)``, db of the bias's shape ((2, 3H) or (3H,)).
    """
    x, h_prev, z, r, hh, u_h, rh, W, U, reset_after = cache
    H = h_prev.shape[1]
    dh_prev = dh * z                        # the direct path h_t = z * h_{t-1} + ...
    da_z = dh * (h_prev - hh) * z * (1 - z)  # dL/d(pre_z): dL/dz = dL/dh (h_{t-1} - hh)
    da_h = dh * (1 - z) * (1 - hh ** 2)     # dL/d(pre_hh): dL/dhh = dL/dh (1 - z)
    if reset_after:
        da_r = da_h * u_h * r * (1 - r)     # dL/dr = dL/dpre_hh * (h U_h + b_rh)
        da_x = np.concatenate([da_z, da_r, da_h], axis=1)      # dL/d(x W + b[0])
        da_u = np.concatenate([da_z, da_r, da_h * r], axis=1)  # dL/d(h U + b[1])
        dW = x.T @ da_x
        dU = h_prev.T @ da_u
        db = np.stack([da_x.sum(axis=0), da_u.sum(axis=0)])
        dh_prev = dh_prev + da_u @ U.T
    else:
        drh = da_h @ U[:, 2 * H:].T         # dL/d(r * h_{t-1}) = dL/dpre_hh U_hᵀ
        da_r = drh * h_prev * r * (1 - r)   # dL/d(pre_r)
        da_x = np.concatenate([da_z, da_r, da_h], axis=1)
        dW = x.T @ da_x
        dU = np.concatenate([h_prev.T @ da_x[:, :2 * H], rh.T @ da_h], axis=1)
        db = da_x.sum(axis=0)
        dh_prev = dh_prev + drh * r + da_x[:, :2 * H] @ U[:, :2 * H].T
    dx = da_x @ W.T
    return dx, dh_prev, dW, dU, db
