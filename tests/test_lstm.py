"""Tests of rnnlesson's LSTM layer and LSTMCell: gradients, cells vs layer, gates, state, errors."""

import itertools

import numpy as np
import pytest
from numerics import assert_close, rnn_terms

from rnnlesson.cells import LSTMCell
from rnnlesson.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from rnnlesson.layers import LSTM

TOL = 1e-7


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


# Two (D, H) shapes, one with D > H/2 and one with D <= H/2, so that a layout choice made
# on the ratio of D to H (as the SimpleRNN and GRU make it) would be covered both ways.
PATHS = [(3, 4), (2, 5)]
FLAGS = list(itertools.product([False, True], repeat=5))


def _numerical(run, arr, douts, eps=1e-3):
    """dL/d(arr) for L = sum_k sum(out_k * dout_k), by central differences (rnnlesson.gradcheck)
    at eps and 2 eps combined by Richardson extrapolation, (4 g(eps) - g(2 eps)) / 3.

    The plain central difference has an absolute error near 1e-11; among the ~100 entries
    of a weight gradient, sums of terms of both signs put a few entries near 1e-5, so its
    element-wise relative error lands around 1e-7 by chance. The extrapolated difference
    (error O(eps^4), about 1e-13 here) checks those entries to well below 1e-7 as well.
    Differencing the outputs against the unperturbed ones keeps the sums small and exact.
    """
    base = [np.array(o, copy=True) for o in run()]

    def f():
        return sum(float(np.sum((o - b) * d)) for o, b, d in zip(run(), base, douts, strict=True)
                   if d is not None)

    g1 = numerical_gradient(f, arr, eps)
    g2 = numerical_gradient(f, arr, 2 * eps)
    return (4 * g1 - g2) / 3


def _check_layer(layer, x, init, douts, stateful_states=None):
    """Analytic vs numerical gradients of input, params and initial states; returns errors."""

    def run():
        if stateful_states is not None:
            layer.states = [s.copy() for s in stateful_states]
        out = layer.forward(x, initial_state=init)
        return out if isinstance(out, list) else [out]

    run()
    dx = layer.backward(douts if layer.return_state else douts[0])
    analytic = {"input": dx.copy(), **{k: g.copy() for k, g in layer.grads.items()}}
    arrays = {"input": x, **layer.params}
    if init is not None:
        analytic["h0"], analytic["c0"] = (g.copy() for g in layer.initial_state_grads)
        arrays["h0"], arrays["c0"] = init
    errors = {k: rel_error(analytic[k], _numerical(run, arrays[k], douts)) for k in arrays}
    if stateful_states is not None:
        layer.states = [s.copy() for s in stateful_states]
    return errors


@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "".join("RSBFI"[i] if v else "-"
                                                                for i, v in enumerate(f)))
def test_gradients_every_flag_combination(dims, flags):
    """return_sequences x return_state x go_backwards x stateful x initial_state."""
    ret_seq, ret_state, go_back, stateful, with_init = flags
    D, H = dims
    N, T = 2, 4
    rng = np.random.default_rng(7)
    layer = LSTM(H, return_sequences=ret_seq, return_state=ret_state, go_backwards=go_back,
                 stateful=stateful, dtype="float64", seed=3)
    x = rng.normal(size=(N, T, D))
    layer.build(x.shape)
    _randomize_bias(layer, rng)
    carried = None
    if stateful:
        layer.forward(rng.normal(size=(N, T, D)))  # carry a non-zero state into the check
        carried = [s.copy() for s in layer.states]
        assert np.abs(carried[1]).max() > 0
    init = [rng.normal(size=(N, H)), rng.normal(size=(N, H))] if with_init else None
    out = layer.forward(x, initial_state=init)
    outs = out if ret_state else [out]
    douts = [rng.normal(size=o.shape) for o in outs]
    errors = _check_layer(layer, x, init, douts, carried)
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias"} | (
        {"h0", "c0"} if with_init else set())
    for name, err in errors.items():
        assert err < TOL, (name, err)


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


@pytest.mark.parametrize("present", [(True, False, False), (False, True, False),
                                     (False, False, True), (True, None, True),
                                     (False, True, True)])
@pytest.mark.parametrize("ret_seq", [False, True])
def test_return_state_backward_with_none_entries(present, ret_seq):
    rng = np.random.default_rng(11)
    N, T, D, H = 2, 3, 3, 4
    layer = LSTM(H, return_sequences=ret_seq, return_state=True, dtype="float64", seed=5)
    x = rng.normal(size=(N, T, D))
    init = [rng.normal(size=(N, H)), rng.normal(size=(N, H))]
    outs = layer.forward(x, initial_state=init)
    assert len(outs) == 3
    douts = [rng.normal(size=o.shape) if p else None for o, p in zip(outs, present, strict=True)]
    errors = _check_layer(layer, x, init, douts)
    for name, err in errors.items():
        assert err < TOL, (name, err)
    assert np.abs(layer.grads["kernel"]).max() > 0


def test_all_none_gradients_give_zero():
    layer = LSTM(3, return_state=True, dtype="float64", seed=0)
    x = np.ones((2, 4, 2))
    layer.forward(x)
    dx = layer.backward([None, None, None])
    assert dx.shape == x.shape and not dx.any()
    assert all(not g.any() for g in layer.grads.values())


# ------------------------------------------------------------------------- the cell
def _cell_and_layer(D, H, seed=0, dtype="float64"):
    layer = LSTM(H, return_sequences=True, return_state=True, dtype=dtype, seed=seed)
    layer.build((None, None, D))
    cell = LSTMCell(H, dtype=dtype, seed=seed, input_dim=D)
    return cell, layer


def test_cell_same_seed_same_weights_as_layer():
    cell, layer = _cell_and_layer(3, 5, seed=42)
    for a, b in zip(cell.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
def test_cell_gradients(dims):
    D, H = dims
    N, T = 2, 3
    rng = np.random.default_rng(2)
    cell = LSTMCell(H, dtype="float64", seed=1, input_dim=D)
    cell.params["bias"][...] = rng.normal(size=4 * H)
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh = rng.normal(size=(N, T, H))
    dcT = rng.normal(size=(N, H))

    def run():
        state = (h0, c0)
        loss = 0.0
        for t in range(T):
            h, state = cell.forward(x[:, t], state)
            loss += float(np.sum(h * dh[:, t]))
        cell.zero_grad()  # drop the stack of the numerical evaluations
        return loss + float(np.sum(state[1] * dcT))

    state = (h0, c0)
    for t in range(T):
        _, state = cell.forward(x[:, t], state)
    dstate = (np.zeros((N, H)), dcT)
    dx = np.zeros_like(x)
    for t in reversed(range(T)):
        dx[:, t], dstate = cell.backward(dh[:, t], dstate)
    analytic = {"input": dx, "h0": dstate[0], "c0": dstate[1],
                **{k: g.copy() for k, g in cell.grads.items()}}
    arrays = {"input": x, "h0": h0, "c0": c0, **cell.params}
    for name, arr in arrays.items():
        g1, g2 = numerical_gradient(run, arr, 1e-3), numerical_gradient(run, arr, 2e-3)
        err = rel_error(analytic[name], (4 * g1 - g2) / 3)  # Richardson, as _numerical
        assert err < TOL, (name, err)


def test_cell_accumulates_until_zero_grad():
    rng = np.random.default_rng(3)
    cell = LSTMCell(4, dtype="float64", seed=0, input_dim=3)
    x = rng.normal(size=(2, 3))
    dh = rng.normal(size=(2, 4))
    state = (rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    cell.forward(x, state)
    cell.backward(dh)
    once = {k: g.copy() for k, g in cell.grads.items()}
    assert all(np.abs(g).max() > 0 for g in once.values())
    cell.forward(x, state)
    cell.backward(dh)
    for k in once:
        np.testing.assert_allclose(cell.grads[k], 2 * once[k], rtol=1e-12)
    cell.zero_grad()
    assert all(not g.any() for g in cell.grads.values())


def test_cell_backward_without_forward_raises():
    cell = LSTMCell(4, input_dim=3)
    with pytest.raises(RuntimeError, match="no forward step left"):
        cell.backward(np.zeros((1, 4)))
    cell.forward(np.zeros((1, 3)))
    cell.backward(np.zeros((1, 4)))
    with pytest.raises(RuntimeError, match="no forward step left"):
        cell.backward(np.zeros((1, 4)))


def test_cell_bad_inputs():
    cell = LSTMCell(4, input_dim=3)
    with pytest.raises(ValueError, match=r"x_t of shape \(N, D\); got \(2, 5, 3\)"):
        cell.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="built for D=3"):
        cell.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"pair \(h, c\).*got a list of length 1"):
        cell.forward(np.zeros((2, 3)), [np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"state 'c' of shape \(N, H\) = \(2, 4\); got \(2, 5\)"):
        cell.forward(np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros((2, 5))))
    with pytest.raises(ValueError, match="NaN"):
        cell.forward(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="units to be a positive integer; got 0"):
        LSTMCell(0)


@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
@pytest.mark.parametrize("with_init", [False, True])
def test_loop_of_cells_equals_layer(dims, with_init):
    D, H = dims
    N, T = 3, 5
    rng = np.random.default_rng(4)
    cell, layer = _cell_and_layer(D, H, seed=9)
    _randomize_bias(layer, rng)
    cell.set_weights(layer.get_weights())
    x = rng.normal(size=(N, T, D))
    init = [rng.normal(size=(N, H)), rng.normal(size=(N, H))] if with_init else None
    seq, hT, cT = layer.forward(x, initial_state=init)
    state = None if init is None else tuple(init)
    hs = []
    for t in range(T):
        h, state = cell.forward(x[:, t], state)
        hs.append(h)
    np.testing.assert_allclose(np.stack(hs, axis=1), seq, rtol=0, atol=1e-14)
    np.testing.assert_allclose(state[0], hT, rtol=0, atol=1e-14)
    np.testing.assert_allclose(state[1], cT, rtol=0, atol=1e-14)

    dseq, dh, dc = (rng.normal(size=a.shape) for a in (seq, hT, cT))
    dx = layer.backward([dseq, dh, dc])
    dstate = (dh, dc)
    dxs = []
    for t in reversed(range(T)):
        dx_t, dstate = cell.backward(dseq[:, t], dstate)
        dxs.append(dx_t)
    np.testing.assert_allclose(np.stack(dxs[::-1], axis=1), dx, rtol=0, atol=1e-13)
    for k in layer.grads:
        np.testing.assert_allclose(cell.grads[k], layer.grads[k], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dstate[0], layer.initial_state_grads[0], atol=1e-13, rtol=0)
    np.testing.assert_allclose(dstate[1], layer.initial_state_grads[1], atol=1e-13, rtol=0)


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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initial_weights_as_keras(dtype):
    D, H = 7, 5
    layer = LSTM(H, dtype=dtype, seed=0)
    layer.build((None, 4, D))
    W, U, b = layer.get_weights()
    assert (W.shape, U.shape, b.shape) == ((D, 4 * H), (H, 4 * H), (4 * H,))
    assert W.dtype == U.dtype == b.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(b[H:2 * H], 1.0)
    np.testing.assert_array_equal(np.delete(b, np.s_[H:2 * H]), 0.0)
    limit = np.sqrt(6 / (D + 4 * H))
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.8 * limit
    np.testing.assert_allclose(U @ U.T, np.eye(H), atol=1e-5)
    off = LSTM(H, unit_forget_bias=False, seed=0)
    off.build((None, 4, D))
    np.testing.assert_array_equal(off.params["bias"], 0.0)
    assert layer.count_params() == 4 * (H * (D + H) + H)


def test_unit_forget_bias_makes_forget_gate_start_open():
    layer = LSTM(6, seed=0, dtype="float64")
    gates = layer.gate_activations(np.zeros((1, 1, 2)))
    np.testing.assert_allclose(gates["f"], _sigmoid(1.0), rtol=1e-12)
    np.testing.assert_allclose(gates["i"], 0.5, rtol=1e-12)


# ------------------------------------------------------------------------- state
def test_stateful_split_equals_whole_sequence():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 8, 3))
    whole = LSTM(4, return_sequences=True, dtype="float64", seed=1)
    full = whole.forward(x)
    layer = LSTM(4, return_sequences=True, stateful=True, dtype="float64", seed=1)
    a = layer.forward(x[:, :5])
    b = layer.forward(x[:, 5:])
    np.testing.assert_allclose(np.concatenate([a, b], axis=1), full, atol=1e-14, rtol=0)
    layer.reset_states()
    assert layer.states is None
    np.testing.assert_allclose(layer.forward(x[:, :5]), full[:, :5], atol=1e-14, rtol=0)


def test_stateful_gradients_stop_at_the_call_boundary():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 6, 3))
    layer = LSTM(4, return_sequences=True, stateful=True, dtype="float64", seed=1)
    layer.forward(x[:, :3])
    carried = [s.copy() for s in layer.states]
    y = layer.forward(x[:, 3:])
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    plain = LSTM(4, return_sequences=True, dtype="float64", seed=1)
    plain.forward(x[:, 3:], initial_state=carried)
    np.testing.assert_allclose(dx, plain.backward(dy), atol=1e-15, rtol=0)
    for k in layer.grads:
        np.testing.assert_allclose(layer.grads[k], plain.grads[k], atol=1e-14, rtol=0)


def test_stateful_batch_size_change_raises():
    layer = LSTM(4, stateful=True, seed=0)
    layer.forward(np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="carries states for a batch of 3; got a batch of 5"):
        layer.forward(np.zeros((5, 2, 2)))
    layer.reset_states()
    assert layer.forward(np.zeros((5, 2, 2))).shape == (5, 4)


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
def test_later_calls_leave_earlier_results_alone(dims, n):
    """Work arrays are kept between calls; nothing handed out may change afterwards."""
    D, H = dims
    rng = np.random.default_rng(16)
    layer = LSTM(H, return_sequences=True, return_state=True, dtype="float64", seed=0)
    x1, x2, x3 = (rng.normal(size=(n, 5, D)) for _ in range(3))
    outs1 = layer.forward(x1)
    dys = [rng.normal(size=o.shape) for o in outs1]
    dx1 = layer.backward(dys)
    handed_out = list(outs1) + [dx1] + list(layer.initial_state_grads)
    kept = [a.copy() for a in handed_out]
    layer.forward(x2)
    layer.backward(dys)
    layer.forward(rng.normal(size=(3, 4, D)))  # another shape in between
    outs3 = layer.forward(x3)
    for a, b in zip(handed_out, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    fresh = LSTM(H, return_sequences=True, return_state=True, dtype="float64", seed=0)
    for a, b in zip(fresh.forward(x3), outs3, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fresh.backward(dys), layer.backward(dys))
    # the same shapes once more (work arrays and their per-step views reused): x1 again
    again = layer.forward(x1)
    for a, b in zip(again, kept[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(layer.backward(dys), kept[3])
    np.testing.assert_array_equal(layer.initial_state_grads[1], kept[5])


def test_grads_are_overwritten_not_accumulated():
    rng = np.random.default_rng(12)
    layer = LSTM(4, dtype="float64", seed=0)
    x = rng.normal(size=(2, 3, 3))
    dy = rng.normal(size=(2, 4))
    layer.forward(x)
    layer.backward(dy)
    first = {k: g.copy() for k, g in layer.grads.items()}
    refs = {k: g for k, g in layer.grads.items()}
    layer.forward(x)
    layer.backward(dy)
    for k in first:
        np.testing.assert_array_equal(layer.grads[k], first[k])
        assert layer.grads[k] is refs[k]  # written in place: optimizers keep their references


def test_backward_leaves_dy_and_outputs_untouched():
    rng = np.random.default_rng(13)
    layer = LSTM(4, return_sequences=True, return_state=True, dtype="float64", seed=0)
    x = rng.normal(size=(2, 3, 3))
    outs = layer.forward(x)
    douts = [rng.normal(size=o.shape) for o in outs]
    kept = [d.copy() for d in douts]
    dx1 = layer.backward(douts)
    for d, k in zip(douts, kept, strict=True):
        np.testing.assert_array_equal(d, k)
    outs[0][...] = 99.0  # the caller owns the output; the cache must not be it
    np.testing.assert_array_equal(layer.backward(douts), dx1)


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)))
@pytest.mark.parametrize("dims", PATHS, ids=["project", "fold"])
def test_float32_runs_every_flag_and_matches_float64(flags, dims):
    ret_seq, ret_state, go_back = flags
    D, H = dims
    rng = np.random.default_rng(14)
    x = rng.normal(size=(3, 4, D))
    layers = {dt: LSTM(H, return_sequences=ret_seq, return_state=ret_state, go_backwards=go_back,
                       dtype=dt, seed=0) for dt in ("float32", "float64")}
    res = {}
    for dt, layer in layers.items():
        out = layer.forward(x)
        outs = out if ret_state else [out]
        assert all(o.dtype == np.dtype(dt) for o in outs)
        dy = [np.ones(o.shape) for o in outs]
        dx = layer.backward(dy if ret_state else dy[0])
        assert dx.dtype == np.dtype(dt) and dx.shape == x.shape
        res[dt] = (outs, dx, {k: g.copy() for k, g in layer.grads.items()})
    terms = rnn_terms(3, 4, D, H)
    for a, b in zip(res["float32"][0], res["float64"][0], strict=True):
        assert_close(a, b, dtype="float32", terms=terms, what="output")
    assert_close(res["float32"][1], res["float64"][1], dtype="float32", terms=terms, what="dL/dx")
    for k in res["float64"][2]:
        assert_close(res["float32"][2][k], res["float64"][2][k], dtype="float32", terms=terms,
                     what=k)


def test_output_shapes_and_config():
    layer = LSTM(7, return_sequences=True, return_state=True, unit_forget_bias=False,
                 input_shape=(None, 3), seed=4)
    assert layer.compute_output_shape((None, 10, 3)) == [(None, 10, 7), (None, 7), (None, 7)]
    cfg = layer.get_config()
    assert cfg["unit_forget_bias"] is False and cfg["units"] == 7
    twin = LSTM.from_config(cfg)
    x = np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)
    for a, b in zip(layer.forward(x), twin.forward(x), strict=True):
        np.testing.assert_array_equal(a, b)
    assert LSTM(3).name.startswith("lstm")


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


# ------------------------------------------------------------------------- errors
def test_bad_inputs_raise_clear_errors():
    layer = LSTM(4, seed=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, T, D\); got \(32, 8\)\. "
                                         "Did the layer before it forget return_sequences=True"):
        layer.forward(np.zeros((32, 8)))
    layer.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"built for inputs with D=5 .* got input of shape "
                                         r"\(2, 3, 6\)"):
        layer.forward(np.zeros((2, 3, 6)))
    bad = np.zeros((2, 3, 5))
    bad[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match="containing 1 NaN and 0 inf values"):
        layer.forward(bad)
    with pytest.raises(ValueError, match=r"non-empty input of shape \(N, T, D\).*\(2, 0, 5\)"):
        layer.forward(np.zeros((2, 0, 5)))
    with pytest.raises(TypeError, match="numeric array"):
        layer.forward(np.array([[["a"]]]))
    with pytest.raises(ValueError, match="units to be a positive integer; got 0"):
        LSTM(0)
    with pytest.raises(ValueError, match="units to be a positive integer; got -3"):
        LSTM(-3)
    with pytest.raises(TypeError, match="units to be a positive integer; got 2.5"):
        LSTM(2.5)
    with pytest.raises(TypeError, match="unit_forget_bias to be True or False"):
        LSTM(3, unit_forget_bias="yes")
    with pytest.raises(TypeError, match="dtype='float32' or 'float64'"):
        LSTM(3, dtype="int32")


def test_bad_initial_state_raises():
    layer = LSTM(4, seed=0)
    x = np.zeros((2, 3, 5))
    with pytest.raises(ValueError, match=r"list of 2 array\(s\) \[h, c\] .* got 1"):
        layer.forward(x, initial_state=[np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"list of 2 array\(s\) \[h, c\] .* got 1"):
        layer.forward(x, initial_state=np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"list of 2 .* got 3"):
        layer.forward(x, initial_state=[np.zeros((2, 4))] * 3)
    with pytest.raises(ValueError, match=r"initial state 'c' of shape \(N, H\) = \(2, 4\); "
                                         r"got \(2, 5\)"):
        layer.forward(x, initial_state=[np.zeros((2, 4)), np.zeros((2, 5))])
    with pytest.raises(ValueError, match=r"initial state 'h' of shape \(N, H\) = \(2, 4\); "
                                         r"got \(3, 4\)"):
        layer.forward(x, initial_state=[np.zeros((3, 4)), np.zeros((2, 4))])


def test_bad_backward_calls_raise():
    layer = LSTM(4, return_state=True, seed=0)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward([np.zeros((2, 4))] * 3)
    layer.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"list of 3 gradients \[doutput, dh, dc\].*"
                                         "got list of length 2"):
        layer.backward([np.zeros((2, 4))] * 2)
    with pytest.raises(ValueError, match=r"list of 3 gradients .*got ndarray"):
        layer.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"shape of the forward output \(2, 4\); got \(2, 3, 4\)"):
        layer.backward([np.zeros((2, 3, 4)), None, None])
    plain = LSTM(4, return_sequences=True, seed=0)
    plain.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"forward output \(2, 3, 4\); got \(2, 4\)"):
        plain.backward(np.zeros((2, 4)))


def test_gate_activations_validates_input():
    layer = LSTM(4, seed=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, T, D\); got \(3, 2\)"):
        layer.gate_activations(np.zeros((3, 2)))
