"""Dropout in the recurrent layers (``dropout=``, ``recurrent_dropout=``), as Keras 3 does it.

Keras 3 draws the masks once per call and uses them at every step: one input mask (N, D)
shared by the gates when there is no recurrent dropout, and, with recurrent dropout, one
input and one recurrent mask per gate block (its cells switch to implementation 1). The
reference below writes Keras's cell equations out step by step in float64; the layers
must match it for given masks, train with fixed masks that pass gradient checks, and be
deterministic when not training. Parity with Keras itself (masks injected into its cells)
is in test_keras_sequences.py.
"""

import json

import numpy as np
import pytest
from layer_cases import GRAD_TOL, RECURRENT, RECURRENT_IDS, make_recurrent, sequence_masks
from numerics import assert_close, rnn_terms

from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.kernels import ACTIVATIONS, sigmoid
from rnnlesson.layers import GRU, LSTM, Dense, DropoutMasks, SimpleRNN
from rnnlesson.models import Sequential, load_model

VARIANT = pytest.mark.parametrize("cls, options", [r[1:] for r in RECURRENT], ids=RECURRENT_IDS)
#: (dropout, recurrent_dropout)
RATES = [(0.3, 0.0), (0.0, 0.4), (0.3, 0.4)]
RATE_IDS = ["inputs", "recurrent", "both"]


def keras_reference(layer, x, states, drop):
    """Keras 3's cells, one step at a time (keras/src/layers/rnn/*.py), float64: the outputs
    (N, T, H) for x (N, T, D) read forwards, and the final states."""
    W, U, b = layer.get_weights()
    h, k = layer.units, layer.blocks
    n, t_len, d = x.shape
    mi = np.ones((k, n, d)) if drop.inputs is None else np.broadcast_to(drop.inputs, (k, n, d))
    mr = np.ones((k, n, h)) if drop.recurrent is None else drop.recurrent
    Wg = [W[:, g * h:(g + 1) * h] for g in range(k)]
    Ug = [U[:, g * h:(g + 1) * h] for g in range(k)]
    hs, state = [], [s.copy() for s in states]
    for t in range(t_len):
        xt, hp = x[:, t], state[0]
        if isinstance(layer, SimpleRNN):
            new = [ACTIVATIONS[layer.activation][0]((xt * mi[0]) @ W + b + (hp * mr[0]) @ U)]
        elif isinstance(layer, LSTM):
            z = [(xt * mi[g]) @ Wg[g] + b[g * h:(g + 1) * h] + (hp * mr[g]) @ Ug[g]
                 for g in range(4)]
            c = sigmoid(z[1]) * state[1] + sigmoid(z[0]) * np.tanh(z[2])
            new = [sigmoid(z[3]) * np.tanh(c), c]
        else:
            b_in = b[0] if layer.reset_after else b
            a = [(xt * mi[g]) @ Wg[g] + b_in[g * h:(g + 1) * h] for g in range(3)]
            if layer.reset_after:
                u = [(hp * mr[g]) @ Ug[g] + b[1, g * h:(g + 1) * h] for g in range(3)]
                z, r = sigmoid(a[0] + u[0]), sigmoid(a[1] + u[1])
                hh = np.tanh(a[2] + r * u[2])
            else:
                z = sigmoid(a[0] + (hp * mr[0]) @ Ug[0])
                r = sigmoid(a[1] + (hp * mr[1]) @ Ug[1])
                hh = np.tanh(a[2] + (r * (hp * mr[2])) @ Ug[2])
            new = [z * hp + (1 - z) * hh]
        state = new
        hs.append(new[0])
    return np.stack(hs, axis=1), state


def fixed_masks(layer, n, d, rng, rates=None):
    """Masks of the shapes the layer draws, with a pattern that keeps every unit in some
    sequences (so no gradient entry is tiny), scaled as Keras scales them."""
    rate_in, rate_rec = rates or (layer.dropout, layer.recurrent_dropout)
    k = layer.blocks if rate_rec > 0 else 1

    def draw(rate, width):
        if rate == 0:
            return None
        keep = rng.random((k, n, width)) >= rate
        keep[:, 0] = True  # the first sequence keeps every unit
        return keep / (1.0 - rate)

    return DropoutMasks(draw(rate_in, d), draw(rate_rec, layer.units))


@VARIANT
@pytest.mark.parametrize("rates", RATES, ids=RATE_IDS)
def test_training_call_matches_keras_equations(cls, options, rates):
    rng = np.random.default_rng(0)
    n, t, d, h = 3, 5, 4, 3
    layer = make_recurrent(cls, d, h, {**options, "return_sequences": True,
                                       "return_state": True, "dropout": rates[0],
                                       "recurrent_dropout": rates[1]})
    x = rng.standard_normal((n, t, d))
    init = [rng.standard_normal((n, h)) for _ in layer.state_names]
    out, *final = layer(x, initial_state=init, training=True)
    drop = layer.last_dropout_masks
    ref, ref_final = keras_reference(layer, x, init, drop)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-13)
    for a, b in zip(final, ref_final, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    k = layer.blocks if rates[1] else 1
    assert drop.inputs is None if not rates[0] else drop.inputs.shape == (k, n, d)
    assert drop.recurrent is None if not rates[1] else drop.recurrent.shape == (k, n, h)


@VARIANT
@pytest.mark.parametrize("rates", RATES, ids=RATE_IDS)
@pytest.mark.parametrize("flags", [(True, False, False), (False, True, True)],
                         ids=["seq", "state-backwards"])
def test_gradients_with_fixed_masks(cls, options, rates, flags):
    rng = np.random.default_rng(1)
    n, t, d, h = 3, 4, 3, 4
    seq, state, back = flags
    layer = make_recurrent(cls, d, h, {**options, "return_sequences": seq, "return_state": state,
                                       "go_backwards": back, "dropout": rates[0],
                                       "recurrent_dropout": rates[1]})
    layer.fixed_dropout_masks = fixed_masks(layer, n, d, rng)
    x = rng.standard_normal((n, t, d))
    kwargs = {"training": True,
              "initial_state": [rng.standard_normal((n, h)) for _ in layer.state_names]}
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors


@VARIANT
@pytest.mark.parametrize("kind", ["pre", "holes"])
def test_gradients_with_dropout_and_a_sequence_mask(cls, options, kind):
    rng = np.random.default_rng(2)
    n, t, d, h = 4, 5, 3, 4
    layer = make_recurrent(cls, d, h, {**options, "return_sequences": True, "dropout": 0.3,
                                       "recurrent_dropout": 0.3})
    layer.fixed_dropout_masks = fixed_masks(layer, n, d, rng)
    kwargs = {"training": True, "mask": sequence_masks(n, t)[kind]}
    errors = check_layer_gradients(layer, rng.standard_normal((n, t, d)), forward_kwargs=kwargs,
                                   verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors


@VARIANT
@pytest.mark.parametrize("rates", RATES, ids=RATE_IDS)
def test_masks_of_ones_give_the_plain_layer(cls, options, rates):
    """The dropout paths (masked inputs; the step-by-step loop) compute the same numbers as
    the fast loop when every mask entry is 1."""
    rng = np.random.default_rng(3)
    n, t, d, h = 3, 6, 2, 5
    opts = {**options, "return_sequences": True, "return_state": True, "go_backwards": True}
    plain = make_recurrent(cls, d, h, opts)
    layer = make_recurrent(cls, d, h, {**opts, "dropout": rates[0],
                                       "recurrent_dropout": rates[1]})
    k = layer.blocks if rates[1] else 1
    layer.fixed_dropout_masks = DropoutMasks(np.ones((k, n, d)) if rates[0] else None,
                                             np.ones((k, n, h)) if rates[1] else None)
    x = rng.standard_normal((n, t, d))
    keep = sequence_masks(n, t)["holes"]
    outs, ref = layer(x, training=True, mask=keep), plain(x, mask=keep)
    douts = [rng.standard_normal(o.shape) for o in outs]
    dx, ref_dx = layer.backward(douts), plain.backward(douts)
    for a, b in zip(outs + [dx], ref + [ref_dx], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
    for key, g in plain.grads.items():
        np.testing.assert_allclose(layer.grads[key], g, rtol=1e-11, atol=1e-12, err_msg=key)


@VARIANT
def test_float32_matches_float64_with_recurrent_dropout(cls, options):
    n, t, d, h = 3, 6, 4, 5
    rng = np.random.default_rng(4)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, h))
    masks = None
    res = {}
    for dtype in ("float64", "float32"):
        layer = make_recurrent(cls, d, h, {**options, "return_sequences": True, "dropout": 0.2,
                                           "recurrent_dropout": 0.2}, dtype=dtype)
        masks = masks or fixed_masks(layer, n, d, rng)
        layer.fixed_dropout_masks = masks
        out = layer(x, training=True)
        res[dtype] = (out, layer.backward(dy), {k: g.copy() for k, g in layer.grads.items()})
        assert out.dtype == res[dtype][1].dtype == np.dtype(dtype)
    terms = rnn_terms(n, t, d, h)
    for a, b in zip(res["float32"][:2], res["float64"][:2], strict=True):
        assert_close(a, b, dtype="float32", terms=terms, what="output / dL/dx")
    for k, g in res["float64"][2].items():
        assert_close(res["float32"][2][k], g, dtype="float32", terms=terms, what=k)


# ------------------------------------------------------------------ the masks themselves
@pytest.mark.parametrize("cls, blocks", [(SimpleRNN, 1), (LSTM, 4), (GRU, 3)])
def test_mask_statistics(cls, blocks):
    """Inverted dropout: entries 0 or 1/(1 - rate), zeros at the rate; one mask per gate
    block with recurrent dropout, each drawn independently."""
    n, d, h, rate = 400, 50, 40, 0.3
    layer = cls(h, dropout=rate, recurrent_dropout=rate, seed=0)
    layer(np.zeros((n, 2, d)), training=True)
    drop = layer.last_dropout_masks
    assert drop.inputs.shape == (blocks, n, d) and drop.recurrent.shape == (blocks, n, h)
    for m in (drop.inputs, drop.recurrent):
        assert m.dtype == np.float32
        assert set(np.unique(m)) == {np.float32(0), np.float32(1 / (1 - rate))}
        zeros = float((m == 0).mean())
        sigma = np.sqrt(rate * (1 - rate) / m.size)
        assert abs(zeros - rate) < 5 * sigma, (zeros, rate)
        if blocks > 1:  # independent per gate: two blocks agree only by chance
            same = float((m[0] == m[1]).mean())
            assert abs(same - (rate ** 2 + (1 - rate) ** 2)) < 0.02


def test_one_input_mask_shared_by_the_gates_without_recurrent_dropout():
    layer = LSTM(3, dropout=0.5, seed=0)
    layer(np.ones((4, 3, 6)), training=True)
    assert layer.last_dropout_masks.inputs.shape == (1, 4, 6)
    assert layer.last_dropout_masks.recurrent is None


@VARIANT
def test_the_same_masks_at_every_step(cls, options):
    """Input dropout with one mask per call: the output equals the plain layer on x times
    that mask at every step (a mask drawn per step would not)."""
    rng = np.random.default_rng(5)
    layer = make_recurrent(cls, 6, 4, {**options, "return_sequences": True, "dropout": 0.5})
    plain = make_recurrent(cls, 6, 4, {**options, "return_sequences": True})
    x = rng.standard_normal((3, 8, 6))
    out = layer(x, training=True)
    m = layer.last_dropout_masks.inputs[0]
    np.testing.assert_allclose(out, plain(x * m[:, None, :]), rtol=1e-12, atol=1e-13)


@VARIANT
def test_no_dropout_unless_training(cls, options):
    rng = np.random.default_rng(6)
    layer = make_recurrent(cls, 3, 4, {**options, "dropout": 0.5, "recurrent_dropout": 0.5})
    plain = make_recurrent(cls, 3, 4, options)
    x = rng.standard_normal((5, 6, 3))
    np.testing.assert_array_equal(layer(x), plain(x))
    np.testing.assert_array_equal(layer(x, training=False), layer(x))
    a, b = layer(x, training=True), layer(x, training=True)
    assert not np.allclose(a, b)  # a new pair of masks per call
    assert not np.allclose(a, plain(x))


def test_seeded_layers_draw_the_same_masks():
    x = np.random.default_rng(0).standard_normal((4, 5, 3))
    runs = []
    for _ in range(2):
        layer = GRU(4, dropout=0.3, recurrent_dropout=0.3, seed=7)
        runs.append([layer(x, training=True) for _ in range(3)])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_predict_and_evaluate_are_deterministic():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 6, 3)), rng.standard_normal((20, 1))
    model = Sequential([LSTM(5, dropout=0.4, recurrent_dropout=0.4, seed=1), Dense(1, seed=2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert model.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    twin = Sequential([LSTM(5, seed=1), Dense(1, seed=2)])
    twin.build(model.input_shape)
    twin.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x), twin.predict(x))


# ------------------------------------------------------------------ config, saving, errors
@VARIANT
def test_config_and_saving_keep_the_rates(cls, options, tmp_path):
    layer = cls(4, **options, dropout=0.25, recurrent_dropout=0.1, zero_output_for_mask=True)
    cfg = layer.get_config()
    assert (cfg["dropout"], cfg["recurrent_dropout"], cfg["zero_output_for_mask"]) == \
        (0.25, 0.1, True)
    assert json.loads(json.dumps(cfg)) == cfg
    model = Sequential([layer, Dense(1)])
    model.build((None, 5, 3))
    path = model.save(tmp_path / "m.npz")
    loaded = load_model(path).layers[0]
    assert (loaded.dropout, loaded.recurrent_dropout, loaded.zero_output_for_mask) == \
        (0.25, 0.1, True)


@VARIANT
@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("bad, exc", [(1.0, ValueError), (-0.1, ValueError), ("0.2", TypeError),
                                      (None, TypeError)])
def test_bad_rates_are_refused(cls, options, name, bad, exc):
    with pytest.raises(exc, match=rf"{name}"):
        cls(4, **options, **{name: bad})


def test_fixed_masks_are_checked():
    layer = LSTM(3, dropout=0.2, recurrent_dropout=0.2)
    x = np.zeros((2, 4, 5))
    layer.fixed_dropout_masks = DropoutMasks(np.ones((4, 2, 5)), np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"recurrent must have shape \(4, N, 3\) = \(4, 2, 3\); "
                                         r"got \(1, 2, 3\)"):
        layer(x, training=True)
    layer.fixed_dropout_masks = DropoutMasks(None, np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match=r"inputs is None, but the layer has a dropout rate"):
        layer(x, training=True)
    layer.fixed_dropout_masks = (np.ones((4, 2, 5)), np.ones((4, 2, 3)))
    with pytest.raises(TypeError, match=r"DropoutMasks"):
        layer(x, training=True)
    layer.fixed_dropout_masks = DropoutMasks(np.ones((4, 2, 5)), np.ones((4, 2, 3)))
    layer(x, training=True)  # fits
