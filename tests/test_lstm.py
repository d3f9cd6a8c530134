"""What is special to the LSTM: the gates it exposes, the forget bias, its chunked backward
and pinned numbers.

Everything every layer or every recurrent layer must do is in test_layer_contract.py,
test_recurrent_contract.py and test_cell_contract.py.
"""

import numpy as np
import pytest

from rnnlesson.cells import LSTMCell
from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.layers import LSTM

TOL = 1e-7
PATHS = [(3, 4), (2, 5)]  # (D, H): D > H/2 and D <= H/2


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _reference_forward(x, W, U, b, h0, c0):
    """Plain textbook LSTM with 1/(1+exp(-z)) sigmoids, batch-first; returns gates over time."""
    N, T, _ = x.shape
    H = U.shape[0]
    h, c = h0, c0
    out = {k: [] for k in ("i", "f", "c~", "o", "c", "h")}
    for t in range(T):
        z = x[:, t] @ W + h @ U + b
        i, f = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H])
        g, o = np.tanh(z[:, 2 * H:3 * H]), _sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip(("i", "f", "c~", "o", "c", "h"), (i, f, g, o, c, h), strict=True):
            out[k].append(v)
    return {k: np.stack(v, axis=1) for k, v in out.items()}


def _randomize_bias(layer, rng):
    layer.params["bias"][...] = rng.normal(size=layer.params["bias"].shape)


@pytest.mark.parametrize("with_seq", [False, True])
def test_backward_in_chunks_of_steps_equals_one_chunk(monkeypatch, with_seq):
    """The backward computes its derivative factors a chunk of time steps at a time."""
    rng = np.random.default_rng(15)
    N, T, D, H = 2, 7, 3, 4
    x = rng.normal(size=(N, T, D))
    layer = LSTM(H, return_sequences=with_seq, dtype="float64", seed=0)
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    whole = layer.backward(dy), {k: g.copy() for k, g in layer.grads.items()}
    assert LSTM._CHUNK >= T * N * 4 * H  # one chunk above
    monkeypatch.setattr(LSTM, "_CHUNK", 3 * N * 4 * H)  # chunks of 3, 3 and 1 steps
    layer.forward(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, whole[0], rtol=1e-13, atol=1e-15)
    for k, g in whole[1].items():
        np.testing.assert_allclose(layer.grads[k], g, rtol=1e-13, atol=1e-15)
    monkeypatch.setattr(LSTM, "_CHUNK", 1)  # one step per chunk
    layer.forward(x)
    np.testing.assert_allclose(layer.backward(dy), whole[0], rtol=1e-13, atol=1e-15)


def test_check_layer_gradients_on_lstm():
    """The course's own checker (plain central differences) agrees as well."""
    rng = np.random.default_rng(1)
    layer = LSTM(3, return_sequences=True, dtype="float64", seed=0)
    x = rng.normal(size=(2, 3, 2))
    init = [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))]
    errors = check_layer_gradients(layer, x, forward_kwargs={"initial_state": init},
                                   eps=1e-5, verbose=False)
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias",
                           "initial_state[0]", "initial_state[1]"}
    assert max(errors.values()) < TOL, errors


def _cell_and_layer(D, H, seed=0, dtype="float64"):
    layer = LSTM(H, return_sequences=True, return_state=True, dtype=dtype, seed=seed)
    layer.build((None, None, D))
    cell = LSTMCell(H, dtype=dtype, seed=seed, input_dim=D)
    return cell, layer


# ------------------------------------------------------------------------- gates
@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_gate_activations_match_hand_computation(dims, go_backwards):
    D, H = dims
    rng = np.random.default_rng(5)
    layer = LSTM(H, go_backwards=go_backwards, dtype="float64", seed=2)
    x = rng.normal(size=(3, 6, D))
    layer.build(x.shape)
    _randomize_bias(layer, rng)
    init = [rng.normal(size=(3, H)), rng.normal(size=(3, H))]
    gates = layer.gate_activations(x, initial_state=init)
    xs = x[:, ::-1] if go_backwards else x
    ref = _reference_forward(xs, *layer.get_weights(), *init)
    assert set(gates) == {"i", "f", "o", "c~", "c", "h"}
    for k, v in ref.items():
        assert gates[k].shape == (3, 6, H)
        np.testing.assert_allclose(gates[k], v, rtol=1e-12, atol=1e-14, err_msg=k)
    # sigmoid gates in (0, 1), candidate in (-1, 1)
    for k in ("i", "f", "o"):
        assert gates[k].min() > 0 and gates[k].max() < 1
    assert np.abs(gates["c~"]).max() < 1


def test_gate_activations_leave_cache_and_state_alone():
    rng = np.random.default_rng(6)
    layer = LSTM(4, return_sequences=True, stateful=True, dtype="float64", seed=0)
    x = rng.normal(size=(2, 3, 3))
    y = layer.forward(x)
    states = [s.copy() for s in layer.states]
    dy = rng.normal(size=y.shape)
    layer.gate_activations(rng.normal(size=(2, 7, 3)))
    layer.gate_activations(rng.normal(size=(2, 3, 3)))  # the same shape as the cached call
    for a, b in zip(states, layer.states, strict=True):
        np.testing.assert_array_equal(a, b)
    dx = layer.backward(dy)
    fresh = LSTM(4, return_sequences=True, dtype="float64", seed=0)
    fresh.forward(x)
    np.testing.assert_allclose(dx, fresh.backward(dy), rtol=0, atol=1e-15)


def test_cell_last_gates_follow_the_layer():
    rng = np.random.default_rng(8)
    cell, layer = _cell_and_layer(3, 4, seed=1)
    x = rng.normal(size=(2, 5, 3))
    gates = layer.gate_activations(x)
    state = None
    for t in range(5):
        _, state = cell.forward(x[:, t], state)
        for k in ("i", "f", "c~", "o", "c"):
            np.testing.assert_allclose(cell.last_gates[k], gates[k][:, t], atol=1e-14, err_msg=k)


def test_unit_forget_bias_makes_forget_gate_start_open():
    layer = LSTM(6, seed=0, dtype="float64")
    gates = layer.gate_activations(np.zeros((1, 1, 2)))
    np.testing.assert_allclose(gates["f"], _sigmoid(1.0), rtol=1e-12)
    np.testing.assert_allclose(gates["i"], 0.5, rtol=1e-12)


def test_unit_forget_bias_false_starts_from_zero_bias():
    layer = LSTM(5, unit_forget_bias=False, seed=0)
    layer.build((None, 4, 7))
    np.testing.assert_array_equal(layer.params["bias"], 0.0)
    with pytest.raises(TypeError, match="unit_forget_bias to be True or False"):
        LSTM(3, unit_forget_bias="yes")


# ------------------------------------------------------------------------- golden
# Pinned from LSTM(4, seed=0, dtype='float64') on a linspace input; cross-checked against
# torch.nn.LSTM with the same weights in tests/test_parity_torch_lstm.py.
GOLDEN_WEIGHT_SUMS = [1.1510997036668906, 0.5684764032944544, 4.0]
GOLDEN_LAST_H = [[-0.039512699365740075, -0.1904198014195113, -0.2231190175479045,
                  0.21393138102060125],
                 [0.025780022558264795, 0.32468877385591255, 0.14576319672036978,
                  -0.1886007948491999]]
GOLDEN_LAST_C = [[-0.08731866067141796, -0.37817137977683885, -0.5153567005116693,
                  0.44559532862732554],
                 [0.04309989344695082, 0.6283538026449559, 0.27183271840399564,
                  -0.4315573431276979]]


def test_golden_outputs_seed0():
    layer = LSTM(4, return_state=True, dtype="float64", seed=0)
    x = np.linspace(-1.0, 1.0, 2 * 3 * 5).reshape(2, 3, 5)
    h, h2, c = layer.forward(x)
    sums = [float(w.sum()) for w in layer.get_weights()]
    np.testing.assert_allclose(sums, GOLDEN_WEIGHT_SUMS, rtol=1e-12)
    np.testing.assert_allclose(h, GOLDEN_LAST_H, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(h, h2)
    np.testing.assert_allclose(c, GOLDEN_LAST_C, rtol=1e-10, atol=1e-12)


def test_gate_activations_validates_input():
    layer = LSTM(4, seed=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, T, D\); got \(3, 2\)"):
        layer.gate_activations(np.zeros((3, 2)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_constant_input_gives_the_numbers_of_the_concatenated_input(dtype):
    # forward_with_constant(x, c) is forward on [x_t, c] at every step (Seq2Seq's peeky
    # decoder), with c's share of the gates computed once: outputs, final states and every
    # gradient against the float64 layer run on the concatenation
    from numerics import assert_close, rnn_terms

    n, t, d, dc, h = 5, 4, 3, 6, 7
    rng = np.random.default_rng(4)
    x = rng.standard_normal((n, t, d))
    const = rng.standard_normal((n, dc))
    h0, c0 = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    dseq = rng.standard_normal((n, t, h))
    ref = LSTM(h, return_sequences=True, return_state=True, dtype="float64", seed=1)
    full = np.concatenate([x, np.broadcast_to(const[:, None], (n, t, dc))], axis=2)
    want_seq, want_h, want_c = ref.forward(full, initial_state=[h0, c0])
    want_dfull = ref.backward([dseq, None, None])
    layer = LSTM(h, return_sequences=True, return_state=True, dtype=dtype, seed=1)
    seq, (h_t, c_t) = layer.forward_with_constant(x.astype(dtype), const.astype(dtype),
                                                  [h0.astype(dtype), c0.astype(dtype)])
    dx, dconst = layer.backward_with_constant(dseq.astype(dtype))
    terms = rnn_terms(n, t, d + dc, h)
    for what, got, want in [("outputs", seq, want_seq), ("h_T", h_t, want_h), ("c_T", c_t, want_c),
                            ("dx", dx, want_dfull[:, :, :d]),
                            ("dconst", dconst, want_dfull[:, :, d:].sum(axis=1)),
                            ("dh0", layer.initial_state_grads[0], ref.initial_state_grads[0]),
                            ("dc0", layer.initial_state_grads[1], ref.initial_state_grads[1])] + [
            (name, layer.grads[name], ref.grads[name]) for name in ref.grads]:
        assert got.dtype == np.dtype(dtype), what
        assert_close(got, want, dtype=dtype, terms=terms, what=what)


def test_a_constant_input_needs_its_own_forward_and_a_plain_layer():
    layer = LSTM(3, return_sequences=True, return_state=True, seed=0)
    x, const = np.zeros((2, 4, 1), np.float32), np.zeros((2, 2), np.float32)
    states = [np.zeros((2, 3), np.float32)] * 2
    with pytest.raises(RuntimeError, match="forward_with_constant first"):
        layer.backward_with_constant(np.zeros((2, 4, 3), np.float32))
    layer.forward(np.zeros((2, 4, 3), np.float32))  # a plain forward: nothing to go back through
    with pytest.raises(RuntimeError, match="forward_with_constant first"):
        layer.backward_with_constant(np.zeros((2, 4, 3), np.float32))
    layer.forward_with_constant(x, const, states)
    with pytest.raises(RuntimeError, match="forward"):
        layer.backward([np.zeros((2, 4, 3), np.float32), None, None])  # not after this forward
    with pytest.raises(ValueError, match="built for D=3"):
        layer.forward_with_constant(x, np.zeros((2, 3), np.float32), states)
    with pytest.raises(ValueError, match=r"const of shape \(N, D_c\)"):
        layer.forward_with_constant(x, np.zeros((3, 2), np.float32), states)
    backwards = LSTM(3, return_sequences=True, go_backwards=True, seed=0)
    with pytest.raises(ValueError, match="go_backwards"):
        backwards.forward_with_constant(x, const, states)
