"""rnnlesson's LSTM against torch.nn.LSTM with the same weights (skipped without torch).

Weight mapping: torch's weight_ih = kernel.T, weight_hh = recurrent_kernel.T,
bias_ih = bias, bias_hh = 0. Both use the gate order i, f, g(c~), o.
"""

import numpy as np
import pytest

from rnnlesson.layers import LSTM

torch = pytest.importorskip("torch")

TOLS = {"float32": {"atol": 1e-6, "rtol": 5e-6}, "float64": {"atol": 1e-10, "rtol": 1e-10}}
SHAPES = [(3, 5, 4, 6), (1, 7, 3, 5), (4, 1, 2, 3), (1, 1, 1, 1), (2, 6, 1, 8), (5, 9, 16, 8)]


def _torch_lstm(layer, dtype):
    D = layer.params["kernel"].shape[0]
    H = layer.units
    m = torch.nn.LSTM(D, H, batch_first=True)
    m = m.double() if dtype == "float64" else m.float()
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(layer.params["kernel"].T.copy()))
        m.weight_hh_l0.copy_(torch.from_numpy(layer.params["recurrent_kernel"].T.copy()))
        m.bias_ih_l0.copy_(torch.from_numpy(layer.params["bias"].copy()))
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

    m = _torch_lstm(layer, dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    if with_init:
        h0 = torch.from_numpy(init[0][None].copy()).requires_grad_(True)
        c0 = torch.from_numpy(init[1][None].copy()).requires_grad_(True)
        out, (hn, cn) = m(xt, (h0, c0))
    else:
        out, (hn, cn) = m(xt)
    loss = ((out * torch.from_numpy(dseq)).sum() + (hn[0] * torch.from_numpy(dh)).sum()
            + (cn[0] * torch.from_numpy(dc)).sum())
    loss.backward()
    tol = TOLS[dtype]

    def close(ours, theirs):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), **tol)

    close(seq, out)
    close(hT, hn[0])
    close(cT, cn[0])
    close(dx, xt.grad)
    close(layer.grads["kernel"], m.weight_ih_l0.grad.T)
    close(layer.grads["recurrent_kernel"], m.weight_hh_l0.grad.T)
    close(layer.grads["bias"], m.bias_ih_l0.grad)
    close(layer.grads["bias"], m.bias_hh_l0.grad)  # the same for both of torch's biases
    if with_init:
        close(layer.initial_state_grads[0], h0.grad[0])
        close(layer.initial_state_grads[1], c0.grad[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_go_backwards_matches_torch_on_flipped_input(dtype):
    rng = np.random.default_rng(3)
    N, T, D, H = 3, 6, 4, 5
    layer = LSTM(H, return_sequences=True, go_backwards=True, dtype=dtype, seed=2)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    seq = layer.forward(x)
    dseq = rng.normal(size=seq.shape).astype(dtype)
    dx = layer.backward(dseq)
    m = _torch_lstm(layer, dtype)
    xt = torch.from_numpy(x[:, ::-1].copy()).requires_grad_(True)
    out, _ = m(xt)
    (out * torch.from_numpy(dseq)).sum().backward()
    tol = TOLS[dtype]
    np.testing.assert_allclose(seq, out.detach().numpy(), **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy()[:, ::-1], **tol)
    np.testing.assert_allclose(layer.grads["recurrent_kernel"], m.weight_hh_l0.grad.numpy().T,
                               **tol)


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
