"""The step-by-step loop of the recurrent layers, used when a call has recurrent dropout.

Keras 3 applies recurrent dropout inside the cell, to h_{t-1} before each gate's part of
the recurrent kernel (``keras/src/layers/rnn/simple_rnn.py``, ``lstm.py``, ``gru.py``).
With ``recurrent_dropout > 0`` its LSTM and GRU cells switch to ``implementation=1``: one
input mask and one recurrent mask *per gate block* (``dropout_mask_count`` = 4 or 3), each
drawn once per call and used at every step. The fast loops of ``SimpleRNN``, ``LSTM`` and
``GRU`` fold all gates into one product, so this module computes those calls instead, one
step at a time, with the gate blocks on a leading axis (k, N, H). With x_t (N, D), h and
c (N, H), input masks m_g (N, D) and recurrent masks r_g (N, H) (0 or 1/(1 - rate); an
absent input mask is 1), W_g, U_g the blocks of the kernels::

    SimpleRNN    h~ = act((x m) W + b + (h r) U)
    LSTM         z_g = (x m_g) W_g + b_g + (h r_g) U_g,  g = i, f, c, o
                 c~ = sigmoid(z_f) c + sigmoid(z_i) tanh(z_c),  h~ = sigmoid(z_o) tanh(c~)
    GRU          a_g = (x m_g) W_g + b_g            (b_g: row 0 of the bias with reset_after)
      reset_after   u_g = (h r_g) U_g + b'_g        (b'_g: row 1 of the bias)
                    z = sigmoid(a_z + u_z), r = sigmoid(a_r + u_r), hh = tanh(a_h + r u_h)
      reset_before  z = sigmoid(a_z + (h r_z) U_z), r = sigmoid(a_r + (h r_r) U_r)
                    hh = tanh(a_h + (r (h r_h)) U_h)
                 h~ = z h + (1 - z) hh               (the direct path uses h itself)

and with a sequence mask, h_t = h~ where the step counts, h_{t-1} where it does not (c
the same). Everything a step needs in backward is kept per step; after the loop each
weight gradient is one product over all T*N rows, as in the fast loops.
"""

from __future__ import annotations

import numpy as np

from ..activations import get as activation_pair
from ..kernels import ACTIVATIONS, sigmoid

__all__ = ["stepwise_forward", "stepwise_backward"]


def _kind(layer) -> str:
    if len(layer.state_names) == 2:
        return "lstm"
    if hasattr(layer, "reset_after"):
        return "gru" if layer.reset_after else "gru_rb"
    return "rnn"


def _blocks(layer, k):
    """W (k, D, H), U (k, H, H), the input bias (k, H) and the recurrent bias (k, H) or None."""
    W, U, b = layer.params["kernel"], layer.params["recurrent_kernel"], layer.params["bias"]
    d, h = W.shape[0], layer.units
    Wg = np.ascontiguousarray(W.reshape(d, k, h).transpose(1, 0, 2))
    Ug = np.ascontiguousarray(U.reshape(h, k, h).transpose(1, 0, 2))
    if b.ndim == 2:  # GRU reset_after: input row, recurrent row
        return Wg, Ug, b[0].reshape(k, h), b[1].reshape(k, h)
    return Wg, Ug, b.reshape(k, h), None


def stepwise_forward(layer, x, states, drop, keep):
    """Run ``layer`` step by step. x (N, T, D) in processing order, ``states`` the initial
    states (N, H), ``drop`` the call's DropoutMasks (recurrent masks (k, N, H), input masks
    (k, N, D) or None), ``keep`` None or the sequence mask (N, T). Returns ``(seq, final)``
    as the fast loops do, and keeps what :func:`stepwise_backward` needs on the layer."""
    kind = _kind(layer)
    n, t_len, d = x.shape
    h, k, dt = layer.units, layer.blocks, layer.dtype
    Wg, Ug, b_in, b_rec = _blocks(layer, k)
    # inputs of each gate, (k, N, T, D), and their projections for every step (T, k, N, H)
    xg = np.broadcast_to(x, (k, n, t_len, d)) if drop.inputs is None \
        else x[None] * drop.inputs[:, :, None, :]
    XW = np.matmul(xg.reshape(k, n * t_len, d), Wg).reshape(k, n, t_len, h)
    XW = np.ascontiguousarray(XW.transpose(2, 0, 1, 3)) + b_in[None, :, None, :]
    rmask = drop.recurrent
    hs = np.empty((t_len + 1, n, h), dt)  # hs[t] = h_{t-1} (carried)
    hs[0] = states[0]
    cs = None
    if kind == "lstm":
        cs = np.empty((t_len + 1, n, h), dt)
        cs[0] = states[1]
    OP = np.empty((t_len, k, n, h), dt)   # what multiplies U_g at each step: h r_g (GRU h: r h r_h)
    steps = []
    act = ACTIVATIONS[layer.activation][0] if kind == "rnn" else None
    for t in range(t_len):
        hp = hs[t]
        hr = OP[t]
        np.multiply(hp[None], rmask, hr)
        xw = XW[t]
        if kind == "rnn":
            new = act(xw[0] + hr[0] @ Ug[0])
            steps.append((new,))
        elif kind == "lstm":
            z = xw + np.matmul(hr, Ug)
            i, f, o = sigmoid(z[0]), sigmoid(z[1]), sigmoid(z[3])
            g = np.tanh(z[2])
            c_new = f * cs[t] + i * g
            tc = np.tanh(c_new)
            new = o * tc
            steps.append((i, f, g, o, tc, c_new))
        else:
            if kind == "gru":
                u = np.matmul(hr, Ug) + b_rec[:, None, :]
                zg, r = sigmoid(xw[0] + u[0]), sigmoid(xw[1] + u[1])
                hh = np.tanh(xw[2] + r * u[2])
                extra = u[2]                 # u_h, for dL/dr
            else:
                zg = sigmoid(xw[0] + hr[0] @ Ug[0])
                r = sigmoid(xw[1] + hr[1] @ Ug[1])
                extra = hr[2].copy()         # h r_h, for dL/dr
                np.multiply(r, extra, hr[2])  # the operand of U_h: r (h r_h)
                hh = np.tanh(xw[2] + hr[2] @ Ug[2])
            new = zg * hp + (1 - zg) * hh
            steps.append((zg, r, hh, extra))
        if keep is not None:
            m = keep[:, t, None]
            new = np.where(m, new, hp)
            if cs is not None:
                c_new = np.where(m, c_new, cs[t])
        hs[t + 1] = new
        if cs is not None:
            cs[t + 1] = c_new
    layer._stepwise = {"kind": kind, "xg": xg, "OP": OP, "hs": hs, "cs": cs, "steps": steps,
                       "drop": drop, "keep": keep, "blocks": (Wg, Ug)}
    seq = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))  # (N, T, H), a fresh array
    final = [hs[t_len]] + ([cs[t_len]] if cs is not None else [])
    return seq, final


def stepwise_backward(layer, dseq, dfinal):
    """Backward through :func:`stepwise_forward`'s call. dseq (N, T, H) or None, dfinal the
    gradients of the final states. Writes ``layer.grads``; returns ``(dx, dstates0)``."""
    c = layer._stepwise
    kind, xg, OP, hs, cs, steps = c["kind"], c["xg"], c["OP"], c["hs"], c["cs"], c["steps"]
    keep, rmask = c["keep"], c["drop"].recurrent
    Wg, Ug = c["blocks"]
    k, n, t_len, d = xg.shape
    h, dt = layer.units, layer.dtype
    UgT = np.ascontiguousarray(Ug.transpose(0, 2, 1))
    dXW = np.zeros((t_len, k, n, h), dt)   # dL/d(x m_g W_g + b_g) at each step
    dREC = np.zeros((t_len, k, n, h), dt)  # dL/d(what multiplies U_g) @ U_g, i.e. dL/d(OP U)
    dh = np.array(dfinal[0], dtype=dt)
    dc = np.array(dfinal[1], dtype=dt) if cs is not None else None
    slope = activation_pair(layer.activation)[1] if kind == "rnn" else None
    for t in reversed(range(t_len)):
        if dseq is not None:
            dh = dh + dseq[:, t]
        hp = hs[t]
        if keep is not None:
            m = keep[:, t, None].astype(dt)
            dh_carry, dh = dh * (1 - m), dh * m      # the skipped rows pass dL/dh through
            if dc is not None:
                dc_carry, dc = dc * (1 - m), dc * m
        dxw, drec = dXW[t], dREC[t]
        if kind == "rnn":
            (new,) = steps[t]
            dz = slope(dh, new)                      # dL/dz = dL/dh act'(z), from act(z)
            dxw[0] = drec[0] = dz
            dhr = dz @ UgT[0]                        # dL/d(h r)
            dh_prev = dhr * rmask[0]
        elif kind == "lstm":
            i, f, g, o, tc, _ = steps[t]
            dct = dc + dh * o * (1 - tc * tc)        # dL/dc~ (through h~ = o tanh(c~) too)
            dxw[0] = dct * g * i * (1 - i)           # dL/dz_i
            dxw[1] = dct * cs[t] * f * (1 - f)       # dL/dz_f
            dxw[2] = dct * i * (1 - g * g)           # dL/dz_c
            dxw[3] = dh * tc * o * (1 - o)           # dL/dz_o
            drec[...] = dxw
            dc = dct * f                             # dL/dc_{t-1}
            dh_prev = (np.matmul(dxw, UgT) * rmask).sum(axis=0)
        else:
            zg, r, hh, extra = steps[t]
            dxw[0] = dh * (hp - hh) * zg * (1 - zg)  # dL/dpre_z
            dxw[2] = dhh = dh * (1 - zg) * (1 - hh * hh)  # dL/dpre_hh
            dh_prev = dh * zg                        # the direct path
            if kind == "gru":
                dxw[1] = dhh * extra * r * (1 - r)   # dL/dpre_r, from r u_h
                drec[0], drec[1], drec[2] = dxw[0], dxw[1], dhh * r
                dh_prev = dh_prev + (np.matmul(drec, UgT) * rmask).sum(axis=0)
            else:
                drh = dhh @ UgT[2]                   # dL/d(r (h r_h))
                dxw[1] = drh * extra * r * (1 - r)   # dL/dpre_r
                drec[...] = dxw
                dh_prev = (dh_prev + (dxw[0] @ UgT[0]) * rmask[0]
                           + (dxw[1] @ UgT[1]) * rmask[1] + drh * r * rmask[2])
        dh = dh_prev
        if keep is not None:
            dh = dh + dh_carry
            if dc is not None:
                dc = dc + dc_carry
    # every weight gradient as one product over all T*N rows
    rows = t_len * n
    dxw_k = np.ascontiguousarray(dXW.transpose(1, 2, 0, 3)).reshape(k, rows, h)  # (k, N*T, H)
    gW = np.matmul(xg.reshape(k, rows, d).transpose(0, 2, 1), dxw_k)            # (k, D, H)
    op = OP.transpose(1, 0, 2, 3).reshape(k, rows, h)
    gU = np.matmul(op.transpose(0, 2, 1), dREC.transpose(1, 0, 2, 3).reshape(k, rows, h))
    g = layer.grads
    g["kernel"][...] = gW.transpose(1, 0, 2).reshape(d, k * h)
    g["recurrent_kernel"][...] = gU.transpose(1, 0, 2).reshape(h, k * h)
    db_in = dxw_k.sum(axis=1).reshape(k * h)
    if g["bias"].ndim == 2:
        g["bias"][0] = db_in
        g["bias"][1] = dREC.sum(axis=(0, 2)).reshape(k * h)
    else:
        g["bias"][...] = db_in
    dxg = np.matmul(dxw_k, Wg.transpose(0, 2, 1)).reshape(k, n, t_len, d)
    if c["drop"].inputs is not None:
        dxg *= c["drop"].inputs[:, :, None, :]
    dstates = [dh] + ([dc] if dc is not None else [])
    return dxg.sum(axis=0), dstates
