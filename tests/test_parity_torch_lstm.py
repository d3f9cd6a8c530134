"""rnnlesson's LSTM against torch.nn.LSTM with the same weights (skipped without torch).

Weight mapping: torch's weight_ih = kernel.T, weight_hh = recurrent_kernel.T,
bias_ih = bias, bias_hh = 0. Both use the gate order i, f, g(c~), o.
"""

import numpy as np
import pytest
from numerics import assert_close, rnn_terms

from rnnlesson.layers import LSTM

torch = pytest.importorskip("torch")

F64 = {"atol": 1e-10, "rtol": 1e-10}
SHAPES = [(3, 5, 4, 6), (1, 7, 3, 5), (4, 1, 2, 3), (1, 1, 1, 1), (2, 6, 1, 8), (5, 9, 16, 8)]


def _torch_lstm(layer, dtype):
    D = layer.params["kernel"].shape[0]
    H = layer.units
    m = torch.nn.LSTM(D, H, batch_first=True)
    m = m.double() if dtype == "float64" else m.float()

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))

    with torch.no_grad():
        m.weight_ih_l0.copy_(t(layer.params["kernel"].T))
        m.weight_hh_l0.copy_(t(layer.params["recurrent_kernel"].T))
        m.bias_ih_l0.copy_(t(layer.params["bias"]))
        m.bias_hh_l0.zero_()
    return m


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}T{}D{}H{}".format(*s))
@pytest.mark.parametrize("with_init", [False, True])
def test_matches_torch(dtype, shape, with_init):
    N, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    layer = LSTM(H, return_sequences=True, return_state=True, dtype=dtype, seed=1)
    layer.build((None, T, D))
    layer.params["bias"][...] = rng.normal(scale=0.5, size=4 * H)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    init = [rng.normal(size=(N, H)).astype(dtype) for _ in range(2)] if with_init else None
    seq, hT, cT = layer.forward(x, initial_state=init)
    dseq = rng.normal(size=seq.shape).astype(dtype)
    dh = rng.normal(size=hT.shape).astype(dtype)
    dc = rng.normal(size=cT.shape).astype(dtype)
    dx = layer.backward([dseq, dh, dc])

    ours = {"output": seq, "h_T": hT, "c_T": cT, "dL/dx": dx,
            "dL/dkernel": layer.grads["kernel"],
            "dL/drecurrent_kernel": layer.grads["recurrent_kernel"],
            "dL/dbias_ih": layer.grads["bias"], "dL/dbias_hh": layer.grads["bias"]}
    if with_init:
        ours["dL/dh0"], ours["dL/dc0"] = layer.initial_state_grads
    theirs = {dt: _run_torch(layer, dt, x, init, dseq, dh, dc) for dt in {dtype, "float64"}}
    for what, ref in theirs["float64"].items():
        if dtype == "float64":
            np.testing.assert_allclose(ours[what], ref, err_msg=what, **F64)
        else:  # both float32 results within the epsilon-derived bound of float64 (numerics.py);
            # inputs, weights and gradients are of order 1, so are the terms of every sum
            terms = rnn_terms(N, T, D, H)
            for who, got in (("rnnlesson", ours[what]), ("torch", theirs[dtype][what])):
                assert_close(got, ref, dtype=dtype, terms=terms, scale=1.0, what=f"{who} {what}")


def _run_torch(layer, dtype, x, init, dseq, dh, dc):
    """torch.nn.LSTM in ``dtype`` on the layer's weights: outputs and gradients by name."""
    m = _torch_lstm(layer, dtype)

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))

    xt = t(x).requires_grad_(True)
    if init is not None:
        h0 = t(init[0][None]).requires_grad_(True)
        c0 = t(init[1][None]).requires_grad_(True)
        out, (hn, cn) = m(xt, (h0, c0))
    else:
        out, (hn, cn) = m(xt)
    loss = (out * t(dseq)).sum() + (hn[0] * t(dh)).sum() + (cn[0] * t(dc)).sum()
    loss.backward()
    res = {"output": out, "h_T": hn[0], "c_T": cn[0], "dL/dx": xt.grad,
           "dL/dkernel": m.weight_ih_l0.grad.T, "dL/drecurrent_kernel": m.weight_hh_l0.grad.T,
           "dL/dbias_ih": m.bias_ih_l0.grad, "dL/dbias_hh": m.bias_hh_l0.grad}
    if init is not None:
        res["dL/dh0"], res["dL/dc0"] = h0.grad[0], c0.grad[0]
    return {k: v.detach().numpy() for k, v in res.items()}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_go_backwards_matches_torch_on_flipped_input(dtype):
    rng = np.random.default_rng(3)
    N, T, D, H = 3, 6, 4, 5
    layer = LSTM(H, return_sequences=True, go_backwards=True, dtype=dtype, seed=2)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    seq = layer.forward(x)
    dseq = rng.normal(size=seq.shape).astype(dtype)
    dx = layer.backward(dseq)
    ours = {"output": seq, "dL/dx": dx, "dL/drecurrent_kernel": layer.grads["recurrent_kernel"]}
    for dt in {dtype, "float64"}:
        m = _torch_lstm(layer, dt)
        xt = torch.from_numpy(x[:, ::-1].astype(dt)).requires_grad_(True)
        out, _ = m(xt)
        (out * torch.from_numpy(dseq.astype(dt))).sum().backward()
        theirs = {"output": out.detach().numpy(), "dL/dx": xt.grad.numpy()[:, ::-1],
                  "dL/drecurrent_kernel": m.weight_hh_l0.grad.numpy().T}
        for what, ref in theirs.items():
            if dt == "float64" and dtype == "float64":
                np.testing.assert_allclose(ours[what], ref, err_msg=what, **F64)
            elif dt == "float64":
                assert_close(ours[what], ref, dtype=dtype, terms=rnn_terms(N, T, D, H),
                             what=what)


def test_golden_values_agree_with_torch():
    """The pinned golden outputs of test_lstm.py are torch's numbers too."""
    from test_lstm import GOLDEN_LAST_C, GOLDEN_LAST_H

    layer = LSTM(4, dtype="float64", seed=0)
    x = np.linspace(-1.0, 1.0, 2 * 3 * 5).reshape(2, 3, 5)
    layer.build(x.shape)
    m = _torch_lstm(layer, "float64")
    with torch.no_grad():
        _, (hn, cn) = m(torch.from_numpy(x))
    np.testing.assert_allclose(hn[0].numpy(), GOLDEN_LAST_H, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cn[0].numpy(), GOLDEN_LAST_C, rtol=1e-10, atol=1e-12)
