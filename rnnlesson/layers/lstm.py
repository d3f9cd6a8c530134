"""``LSTM`` (a whole sequence) and ``LSTMCell`` (one time step): long short-term memory.

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

``LSTMCell`` is the readable version, one gate per line, used to teach the maths
step by step. ``LSTM`` computes exactly the same numbers, fast; its docstring says how.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from .. import initializers as init
from .base import Layer
from .recurrent import Recurrent
from .simple_rnn import time_columns, workspace


def _init_lstm_weights(input_dim, units, rng, dtype, unit_forget_bias):
    """Keras's initial LSTM weights: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)."""
    kernel = init.glorot_uniform((input_dim, 4 * units), rng, dtype)
    recurrent_kernel = init.orthogonal((units, 4 * units), rng, dtype)
    bias = init.zeros((4 * units,), dtype=dtype)
    if unit_forget_bias:
        bias[units:2 * units] = 1.0  # the forget block: f starts near sigmoid(1) = 0.73
    return kernel, recurrent_kernel, bias


def _sigmoid(z):
    # 0.5 * tanh(0.5 z) + 0.5 is exactly 1 / (1 + exp(-z)) and never overflows.
    return 0.5 * np.tanh(0.5 * z) + 0.5


# ---------------------------------------------------------------------------- the cell
class LSTMCell(Layer):
    """One LSTM time step, written for reading (the maths of the module docstring, line by line).

    Usage::

        cell = LSTMCell(units=H, seed=0)
        state = None                                  # zeros
        for t in range(T):
            h, state = cell.forward(x[:, t], state)   # x[:, t]: (N, D); h: (N, H); state: (h, c)
        ...
        cell.zero_grad()
        dstate = None                                 # nothing flows in after the last step
        for t in reversed(range(T)):
            dx_t, dstate = cell.backward(dh[:, t], dstate)

    Each ``forward`` pushes what its step needs onto a stack; each ``backward`` pops the
    most recent step, so steps are undone in reverse order. Gradients ADD UP in
    ``cell.grads`` over the steps (a weight is shared by every step) until ``zero_grad()``.

    Args:
        units: H, the size of h and c.
        unit_forget_bias: start the forget-gate bias at 1 (Keras's default).
        dtype, seed, name: as every layer. The same ``seed`` gives the same weights as
            ``LSTM(units, seed=seed)``, so a loop of cells can be checked against the layer.
        input_dim: D, to create the weights now; otherwise they are created at the first call.

    Attributes:
        last_gates: after a forward, dict of the step's (N, H) activations: ``'i'``, ``'f'``,
            ``'c~'`` (candidate), ``'o'`` and ``'c'`` (the new cell state).
    """

    _config_keys = ("units", "unit_forget_bias")

    def __init__(self, units, unit_forget_bias=True, *, dtype="float32", seed=None, name=None,
                 input_dim=None):
        super().__init__(name=name, dtype=dtype, seed=seed)
        owner = type(self).__name__
        self.units = _checks.positive_int(units, "units", owner)
        self.unit_forget_bias = _checks.boolean(unit_forget_bias, "unit_forget_bias", owner)
        self._steps = []  # stack of per-step caches, pushed by forward, popped by backward
        self.last_gates = None
        if input_dim is not None:
            self.build((None, _checks.positive_int(input_dim, "input_dim", owner)))

    def _build(self, input_shape):
        kernel, recurrent_kernel, bias = _init_lstm_weights(
            int(input_shape[-1]), self.units, self.rng, self.dtype, self.unit_forget_bias)
        self.add_weight("kernel", kernel)
        self.add_weight("recurrent_kernel", recurrent_kernel)
        self.add_weight("bias", bias)

    def compute_output_shape(self, input_shape):
        """(N, D) -> (N, H)."""
        return (input_shape[0], self.units)

    def _check_state(self, state, n, owner, what=("h", "c")):
        if state is None:
            return [np.zeros((n, self.units), self.dtype) for _ in what]
        if isinstance(state, np.ndarray) or not isinstance(state, (list, tuple)) or len(state) != 2:
            got = (f"a {type(state).__name__} of length {len(state)}"
                   if isinstance(state, (list, tuple)) else type(state).__name__)
            raise ValueError(f"{owner} expects the state as a pair ({', '.join(what)}) of arrays "
                             f"of shape (N, H) = ({n}, {self.units}), or None; got {got}.")
        out = []
        for name, s in zip(what, state, strict=True):
            s = _checks.as_float_array(s, self.dtype, owner, f"state '{name}'")
            if s.shape != (n, self.units):
                raise ValueError(f"{owner} expects state '{name}' of shape (N, H) = "
                                 f"({n}, {self.units}); got {_checks.shape_str(s.shape)}.")
            out.append(s)
        return out

    def forward(self, x_t, state=None):
        """One step forward.

        Args:
            x_t: the inputs of this time step, shape (N, D).
            state: ``(h_prev, c_prev)``, each (N, H), or None for zeros (the first step).
        Returns:
            ``h, (h, c)``: the output h_t (N, H) and the new state (h_t, c_t) for the next step.
        """
        owner = "LSTMCell"
        x_t = _checks.as_float_array(x_t, self.dtype, owner)
        _checks.check_ndim(x_t, 2, owner, "(N, D)",
                           "A cell takes one time step; pass x[:, t] of a sequence x (N, T, D).")
        _checks.check_nonempty(x_t, owner, "(N, D)")
        self._ensure_built(x_t.shape)
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        if x_t.shape[1] != W.shape[0]:
            raise ValueError(f"LSTMCell '{self.name}' was built for D={W.shape[0]} input "
                             f"features; got x_t of shape {_checks.shape_str(x_t.shape)}.")
        h_prev, c_prev = self._check_state(state, x_t.shape[0], owner)
        H = self.units

        z = x_t @ W + h_prev @ U + b           # (N, 4H): every gate's pre-activation at once
        i = _sigmoid(z[:, 0 * H:1 * H])        # input gate
        f = _sigmoid(z[:, 1 * H:2 * H])        # forget gate
        g = np.tanh(z[:, 2 * H:3 * H])         # candidate c~
        o = _sigmoid(z[:, 3 * H:4 * H])        # output gate
        c = f * c_prev + i * g                 # keep some old memory, write some new
        tanh_c = np.tanh(c)
        h = o * tanh_c                         # show some of the memory

        self._steps.append((x_t, h_prev, c_prev, i, f, g, o, tanh_c))
        self.last_gates = {"i": i, "f": f, "c~": g, "o": o, "c": c}
        return h, (h, c)

    def backward(self, dh, dstate=None):
        """One step back (the most recent forward step not yet undone).

        Args:
            dh: dL/dh_t from this step's output (N, H), or None if the output was unused.
            dstate: ``(dh_next, dc_next)``, the gradients of this step's state (h_t, c_t)
                coming back from the next step, or None after the last step (zeros).
        Returns:
            ``dx_t, (dh_prev, dc_prev)``: dL/dx_t (N, D), and the state gradients to pass to
            the step before. Adds this step's weight gradients to ``self.grads``.
        """
        owner = "LSTMCell.backward"
        if not self._steps:
            raise RuntimeError(f"{owner}: no forward step left to go back through. Call "
                               "forward() once per time step, then backward() once per step "
                               "in reverse order.")
        x_t, h_prev, c_prev, i, f, g, o, tanh_c = self._steps[-1]
        n = x_t.shape[0]
        if dh is None:
            dh = np.zeros((n, self.units), self.dtype)
        else:
            dh = self._check_grad(dh, (n, self.units), "dh (the gradient of h_t)")
        dh_next, dc_next = self._check_state(dstate, n, owner, ("dh_next", "dc_next"))
        self._steps.pop()
        W, U = self.params["kernel"], self.params["recurrent_kernel"]

        dh = dh + dh_next                                # h_t feeds the output and the next step
        # h = o * tanh(c)
        do = dh * tanh_c                                 # dL/do = dL/dh * tanh(c)
        dc = dc_next + dh * o * (1 - tanh_c ** 2)        # dL/dc = dL/dc_next + dL/dh * o * tanh'(c)
        # c = f * c_prev + i * c~
        di = dc * g                                      # dL/di  = dL/dc * c~
        df = dc * c_prev                                 # dL/df  = dL/dc * c_prev
        dg = dc * i                                      # dL/dc~ = dL/dc * i
        dc_prev = dc * f                                 # dL/dc_prev = dL/dc * f
        # back through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - tanh^2
        dz_i = di * i * (1 - i)
        dz_f = df * f * (1 - f)
        dz_g = dg * (1 - g ** 2)
        dz_o = do * o * (1 - o)
        dz = np.concatenate([dz_i, dz_f, dz_g, dz_o], axis=1)   # (N, 4H), order i, f, c, o
        # z = x W + h_prev U + b
        self.grads["kernel"] += x_t.T @ dz               # dL/dW += x_t^T dz       (D, 4H)
        self.grads["recurrent_kernel"] += h_prev.T @ dz  # dL/dU += h_prev^T dz    (H, 4H)
        self.grads["bias"] += dz.sum(axis=0)             # dL/db += sum over batch (4H,)
        dx_t = dz @ W.T                                  # dL/dx_t    = dz W^T     (N, D)
        dh_prev = dz @ U.T                               # dL/dh_prev = dz U^T     (N, H)
        return dx_t, (dh_prev, dc_prev)

    def zero_grad(self) -> None:
        """Set the accumulated gradients to zero and forget unfinished forward steps."""
        super().zero_grad()
        self._steps.clear()


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
        dtype, seed, name, input_shape: as every layer.

    Shapes: input x (N, T, D); ``forward(x, initial_state=[h0, c0])`` with h0, c0 (N, H);
    ``backward(dy)`` returns dL/dx (N, T, D) and writes ``grads`` (``kernel`` (D, 4H),
    ``recurrent_kernel`` (H, 4H), ``bias`` (4H,)) and ``initial_state_grads`` [dh0, dc0].

    How it is fast (same maths as :class:`LSTMCell`, arranged for numpy):

    * Gate block re-ordered inside: the weights are copied each call into the order
      i, f, o, c~, so the three sigmoid gates sit side by side, and their columns are
      negated: one ``exp`` over the sigmoid rows gives exp(-z), and two more passes
      (+1, 1/.) turn it into sigmoid(z) = 1 / (1 + exp(-z)) in place (float32 ``exp``
      costs about half of ``tanh`` per element; exp(-z) = inf for very negative z gives
      exactly 0). One ``tanh`` gives c~.
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
    * Work arrays kept between calls of the same shape (no fresh memory to fault in on
      every step), with the per-step views into them made once; ``out=`` on every
      operation and ufuncs bound to locals. Outputs are always fresh copies.
    """

    state_names = ("h", "c")
    _config_keys = Recurrent._config_keys + ("unit_forget_bias",)

    def __init__(self, units, unit_forget_bias=True, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, dtype="float32", seed=None, name=None,
                 input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.unit_forget_bias = _checks.boolean(unit_forget_bias, "unit_forget_bias", "LSTM")
        self._seq = None  # what the last forward stored for backward
        self._ws = {}     # per-step views kept between calls (see _views)

    def _build_weights(self, input_dim):
        kernel, recurrent_kernel, bias = _init_lstm_weights(
            input_dim, self.units, self.rng, self.dtype, self.unit_forget_bias)
        self.add_weight("kernel", kernel)
        self.add_weight("recurrent_kernel", recurrent_kernel)
        self.add_weight("bias", bias)

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

    def _run(self, x, h0, c0, reuse=True):
        """The time loop. x (N, T, D) in processing order; h0, c0 (N, H). Returns the cache.

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
        Wc = np.empty((K, H4), dt)         # [U; W; b], internal order, sigmoid columns * -1
        self._pack(prm["recurrent_kernel"], Wc[:H], -1.0)
        self._pack(prm["kernel"], Wc[H:H + D], -1.0)
        self._pack(prm["bias"], Wc[H + D], -1.0)
        # (4H, K) for the per-step product: row-major is the faster operand for a matrix
        # product (3% at N=64, H=256), the transposed view for a matrix-vector one (N=1)
        WT = Wc.T if N == 1 else np.ascontiguousarray(Wc.T)
        Z = buf("Z", (T + 1, K, N), reuse)  # Z[t] = [h_{t-1}; x_t; 1]; Z[T][:H] = h_T
        Z[0, :H] = h0.T
        Z[:T, H:H + D] = x.transpose(1, 2, 0)
        Z[:, H + D] = 1.0
        Z[T, H:H + D] = 0.0
        Hprev = Z[:T]
        Hnext = Z[1:, :H]
        tmpH = np.empty((H, N), dt)
        mm, add, mul, div, exp, tanh = np.matmul, np.add, np.multiply, np.divide, np.exp, np.tanh
        steps = self._views("fwd", reuse, (A, C, TC, Z), lambda: list(zip(
            A, A[:, :H3], A[:, H3:], A[:, :H], A[:, H:H2], A[:, H2:H3],
            C[:T], C[1:], TC, Hprev, Hnext, strict=True)))
        with np.errstate(over="ignore"):  # exp(-z) = inf for z < -88 (float32) gives s = 0
            for a, s, g, i, f, o, cp, c, tc, hp, hn in steps:
                mm(WT, hp, a)           # [-z_i; -z_f; -z_o; z_c] = [U; W; b]^T [h_prev; x_t; 1]
                exp(s, s)               # sigmoid(z) = 1 / (1 + exp(-z)) for i, f, o
                add(s, 1.0, s)
                div(1.0, s, s)
                tanh(g, g)              # c~ = tanh(z_c)
                mul(f, cp, c)           # c = f * c_prev + i * c~
                mul(i, g, tmpH)
                add(c, tmpH, c)
                tanh(c, tc)
                mul(o, tc, hn)          # h = o * tanh(c)
        return {"A": A, "C": C, "TC": TC, "Hnext": Hnext, "Z": Z}

    def _forward_seq(self, x, states, training):
        cache = self._run(x, states[0], states[1])
        self._seq = cache
        Hn = cache["Hnext"]
        seq = Hn.transpose(2, 0, 1).copy()  # (N, T, H), always a copy: the cache stays ours
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
            return a.transpose(2, 0, 1).copy()

        return {"i": bf(A[:, :H]), "f": bf(A[:, H:2 * H]), "o": bf(A[:, 2 * H:3 * H]),
                "c~": bf(A[:, 3 * H:]), "c": bf(cache["C"][1:]), "h": bf(cache["Hnext"])}

    # ------------------------------------------------------------------ backward
    #: elements of one chunk of time steps whose derivative factors are computed together
    _CHUNK = 1 << 15

    def _backward_seq(self, dseq, dfinal):
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
        dA = buf("dA", (T, H4, N))           # dL/dz = gate' * dL/d(gate), per step (4H, N)
        dh = np.ascontiguousarray(dfinal[0].T)
        dc = np.ascontiguousarray(dfinal[1].T)
        t1 = np.empty((H, N), dt)
        dhs = np.empty((H, N), dt)
        mm, add, mul, sub = np.matmul, np.add, np.multiply, np.subtract
        # Derivative factors s (1 - s), 1 - c~^2 (gate block) and o (1 - tanh(c)^2), a chunk
        # of steps at a time: one pass each per chunk, small enough to stay in cache for the steps.
        k = max(1, min(T, self._CHUNK // (N * H4)))
        DU = buf("DU", (k, H4, N))
        DT = buf("DT", (k, H, N))
        dseq_tm = None
        if dseq is not None:
            dseq_tm = buf("dseq", (T, H, N))
            np.copyto(dseq_tm, dseq.transpose(1, 2, 0))
        def make_chunks():
            chunks = []
            for end in range(T, 0, -k):
                start = max(0, end - k)
                n = end - start
                rev = slice(end - 1, start - 1 if start else None, -1)  # steps end-1...start
                du, dtc = DU[:n], DT[:n]
                steps = list(zip(
                    dA[rev], dA[rev, :H], dA[rev, H:H2], dA[rev, H2:H3], dA[rev, H3:],
                    du[::-1], A[rev, :H], A[rev, H:H2], A[rev, H3:], C[rev], TC[rev],
                    dtc[::-1], dseq_tm[rev] if dseq_tm is not None else (None,) * n,
                    strict=True))
                a_c = A[start:end]
                chunks.append((a_c[:, :H3], du[:, :H3], a_c[:, H3:], du[:, H3:], a_c[:, H2:H3],
                               TC[start:end], dtc, steps))
            return chunks

        bufs = (A, C, TC, dA, DU, DT, dseq_tm)
        chunks = self._views("bwd", True, bufs, make_chunks)
        for s_c, du_s, g_c, du_g, o_c, tc_c, dtc, steps in chunks:
            sub(1.0, s_c, du_s)
            mul(du_s, s_c, du_s)    # sigmoid' = s (1 - s)
            mul(g_c, g_c, du_g)
            sub(1.0, du_g, du_g)    # tanh' = 1 - c~^2
            mul(tc_c, tc_c, dtc)
            sub(1.0, dtc, dtc)
            mul(dtc, o_c, dtc)  # o * tanh'(c)
            for da, dai, daf, dao, dag, fu, i, f, g, cp, tc, fc, ds in steps:
                if ds is not None:
                    add(ds, dh, dhs)    # dL/dh_t = from the output + from step t+1
                    dht = dhs
                else:
                    dht = dh
                mul(dht, fc, t1)
                add(dc, t1, dc)         # dL/dc = dL/dc_next + dL/dh * o * tanh'(c)
                mul(dc, g, dai)         # dL/di  = dL/dc * c~
                mul(dc, cp, daf)        # dL/df  = dL/dc * c_prev
                mul(dht, tc, dao)       # dL/do  = dL/dh * tanh(c)
                mul(dc, i, dag)         # dL/dc~ = dL/dc * i
                mul(da, fu, da)         # times the gates' derivatives: dL/dz
                mul(dc, f, dc)          # dL/dc_prev = dL/dc * f
                mm(Ub, da, dh)          # dL/dh_prev = U dA, transposed
        # one GEMM per weight gradient over all T*N columns, then back to the public order
        dAll = time_columns(self, "dAll", dA)  # (4H, T*N)
        g = self.grads
        Z = cache["Z"]
        K = Z.shape[1]
        D = K - H - 1
        dWc = time_columns(self, "cols", Z[:T]) @ dAll.T  # [dU; dW; db] in one GEMM
        self._unpack(dWc[:H], g["recurrent_kernel"])
        self._unpack(dWc[H:H + D], g["kernel"])
        self._unpack(dWc[H + D], g["bias"])
        Wb = np.empty((D, H4), dt)
        self._pack(prm["kernel"], Wb, 1.0)
        dX = (dAll.T @ Wb.T).reshape(T, N, D).transpose(1, 0, 2)
        return dX, [np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)]
