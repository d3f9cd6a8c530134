"""``LSTM``: long short-term memory over a whole sequence, written for speed.

One time step, with Keras's gate order i, f, c, o (torch's i, f, g, o is the same order)::

    z   = x_t W + h_{t-1} U + b        (N, 4H): four blocks of H columns z_i, z_f, z_c, z_o
    i   = sigmoid(z_i)                 input gate:  how much of the candidate to write
    f   = sigmoid(z_f)                 forget gate: how much of the old cell state to keep
    c~  = tanh(z_c)                    candidate cell state
    o   = sigmoid(z_o)                 output gate: how much of the cell to show
    c_t = f * c_{t-1} + i * c~         cell state (N, H)
    h_t = o * tanh(c_t)                hidden state and output (N, H)

Weights as Keras: ``kernel`` W (D, 4H), ``recurrent_kernel`` U (H, 4H), ``bias`` b (4H,).
Initialised glorot_uniform, orthogonal and zeros, with the forget block of the bias set
to 1 when ``unit_forget_bias=True`` (so a new LSTM remembers by default).

The reference for these equations, forward and backward, is
:func:`rnnlesson.kernels.lstm_step_forward` and :func:`rnnlesson.kernels.lstm_step_backward`;
the teaching cell ``rnnlesson.cells.LSTMCell`` calls them one step at a time. ``LSTM``
computes exactly the same numbers for a whole sequence, arranged for numpy (its
docstring says how), and the tests check it against a loop of the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .. import _checks
from ._buffers import batch_major, time_columns, transposed, workspace
from .masking import skipped_columns
from .recurrent import Recurrent


@dataclass(slots=True)
class _ForwardStep:
    """Step t's views into the forward work arrays, made once per buffer layout.

    Transposed layout: every block is (rows, N), so each gate is one contiguous (H, N)
    piece of memory. ``slots`` keeps the attribute reads of the time loop cheap.
    """

    z: np.ndarray        # (4H, N) the gate block: [z_i/2; z_f/2; z_o/2; z_c], then the gates
    sig: np.ndarray      # (3H, N) its sigmoid rows i, f, o
    g: np.ndarray        # (H, N) its candidate rows: z_c, then c~ = tanh(z_c)
    i: np.ndarray        # (H, N) input gate
    f: np.ndarray        # (H, N) forget gate
    o: np.ndarray        # (H, N) output gate
    c_prev: np.ndarray   # (H, N) c_{t-1}
    c: np.ndarray        # (H, N) c_t, written here
    tanh_c: np.ndarray   # (H, N) tanh(c_t), written here
    inputs: np.ndarray   # (K, N) [h_{t-1}; x_t; 1], K = H + D + 1: the step product operand
    h: np.ndarray        # (H, N) h_t, written where the next step's ``inputs`` read it


@dataclass(slots=True)
class _BackwardStep:
    """Step t's views for the backward loop (all (H, N) unless said), made once."""

    dz: np.ndarray          # (4H, N) dL/dz_t, rows i, f, o, c~: written by the step
    dz_i: np.ndarray        # its blocks: dL/di, dL/df, dL/do, dL/dc~, then times the slopes
    dz_f: np.ndarray
    dz_o: np.ndarray
    dz_g: np.ndarray
    gate_slope: np.ndarray  # (4H, N) s (1 - s) for i, f, o and 1 - c~^2 (the chunk's pass)
    i: np.ndarray           # the gates of the step
    f: np.ndarray
    g: np.ndarray           # c~
    c_prev: np.ndarray      # c_{t-1}
    tanh_c: np.ndarray      # tanh(c_t)
    h_slope: np.ndarray     # o (1 - tanh(c_t)^2) = dh_t/dc_t (the chunk's pass)
    dh_out: np.ndarray | None  # dL/dh_t from the output at t, or None (last output only)


@dataclass(slots=True)
class _BackwardChunk:
    """A run of consecutive steps whose derivative factors are computed in one pass each."""

    sig: np.ndarray         # (k, 3H, N) the sigmoid gates i, f, o of the chunk's steps
    sig_slope: np.ndarray   # (k, 3H, N) written: s (1 - s)
    g: np.ndarray           # (k, H, N) the candidates c~
    g_slope: np.ndarray     # (k, H, N) written: 1 - c~^2
    o: np.ndarray           # (k, H, N) the output gates
    tanh_c: np.ndarray      # (k, H, N) tanh(c_t)
    h_slope: np.ndarray     # (k, H, N) written: o (1 - tanh(c_t)^2)
    steps: list             # the chunk's _BackwardStep, last step first
    span: slice             # the chunk's steps start ... end-1


def _per_step(record, **blocks):
    """One ``record`` per time step: field f of step t is ``blocks[f][t]``.

    Each block is an array (or list) over the steps; numpy makes the per-step views as it
    iterates, in C, which keeps rebuilding them cheap when the buffers change.
    """
    names = [f.name for f in fields(record)]
    return list(map(record, *(blocks[name] for name in names)))


# ---------------------------------------------------------------------------- the layer
class LSTM(Recurrent):
    """Long short-term memory over a whole sequence, as ``keras.layers.LSTM``.

    Args:
        units: H, the size of the hidden state h and of the cell state c.
        unit_forget_bias: start the forget-gate bias at 1 (Keras's default).
        return_sequences: output every h_t (N, T, H) instead of the last one (N, H).
        return_state: also return the final states: ``[output, h_T, c_T]``.
        go_backwards: read the sequence from its end; the output keeps that order.
        stateful: carry (h_T, c_T) into the next call; ``reset_states()`` goes back to zeros.
        dropout, recurrent_dropout: Keras's dropout of the inputs and of h_{t-1} in training
            (see ``Recurrent``); zero_output_for_mask: zero outputs at masked steps.
        dtype, seed, name, input_shape: as every layer.

    Shapes: input x (N, T, D); ``forward(x, initial_state=[h0, c0])`` with h0, c0 (N, H);
    ``backward(dy)`` returns dL/dx (N, T, D) and writes ``grads`` (``kernel`` (D, 4H),
    ``recurrent_kernel`` (H, 4H), ``bias`` (4H,)) and ``initial_state_grads`` [dh0, dc0].

    How it is fast (the maths of :func:`rnnlesson.kernels.lstm_step_forward` and
    ``lstm_step_backward``, the reference, arranged for numpy):

    * Gate block re-ordered inside: the weights are copied each call into the order
      i, f, o, c~, so the three sigmoid gates sit side by side, and their columns are
      halved (exact in binary): one ``tanh`` over the whole block gives c~ and
      tanh(z/2) for the gates, and two passes over the sigmoid rows turn that into
      sigmoid(z) = 1/2 + tanh(z/2)/2. That is 20% quicker than exp(-z), +1 and 1/. over
      the sigmoid rows and a ``tanh`` for c~ (AMD EPYC and Intel Xeon, float32, at
      every size from (4H, N) = (128, 32) to (1024, 128)); both are accurate to a few
      units of float32 rounding.
    * Transposed, time-major buffers: step t's gate block is stored as (4H, N) and the
      states as (H, N), so each gate is one contiguous (H, N) block and every
      elementwise operation is one pass over contiguous memory (an (N, H) column slice
      of an (N, 4H) block is N separate rows, several times slower at N = 32 or 64).
    * Inputs folded into the recurrent product: x_t and a row of ones ride along with
      h_{t-1}, and each step is one GEMM z^T = [U; W; b]^T [h_{t-1}; x_t; 1]. (In this
      layout projecting the inputs once is T small products anyway, plus two passes to
      add the bias and the recurrent part; the folded product was faster at every size.)
    * Backward per step, writing dA = dL/dz into one (T, 4H, N) buffer. The derivative
      factors s (1 - s) (sigmoid gates), 1 - c~^2 and o (1 - tanh(c)^2) are computed a
      chunk of steps at a time (chunks small enough to stay in cache), so the loop
      stores dA = factor * dL/d(gate) in one multiply over the block; dL/dh_{t-1} = U dA.
    * After the loop, one GEMM for all the weight gradients over all T*N columns
      ([dU; dW; db] = [H_prev; X; 1] dA^T) and one for dX = dA^T W^T, then the columns
      are put back in the public order i, f, c, o.
    * A mask with holes (see ``Recurrent``): at a step that skips some sequences their
      columns get i = 0, f = 1 and h_{t-1} (see ``_masked_loop``); padding masks need no
      per-step work (``spans``).
    * Work arrays kept between calls of the same shape (no fresh memory to fault in on
      every step), with the per-step views into them made once; ``out=`` on every
      operation and ufuncs bound to locals. Outputs are always fresh copies.
    """

    state_names = ("h", "c")
    blocks = 4
    _config_keys = Recurrent._config_keys + ("unit_forget_bias",)

    def __init__(self, units, *, unit_forget_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, dropout=0.0,
                 recurrent_dropout=0.0, zero_output_for_mask=False, dtype="float32", seed=None,
                 name=None, input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dropout=dropout,
                         recurrent_dropout=recurrent_dropout,
                         zero_output_for_mask=zero_output_for_mask, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.unit_forget_bias = _checks.boolean(unit_forget_bias, "unit_forget_bias", "LSTM")
        self._seq = None  # what the last forward stored for backward
        self.const_grad = None  # dL/dconst after backward_with_constant
        self._ws = {}     # per-step views kept between calls (see _views)

    def _init_options(self) -> dict:
        return {"forget_bias_block": 1 if self.unit_forget_bias else None}  # f: block 1

    # ------------------------------------------------------------------ forward
    @staticmethod
    def _pack(src, out, scale):
        """Copy ``src`` (..., 4H) in public order i, f, c, o into ``out`` in internal order
        i, f, o, c, multiplying the sigmoid columns by ``scale``."""
        H = src.shape[-1] // 4
        np.multiply(src[..., :2 * H], scale, out[..., :2 * H])
        np.multiply(src[..., 3 * H:], scale, out[..., 2 * H:3 * H])
        np.copyto(out[..., 3 * H:], src[..., 2 * H:3 * H])

    @staticmethod
    def _unpack(src, out):
        """The inverse of :meth:`_pack` with scale 1: internal order i, f, o, c into the
        public order i, f, c, o in ``out``."""
        H = src.shape[-1] // 4
        np.copyto(out[..., :2 * H], src[..., :2 * H])
        np.copyto(out[..., 2 * H:3 * H], src[..., 3 * H:])
        np.copyto(out[..., 3 * H:], src[..., 2 * H:3 * H])

    def _buf(self, name, shape, reuse=True):
        """A work array: the layer's :func:`workspace` ``name`` when ``reuse`` (big buffers are
        then not handed back to the system and faulted in again each call), else a fresh
        one. Only what the last forward cached for backward lives there; nothing returned does."""
        if not reuse:
            return np.empty(shape, self.dtype)
        return workspace(self, name, shape, self.dtype)

    def _views(self, name, reuse, buffers, make):
        """The per-step views of the loop over ``buffers``, made by ``make()``; kept between
        calls while the same work arrays are reused (making ~12 views per step costs
        about as much as 2 of the step's numpy operations at small sizes)."""
        if not reuse:
            return make()
        key = tuple(id(b) for b in buffers)
        got = self._ws.get(name)
        if got is None or got[0] != key:
            got = self._ws[name] = (key, make())
        return got[1]

    def _run(self, x, h0, c0, reuse=True, keep=None, const=None):
        """The time loop. x (N, T, D) in processing order; h0, c0 (N, H); ``keep`` None or
        the sequence mask (N, T); ``const`` None or (N, D_c), an input that is the same at
        every step, the last D_c rows of ``kernel`` (x then has the first D - D_c).
        Returns the cache.

        Every buffer is time-major and TRANSPOSED per step: the gate block of step t is
        ``A[t]`` of shape (4H, N) (rows i, f, o, c~), states are (H, N). Each gate is then a
        contiguous (H, N) block, so every elementwise operation runs over one contiguous
        piece of memory (an (N, H) slice of an (N, 4H) row-major block is N separate rows,
        several times slower at N = 32 or 64).
        """
        N, T, D = x.shape
        H = self.units
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        dt = self.dtype
        prm = self.params
        buf = self._buf
        A = buf("A", (T, H4, N), reuse)     # pre-activations, then the gates i, f, o, c~ in place
        C = buf("C", (T + 1, H, N), reuse)  # C[0] = c0, C[t+1] = c_t
        TC = buf("TC", (T, H, N), reuse)    # tanh(c_t)
        C[0] = c0.T
        K = H + D + 1
        Wc = np.empty((K, H4), dt)         # [U; W; b], internal order, sigmoid columns / 2
        self._pack(prm["recurrent_kernel"], Wc[:H], 0.5)
        self._pack(prm["kernel"][:D], Wc[H:H + D], 0.5)
        self._pack(prm["bias"], Wc[H + D], 0.5)
        zc = None
        if const is not None:  # its share of every step's z, (4H, N), computed once
            Wk = np.empty((const.shape[1], H4), dt)
            self._pack(prm["kernel"][D:], Wk, 0.5)
            zc = np.matmul(Wk.T, const.T)
        # (4H, K) for the per-step product: row-major is the faster operand for a matrix
        # product (3% at N=64, H=256), the transposed view for a matrix-vector one (N=1)
        WT = Wc.T if N == 1 else transposed(Wc)
        Z = buf("Z", (T + 1, K, N), reuse)  # Z[t] = [h_{t-1}; x_t; 1]; Z[T][:H] = h_T
        Z[0, :H] = h0.T
        Z[:T, H:H + D] = x.transpose(1, 2, 0)
        Z[:, H + D] = 1.0
        Z[T, H:H + D] = 0.0
        Hnext = Z[1:, :H]
        tmpH = np.empty((H, N), dt)
        mm, add, mul, tanh = np.matmul, np.add, np.multiply, np.tanh

        def make_steps():  # each argument: one block per step, t = 0 ... T-1
            return _per_step(_ForwardStep, z=A, sig=A[:, :H3], g=A[:, H3:], i=A[:, :H],
                             f=A[:, H:H2], o=A[:, H2:H3], c_prev=C[:T], c=C[1:], tanh_c=TC,
                             inputs=Z[:T], h=Z[1:, :H])

        steps = self._views("fwd", reuse, (A, C, TC, Z), make_steps)
        if keep is not None:
            self._masked_loop(steps, WT, Z[:T, :H], tmpH, keep)
            return {"A": A, "C": C, "TC": TC, "Hnext": Hnext, "Z": Z, "keep": keep,
                    "const": None}
        for s in steps:
            z = s.z
            mm(WT, s.inputs, z)     # [z_i/2; z_f/2; z_o/2; z_c] = [U; W; b]^T [h_prev; x_t; 1]
            if zc is not None:
                add(z, zc, z)       # + the constant input's share
            tanh(z, z)              # c~ = tanh(z_c), and tanh(z/2) for i, f, o
            sig = s.sig
            mul(sig, 0.5, sig)      # sigmoid(z) = 1/2 + tanh(z/2)/2
            add(sig, 0.5, sig)
            g, c = s.g, s.c
            mul(s.f, s.c_prev, c)   # c = f * c_prev + i * c~
            mul(s.i, g, tmpH)
            add(c, tmpH, c)
            tc = s.tanh_c
            tanh(c, tc)
            mul(s.o, tc, s.h)       # h = o * tanh(c)
        return {"A": A, "C": C, "TC": TC, "Hnext": Hnext, "Z": Z, "keep": None, "const": const}

    def _states_at(self, steps):
        """[h, c] after ``steps[n]`` steps of sequence n (N,), from the last forward: (N, H)."""
        cols = np.arange(steps.shape[0])
        Z, C = self._seq["Z"], self._seq["C"]
        return [Z[steps, :self.units, cols], C[steps, :, cols]]

    def _masked_loop(self, steps, WT, h_prev, tmpH, keep):
        """The forward loop with a sequence mask ``keep`` (N, T). At a step where some
        sequences are masked, their columns get i = 0 and f = 1 after the sigmoids, so
        c_t = 1 c_{t-1} + 0 c~ = c_{t-1} exactly, and h_t is copied from h_{t-1}. The stored
        gates then also make backward carry dL/dc through those columns (dc_{t-1} = dc f)
        with zero gate gradients (s (1 - s) = 0 at s = 0 and 1)."""
        H = self.units
        mm, add, mul, tanh, copyto = np.matmul, np.add, np.multiply, np.tanh, np.copyto
        n = keep.shape[0]
        if_skip = np.repeat(np.array([[0.0], [1.0]], self.dtype), H, axis=0)  # i = 0, f = 1
        if_skip = np.ascontiguousarray(np.broadcast_to(if_skip, (2 * H, n)))
        carry = skipped_columns(keep, 2 * H)  # (2H, N) blocks; their first H rows for h
        for s, hp, c in zip(steps, h_prev, carry, strict=True):
            z = s.z
            mm(WT, s.inputs, z)
            tanh(z, z)
            sig = s.sig
            mul(sig, 0.5, sig)
            add(sig, 0.5, sig)
            if c is not None:
                copyto(sig[:2 * H], if_skip, where=c)  # masked columns: i = 0, f = 1
            g, cc = s.g, s.c
            mul(s.f, s.c_prev, cc)
            mul(s.i, g, tmpH)
            add(cc, tmpH, cc)
            tc = s.tanh_c
            tanh(cc, tc)
            mul(s.o, tc, s.h)
            if c is not None:
                copyto(s.h, hp, where=c[:H])       # masked columns keep h_{t-1}

    def forward_with_constant(self, x, const, initial_state):
        """The whole output sequence (N, T, H) and the final [h, c] for inputs whose last
        D_c features are the same at every step: x (N, T, D - D_c) holds the others and
        ``const`` (N, D_c) those. The numbers of ``forward`` on the concatenation
        ``[x_t, const]`` (return_sequences and return_state), with the constant's share of
        the gates, ``const`` times its rows of ``kernel``, computed once instead of at every
        step (the peeky decoder of ``models.Seq2Seq``). Inputs are not checked here; no
        mask, dropout or go_backwards. Then :meth:`backward_with_constant`."""
        x = np.asarray(x, self.dtype)
        const = np.asarray(const, self.dtype)
        if self.go_backwards or self.dropout or self.recurrent_dropout or self.stateful:
            raise ValueError("LSTM.forward_with_constant runs a plain layer: no go_backwards, "
                             "dropout or stateful.")
        if x.ndim != 3 or const.ndim != 2 or const.shape[0] != x.shape[0]:
            raise ValueError("LSTM.forward_with_constant expects x of shape (N, T, D_x) and "
                             f"const of shape (N, D_c); got {_checks.shape_str(x.shape)} and "
                             f"{_checks.shape_str(const.shape)}.")
        n, t, d = x.shape
        self._ensure_built((n, t, d + const.shape[1]))
        if self.params_input_dim() != d + const.shape[1]:
            raise ValueError(f"LSTM '{self.name}' was built for D={self.params_input_dim()} "
                             f"input features; x and const have {d} + {const.shape[1]}.")
        seq, final = self._forward_seq(x, list(initial_state), None, const=const)
        self._cache = None  # backward() does not apply: backward_with_constant does
        return seq, final

    def backward_with_constant(self, dseq):
        """After :meth:`forward_with_constant`: dL/d(output sequence) (N, T, H) ->
        ``(dx, dconst)``; writes ``grads`` and ``initial_state_grads`` ([dh0, dc0])."""
        if self._seq is None or self._seq.get("const") is None:
            raise RuntimeError("LSTM.backward_with_constant needs forward_with_constant first.")
        n = dseq.shape[0]
        dx, dstates0 = self._backward_seq(
            np.asarray(dseq, self.dtype), [np.zeros((n, self.units), self.dtype),
                                           np.zeros((n, self.units), self.dtype)])
        self.initial_state_grads = dstates0
        return dx, self.const_grad

    def _forward_seq(self, x, states, keep, copy=True, const=None):
        cache = self._run(x, states[0], states[1], keep=keep, const=const)
        self._seq = cache
        Hn = cache["Hnext"]
        # (N, T, H): a copy the caller may keep, or a view of the cache
        seq = batch_major(Hn) if copy else Hn.transpose(2, 0, 1)
        final = [Hn[-1].T.copy(), cache["C"][-1].T.copy()]
        return seq, final

    def gate_activations(self, x, initial_state=None):
        """The gates over time for a probe batch, without touching the layer's cache or state.

        Args:
            x: inputs (N, T, D) (read from the end if go_backwards, as forward does).
            initial_state: None (zeros, or the carried state of a stateful layer) or [h0, c0].
        Returns:
            dict of (N, T, H) arrays in processing order: ``'i'`` input gate, ``'f'`` forget
            gate, ``'o'`` output gate, ``'c~'`` candidate, ``'c'`` cell state, ``'h'`` output.
        """
        x = self._prepare_input(x)
        self._ensure_built(x.shape)
        states, _ = self._prepare_states(initial_state, x.shape[0])
        if self.go_backwards:
            x = x[:, ::-1]
        cache = self._run(x, states[0], states[1], reuse=False)
        H = self.units
        A = cache["A"]

        def bf(a):  # (T, H, N) -> (N, T, H)
            return batch_major(a)

        return {"i": bf(A[:, :H]), "f": bf(A[:, H:2 * H]), "o": bf(A[:, 2 * H:3 * H]),
                "c~": bf(A[:, 3 * H:]), "c": bf(cache["C"][1:]), "h": bf(cache["Hnext"])}

    # ------------------------------------------------------------------ backward
    #: elements of one chunk of time steps whose derivative factors are computed together
    _CHUNK = 1 << 15

    def _backward_seq(self, dseq, dfinal):
        """Backpropagation through time, step t = T-1 down to 0.

        The reference is :func:`rnnlesson.kernels.lstm_step_backward`: this loop computes
        the same numbers (a loop of the kernel is checked against it in the tests), with
        every array transposed to (rows, N) and the gate blocks in the order i, f, o, c~.
        With dh and dc the gradients carried back from step t+1 (dL/dh_T and dL/dc_T of
        the caller at the start), one step is::

            dh_t   = dh + dL/dh_t from the output at t        (only with return_sequences)
            dc_t   = dc + dh_t * o (1 - tanh(c_t)^2)          h_t = o tanh(c_t)
            dL/di  = dc_t * c~                                c_t = f c_{t-1} + i c~
            dL/df  = dc_t * c_{t-1}
            dL/do  = dh_t * tanh(c_t)
            dL/dc~ = dc_t * i
            dz_t   = [dL/di; dL/df; dL/do; dL/dc~] * [i(1-i); f(1-f); o(1-o); 1 - c~^2]
            dc     = dc_t * f                                 carried to step t-1
            dh     = U dz_t                                   (dz_t U^T, transposed)

        and after the loop, one product each over all T*N columns Z = [h_{t-1}; x_t; 1]::

            [dU; dW; db] = Z dz^T          dX = dz^T W^T

        Speed: the slopes s(1-s), 1 - c~^2 and o (1 - tanh(c)^2) are computed a chunk of
        steps at a time (one pass each, small enough to stay in cache), so a step is the
        ten operations above; every view the loop reads is made once (``_BackwardStep``).
        """
        cache = self._seq
        A, C, TC = cache["A"], cache["C"], cache["TC"]
        T, H4, N = A.shape
        H = H4 // 4
        H2, H3 = 2 * H, 3 * H
        dt = self.dtype
        prm = self.params
        Ub = np.empty((H, H4), dt)           # U in internal order
        self._pack(prm["recurrent_kernel"], Ub, 1.0)
        buf = self._buf
        dZ = buf("dA", (T, H4, N))           # dz_t = dL/dz_t for every step, (4H, N) each
        dh = np.ascontiguousarray(dfinal[0].T)  # carried dL/dh, (H, N), our own array
        dc = np.ascontiguousarray(dfinal[1].T)  # carried dL/dc
        tmp = np.empty((H, N), dt)
        dh_t = np.empty((H, N), dt)
        mm, add, mul, sub = np.matmul, np.add, np.multiply, np.subtract
        k = max(1, min(T, self._CHUNK // (N * H4)))  # steps per chunk
        slopes = buf("DU", (k, H4, N))       # the gate slopes of a chunk's steps
        h_slopes = buf("DT", (k, H, N))      # o (1 - tanh(c)^2) of a chunk's steps
        dseq_tm = None
        if dseq is not None:  # time-major, transposed: contiguous (H, N) blocks
            dseq_tm = buf("dseq", (T, H, N))
            np.copyto(dseq_tm, dseq.transpose(1, 2, 0))

        def make_chunks():
            chunks = []
            for end in range(T, 0, -k):
                start = max(0, end - k)
                slope, h_slope = slopes[:end - start], h_slopes[:end - start]
                rev = slice(end - 1, start - 1 if start else None, -1)  # steps end-1 ... start
                steps = _per_step(  # each argument: one block per step, in the order of rev
                    _BackwardStep, dz=dZ[rev], dz_i=dZ[rev, :H], dz_f=dZ[rev, H:H2],
                    dz_o=dZ[rev, H2:H3], dz_g=dZ[rev, H3:], gate_slope=slope[::-1],
                    i=A[rev, :H], f=A[rev, H:H2], g=A[rev, H3:], c_prev=C[rev], tanh_c=TC[rev],
                    h_slope=h_slope[::-1],
                    dh_out=[None] * (end - start) if dseq_tm is None else dseq_tm[rev])
                a = A[start:end]
                chunks.append(_BackwardChunk(
                    sig=a[:, :H3], sig_slope=slope[:, :H3], g=a[:, H3:], g_slope=slope[:, H3:],
                    o=a[:, H2:H3], tanh_c=TC[start:end], h_slope=h_slope, steps=steps,
                    span=slice(start, end)))
            return chunks

        chunks = self._views("bwd", True, (A, C, TC, dZ, slopes, h_slopes, dseq_tm),
                             make_chunks)
        keep = cache["keep"]
        if keep is not None:
            keep_f = keep.T[:, None, :].astype(dt)  # (T, 1, N): 1 where the step counts
            carry = skipped_columns(keep, H)
        for chunk in chunks:
            sub(1.0, chunk.sig, chunk.sig_slope)
            mul(chunk.sig_slope, chunk.sig, chunk.sig_slope)  # sigmoid' = s (1 - s)
            mul(chunk.g, chunk.g, chunk.g_slope)
            sub(1.0, chunk.g_slope, chunk.g_slope)            # tanh' = 1 - c~^2
            mul(chunk.tanh_c, chunk.tanh_c, chunk.h_slope)
            sub(1.0, chunk.h_slope, chunk.h_slope)
            mul(chunk.h_slope, chunk.o, chunk.h_slope)        # o tanh'(c) = dh_t/dc_t
            if keep is not None:
                dh = self._masked_chunk(chunk, keep_f, carry, dh, dc, dh_t, tmp, Ub)
                continue
            for s in chunk.steps:
                dh_out = s.dh_out
                if dh_out is None:
                    dh_all = dh
                else:
                    dh_all = dh_t
                    add(dh_out, dh, dh_all)     # dh_t = from the output + from step t+1
                mul(dh_all, s.h_slope, tmp)
                add(dc, tmp, dc)                # dc_t = dc + dh_t o (1 - tanh(c_t)^2)
                mul(dc, s.g, s.dz_i)            # dL/di  = dc_t c~
                mul(dc, s.c_prev, s.dz_f)       # dL/df  = dc_t c_{t-1}
                mul(dh_all, s.tanh_c, s.dz_o)   # dL/do  = dh_t tanh(c_t)
                mul(dc, s.i, s.dz_g)            # dL/dc~ = dc_t i
                dz = s.dz
                mul(dz, s.gate_slope, dz)       # dz_t: times the gates' slopes
                mul(dc, s.f, dc)                # dc = dc_t f, for step t-1
                mm(Ub, dz, dh)                  # dh = U dz_t, for step t-1
        # one GEMM per weight gradient over all T*N columns, then back to the public order
        dAll = time_columns(self, "dAll", dZ)  # (4H, T*N)
        g = self.grads
        Z = cache["Z"]
        K = Z.shape[1]
        D = K - H - 1
        dWc = time_columns(self, "cols", Z[:T]) @ dAll.T  # [dU; dW; db] in one GEMM
        self._unpack(dWc[:H], g["recurrent_kernel"])
        self._unpack(dWc[H:H + D], g["kernel"][:D])
        self._unpack(dWc[H + D], g["bias"])
        Wb = np.empty((D, H4), dt)
        self._pack(prm["kernel"][:D], Wb, 1.0)
        dX = (dAll.T @ Wb.T).reshape(T, N, D).transpose(1, 0, 2)
        const = cache["const"]
        if const is not None:  # the same input at every step: its gradients summed over steps
            dz_sum = dZ.sum(axis=0)                       # (4H, N)
            self._unpack(const.T @ dz_sum.T, g["kernel"][D:])
            Wk = np.empty((const.shape[1], H4), dt)
            self._pack(prm["kernel"][D:], Wk, 1.0)
            self.const_grad = (Wk @ dz_sum).T             # (N, D_c)
        return dX, [np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)]

    def _masked_chunk(self, chunk, keep_f, carry, dh, dc, dh_t, tmp, Ub):
        """The backward steps of one chunk with a sequence mask. The forward stored i = 0,
        f = 1 in the masked columns, which zeroes dL/di, dL/df, dL/dc~ and carries dL/dc;
        here the paths through h_t = o tanh(c_t) are cut as well (the o and h slopes times
        the mask), so dz_t = 0 there, and dL/dh_{t-1} = dL/dh_t is copied across."""
        H = self.units
        mm, add, mul, copyto = np.matmul, np.add, np.multiply, np.copyto
        kf = keep_f[chunk.span]
        mul(chunk.h_slope, kf, chunk.h_slope)
        o_slope = chunk.sig_slope[:, 2 * H:]
        mul(o_slope, kf, o_slope)
        nxt = np.empty_like(dh)
        for s, c in zip(chunk.steps, carry[chunk.span][::-1], strict=True):
            dh_out = s.dh_out
            if dh_out is None:
                dh_all = dh
            else:
                dh_all = dh_t
                add(dh_out, dh, dh_all)
            mul(dh_all, s.h_slope, tmp)
            add(dc, tmp, dc)
            mul(dc, s.g, s.dz_i)
            mul(dc, s.c_prev, s.dz_f)
            mul(dh_all, s.tanh_c, s.dz_o)
            mul(dc, s.i, s.dz_g)
            dz = s.dz
            mul(dz, s.gate_slope, dz)
            mul(dc, s.f, dc)                # f = 1 in masked columns: dc carried
            if c is None:
                mm(Ub, dz, dh)
            else:
                mm(Ub, dz, nxt)
                copyto(nxt, dh_all, where=c)  # masked columns: h_t = h_{t-1}
                dh, nxt = nxt, dh
        return dh
