"""``GRU`` (the sequence layer) and ``GRUCell`` (one time step), with Keras 3's semantics.

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
"""

from __future__ import annotations

import numpy as np

from .. import _checks, activations, initializers
from .recurrent import Recurrent
from .simple_rnn import _fold_inputs, _StepCell, workspace


def _gru_weights(layer, input_dim: int) -> None:
    h = layer.units
    layer.add_weight("kernel", initializers.glorot_uniform((input_dim, 3 * h), layer.rng,
                                                           layer.dtype))
    layer.add_weight("recurrent_kernel", initializers.orthogonal((h, 3 * h), layer.rng,
                                                                 layer.dtype))
    shape = (2, 3 * h) if layer.reset_after else (3 * h,)
    layer.add_weight("bias", initializers.zeros(shape, dtype=layer.dtype))


# ---------------------------------------------------------------------------- the layer
class GRU(Recurrent):
    """Gated Recurrent Unit (Cho et al. 2014), as Keras 3's ``GRU``.

    Args:
        units: H, the size of the hidden state.
        reset_after: True (default, as Keras 3 and PyTorch): the reset gate multiplies
            ``h U_h + b_rh``; False: it multiplies h before U_h (the original paper).
        return_sequences, return_state, go_backwards, stateful: as Keras (see ``Recurrent``).
        dtype, seed, name, input_shape: as ``Layer``.

    Shapes: input (N, T, D); output (N, T, H) with return_sequences else (N, H).
    Weights (Keras's names and order): ``kernel`` (D, 3H) glorot-uniform,
    ``recurrent_kernel`` (H, 3H) orthogonal, ``bias`` (2, 3H) (reset_after) or (3H,), zeros.
    The equations are in the module docstring.

    How it is made fast (same numbers as ``GRUCell``, checked in the tests):

    * Internally the gates are kept in the order [r | z] next to each other, so both
      sigmoids are one ``exp`` over a contiguous (N, 2H) block plus two passes:
      sigmoid(a) = 1 / (1 + exp(-a)), with the sign folded into working copies of the
      weights (negation is exact). float32 ``exp`` costs about half of ``tanh`` per
      element here, float64 ``exp`` about a third; exp(-a) = inf for very negative a
      gives exactly 0.
    * Time-major state buffer ``S`` (T+1, N, K) with ``S[t, :, :H] = h_{t-1}``: each step
      writes h_t where the next step's product and the backward pass read it.
    * Inputs outside the loop: for wide inputs (2D > H) ``x_t W + b`` is one GEMM over
      all T*N rows before the loop; for narrow inputs x_t and a column of ones sit
      beside h_{t-1} in ``S``, and one product per step gives every pre-activation.
    * Backward: the per-step factors (z(1-z)(h_{t-1} - hh), (1-z)(1-hh^2), ...) are
      computed for all steps at once; the loop then only multiplies by dL/dh_t and does
      the one recurrent product ``dh_{t-1} = dh_t * z + dG_t Uᵀ``. The gate gradients
      of every step are kept in one (T, N, 4H) buffer so that each weight gradient is
      one GEMM over all T*N rows after the loop, and dL/db = 1ᵀ dG.
    * Scratch buffers are kept between calls of the same shape (as ``SimpleRNN``);
      everything returned is a fresh array.
    """

    _config_keys = ("units", "reset_after", "return_sequences", "return_state", "go_backwards",
                    "stateful")

    def __init__(self, units, reset_after=True, *, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, dtype="float32", seed=None, name=None,
                 input_shape=None):
        super().__init__(units, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, dtype=dtype, seed=seed,
                         name=name, input_shape=input_shape)
        self.reset_after = _checks.boolean(reset_after, "reset_after", type(self).__name__)
        self._seq = None

    def _build_weights(self, input_dim: int) -> None:
        _gru_weights(self, input_dim)

    # ------------------------------------------------------------------ helpers
    def _blocks(self):
        """Keras blocks of the weights: (W_z, W_r, W_h), (U_z, U_r, U_h), bias pieces."""
        h = self.units
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        Ws = (W[:, :h], W[:, h:2 * h], W[:, 2 * h:])
        Us = (U[:, :h], U[:, h:2 * h], U[:, 2 * h:])
        return Ws, Us, b

    # ------------------------------------------------------------------ forward
    def _forward_seq(self, x, states, training):
        n, t_len, d = x.shape
        h = self.units
        dt = self.dtype
        (Wz, Wr, Wh), (Uz, Ur, Uh), b = self._blocks()
        fold = _fold_inputs(d, h)
        ra = self.reset_after
        xt = x.transpose(1, 0, 2)  # (T, N, D) view, time-major
        if ra:
            bi_r, bi_z, bi_h = b[0, h:2 * h], b[0, :h], b[0, 2 * h:]
            br_r, br_z, br_h = b[1, h:2 * h], b[1, :h], b[1, 2 * h:]
            b_rz = np.concatenate([-(bi_r + br_r), -(bi_z + br_z)])
            b_xh = bi_h
        else:
            b_rz = np.concatenate([-b[h:2 * h], -b[:h]])
            b_xh = b[2 * h:]
        # K: columns of S = [h_{t-1} | x_t | 1] (fold), [h_{t-1} | 1] (reset_after), [h_{t-1}]
        k = h + d + 1 if fold else (h + 1 if ra else h)
        S = workspace(self, "S", (t_len + 1, n, k), dt)
        S[0, :, :h] = states[0]
        S[t_len, :, h:] = 0
        if k > h:
            S[:t_len, :, k - 1] = 1
        G = workspace(self, "G", (t_len, n, 2 * h), dt)   # gates [r | z] of every step
        HH = workspace(self, "HH", (t_len, n, h), dt)      # candidate hh of every step
        Dd = workspace(self, "Dd", (t_len, n, h), dt)      # h_{t-1} - hh of every step
        tmp = workspace(self, "tmp", (n, h), dt)
        matmul, add, multiply, subtract, tanh = np.matmul, np.add, np.multiply, np.subtract, np.tanh
        exp, divide = np.exp, np.divide
        dot = np.dot  # less call overhead than matmul for one 2-D product
        X = None
        if fold:
            S[:t_len, :, h:h + d] = xt
            if ra:
                # P_t = [h|x|1] @ M = [h U_h + b_rh | -(pre_r | pre_z) | x W_h + b_ih]
                M = np.zeros((k, 4 * h), dt)
                M[:h, :h] = Uh
                M[:h, h:2 * h] = -Ur
                M[:h, 2 * h:3 * h] = -Uz
                M[h:h + d, h:2 * h] = -Wr
                M[h:h + d, 2 * h:3 * h] = -Wz
                M[h:h + d, 3 * h:] = Wh
                M[k - 1, :h] = br_h
                M[k - 1, h:3 * h] = b_rz
                M[k - 1, 3 * h:] = b_xh
                P = workspace(self, "P", (t_len, n, 4 * h), dt)
                RH, PRZ, XH = P[:, :, :h], P[:, :, h:3 * h], P[:, :, 3 * h:]
            else:
                # P_t = [h|x|1] @ M = [-(pre_r | pre_z) | x W_h + b_h]
                M = np.zeros((k, 3 * h), dt)
                M[:h, :h] = -Ur
                M[:h, h:2 * h] = -Uz
                M[h:h + d, :h] = -Wr
                M[h:h + d, h:2 * h] = -Wz
                M[h:h + d, 2 * h:] = Wh
                M[k - 1, :2 * h] = b_rz
                M[k - 1, 2 * h:] = b_xh
                P = workspace(self, "P", (t_len, n, 3 * h), dt)
                PRZ, XH = P[:, :, :2 * h], P[:, :, 2 * h:]
        else:
            X = workspace(self, "X", (t_len, n, d), dt)
            np.copyto(X, xt)
            Wp = np.concatenate([-Wr, -Wz, Wh], axis=1)  # (D, 3H) [r | z | h]
            Xp = workspace(self, "Xp", (t_len, n, 3 * h), dt)
            matmul(X.reshape(t_len * n, d), Wp, Xp.reshape(t_len * n, 3 * h))
            Xp[..., :2 * h] += b_rz
            Xp[..., 2 * h:] += b_xh       # Xp_t = x_t W + b, all steps in one GEMM
            XRZ, XH = Xp[:, :, :2 * h], Xp[:, :, 2 * h:]
            if ra:
                # [h | 1] @ Ua = [h U_h + b_rh | -h U_r | -h U_z]
                Ua = np.zeros((h + 1, 3 * h), dt)
                Ua[:h, :h] = Uh
                Ua[:h, h:2 * h] = -Ur
                Ua[:h, 2 * h:] = -Uz
                Ua[h, :h] = br_h
                R = workspace(self, "R", (t_len, n, 3 * h), dt)
                RH = R[:, :, :h]
            else:
                Urz = np.concatenate([-Ur, -Uz], axis=1)  # (H, 2H)
                rz = workspace(self, "rz", (n, 2 * h), dt)
        if not ra:
            Uh_c = np.ascontiguousarray(Uh)
            RHp = workspace(self, "RHp", (t_len, n, h), dt)  # r * h_{t-1} of every step
        Hn = S[1:, :, :h]
        Hp = S[:-1, :, :h]
        with np.errstate(over="ignore"):  # exp(-a) = inf for a < -88 (float32): gate 0
            if ra and fold:
                steps = zip(S[:-1], P, PRZ, G, RH, XH, HH, Dd, Hp, Hn, strict=True)
                for s, p, prz, g, rh, xh, hh, dd, hp, hn in steps:
                    dot(s, M, p)                # every pre-activation of the step
                    exp(prz, g)                 # exp(-a) for a = [pre_r | pre_z] ...
                    add(g, 1.0, g)
                    divide(1.0, g, g)           # ... and [r | z] = 1 / (1 + exp(-a))
                    multiply(g[:, :h], rh, tmp)  # r * (h U_h + b_rh)
                    add(tmp, xh, tmp)            # + x W_h + b_ih
                    tanh(tmp, hh)                # hh
                    subtract(hp, hh, dd)         # h_{t-1} - hh
                    multiply(g[:, h:], dd, tmp)  # z * (h_{t-1} - hh)
                    add(hh, tmp, hn)             # h_t = hh + z (h_{t-1} - hh) = z h + (1-z) hh
            elif ra:
                for s, r_, xrz, g, rh, xh, hh, dd, hp, hn in zip(S[:-1], R, XRZ, G, RH, XH, HH, Dd,
                                                                 Hp, Hn, strict=True):
                    dot(s, Ua, r_)               # [h U_h + b_rh | h U_r/2 | h U_z/2]
                    add(r_[:, h:], xrz, g)       # - (x W_rz + b_rz): -(pre_r | pre_z)
                    exp(g, g)
                    add(g, 1.0, g)
                    divide(1.0, g, g)            # [r | z]
                    multiply(g[:, :h], rh, tmp)
                    add(tmp, xh, tmp)
                    tanh(tmp, hh)
                    subtract(hp, hh, dd)
                    multiply(g[:, h:], dd, tmp)
                    add(hh, tmp, hn)
            else:
                steps = zip(G, RHp, XH, HH, Dd, Hp, Hn, strict=True)
                for idx, (g, rhp, xh, hh, dd, hp, hn) in enumerate(steps):
                    if fold:
                        dot(S[idx], M, P[idx])     # [-(pre_r | pre_z) | x W_h + b_h]
                        exp(PRZ[idx], g)
                    else:
                        dot(hp, Urz, rz)
                        add(rz, XRZ[idx], g)
                        exp(g, g)
                    add(g, 1.0, g)
                    divide(1.0, g, g)            # [r | z]
                    multiply(g[:, :h], hp, rhp)  # r * h_{t-1}
                    dot(rhp, Uh_c, tmp)          # (r * h) U_h
                    add(tmp, xh, tmp)            # + x W_h + b_h
                    tanh(tmp, hh)
                    subtract(hp, hh, dd)
                    multiply(g[:, h:], dd, tmp)
                    add(hh, tmp, hn)
        self._seq = {"S": S, "X": X, "fold": fold, "G": G, "HH": HH, "D": Dd, "n": n,
                     "t": t_len, "d": d, "RH": RH if ra else RHp}
        hs = Hn.transpose(1, 0, 2)
        seq = hs.copy(order="C") if self.return_sequences else hs  # never a workspace view
        return seq, [S[t_len, :, :h]]

    # ------------------------------------------------------------------ backward
    def _backward_seq(self, dseq, dfinal):
        c = self._seq
        S, X, fold, G, HH, Dd = c["S"], c["X"], c["fold"], c["G"], c["HH"], c["D"]
        n, t_len, d = c["n"], c["t"], c["d"]
        h = self.units
        dt = self.dtype
        ra = self.reset_after
        (Wz, Wr, Wh), (Uz, Ur, Uh), _ = self._blocks()
        r, z = G[:, :, :h], G[:, :, h:]
        multiply, subtract, matmul, add, dot = np.multiply, np.subtract, np.matmul, np.add, np.dot
        # factors of every step, computed once:
        #   QF[..., 0, :] = dz/d(pre_z) * dh_t/dz     = z(1-z) (h_{t-1} - hh)
        #   QF[..., 1, :] = dh_t/d(pre_hh)            = (1-z)(1-hh^2)
        QF = workspace(self, "QF", (t_len, n, 2, h), dt)
        q, f = QF[:, :, 0], QF[:, :, 1]
        one_minus_z = subtract(1, z, workspace(self, "omz", (t_len, n, h), dt))
        multiply(z, one_minus_z, q)
        multiply(q, Dd, q)
        multiply(HH, HH, f)
        subtract(1, f, f)
        multiply(f, one_minus_z, f)
        rr = subtract(1, r, workspace(self, "rr", (t_len, n, h), dt))
        multiply(rr, r, rr)                   # r(1-r) = dr/d(pre_r)
        dh = np.ascontiguousarray(dfinal[0], dtype=dt)  # dL/dh_T (our own array)
        dh_b = dh[:, None, :]
        dhn = workspace(self, "dhn", (n, h), dt)
        tmp = workspace(self, "tmp", (n, h), dt)
        dseq_t = None if dseq is None else dseq.transpose(1, 0, 2)
        rev = slice(None, None, -1)
        if ra:
            # gate gradients of every step, internal order [da_h * r | da_r | da_z | da_h]
            dP = workspace(self, "dP", (t_len, n, 4 * h), dt)
            dP4 = dP.reshape(t_len, n, 4, h)
            # RP[..., 0, :] = r and RP[..., 1, :] = r(1-r)(h U_h + b_rh):
            # [d(h U_h + b_rh) | d pre_r] = da_h * RP
            RP = workspace(self, "RP", (t_len, n, 2, h), dt)
            RP[:, :, 0] = r
            multiply(rr, c["RH"], RP[:, :, 1])
            Ui = np.concatenate([Uh, Ur, Uz], axis=1)  # (H, 3H) in dP's order
            UiT = np.ascontiguousarray(Ui.T)
            it = zip(dP[rev, :, :3 * h], dP4[rev, :, 2:4], dP4[rev, :, 0:2], dP4[rev, :, 3:4],
                     QF[rev], RP[rev], z[rev], strict=True)
            for idx, (dp3, dzh, drr, dah, qf, rp, z_t) in enumerate(it):
                if dseq_t is not None:
                    add(dh, dseq_t[t_len - 1 - idx], dh)  # dL/dh_t += output gradient at t
                multiply(dh_b, qf, dzh)     # [dL/dpre_z | dL/dpre_hh] = dL/dh_t * [q | f]
                multiply(dah, rp, drr)      # [dL/d(hU_h+b_rh) | dL/dpre_r] = dL/dpre_hh * [r | rp]
                multiply(dh, z_t, dhn)      # direct path: dL/dh_{t-1} = dL/dh_t * z
                dot(dp3, UiT, tmp)          # + [dL/d(hU_h+b_rh) | dpre_r | dpre_z] @ [U_h U_r U_z]ᵀ
                add(dhn, tmp, dh)
            rows = t_len * n
            dP2 = dP.reshape(rows, 4 * h)
            S2 = S[:t_len].reshape(rows, S.shape[2])
            Hprev = S2[:, :h]
            Xm = S2[:, h:h + d] if fold else X.reshape(rows, d)
            g = self.grads
            dUi = Hprev.T @ dP2[:, :3 * h]            # dL/dU = H_prevᵀ dG   ([h | r | z])
            dWi = Xm.T @ dP2[:, h:]                  # dL/dW = Xᵀ dA        ([r | z | h])
            sums = np.ones(rows, dt) @ dP2           # 1ᵀ dP: the bias gradients
            gU, gW, gb = g["recurrent_kernel"], g["kernel"], g["bias"]
            gU[:, :h], gU[:, h:2 * h], gU[:, 2 * h:] = dUi[:, 2 * h:], dUi[:, h:2 * h], dUi[:, :h]
            gW[:, :h], gW[:, h:2 * h], gW[:, 2 * h:] = dWi[:, h:2 * h], dWi[:, :h], dWi[:, 2 * h:]
            gb[:, :h] = sums[2 * h:3 * h]             # dL/db_z (input and recurrent rows)
            gb[:, h:2 * h] = sums[h:2 * h]            # dL/db_r
            gb[0, 2 * h:] = sums[3 * h:]              # dL/db_ih = 1ᵀ dA_h
            gb[1, 2 * h:] = sums[:h]                  # dL/db_rh = 1ᵀ (dA_h * r)
            Wi = np.concatenate([Wr, Wz, Wh], axis=1)
            dx = workspace(self, "dx", (t_len, n, d), dt)
            matmul(dP2[:, h:], Wi.T, dx.reshape(rows, d))  # dL/dX = dA Wᵀ
        else:
            # gate gradients of every step, internal order [da_r | da_z | da_h]
            dP = workspace(self, "dP", (t_len, n, 3 * h), dt)
            dP4 = dP.reshape(t_len, n, 3, h)
            Hp = S[:-1, :, :h]
            Pr = multiply(rr, Hp, rr)                # r(1-r) h_{t-1}
            UhT = np.ascontiguousarray(Uh.T)
            Urz = np.concatenate([Ur, Uz], axis=1)   # (H, 2H) in dP's order
            UrzT = np.ascontiguousarray(Urz.T)
            drh = workspace(self, "drh", (n, h), dt)
            it = zip(dP[rev, :, :2 * h], dP4[rev, :, 1:3], dP[rev, :, 2 * h:], dP[rev, :, :h],
                     QF[rev], Pr[rev], r[rev], z[rev], strict=True)
            for idx, (dprz, dzh, dah, dar, qf, pr, r_t, z_t) in enumerate(it):
                if dseq_t is not None:
                    add(dh, dseq_t[t_len - 1 - idx], dh)
                multiply(dh_b, qf, dzh)     # [dL/dpre_z | dL/dpre_hh] = dL/dh_t * [q | f]
                dot(dah, UhT, drh)          # dL/d(r*h) = dL/dpre_hh @ U_hᵀ
                multiply(drh, pr, dar)      # dL/dpre_r = dL/d(r*h) * h_{t-1} * r(1-r)
                multiply(drh, r_t, drh)     # dL/dh_{t-1} via r*h: dL/d(r*h) * r
                multiply(dh, z_t, dhn)      # direct path: dL/dh_t * z
                add(dhn, drh, dhn)
                dot(dprz, UrzT, tmp)        # + [dpre_r | dpre_z] @ [U_r U_z]ᵀ
                add(dhn, tmp, dh)
            rows = t_len * n
            dP2 = dP.reshape(rows, 3 * h)
            S2 = S[:t_len].reshape(rows, S.shape[2])
            Hprev = S2[:, :h]
            Xm = S2[:, h:h + d] if fold else X.reshape(rows, d)
            g = self.grads
            gU, gW, gb = g["recurrent_kernel"], g["kernel"], g["bias"]
            dUrz = Hprev.T @ dP2[:, :2 * h]                   # dL/dU_rz = H_prevᵀ dA_rz
            gU[:, :h], gU[:, h:2 * h] = dUrz[:, h:], dUrz[:, :h]
            RHp = c["RH"].reshape(rows, h)
            gU[:, 2 * h:] = RHp.T @ dP2[:, 2 * h:]           # dL/dU_h = (r*H_prev)ᵀ dA_h
            dWi = Xm.T @ dP2                                  # dL/dW = Xᵀ dA  ([r | z | h])
            gW[:, :h], gW[:, h:2 * h], gW[:, 2 * h:] = dWi[:, h:2 * h], dWi[:, :h], dWi[:, 2 * h:]
            sums = np.ones(rows, dt) @ dP2                    # dL/db = 1ᵀ dA
            gb[:h], gb[h:2 * h], gb[2 * h:] = sums[h:2 * h], sums[:h], sums[2 * h:]
            Wi = np.concatenate([Wr, Wz, Wh], axis=1)
            dx = workspace(self, "dx", (t_len, n, d), dt)
            matmul(dP2, Wi.T, dx.reshape(rows, d))            # dL/dX = dA Wᵀ
        return dx.transpose(1, 0, 2).copy(order="C"), [dh]


# ---------------------------------------------------------------------------- the cell
class GRUCell(_StepCell):
    """One step of a GRU (Keras 3 semantics, gate order z, r, h; see the module docstring).

    Args:
        units: H, the size of the hidden state.
        reset_after: True (default) or False, as ``GRU``.
        dtype, seed, name: as ``Layer``.

    Use::

        h, state = cell.forward(x_t, state)    # x_t (N, D), state (N, H) or None (zeros)
        dx_t, dstate = cell.backward(dh, dstate)

    ``backward`` goes back through the most recent forward step; ``dh`` (from the output
    at that step) and ``dstate`` (from step t+1) may be None. It returns dL/dx_t (N, D)
    and dL/dh_{t-1} (N, H) and ADDS the step's weight gradients to ``cell.grads``.
    Weights as ``GRU``: ``kernel`` (D, 3H), ``recurrent_kernel`` (H, 3H), ``bias`` (2, 3H)
    or (3H,).
    """

    _config_keys = ("units", "reset_after")

    def __init__(self, units, reset_after=True, *, dtype="float32", seed=None, name=None):
        super().__init__(units, dtype=dtype, seed=seed, name=name)
        self.reset_after = _checks.boolean(reset_after, "reset_after", type(self).__name__)

    def _build(self, input_shape) -> None:
        _gru_weights(self, int(input_shape[-1]))

    def forward(self, x_t, state=None):
        """One step. x_t: (N, D); state: h_{t-1} (N, H) or None. Returns (h_t, h_t), each (N, H)."""
        x, h_prev = self._prepare_step(x_t, state)
        H = self.units
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        sig = activations.sigmoid
        b_i = b[0] if self.reset_after else b
        xw = x @ W + b_i                      # [x W_z + b_iz | x W_r + b_ir | x W_h + b_ih]
        if self.reset_after:
            hu = h_prev @ U + b[1]            # [h U_z + b_rz | h U_r + b_rr | h U_h + b_rh]
            z = sig(xw[:, :H] + hu[:, :H])            # update gate
            r = sig(xw[:, H:2 * H] + hu[:, H:2 * H])  # reset gate
            hh = np.tanh(xw[:, 2 * H:] + r * hu[:, 2 * H:])  # candidate
            rh = None
        else:
            hu = h_prev @ U[:, :2 * H]        # [h U_z | h U_r]
            z = sig(xw[:, :H] + hu[:, :H])
            r = sig(xw[:, H:2 * H] + hu[:, H:])
            rh = r * h_prev                   # the reset applies to h before U_h
            hh = np.tanh(xw[:, 2 * H:] + rh @ U[:, 2 * H:])
        h = z * h_prev + (1 - z) * hh         # h_t = z h_{t-1} + (1 - z) hh
        self._steps.append({"x": x.copy(), "h_prev": h_prev.copy(), "z": z, "r": r, "hh": hh,
                            "hu": hu, "rh": rh})
        return h, h

    def backward(self, dh, dstate=None):
        """Back through the latest step. dh, dstate: (N, H) or None. Returns (dx_t, dh_prev)."""
        c, dh = self._pop_step(dh, dstate)
        H = self.units
        x, h_prev, z, r, hh = c["x"], c["h_prev"], c["z"], c["r"], c["hh"]
        W, U = self.params["kernel"], self.params["recurrent_kernel"]
        dz = dh * (h_prev - hh)               # dL/dz = dL/dh (h_{t-1} - hh)
        dhh = dh * (1 - z)                    # dL/dhh = dL/dh (1 - z)
        dh_prev = dh * z                      # dL/dh_{t-1}, direct path through z * h_{t-1}
        da_h = dhh * (1 - hh ** 2)            # dL/d(pre_hh) = dL/dhh (1 - hh^2)
        da_z = dz * z * (1 - z)               # dL/d(pre_z) = dL/dz z (1 - z)
        if self.reset_after:
            hu_h = c["hu"][:, 2 * H:]
            dr = da_h * hu_h                  # dL/dr = dL/dpre_hh (h U_h + b_rh)
            da_r = dr * r * (1 - r)           # dL/d(pre_r) = dL/dr r (1 - r)
            da_x = np.concatenate([da_z, da_r, da_h], axis=1)       # dL/d(x W + b_i)
            da_u = np.concatenate([da_z, da_r, da_h * r], axis=1)   # dL/d(h U + b_r)
            self.grads["kernel"] += x.T @ da_x                      # dL/dW += xᵀ da_x
            self.grads["recurrent_kernel"] += h_prev.T @ da_u       # dL/dU += h_{t-1}ᵀ da_u
            self.grads["bias"][0] += da_x.sum(axis=0)               # dL/db_i += Σ_n da_x
            self.grads["bias"][1] += da_u.sum(axis=0)               # dL/db_r += Σ_n da_u
            dh_prev = dh_prev + da_u @ U.T                          # + da_u Uᵀ
        else:
            drh = da_h @ U[:, 2 * H:].T       # dL/d(r h) = dL/dpre_hh U_hᵀ
            da_r = drh * h_prev * r * (1 - r)  # dL/d(pre_r) = dL/d(r h) h_{t-1} r (1 - r)
            da_x = np.concatenate([da_z, da_r, da_h], axis=1)       # dL/d(pre) for z, r, hh
            da_zr = da_x[:, :2 * H]
            self.grads["kernel"] += x.T @ da_x                      # dL/dW += xᵀ da
            self.grads["recurrent_kernel"][:, :2 * H] += h_prev.T @ da_zr  # dL/dU_zr += hᵀ da_zr
            self.grads["recurrent_kernel"][:, 2 * H:] += c["rh"].T @ da_h  # dL/dU_h += (r h)ᵀ da_h
            self.grads["bias"] += da_x.sum(axis=0)                  # dL/db += Σ_n da
            dh_prev = dh_prev + drh * r + da_zr @ U[:, :2 * H].T    # + via r h, + via the gates
        dx = da_x @ W.T                       # dL/dx_t = da Wᵀ
        return dx, dh_prev
