"""``GRU``: the gated recurrent unit over a whole sequence, with Keras 3's semantics.

Gate order z (update), r (reset), h (candidate), as Keras. With x_t (N, D),
h_{t-1} (N, H), ``kernel`` W (D, 3H) = [W_z | W_r | W_h] and ``recurrent_kernel``
U (H, 3H) = [U_z | U_r | U_h]:

``reset_after=True`` (Keras's default; ``bias`` (2, 3H): row 0 input bias b_i, row 1
recurrent bias b_r)::

    z  = sigmoid(x W_z + b_iz + h U_z + b_rz)
    r  = sigmoid(x W_r + b_ir + h U_r + b_rr)
    hh = tanh(x W_h + b_ih + r * (h U_h + b_rh))
    h_new = z * h + (1 - z) * hh

``reset_after=False`` (``bias`` (3H,))::

    z  = sigmoid(x W_z + h U_z + b_z)
    r  = sigmoid(x W_r + h U_r + b_r)
    hh = tanh(x W_h + (r * h) U_h + b_h)
    h_new = z * h + (1 - z) * hh

PyTorch's ``nn.GRU`` is the reset_after form with gate order r, z, n and the same
``h_new = (1 - z) * n + z * h``.

The reference for these equations is :func:`rnnlesson.kernels.gru_step_forward` (and
``gru_step_backward``), which the teaching cell ``rnnlesson.cells.GRUCell`` calls one
step at a time; the tests check ``GRU`` against a loop of the kernels.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from ._buffers import batch_major, time_columns, transposed, workspace
from .masking import skipped_columns
from .recurrent import Recurrent


# ---------------------------------------------------------------------------- the layer
class GRU(Recurrent):
    """Gated Recurrent Unit (Cho et al. 2014), as Keras 3's ``GRU``.

    Args:
        units: H, the size of the hidden state.
        reset_after: True (default, as Keras 3 and PyTorch): the reset gate multiplies
            ``h U_h + b_rh``; False: it multiplies h before U_h (the original paper).
        return_sequences, return_state, go_backwards, stateful: as Keras (see ``Recurrent``).
        dropout, recurrent_dropout, zero_output_for_mask: as Keras (see ``Recurrent``).
        dtype, seed, name, input_shape: as ``Layer``.

    Shapes: input (N, T, D); output (N, T, H) with return_sequences else (N, H).
    ``forward(x, mask=...)`` skips masked steps: the state is carried through them unchanged.
    Weights (Keras's names and order): ``kernel`` (D, 3H) glorot-uniform,
    ``recurrent_kernel`` (H, 3H) orthogonal, ``bias`` (2, 3H) (reset_after) or (3H,), zeros.
    The equations are in the module docstring.

    How it is made fast (the numbers of :func:`rnnlesson.kernels.gru_step_forward` and
    ``gru_step_backward`` step by step, the reference; checked in the tests):

    * Transposed, time-major buffers (as ``LSTM``): step t's pre-activations are one
      (4H, N) block ``P[t]`` (3H without reset_after) and the states are (H, N), so every
      gate is one contiguous (H, N) block and every elementwise operation runs over
      contiguous memory (an (N, H) column slice of an (N, 4H) row-major block is N
      separate rows, about 3x slower per operation at N = 32).
    * The gates r and z sit next to each other, so both sigmoids are one ``tanh`` over a
      contiguous (2H, N) block plus two passes: sigmoid(a) = 1/2 + tanh(a/2)/2, with the
      halving folded into working copies of the weights (exact in binary). On an AMD
      EPYC the pair of sigmoids alone is 20-35% quicker this way than as 1 / (1 + exp(-a))
      (float32 ``tanh`` is the faster function there; a whole training step changed
      within noise), and it never overflows. The LSTM does the same.
    * ``Z[t] = [h_{t-1}; 1; x_t]`` (T+1, K, N): each step writes h_t where the next
      step's product and the backward pass read it. Narrow inputs (2D <= H) ride along:
      one product ``Mᵀ Z[t]`` per step gives every pre-activation, biases included.
      Wide inputs get their part of every step from one batched product before the loop
      (folding them in would multiply by the zero blocks of M, a quarter of the work
      when D = H).
    * Backward: the per-step factors (z(1-z)(h_{t-1} - hh), (1-z)(1-hh^2), ...) are
      computed for all steps at once; the loop then only multiplies by dL/dh_t (two
      broadcast products fill three gradient blocks) and does the one recurrent product
      ``dh_{t-1} = dh_t * z + U dP_t``. The gradients of every step are kept in one
      (T, 4H, N) buffer, so after the loop each weight gradient is one GEMM over all T*N
      columns (``[dU]`` from the h rows of Z, ``[db; dW]`` from its 1 and x rows) and
      dL/dX is one more.
    * A mask with holes (see ``Recurrent``): the skipped columns copy h_{t-1}; backward
      zeroes their factors q, f and takes z = 1, so dL/dh passes through with no per-step
      work. Padding masks need none of it (``spans``).
    * Scratch buffers are kept between calls of the same shape (as ``SimpleRNN``);
      everything returned is a fresh array.
    """

    _config_keys = ("units", "reset_after", "return_sequences", "return_state", "go_backwards",
                    "stateful", "dropout", "recurrent_dropout", "zero_output_for_mask")

    blocks = 3

    def __init__(self, units, *, reset_after=True, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, dropout=0.0, recurrent_dropout=0.0,
                 zero_output_for_mask=False, dtype="float32", seed=None, name=None,
                 input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dropout=dropout,
                         recurrent_dropout=recurrent_dropout,
                         zero_output_for_mask=zero_output_for_mask, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.reset_after = _checks.boolean(reset_after, "reset_after", type(self).__name__)
        self._seq = None

    def _init_options(self) -> dict:
        return {"bias_shape": (2, 3 * self.units) if self.reset_after else None}

    # ------------------------------------------------------------------ helpers
    def _blocks(self):
        """Keras blocks of the weights: (W_z, W_r, W_h), (U_z, U_r, U_h), bias pieces."""
        h = self.units
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        Ws = (W[:, :h], W[:, h:2 * h], W[:, 2 * h:])
        Us = (U[:, :h], U[:, h:2 * h], U[:, 2 * h:])
        return Ws, Us, b

    # ------------------------------------------------------------------ forward
    def _forward_seq(self, x, states, keep, copy=True):
        n, t_len, d = x.shape
        h = self.units
        dt = self.dtype
        ra = self.reset_after
        (Wz, Wr, Wh), (Uz, Ur, Uh), b = self._blocks()
        k = h + 1 + d
        o = h if ra else 0  # first row of the r block in P
        # P_t = Mᵀ [h_{t-1}; 1; x_t], blocks of H rows (the sigmoid blocks halved):
        #   reset_after: [h U_h + b_rh; pre_r/2; pre_z/2; x W_h + b_ih]
        #   otherwise:   [pre_r/2; pre_z/2; x W_h + b_h]
        M = np.zeros((k, o + 3 * h), dt)
        M[:h, o:o + h], M[:h, o + h:o + 2 * h] = 0.5 * Ur, 0.5 * Uz
        M[h + 1:, o:o + h], M[h + 1:, o + h:o + 2 * h] = 0.5 * Wr, 0.5 * Wz
        M[h + 1:, o + 2 * h:] = Wh
        if ra:
            M[:h, :h] = Uh
            M[h, :h] = b[1, 2 * h:]                             # b_rh
            M[h, h:2 * h] = 0.5 * (b[0, h:2 * h] + b[1, h:2 * h])  # r: input + recurrent bias
            M[h, 2 * h:3 * h] = 0.5 * (b[0, :h] + b[1, :h])       # z
            M[h, 3 * h:] = b[0, 2 * h:]                         # b_ih
        else:
            M[h, :h], M[h, h:2 * h], M[h, 2 * h:] = 0.5 * b[h:2 * h], 0.5 * b[:h], b[2 * h:]
        Z = workspace(self, "Z", (t_len + 1, k, n), dt)  # Z[t] = [h_{t-1}; 1; x_t]
        Z[0, :h] = states[0].T
        Z[:, h] = 1
        Z[:t_len, h + 1:] = x.transpose(1, 2, 0)
        Z[t_len, h + 1:] = 0
        if 2 * d <= h:  # narrow inputs: x_t rides along in each step's product
            MT, XP = transposed(M), None
        else:  # wide inputs: their part of every step in one batched product before the loop
            MT = transposed(M[:h + 1, :o + 2 * h])  # [h; 1] -> the first blocks
            XP = workspace(self, "XP", (t_len, 3 * h, n), dt)   # [x W_r/2; x W_z/2; x W_h + b]
            np.matmul(transposed(M[h + 1:, o:]), Z[:t_len, h + 1:], XP)
            XP[:, 2 * h:] += M[h, o + 2 * h:, None]
        P = workspace(self, "P", (t_len, o + 3 * h, n), dt)  # pre-activations, then r, z
        HH = workspace(self, "HH", (t_len, h, n), dt)        # candidate hh of every step
        Dd = workspace(self, "Dd", (t_len, h, n), dt)        # h_{t-1} - hh of every step
        tmp = workspace(self, "tmp", (h, n), dt)
        Hp, Hn = Z[:-1, :h], Z[1:, :h]
        RZ, R, Zg = P[:, o:o + 2 * h], P[:, o:o + h], P[:, o + h:o + 2 * h]
        if XP is None:
            Zin, Pout, XRZ, XH = Z[:-1], P, (None,) * t_len, P[:, o + 2 * h:]
        else:
            Zin, Pout, XRZ, XH = Z[:-1, :h + 1], P[:, :o + 2 * h], XP[:, :2 * h], XP[:, 2 * h:]
        RHp = self._loop(MT, Zin, Pout, XRZ, RZ, R, Zg, XH, HH, Dd, Hp, Hn, P, tmp, keep)
        self._seq = {"Z": Z, "P": P, "HH": HH, "D": Dd, "RH": RHp, "n": n, "t": t_len, "d": d,
                     "keep": keep}
        # (N, T, H): a fresh copy, or a view of the workspace only when asked
        seq = batch_major(Hn) if copy else Hn.transpose(2, 0, 1)
        return seq, [Z[t_len, :h].T]

    def _loop(self, MT, Zin, Pout, XRZ, RZ, R, Zg, XH, HH, Dd, Hp, Hn, P, tmp, keep):
        """The forward time loop, with ``keep`` None or a sequence mask (N, T): at a step
        where some sequences are skipped, their columns of h_t are copied from h_{t-1}.
        Returns the r * h_{t-1} buffer of reset_before (else None)."""
        t_len, h, n = HH.shape
        dt, ra = self.dtype, self.reset_after
        Uh = self.params["recurrent_kernel"][:, 2 * h:]
        dot, add, mul, sub = np.dot, np.add, np.multiply, np.subtract
        tanh, copyto = np.tanh, np.copyto
        # None at steps where no sequence is skipped (every step without a mask)
        carry = (None,) * t_len if keep is None else skipped_columns(keep, h)
        RHp = None
        if ra:
            for zt, p, xrz, rz, r, zg, rh, xh, hh, dd, hp, hn, cw in zip(
                    Zin, Pout, XRZ, RZ, R, Zg, P[:, :h], XH, HH, Dd, Hp, Hn, carry,
                    strict=True):
                dot(MT, zt, p)          # the step's pre-activations (wide inputs: 3 blocks)
                if xrz is not None:
                    add(rz, xrz, rz)    # + the input part (wide inputs)
                tanh(rz, rz)            # tanh(a/2) for a = [pre_r; pre_z] ...
                mul(rz, 0.5, rz)
                add(rz, 0.5, rz)        # ... and [r; z] = 1/2 + tanh(a/2)/2
                mul(r, rh, tmp)         # r * (h U_h + b_rh)
                add(tmp, xh, tmp)       # + x W_h + b_ih
                tanh(tmp, hh)           # hh
                sub(hp, hh, dd)         # h_{t-1} - hh
                mul(zg, dd, tmp)        # z (h_{t-1} - hh)
                add(hh, tmp, hn)        # h_t = z h_{t-1} + (1 - z) hh
                if cw is not None:
                    copyto(hn, hp, where=cw)  # masked columns keep h_{t-1}
        else:
            UhT = transposed(Uh)
            RHp = workspace(self, "RHp", (t_len, h, n), dt)  # r * h_{t-1} of every step
            for zt, p, xrz, rz, r, zg, xh, rhp, hh, dd, hp, hn, cw in zip(
                    Zin, Pout, XRZ, RZ, R, Zg, XH, RHp, HH, Dd, Hp, Hn, carry, strict=True):
                dot(MT, zt, p)
                if xrz is not None:
                    add(rz, xrz, rz)
                tanh(rz, rz)            # tanh(a/2) for a = [pre_r; pre_z] ...
                mul(rz, 0.5, rz)
                add(rz, 0.5, rz)        # ... and [r; z] = 1/2 + tanh(a/2)/2
                mul(r, hp, rhp)         # r * h_{t-1}
                dot(UhT, rhp, tmp)      # (r * h_{t-1}) U_h, transposed
                add(tmp, xh, tmp)       # + x W_h + b_h
                tanh(tmp, hh)
                sub(hp, hh, dd)
                mul(zg, dd, tmp)
                add(hh, tmp, hn)
                if cw is not None:
                    copyto(hn, hp, where=cw)
        return RHp

    def _states_at(self, steps):
        """[h] after ``steps[n]`` steps of sequence n (N,), from the last forward: (N, H)."""
        return [self._seq["Z"][steps, :self.units, np.arange(steps.shape[0])]]

    # ------------------------------------------------------------------ backward
    def _backward_seq(self, dseq, dfinal):
        c = self._seq
        Z, P, HH, Dd = c["Z"], c["P"], c["HH"], c["D"]
        n, t_len, d = c["n"], c["t"], c["d"]
        h = self.units
        dt = self.dtype
        ra = self.reset_after
        o = h if ra else 0
        nb = o + 3 * h
        (Wz, Wr, Wh), (Uz, Ur, Uh), _ = self._blocks()
        r, z = P[:, o:o + h], P[:, o + h:o + 2 * h]
        mul, sub, add, dot = np.multiply, np.subtract, np.add, np.dot
        # factors of every step, computed once (each (H, N) block contiguous):
        #   QF[:, 0] = z(1 - z)(h_{t-1} - hh) = dh_t/dpre_z,  QF[:, 1] = (1 - z)(1 - hh^2)
        QF = workspace(self, "QF", (t_len, 2, h, n), dt)
        q, f = QF[:, 0], QF[:, 1]
        omz = sub(1, z, workspace(self, "omz", (t_len, h, n), dt))
        mul(z, omz, q)
        mul(q, Dd, q)
        mul(HH, HH, f)
        sub(1, f, f)
        mul(f, omz, f)
        rr = sub(1, r, workspace(self, "rr", (t_len, h, n), dt))
        mul(rr, r, rr)                          # r(1 - r) = dr/dpre_r
        if c["keep"] is not None:
            # masked steps: the step's own paths are cut (q = f = 0, so every gate gradient
            # is 0) and the direct path takes z = 1: dL/dh_{t-1} = dL/dh_t, as h_t = h_{t-1}
            keep_t = c["keep"].T[:, None, :]    # (T, 1, N)
            mul(QF, keep_t[:, None], QF)
            z = np.where(keep_t, z, np.ones((), dt))
        dP = workspace(self, "dP", (t_len, nb, n), dt)  # dL/d(each block of P, un-negated)
        dP4 = dP.reshape(t_len, nb // h, h, n)
        dh = np.ascontiguousarray(dfinal[0].T)  # dL/dh_T, (H, N), our own array
        dhn = workspace(self, "dhn", (h, n), dt)
        tmp = workspace(self, "tmp", (h, n), dt)
        if dseq is None:
            dseq_tm = (None,) * t_len
        else:
            dseq_tm = workspace(self, "dseq", (t_len, h, n), dt)
            np.copyto(dseq_tm, dseq.transpose(1, 2, 0))
        rev = slice(None, None, -1)
        if ra:
            # RP[:, 0] = r, RP[:, 1] = r(1 - r)(h U_h + b_rh):
            # [dL/d(h U_h + b_rh); dL/dpre_r] = dL/dpre_hh * RP
            RP = workspace(self, "RP", (t_len, 2, h, n), dt)
            RP[:, 0] = r
            mul(rr, P[:, :h], RP[:, 1])
            Ui = np.concatenate([Uh, Ur, Uz], axis=1)  # (H, 3H): the blocks of dP[:, :3H]
            it = zip(dP[rev, :3 * h], dP4[rev, 2:4], dP4[rev, 0:2], dP4[rev, 3:4], QF[rev],
                     RP[rev], z[rev], dseq_tm[::-1], strict=True)
            for dp3, dzh, drr, dah, qf, rp, z_t, ds in it:
                if ds is not None:
                    add(dh, ds, dh)     # dL/dh_t += the output's gradient at t
                mul(dh, qf, dzh)        # [dL/dpre_z; dL/dpre_hh] = dL/dh_t * [q; f]
                mul(dah, rp, drr)       # [dL/d(h U_h + b_rh); dL/dpre_r] = dL/dpre_hh * [r; rp]
                mul(dh, z_t, dhn)       # direct path: dL/dh_t * z
                dot(Ui, dp3, tmp)       # + [U_h U_r U_z] [dL/d(hU_h+b_rh); dpre_r; dpre_z]
                add(dhn, tmp, dh)       # = dL/dh_{t-1}
        else:
            Pr = mul(rr, Z[:-1, :h], rr)           # r(1 - r) h_{t-1}
            Uh_c = np.ascontiguousarray(Uh)
            Urz = np.concatenate([Ur, Uz], axis=1)  # (H, 2H): the blocks of dP[:, :2H]
            drh = workspace(self, "drh", (h, n), dt)
            it = zip(dP[rev, :2 * h], dP4[rev, 1:3], dP[rev, 2 * h:], dP[rev, :h], QF[rev],
                     Pr[rev], r[rev], z[rev], dseq_tm[::-1], strict=True)
            for drz, dzh, dah, dar, qf, pr, r_t, z_t, ds in it:
                if ds is not None:
                    add(dh, ds, dh)
                mul(dh, qf, dzh)        # [dL/dpre_z; dL/dpre_hh] = dL/dh_t * [q; f]
                dot(Uh_c, dah, drh)     # dL/d(r * h_{t-1}) = U_h dL/dpre_hh, transposed
                mul(drh, pr, dar)       # dL/dpre_r = dL/d(r*h) * r(1 - r) h_{t-1}
                mul(drh, r_t, drh)      # the path through r * h_{t-1}
                mul(dh, z_t, dhn)       # the direct path
                add(dhn, drh, dhn)
                dot(Urz, drz, tmp)      # + [U_r U_z] [dpre_r; dpre_z]
                add(dhn, tmp, dh)
        # every weight gradient as one GEMM over all T*N columns
        cols_n = t_len * n
        Zc = time_columns(self, "Zc", Z[:-1])  # [H_prev; 1; X]
        dPc = time_columns(self, "dPc", dP)
        g = self.grads
        gU, gW, gb = g["recurrent_kernel"], g["kernel"], g["bias"]
        dbW = Zc[h:] @ dPc[o:].T                # (1+D, 3H): [db; dW] of the blocks [r | z | h]
        dW, db = dbW[1:], dbW[0]
        gW[:, :h], gW[:, h:2 * h], gW[:, 2 * h:] = dW[:, h:2 * h], dW[:, :h], dW[:, 2 * h:]
        if ra:
            dU = Zc[:h] @ dPc[:3 * h].T         # (H, 3H): [dU_h | dU_r | dU_z]
            gU[:, :h], gU[:, h:2 * h], gU[:, 2 * h:] = dU[:, 2 * h:], dU[:, h:2 * h], dU[:, :h]
            gb[:, :h] = db[h:2 * h]             # dL/db_z (input and recurrent rows)
            gb[:, h:2 * h] = db[:h]             # dL/db_r
            gb[0, 2 * h:] = db[2 * h:]          # dL/db_ih
            gb[1, 2 * h:] = dPc[:h] @ np.ones(cols_n, dt)  # dL/db_rh
        else:
            dUrz = Zc[:h] @ dPc[:2 * h].T       # (H, 2H): [dU_r | dU_z]
            gU[:, :h], gU[:, h:2 * h] = dUrz[:, h:], dUrz[:, :h]
            gU[:, 2 * h:] = time_columns(self, "RHc", c["RH"]) @ dPc[2 * h:].T  # (r*H_prev)ᵀ dA_h
            gb[:h], gb[h:2 * h], gb[2 * h:] = db[h:2 * h], db[:h], db[2 * h:]
        Wi = np.concatenate([Wr, Wz, Wh], axis=1)  # (D, 3H): the blocks of dP[:, o:]
        dx = (dPc[o:].T @ Wi.T).reshape(t_len, n, d).transpose(1, 0, 2).copy()  # dA Wᵀ
        return dx, [dh.T.copy()]
