"""``SimpleRNN`` (the sequence layer) and ``SimpleRNNCell`` (one time step).

The Elman RNN, as Keras writes it::

    h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)

with x_t of shape (N, D), h_t of shape (N, H), ``kernel`` (D, H),
``recurrent_kernel`` (H, H), ``bias`` (H,) and ``act`` one of tanh (default),
relu, sigmoid or linear.

``SimpleRNNCell`` is the teaching version: one step forward, one step back,
the maths written out line by line. ``SimpleRNN`` computes the same numbers for
a whole sequence, written for speed (see its docstring for the tricks).
"""

from __future__ import annotations

import numpy as np

from .. import _checks, activations, initializers
from .base import Layer
from .recurrent import Recurrent

#: the activations a recurrent layer accepts (softmax makes no sense on a hidden state)
RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def _check_activation(activation, owner: str) -> str:
    if activation is None:
        return "linear"
    if not isinstance(activation, str) or activation not in RNN_ACTIVATIONS:
        raise ValueError(
            f"{owner} expects activation to be one of "
            f"{', '.join(repr(a) for a in RNN_ACTIVATIONS)} or None; got {activation!r}."
        )
    return activation


def _activate_into(name: str, z: np.ndarray, out: np.ndarray) -> None:
    """Write act(z) into ``out`` (same shape); ``z`` may be overwritten."""
    if name == "tanh":
        np.tanh(z, out)
    elif name == "relu":
        np.maximum(z, 0, out=out)
    elif name == "sigmoid":  # sigmoid(z) = 0.5 * tanh(0.5 z) + 0.5, never overflows
        np.multiply(z, 0.5, z)
        np.tanh(z, out)
        np.multiply(out, 0.5, out)
        np.add(out, 0.5, out)
    else:  # linear
        np.copyto(out, z)


def _derivative_from_output(name: str, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write d act / dz, from the output y = act(z), into ``out`` for a whole block."""
    if name == "tanh":
        np.multiply(y, y, out)
        np.subtract(1, out, out)  # 1 - y^2
    elif name == "sigmoid":
        np.multiply(y, y, out)
        np.subtract(y, out, out)  # y (1 - y)
    elif name == "relu":
        np.greater(y, 0, out)     # 1 where y > 0
    else:
        out.fill(1)               # linear
    return out


def workspace(layer, name: str, shape, dtype) -> np.ndarray:
    """A scratch array kept by ``layer`` between calls (same shape and dtype: same memory).

    Fresh multi-megabyte arrays on every call cost page faults (the allocator hands big
    blocks back to the system), which measured about a third of a training step; the
    layers therefore keep their time-major buffers. They are internal: nothing returned
    to the caller is a workspace, and each forward call overwrites the previous one's.
    """
    ws = layer.__dict__.setdefault("_workspaces", {})
    a = ws.get(name)
    if a is None or a.shape != shape or a.dtype != dtype:
        a = ws[name] = np.empty(shape, dtype)
    return a


def time_columns(layer, name: str, a: np.ndarray) -> np.ndarray:
    """Time-major blocks ``a`` (T, R, N) as one (R, T*N) matrix, columns ordered (t, n).

    Copied into the workspace ``name`` of ``layer``: the transposed layers (LSTM, GRU)
    keep step t's gradients as an (R, N) block, and each weight gradient is then one
    product of two such matrices over all T*N columns.
    """
    t, r, n = a.shape
    out = workspace(layer, name, (r, t, n), a.dtype)
    np.copyto(out, a.transpose(1, 0, 2))
    return out.reshape(r, t * n)


def _fold_inputs(d: int, h: int) -> bool:
    """Fold x_t into the per-step product when the input is narrow (see SimpleRNN doc)."""
    return 2 * d <= h


# ---------------------------------------------------------------------------- the layer
class SimpleRNN(Recurrent):
    """Fully connected RNN whose output is fed back as the next step's input (Keras's SimpleRNN).

    ``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``, h_0 = 0 unless given.

    Args:
        units: H, the size of the hidden state.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'linear' (or None).
        return_sequences, return_state, go_backwards, stateful: as Keras (see ``Recurrent``).
        dtype, seed, name, input_shape: as ``Layer``.

    Shapes: input (N, T, D); output (N, T, H) with return_sequences else (N, H).
    Weights (Keras's names and order): ``kernel`` (D, H) glorot-uniform,
    ``recurrent_kernel`` (H, H) orthogonal, ``bias`` (H,) zeros.

    How it is made fast (same numbers as the step-by-step cell, checked in the tests):

    * Time-major buffers. The states live in one preallocated array ``S`` of shape
      (T+1, N, K) with ``S[t, :, :H] = h_{t-1}``; each step's activation writes
      straight into the slot the next step's product reads, and the backward pass
      reads every h_{t-1} from the same array.
    * Inputs outside the loop. When D is wide (2D > H), ``A = X @ kernel + bias``
      is one GEMM over all T*N rows before the loop, and a step is
      ``h_t = act(A_t + h_{t-1} @ recurrent_kernel)``. When D is narrow, x_t and a
      column of ones are stored beside h_{t-1} in ``S`` (K = H + D + 1), so a step is
      one product ``[h_{t-1} | x_t | 1] @ [recurrent_kernel; kernel; bias]``.
    * One GEMM per weight gradient after the loop. With dA_t = dL/d(pre-activation
      at step t) kept for all steps in a (T, N, H) buffer, the loop does only
      ``dA_t = dh_t * act'`` and ``dh_{t-1} = dA_t @ recurrent_kernelᵀ``; then
      dL/d(kernel) = Xᵀ dA, dL/d(recurrent_kernel) = H_prevᵀ dA and dL/d(bias) = 1ᵀ dA
      are single products over all T*N rows (in the folded case one product
      ``Sᵀ dA`` gives all three), and dL/dX = dA @ kernelᵀ is one more.
    * Scratch buffers (``S``, dA, ...) are kept between calls of the same shape
      (see :func:`workspace`): fresh megabyte arrays on every call cost page faults.
      Everything returned (outputs, dL/dX, state gradients) is a fresh array.
    """

    _config_keys = ("units", "activation", "return_sequences", "return_state", "go_backwards",
                    "stateful")

    def __init__(self, units, activation="tanh", *, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, dtype="float32", seed=None, name=None,
                 input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.activation = _check_activation(activation, type(self).__name__)
        self._seq = None

    def _build_weights(self, input_dim: int) -> None:
        h = self.units
        self.add_weight("kernel", initializers.glorot_uniform((input_dim, h), self.rng, self.dtype))
        self.add_weight("recurrent_kernel", initializers.orthogonal((h, h), self.rng, self.dtype))
        self.add_weight("bias", initializers.zeros((h,), dtype=self.dtype))

    # ------------------------------------------------------------------ forward
    def _forward_seq(self, x, states, training):
        n, t_len, d = x.shape
        h = self.units
        dt = self.dtype
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        fold = _fold_inputs(d, h)
        act = self.activation
        k = h + d + 1 if fold else h
        S = workspace(self, "S", (t_len + 1, n, k), dt)  # S[t, :, :H] = h_{t-1}
        S[0, :, :h] = states[0]
        xt = x.transpose(1, 0, 2)  # (T, N, D) view, time-major
        z = workspace(self, "z", (n, h), dt)
        matmul, dot = np.matmul, np.dot  # np.dot: less call overhead for one 2-D product
        if fold:
            S[:t_len, :, h:h + d] = xt
            S[:t_len, :, k - 1] = 1
            S[t_len, :, h:] = 0
            M = np.concatenate([U, W, b[None, :]], axis=0)  # (K, H)
            if act == "tanh":
                tanh = np.tanh
                for s_t, h_next in zip(S[:-1], S[1:, :, :h], strict=True):
                    dot(s_t, M, z)         # z = h_{t-1} U + x_t W + b
                    tanh(z, h_next)        # h_t = tanh(z), written where step t+1 reads it
            else:
                for s_t, h_next in zip(S[:-1], S[1:, :, :h], strict=True):
                    dot(s_t, M, z)
                    _activate_into(act, z, h_next)
            X = None
        else:
            X = workspace(self, "X", (t_len, n, d), dt)  # (T, N, D), kept for dL/dkernel
            np.copyto(X, xt)
            A = workspace(self, "A", (t_len, n, h), dt)
            matmul(X.reshape(t_len * n, d), W, A.reshape(t_len * n, h))
            A += b  # A_t = x_t W + b for every t at once
            add = np.add
            if act == "tanh":
                tanh = np.tanh
                for h_prev, a_t, h_next in zip(S[:-1], A, S[1:], strict=True):
                    dot(h_prev, U, z)      # h_{t-1} U
                    add(z, a_t, z)         # + x_t W + b
                    tanh(z, h_next)        # h_t
            else:
                for h_prev, a_t, h_next in zip(S[:-1], A, S[1:], strict=True):
                    dot(h_prev, U, z)
                    add(z, a_t, z)
                    _activate_into(act, z, h_next)
        self._seq = (S, X, fold, n, t_len, d)
        hs = S[1:, :, :h].transpose(1, 0, 2)  # (N, T, H) view
        seq = hs.copy(order="C") if self.return_sequences else hs  # never a workspace view
        return seq, [S[t_len, :, :h]]

    # ------------------------------------------------------------------ backward
    def _backward_seq(self, dseq, dfinal):
        S, X, fold, n, t_len, d = self._seq
        h = self.units
        dt = self.dtype
        W, U = self.params["kernel"], self.params["recurrent_kernel"]
        UT = np.ascontiguousarray(U.T)  # contiguous: each step's product is a little faster
        # act'(z_t) for every step at once, from the outputs h_t
        fac = _derivative_from_output(self.activation, S[1:, :, :h],
                                      workspace(self, "fac", (t_len, n, h), dt))
        dA = workspace(self, "dA", (t_len, n, h), dt)  # dL/dz_t, z_t the pre-activation at t
        dh = np.ascontiguousarray(dfinal[0], dtype=dt)  # dL/dh_T (our own array)
        multiply, matmul, add, dot = np.multiply, np.matmul, np.add, np.dot
        if dseq is None:
            for da, f in zip(dA[::-1], fac[::-1], strict=True):
                multiply(dh, f, da)        # dL/dz_t = dL/dh_t * act'(z_t)
                dot(da, UT, dh)            # dL/dh_{t-1} = dL/dz_t @ Uᵀ
        else:
            # time-major copy: adding a contiguous (N, H) block each step is about twice as
            # fast as adding the strided slice dseq[:, t] (rows T*H apart)
            dseq_t = workspace(self, "dseq", (t_len, n, h), dt)
            np.copyto(dseq_t, dseq.transpose(1, 0, 2))
            for da, f, g in zip(dA[::-1], fac[::-1], dseq_t[::-1], strict=True):
                add(dh, g, dh)             # dL/dh_t += gradient from the output at t
                multiply(dh, f, da)        # dL/dz_t = dL/dh_t * act'(z_t)
                dot(da, UT, dh)            # dL/dh_{t-1} = dL/dz_t @ Uᵀ
        rows = t_len * n
        dA2 = dA.reshape(rows, h)
        S2 = S[:t_len].reshape(rows, S.shape[2])
        g = self.grads
        if fold:
            dM = S2.T @ dA2                # dL/d[U; W; b] = [h_prev | x | 1]ᵀ dA
            g["recurrent_kernel"][...] = dM[:h]
            g["kernel"][...] = dM[h:h + d]
            g["bias"][...] = dM[h + d]
        else:
            matmul(S2.T, dA2, g["recurrent_kernel"])               # dL/dU = H_prevᵀ dA
            matmul(X.reshape(rows, d).T, dA2, g["kernel"])         # dL/dW = Xᵀ dA
            matmul(np.ones(rows, dt), dA2, g["bias"])              # dL/db = 1ᵀ dA
        dx = workspace(self, "dx", (t_len, n, d), dt)
        matmul(dA2, W.T, dx.reshape(rows, d))                      # dL/dX = dA Wᵀ
        return dx.transpose(1, 0, 2).copy(order="C"), [dh]


# ---------------------------------------------------------------------------- cells
class _StepCell(Layer):
    """What the one-step cells share: input checks and the stack of cached steps.

    A cell remembers every step it ran forward (a stack of caches); ``backward``
    goes back through the most recent one and removes it, so calling forward for
    t = 1..T and then backward T times walks the sequence back, as BPTT does.
    """

    _config_keys = ("units",)

    def __init__(self, units, *, dtype="float32", seed=None, name=None):
        super().__init__(name=name, dtype=dtype, seed=seed)
        self.units = _checks.positive_int(units, "units", type(self).__name__)
        self._steps: list = []

    def build(self, input_shape) -> None:
        """Create the weights for inputs x_t of shape (N, D) (or just (D,))."""
        input_shape = tuple(input_shape)
        d = input_shape[-1] if input_shape else None
        if d is None or isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"{type(self).__name__}.build expects an input shape (N, D) with a "
                             f"positive D; got {_checks.shape_str(input_shape)}.")
        super().build(input_shape)

    def _prepare_step(self, x_t, state):
        owner = f"{type(self).__name__}.forward"
        x_t = _checks.as_float_array(x_t, self.dtype, owner, "x_t")
        if x_t.ndim != 2:
            raise ValueError(
                f"{owner} expects one time step x_t of shape (N, D); got "
                f"{_checks.shape_str(x_t.shape)}. For a whole sequence (N, T, D), call the cell "
                "once per step on x[:, t], or use the sequence layer."
            )
        _checks.check_nonempty(x_t, owner, "(N, D)")
        if not self.built:
            self.build((None, x_t.shape[1]))
        d = self.params["kernel"].shape[0]
        if x_t.shape[1] != d:
            raise ValueError(f"{owner}: cell '{self.name}' was built for D={d} input features; "
                             f"got x_t of shape {_checks.shape_str(x_t.shape)}.")
        n = x_t.shape[0]
        if state is None:
            h_prev = np.zeros((n, self.units), self.dtype)
        else:
            h_prev = _checks.as_float_array(state, self.dtype, owner, "state")
            if h_prev.shape != (n, self.units):
                raise ValueError(f"{owner} expects state of shape (N, H) = ({n}, {self.units}); "
                                 f"got {_checks.shape_str(h_prev.shape)}.")
        return x_t, h_prev

    def _pop_step(self, dh, dstate):
        owner = f"{type(self).__name__}.backward"
        if not self._steps:
            raise RuntimeError(
                f"{owner}: no cached step to go back through. Each backward undoes one "
                "forward step (the most recent first); call forward(x_t, state) first."
            )
        cache = self._steps[-1]
        n = cache["x"].shape[0]
        total = np.zeros((n, self.units), self.dtype)
        for g, what in ((dh, "dh"), (dstate, "dstate")):
            if g is None:
                continue
            g = _checks.as_float_array(g, self.dtype, owner, what)
            if g.shape != (n, self.units):
                raise ValueError(f"{owner} expects {what} of shape (N, H) = ({n}, {self.units}), "
                                 f"like the h of the step it goes back through; got "
                                 f"{_checks.shape_str(g.shape)}.")
            total += g  # a new array: the caller's gradients are never modified
        self._steps.pop()
        return cache, total

    def reset_cache(self) -> None:
        """Forget the cached steps (for example to start a new sequence without backward)."""
        self._steps.clear()


class SimpleRNNCell(_StepCell):
    """One step of a SimpleRNN: ``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Args:
        units: H, the size of the hidden state.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'linear' (or None).
        dtype, seed, name: as ``Layer``.

    Use::

        h, state = cell.forward(x_t, state)    # x_t (N, D), state (N, H) or None (zeros)
        dx_t, dstate = cell.backward(dh, dstate)

    ``backward`` goes back through the most recent forward step: ``dh`` is dL/dh_t from
    the output at that step, ``dstate`` the gradient arriving from step t+1 (either may be
    None); it returns dL/dx_t (N, D) and dL/dh_{t-1} (N, H), and ADDS the step's weight
    gradients to ``cell.grads`` (call ``cell.zero_grad()`` before a new sequence).
    Weights as ``SimpleRNN``: ``kernel`` (D, H), ``recurrent_kernel`` (H, H), ``bias`` (H,).
    """

    _config_keys = ("units", "activation")

    def __init__(self, units, activation="tanh", *, dtype="float32", seed=None, name=None):
        super().__init__(units, dtype=dtype, seed=seed, name=name)
        self.activation = _check_activation(activation, type(self).__name__)
        self._act, self._act_backward = activations.get(self.activation)

    def _build(self, input_shape) -> None:
        d, h = int(input_shape[-1]), self.units
        self.add_weight("kernel", initializers.glorot_uniform((d, h), self.rng, self.dtype))
        self.add_weight("recurrent_kernel", initializers.orthogonal((h, h), self.rng, self.dtype))
        self.add_weight("bias", initializers.zeros((h,), dtype=self.dtype))

    def forward(self, x_t, state=None):
        """One step. x_t: (N, D); state: h_{t-1} (N, H) or None. Returns (h_t, h_t), each (N, H)."""
        x_t, h_prev = self._prepare_step(x_t, state)
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        z = x_t @ W + h_prev @ U + b        # pre-activation z_t, (N, H)
        h = self._act(z)                    # h_t = act(z_t)
        self._steps.append({"x": x_t.copy(), "h_prev": h_prev.copy(), "h": h.copy()})
        return h, h

    def backward(self, dh, dstate=None):
        """Back through the latest step. dh, dstate: (N, H) or None. Returns (dx_t, dh_prev)."""
        cache, dh_total = self._pop_step(dh, dstate)
        x, h_prev, h = cache["x"], cache["h_prev"], cache["h"]
        W, U = self.params["kernel"], self.params["recurrent_kernel"]
        dz = self._act_backward(dh_total, h)                # dL/dz = dL/dh * act'(z)
        self.grads["kernel"] += x.T @ dz                    # dL/dW += x_tᵀ dz
        self.grads["recurrent_kernel"] += h_prev.T @ dz     # dL/dU += h_{t-1}ᵀ dz
        self.grads["bias"] += dz.sum(axis=0)                # dL/db += Σ_n dz
        dx = dz @ W.T                                       # dL/dx_t = dz Wᵀ
        dh_prev = dz @ U.T                                  # dL/dh_{t-1} = dz Uᵀ
        return dx, dh_prev
