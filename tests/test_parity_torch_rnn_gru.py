"""SimpleRNN and GRU against torch.nn.RNN and torch.nn.GRU with the same weights.

Weight mapping (rnnlesson/Keras -> torch, batch_first=True):

* SimpleRNN: weight_ih_l0 = kernelᵀ, weight_hh_l0 = recurrent_kernelᵀ; torch has two
  biases that are added, so bias_ih_l0 = bias and bias_hh_l0 = 0.
* GRU (reset_after=True is torch's form): Keras keeps the gates as z, r, h and torch as
  r, z, n, so the column blocks are reordered; bias row 0 (input) -> bias_ih_l0 and
  row 1 (recurrent) -> bias_hh_l0. Both use h' = z * h + (1 - z) * candidate.
"""

import numpy as np
import pytest
from numerics import assert_close, rnn_terms

from rnnlesson.layers import GRU, SimpleRNN

torch = pytest.importorskip("torch")

# (N, T, D, H): folded and projected input paths, T = 1 and N = 1
SHAPES = [(3, 5, 4, 8), (2, 6, 12, 5), (1, 1, 3, 6), (4, 1, 9, 4), (1, 7, 2, 16), (1, 1, 1, 1)]
F64 = dict(rtol=1e-10, atol=1e-10)
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _zr_to_rz(a):
    """Keras gate blocks [z | r | h] -> torch's [r | z | n] along the last axis."""
    h = a.shape[-1] // 3
    return np.concatenate([a[..., h:2 * h], a[..., :h], a[..., 2 * h:]], axis=-1)


def _set(param, value, dtype):
    with torch.no_grad():
        param.copy_(torch.tensor(np.ascontiguousarray(value), dtype=TORCH_DTYPES[dtype]))


def _torch_rnn(layer, d, dtype, nonlinearity):
    W, U, b = layer.get_weights()
    net = torch.nn.RNN(d, layer.units, batch_first=True, nonlinearity=nonlinearity)
    net = net.to(TORCH_DTYPES[dtype])
    _set(net.weight_ih_l0, W.T, dtype)
    _set(net.weight_hh_l0, U.T, dtype)
    _set(net.bias_ih_l0, b, dtype)
    _set(net.bias_hh_l0, np.zeros_like(b), dtype)
    return net


def _torch_gru(layer, d, dtype):
    W, U, b = layer.get_weights()
    net = torch.nn.GRU(d, layer.units, batch_first=True).to(TORCH_DTYPES[dtype])
    _set(net.weight_ih_l0, _zr_to_rz(W).T, dtype)
    _set(net.weight_hh_l0, _zr_to_rz(U).T, dtype)
    _set(net.bias_ih_l0, _zr_to_rz(b[0]), dtype)
    _set(net.bias_hh_l0, _zr_to_rz(b[1]), dtype)
    return net


def _random_weights(layer, d, seed):
    layer.build((None, None, d))
    rng = np.random.default_rng(seed)
    layer.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in layer.get_weights()])


def _run_ours(layer, shape):
    """Random weights, inputs, h0 and upstream gradient in the layer's dtype; one forward and
    backward. Returns x, h0, dy and our output, dL/dx and dL/dh0 by name."""
    n, t, d, h = shape
    _random_weights(layer, d, seed=2)
    rng = np.random.default_rng(3)
    dtype = layer.dtype
    x = rng.standard_normal((n, t, d)).astype(dtype)
    h0 = rng.standard_normal((n, h)).astype(dtype)
    dy = rng.standard_normal((n, t, h)).astype(dtype)
    y = layer(x, initial_state=[h0])
    dx = layer.backward(dy)
    return x, h0, dy, {"output": y, "dL/dx": dx, "dL/dh0": layer.initial_state_grads[0]}


def _run_torch(net, x, h0, dy, dtype):
    tdt = TORCH_DTYPES[dtype]
    xt = torch.tensor(x, dtype=tdt, requires_grad=True)
    h0t = torch.tensor(h0[None], dtype=tdt, requires_grad=True)
    y, _ = net(xt, h0t)
    (y * torch.tensor(dy, dtype=tdt)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), h0t.grad.numpy()[0]


def _torch_results(make_net, layer, d, x, h0, dy, dtype):
    """torch's numbers in ``dtype`` and, for float32, torch's float64 numbers on the same
    (float32-representable) weights and inputs: the reference both float32 results meet."""
    out = {}
    for dt in {dtype, "float64"}:
        net = make_net(layer, d, dt)
        y, dx, dh0 = _run_torch(net, x.astype(dt), h0.astype(dt), dy.astype(dt), dt)
        out[dt] = {"output": y, "dL/dx": dx, "dL/dh0": dh0,
                   "dL/dkernel": net.weight_ih_l0.grad.numpy().T,
                   "dL/drecurrent_kernel": net.weight_hh_l0.grad.numpy().T,
                   "dL/dbias_ih": net.bias_ih_l0.grad.numpy(),
                   "dL/dbias_hh": net.bias_hh_l0.grad.numpy()}
    return out


def _compare(ours, theirs, dtype, terms):
    """float64: ours equals torch's to 1e-10. float32: ours and torch's both within the
    epsilon-derived bound of torch's float64 result (tests/numerics.py). Inputs, weights and
    upstream gradients are of order 1, and so are the terms of every sum (scale=1): a tiny
    entry is tiny because its terms cancel, not because they are small."""
    for what, ref in theirs["float64"].items():
        if dtype == "float64":
            np.testing.assert_allclose(ours[what], ref, err_msg=what, **F64)
        else:
            for who, got in (("rnnlesson", ours[what]), ("torch", theirs[dtype][what])):
                assert_close(got, ref, dtype=dtype, terms=terms, scale=1.0, what=f"{who} {what}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_simple_rnn_matches_torch(shape, dtype, activation):
    n, t, d, h = shape
    layer = SimpleRNN(h, activation=activation, return_sequences=True, dtype=dtype, seed=1)
    x, h0, dy, ours = _run_ours(layer, shape)
    ours.update({"dL/dkernel": layer.grads["kernel"],
            "dL/drecurrent_kernel": layer.grads["recurrent_kernel"],
            "dL/dbias_ih": layer.grads["bias"], "dL/dbias_hh": layer.grads["bias"]})
    theirs = _torch_results(lambda lay, dd, dt: _torch_rnn(lay, dd, dt, activation),
                            layer, d, x, h0, dy, dtype)
    _compare(ours, theirs, dtype, rnn_terms(n, t, d, h))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
def test_gru_matches_torch(shape, dtype):
    n, t, d, h = shape
    layer = GRU(h, return_sequences=True, dtype=dtype, seed=1)  # reset_after=True
    x, h0, dy, ours = _run_ours(layer, shape)
    g = layer.grads
    ours.update({"dL/dkernel": _zr_to_rz(g["kernel"]),
                 "dL/drecurrent_kernel": _zr_to_rz(g["recurrent_kernel"]),
                 "dL/dbias_ih": _zr_to_rz(g["bias"][0]), "dL/dbias_hh": _zr_to_rz(g["bias"][1])})
    theirs = _torch_results(_torch_gru, layer, d, x, h0, dy, dtype)
    _compare(ours, theirs, dtype, rnn_terms(n, t, d, h))


@pytest.mark.parametrize("cls", [SimpleRNN, GRU])
def test_last_output_and_go_backwards_match_torch(cls):
    """return_sequences=False is torch's last step; go_backwards is torch on the flipped input."""
    n, t, d, h = 3, 6, 4, 5
    layer = cls(h, go_backwards=True, dtype="float64", seed=4)
    _random_weights(layer, d, seed=5)
    net = (_torch_rnn(layer, d, "float64", "tanh") if cls is SimpleRNN
           else _torch_gru(layer, d, "float64"))
    rng = np.random.default_rng(6)
    x = rng.standard_normal((n, t, d))
    dy = rng.standard_normal((n, h))
    y = layer(x)
    dx = layer.backward(dy)
    xt = torch.tensor(x[:, ::-1].copy(), requires_grad=True)
    seq, _ = net(xt)
    (seq[:, -1] * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, seq[:, -1].detach().numpy(), err_msg="last output", **F64)
    np.testing.assert_allclose(dx, xt.grad.numpy()[:, ::-1], err_msg="dL/dx", **F64)
