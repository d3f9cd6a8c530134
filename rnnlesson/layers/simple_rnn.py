"""``SimpleRNN``: the Elman RNN over a whole sequence, written for speed.

The Elman RNN, as Keras writes it::

    h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)

with x_t of shape (N, D), h_t of shape (N, H), ``kernel`` (D, H),
``recurrent_kernel`` (H, H), ``bias`` (H,) and ``act`` one of tanh (default),
relu, sigmoid or linear.

The reference for its maths is :func:`rnnlesson.kernels.rnn_step_forward` (and
``rnn_step_backward``), which the teaching cell ``rnnlesson.cells.SimpleRNNCell``
calls one step at a time. ``SimpleRNN`` computes the same numbers for a whole
sequence, arranged for speed (see its docstring for the tricks); the tests check it
against a loop of the kernels.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import activations, kernels
from ._buffers import workspace
from .masking import skipped_rows
from .recurrent import Recurrent


def _activate_into(name: str, z: np.ndarray, out: np.ndarray) -> None:
    """Write act(z) into ``out`` (same shape); ``z`` may be overwritten."""
    if name == "tanh":
        np.tanh(z, out)
    elif name == "relu":
        np.maximum(z, 0, out=out)
    elif name == "sigmoid":
        kernels.sigmoid(z, out)
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
        dropout, recurrent_dropout, zero_output_for_mask: as Keras (see ``Recurrent``).
        dtype, seed, name, input_shape: as ``Layer``.

    Shapes: input (N, T, D); output (N, T, H) with return_sequences else (N, H).
    ``forward(x, mask=...)`` skips masked steps: the state is carried through them unchanged.
    Weights (Keras's names and order): ``kernel`` (D, H) glorot-uniform,
    ``recurrent_kernel`` (H, H) orthogonal, ``bias`` (H,) zeros.

    How it is made fast (the numbers of :func:`rnnlesson.kernels.rnn_step_forward` and
    ``rnn_step_backward`` step by step, the reference; checked in the tests):

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
    * A mask with holes (see ``Recurrent``): after each step that skips some sequence,
      their rows of h_t are copied from h_{t-1}; backward zeroes act' there (so dL/dz_t
      = 0) and copies dL/dh_t across. Padding masks need none of it (``spans``).
    * Scratch buffers (``S``, dA, ...) are kept between calls of the same shape
      (see :func:`workspace`): fresh megabyte arrays on every call cost page faults.
      Everything returned (outputs, dL/dX, state gradients) is a fresh array.
    """

    time_major_dseq = True
    _config_keys = ("units", "activation", "return_sequences", "return_state", "go_backwards",
                    "stateful", "dropout", "recurrent_dropout", "zero_output_for_mask")

    def __init__(self, units, activation="tanh", *, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, dropout=0.0, recurrent_dropout=0.0,
                 zero_output_for_mask=False, dtype="float32", seed=None, name=None,
                 input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dropout=dropout,
                         recurrent_dropout=recurrent_dropout,
                         zero_output_for_mask=zero_output_for_mask, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.activation = activations.canonical(activation, type(self).__name__,
                                                activations.RECURRENT_NAMES)
        self._seq = None

    # ------------------------------------------------------------------ forward
    def _forward_seq(self, x, states, keep, copy=True):
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
            if keep is not None:
                self._masked_loop(S, None, M, z, keep)
            elif act == "tanh":
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
            if keep is not None:
                self._masked_loop(S, A, U, z, keep)
            elif act == "tanh":
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
        self._seq = (S, X, fold, n, t_len, d, keep)
        hs = S[1:, :, :h].transpose(1, 0, 2)  # (N, T, H) view
        seq = hs.copy(order="C") if copy else hs  # a workspace view only when asked
        return seq, [S[t_len, :, :h]]

    def _states_at(self, steps):
        """[h] after ``steps[n]`` steps of sequence n (N,), from the last forward: (N, H)."""
        S = self._seq[0]
        return [S[steps, np.arange(steps.shape[0]), :self.units]]

    def _masked_loop(self, S, A, M, z, keep):
        """The forward loop with a sequence mask ``keep`` (N, T): as the plain loops, then
        h_t = h_{t-1} in the rows of the masked sequences (one copy, only at steps where
        some sequence is masked). ``A`` holds the input part (None when x_t is folded into
        the operand S[t] and ``M`` = [U; W; b])."""
        h = self.units
        act = self.activation
        act_into = np.tanh if act == "tanh" else partial(_activate_into, act)
        dot, add, copyto = np.dot, np.add, np.copyto
        carry = skipped_rows(keep, h)
        h_prev = S[:-1, :, :h]
        if A is None:
            for s_t, hp, h_next, c in zip(S[:-1], h_prev, S[1:, :, :h], carry, strict=True):
                dot(s_t, M, z)
                act_into(z, h_next)
                if c is not None:
                    copyto(h_next, hp, where=c)  # a masked step keeps the state
        else:
            for hp, a_t, h_next, c in zip(h_prev, A, S[1:, :, :h], carry, strict=True):
                dot(hp, M, z)
                add(z, a_t, z)
                act_into(z, h_next)
                if c is not None:
                    copyto(h_next, hp, where=c)

    # ------------------------------------------------------------------ backward
    def _backward_seq(self, dseq, dfinal):
        S, X, fold, n, t_len, d, keep = self._seq
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
        dseq_t = None
        if dseq is not None:
            # time-major: adding a contiguous (N, H) block each step is about twice as fast
            # as adding the strided slice dseq[:, t] (rows T*H apart); a padding mask's
            # gradients come time-major already (only read here)
            dseq_t = dseq.transpose(1, 0, 2)
            if not (dseq_t.flags.c_contiguous and dseq_t.dtype == dt):
                dseq_t = workspace(self, "dseq", (t_len, n, h), dt)
                np.copyto(dseq_t, dseq.transpose(1, 0, 2))
        if keep is not None:
            # a masked step: dL/dz_t = 0 (the factor is zeroed) and dL/dh_{t-1} = dL/dh_t
            multiply(fac, keep.T[:, :, None], fac)
            dh = self._masked_backward_loop(dA, fac, dseq_t, dh, UT, skipped_rows(keep, h))
        elif dseq is None:
            for da, f in zip(dA[::-1], fac[::-1], strict=True):
                multiply(dh, f, da)        # dL/dz_t = dL/dh_t * act'(z_t)
                dot(da, UT, dh)            # dL/dh_{t-1} = dL/dz_t @ Uᵀ
        else:
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

    @staticmethod
    def _masked_backward_loop(dA, fac, dseq_t, dh, UT, carry):
        """The backward loop with a mask: the plain step, then the rows of masked sequences
        take dL/dh_{t-1} = dL/dh_t (their dL/dz_t is 0, as ``fac`` is zero there)."""
        multiply, add, dot, copyto = np.multiply, np.add, np.dot, np.copyto
        nxt = np.empty_like(dh)
        dseq_rev = dseq_t[::-1] if dseq_t is not None else [None] * len(carry)
        for da, f, g, c in zip(dA[::-1], fac[::-1], dseq_rev, carry[::-1], strict=True):
            if g is not None:
                add(dh, g, dh)             # dL/dh_t += gradient from the output at t
            multiply(dh, f, da)            # dL/dz_t = dL/dh_t * act'(z_t) (0 if masked)
            if c is None:
                dot(da, UT, dh)            # dL/dh_{t-1} = dL/dz_t @ Uᵀ
            else:
                dot(da, UT, nxt)
                copyto(nxt, dh, where=c)   # masked rows: h_t = h_{t-1}, so the same gradient
                dh, nxt = nxt, dh
        return dh
