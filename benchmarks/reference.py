"""Book-style reference implementations of SimpleRNN, LSTM and GRU, for benchmarks and checks.

These follow the structure of the classic from-scratch texts: a small *step* object
that computes one time step and remembers what it needs, and a *time* wrapper that
creates one step object per time step, runs them in order, and on the way back
calls them in reverse order, adding up the weight gradients. As in those texts, every
step object owns gradient arrays shaped like the weights (``self.grads``, allocated
when the step is created), its backward writes the step's gradients into them, and the
time wrapper sums them with ``grads[i] += grad``; the LSTM step caches the cell state
and recomputes its tanh on the way back. The code is written for clarity, not speed;
``benchmarks/bench_recurrent.py`` times it beside the ``rnnlesson`` layers and PyTorch,
and the tests check that it gives the layers' numbers.

Weights use the ``rnnlesson``/Keras layout, so a reference takes them straight from a
layer (``SimpleRNNReference.from_layer(layer)``):

* SimpleRNN: ``kernel`` (D, H), ``recurrent_kernel`` (H, H), ``bias`` (H,)
* LSTM: ``kernel`` (D, 4H), ``recurrent_kernel`` (H, 4H), ``bias`` (4H,), gates i, f, c, o
* GRU (reset_after=True): ``kernel`` (D, 3H), ``recurrent_kernel`` (H, 3H),
  ``bias`` (2, 3H) (row 0 input, row 1 recurrent), gates z, r, h

Every reference has ``forward(x) -> seq`` with x (N, T, D), seq (N, T, H), starting from
zero states, and ``backward(dseq) -> (dx, grads)`` with dseq = dL/dseq (N, T, H),
dx (N, T, D) and ``grads`` a dict keyed by the weight names.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SimpleRNNReference", "LSTMReference", "GRUReference", "build"]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Step:
    """What every step object holds: the weights, its own gradient arrays (shaped like the
    weights, allocated when the step is created, as the classic texts do) and its cache."""

    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None


# ============================================================================ SimpleRNN
class RNNStep(Step):
    """One time step: h = tanh(x Wx + h_prev Wh + b)."""

    def forward(self, x, h_prev):
        h = np.tanh(x @ self.Wx + h_prev @ self.Wh + self.b)
        self.cache = (x, h_prev, h)
        return (h,)

    def backward(self, dh):
        x, h_prev, h = self.cache
        da = dh * (1 - h ** 2)          # dL/da, a = the pre-activation
        dWx = x.T @ da                  # dL/dWx
        dWh = h_prev.T @ da             # dL/dWh
        db = da.sum(axis=0)             # dL/db
        dx = da @ self.Wx.T             # dL/dx
        dh_prev = da @ self.Wh.T        # dL/dh_prev
        self.grads[0][...] = dWx        # this step's share, summed by the time wrapper
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev


class SequenceReference:
    """A recurrent layer over a whole sequence, one step object per time step.

    Subclasses name their ``step_class``, whose ``forward(x_t, *states)`` returns the new
    states (h first) and whose ``backward(dh, *dstates)`` returns ``(dx, *dstates_prev)``.
    """

    names = ("kernel", "recurrent_kernel", "bias")
    step_class = None
    n_states = 1

    def __init__(self, kernel, recurrent_kernel, bias):
        self.params = [np.array(kernel), np.array(recurrent_kernel), np.array(bias)]
        self.H = self.params[1].shape[0]
        self.steps = []

    @classmethod
    def from_layer(cls, layer):
        return cls(*layer.get_weights())

    def forward(self, x):
        N, T, _ = x.shape
        states = [np.zeros((N, self.H), x.dtype) for _ in range(self.n_states)]
        seq = np.empty((N, T, self.H), x.dtype)
        self.steps = []
        for t in range(T):
            step = self.step_class(*self.params)
            states = step.forward(x[:, t, :], *states)
            seq[:, t, :] = states[0]
            self.steps.append(step)
        return seq

    def backward(self, dseq):
        N, T, _ = dseq.shape
        D = self.params[0].shape[0]
        dx = np.empty((N, T, D), dseq.dtype)
        grads = [0, 0, 0]
        dstates = [0] * self.n_states      # from step t+1: nothing after the last step
        for t in reversed(range(T)):
            step = self.steps[t]
            dx[:, t, :], *dstates = step.backward(dseq[:, t, :] + dstates[0], *dstates[1:])
            for i, grad in enumerate(step.grads):
                grads[i] += grad
        return dx, dict(zip(self.names, grads, strict=True))


class SimpleRNNReference(SequenceReference):
    """A tanh SimpleRNN over a whole sequence, one ``RNNStep`` object per time step."""

    step_class = RNNStep


# ============================================================================ LSTM
class LSTMStep(Step):
    """One time step of an LSTM, fused weights with gate order i, f, c, o (Keras)."""

    def forward(self, x, h_prev, c_prev):
        H = h_prev.shape[1]
        a = x @ self.Wx + h_prev @ self.Wh + self.b
        i = sigmoid(a[:, :H])               # input gate
        f = sigmoid(a[:, H:2 * H])          # forget gate
        g = np.tanh(a[:, 2 * H:3 * H])      # candidate cell
        o = sigmoid(a[:, 3 * H:])           # output gate
        c = f * c_prev + i * g
        h = o * np.tanh(c)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c)
        return (h, c)

    def backward(self, dh, dc):
        x, h_prev, c_prev, i, f, g, o, c = self.cache
        tc = np.tanh(c)                           # recomputed, as the classic texts do
        do = dh * tc                              # dL/do
        dc = dc + dh * o * (1 - tc ** 2)          # dL/dc, both paths
        di = dc * g                               # dL/di
        df = dc * c_prev                          # dL/df
        dg = dc * i                               # dL/dg
        dc_prev = dc * f                          # dL/dc_prev
        da = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2),
                        do * o * (1 - o)])        # dL/da, the four pre-activations
        dWx = x.T @ da
        dWh = h_prev.T @ da
        db = da.sum(axis=0)
        dx = da @ self.Wx.T
        dh_prev = da @ self.Wh.T
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev, dc_prev


class LSTMReference(SequenceReference):
    """An LSTM over a whole sequence, one ``LSTMStep`` object per time step."""

    step_class = LSTMStep
    n_states = 2


# ============================================================================ GRU
class GRUStep(Step):
    """One time step of a GRU, Keras 3 ``reset_after=True``, gate order z, r, h."""

    def forward(self, x, h_prev):
        H = h_prev.shape[1]
        ax = x @ self.Wx + self.b[0]          # input part of every gate
        ah = h_prev @ self.Wh + self.b[1]     # recurrent part of every gate
        z = sigmoid(ax[:, :H] + ah[:, :H])                      # update gate
        r = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])            # reset gate
        hh = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])         # candidate
        h = z * h_prev + (1 - z) * hh
        self.cache = (x, h_prev, z, r, hh, ah[:, 2 * H:])
        return (h,)

    def backward(self, dh):
        x, h_prev, z, r, hh, ah_h = self.cache
        dz = dh * (h_prev - hh)                   # dL/dz
        dhh = dh * (1 - z)                        # dL/dhh
        da_h = dhh * (1 - hh ** 2)                # dL/d(candidate pre-activation)
        da_z = dz * z * (1 - z)
        da_r = da_h * ah_h * r * (1 - r)
        dax = np.hstack([da_z, da_r, da_h])       # dL/d(x Wx + b[0])
        dah = np.hstack([da_z, da_r, da_h * r])   # dL/d(h Wh + b[1])
        dWx = x.T @ dax
        dWh = h_prev.T @ dah
        db = np.stack([dax.sum(axis=0), dah.sum(axis=0)])
        dx = dax @ self.Wx.T
        dh_prev = dh * z + dah @ self.Wh.T
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev


class GRUReference(SequenceReference):
    """A GRU (Keras reset_after=True) over a whole sequence, one ``GRUStep`` per time step."""

    step_class = GRUStep

    def __init__(self, kernel, recurrent_kernel, bias):
        super().__init__(kernel, recurrent_kernel, bias)
        if self.params[2].shape != (2, self.params[1].shape[1]):
            raise ValueError("GRUReference expects the reset_after=True bias of shape (2, 3H); "
                             f"got {self.params[2].shape}.")


def build(layer, weights):
    """The reference for a layer name ('simple_rnn', 'lstm', 'gru') and Keras-layout weights."""
    classes = {"simple_rnn": SimpleRNNReference, "lstm": LSTMReference, "gru": GRUReference}
    if layer not in classes:
        raise ValueError(f"build expects one of {', '.join(classes)}; got {layer!r}.")
    return classes[layer](*weights)
