"""``Bidirectional``: what it computes (the two directions composed by hand), its weights,
masks, errors, summary and saving. The contract every layer keeps (gradients, dtypes,
config...) is checked in test_layer_contract.py; parity with Keras in
test_keras_sequences.py."""

import json

import numpy as np
import pytest
from layer_cases import GRAD_TOL, sequence_masks

from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from rnnlesson.models import Sequential, load_model

MODES = ["concat", "sum", "mul", "ave", None]


def _random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([0.5 * rng.standard_normal(w.shape) for w in layer.get_weights()])


def _directions(bi):
    """Plain copies of the two directions with the wrapper's weights."""
    fwd = type(bi.forward_layer).from_config({**bi.forward_layer.get_config(), "name": "f"})
    bwd = type(bi.backward_layer).from_config({**bi.backward_layer.get_config(), "name": "b"})
    for plain, sub in ((fwd, bi.forward_layer), (bwd, bi.backward_layer)):
        plain.build(sub.input_shape)
        plain.set_weights(sub.get_weights())
    return fwd, bwd


def _merge(mode, yf, yb):
    return {"concat": lambda: np.concatenate([yf, yb], axis=-1), "sum": lambda: yf + yb,
            "mul": lambda: yf * yb, "ave": lambda: (yf + yb) / 2,
            None: lambda: [yf, yb]}[mode]()


@pytest.mark.parametrize("mode", MODES, ids=[str(m) for m in MODES])
@pytest.mark.parametrize("seq", [False, True], ids=["last", "seq"])
@pytest.mark.parametrize("state", [False, True], ids=["", "states"])
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_the_two_directions_reversed_back_and_merged(cls, mode, seq, state):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 4))
    bi = Bidirectional(cls(5, return_sequences=seq, return_state=state, dtype="float64",
                           seed=0), mode)
    bi.build((None, 6, 4))
    _random_weights(bi)
    fwd, bwd = _directions(bi)
    got = bi(x)
    yf, yb = fwd(x), bwd(x)
    states = []
    if state:
        states = yf[1:] + yb[1:]
        yf, yb = yf[0], yb[0]
    if seq:
        yb = yb[:, ::-1]  # the backward direction's outputs, back in input order
    merged = _merge(mode, yf, yb)
    want = (merged if mode is None else [merged]) + states if state else merged
    got, want = (got, want) if isinstance(want, list) else ([got], [want])
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    douts = [rng.standard_normal(a.shape) for a in got]
    dx = bi.backward(douts if len(douts) > 1 else douts[0])
    assert dx.shape == x.shape


@pytest.mark.parametrize("mode", MODES, ids=[str(m) for m in MODES])
@pytest.mark.parametrize("seq", [False, True], ids=["last", "seq"])
@pytest.mark.parametrize("state", [False, True], ids=["", "states"])
def test_gradients(mode, seq, state):
    bi = Bidirectional(LSTM(3, return_sequences=seq, return_state=state, dtype="float64",
                            seed=0), mode)
    bi.build((None, 4, 2))
    _random_weights(bi)
    x = np.random.default_rng(7).standard_normal((2, 4, 2))
    errors = check_layer_gradients(bi, x, verbose=False)
    assert set(errors) == set(bi.params) | {"input"}
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("mode", MODES, ids=[str(m) for m in MODES])
@pytest.mark.parametrize("kind", ["post", "pre", "holes"])
def test_gradients_with_a_mask(mode, kind):
    rng = np.random.default_rng(2)
    bi = Bidirectional(GRU(3, return_sequences=True, dtype="float64", seed=1), mode)
    bi.build((None, 5, 2))
    _random_weights(bi, 3)
    keep = sequence_masks(4, 5)[kind]
    errors = check_layer_gradients(bi, rng.standard_normal((4, 5, 2)),
                                   forward_kwargs={"mask": keep}, verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("seq", [False, True], ids=["last", "seq"])
def test_padding_with_a_mask_gives_the_unpadded_result(padding, seq):
    rng = np.random.default_rng(3)
    bi = Bidirectional(GRU(4, return_sequences=seq, dtype="float64", seed=2))
    lengths, t = [6, 2, 4], 6
    seqs = [rng.standard_normal((n, 3)) for n in lengths]
    x = rng.standard_normal((3, t, 3))  # the padding need not be zeros
    keep = np.zeros((3, t), bool)
    for i, s in enumerate(seqs):
        where = slice(t - len(s), t) if padding == "pre" else slice(0, len(s))
        x[i, where], keep[i, where] = s, True
    padded = bi(x, mask=keep)
    for i, s in enumerate(seqs):
        alone = bi(s[None])[0]
        if seq:
            np.testing.assert_allclose(padded[i][keep[i]], alone, rtol=1e-12, atol=1e-13)
            assert not padded[i][~keep[i]].any()  # masked steps output zeros (as Keras)
        else:
            np.testing.assert_allclose(padded[i], alone, rtol=1e-12, atol=1e-13)
    assert bi.compute_mask(x, keep) is (keep if seq else None)


# ------------------------------------------------------------------ weights and names
def test_names_weights_and_seeds():
    bi = Bidirectional(LSTM(4, name="enc", seed=3))
    bi.build((None, 7, 2))
    assert bi.name.startswith("bidirectional")
    assert (bi.forward_layer.name, bi.backward_layer.name) == ("forward_enc", "backward_enc")
    assert bi.forward_layer.go_backwards is False and bi.backward_layer.go_backwards is True
    names = [f"{d}_enc/{w}" for d in ("forward", "backward")
             for w in ("kernel", "recurrent_kernel", "bias")]
    assert list(bi.params) == names and list(bi.grads) == names
    weights = bi.get_weights()
    for a, b in zip(weights, bi.forward_layer.get_weights() + bi.backward_layer.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(weights[0], weights[3])  # the directions start apart
    again = Bidirectional(LSTM(4, name="enc", seed=3))
    again.build((None, 7, 2))
    for a, b in zip(again.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    new = [w + 1 for w in weights]
    bi.set_weights(new)
    np.testing.assert_array_equal(bi.backward_layer.params["bias"], new[5])
    assert bi.count_params() == 2 * (2 * 16 + 4 * 16 + 16)


def test_a_given_backward_layer():
    fwd = LSTM(3, return_sequences=True, seed=0)
    bwd = GRU(3, return_sequences=True, go_backwards=True, seed=1, name="mine")
    bi = Bidirectional(fwd, "sum", backward_layer=bwd)
    assert bi.backward_layer is bwd
    out = bi(np.ones((2, 4, 5)))
    assert out.shape == (2, 4, 3)
    assert list(bi.params)[3:] == ["mine/kernel", "mine/recurrent_kernel", "mine/bias"]


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match=r"wraps a recurrent layer .*got Dense"):
        Bidirectional(Dense(3))
    with pytest.raises(TypeError, match=r"backward_layer to be a recurrent layer .*got Dense"):
        Bidirectional(LSTM(3), backward_layer=Dense(3))
    with pytest.raises(ValueError, match=r"merge_mode to be one of .*got 'max'"):
        Bidirectional(LSTM(3), "max")
    with pytest.raises(ValueError, match=r"different go_backwards; both have go_backwards=True"):
        Bidirectional(LSTM(3, go_backwards=True))
    with pytest.raises(ValueError, match=r"same return_sequences; got False and True"):
        Bidirectional(LSTM(3), backward_layer=LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match=r"same units; got 3 and 4"):
        Bidirectional(LSTM(3), "sum", backward_layer=LSTM(4, go_backwards=True))
    with pytest.raises(TypeError, match=r"positional"):
        Bidirectional(LSTM(3), "concat", LSTM(3, go_backwards=True))  # keyword only
    bi = Bidirectional(LSTM(3))
    with pytest.raises(ValueError, match=r"list of 4 arrays: the forward layer's 2, then the "
                                         r"backward layer's 2; got 2"):
        bi(np.ones((2, 4, 5)), initial_state=[np.zeros((2, 3))] * 2)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, T, D\); got \(2, 4\)"):
        bi(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"mask of shape \(N, T\) = \(2, 4\)"):
        bi(np.ones((2, 4, 5)), mask=np.ones((2, 5), bool))


def test_initial_states_split_between_the_directions():
    rng = np.random.default_rng(4)
    bi = Bidirectional(LSTM(3, return_state=True, dtype="float64", seed=0), None)
    x = rng.standard_normal((2, 4, 5))
    init = [rng.standard_normal((2, 3)) for _ in range(4)]
    yf, yb, *states = bi(x, initial_state=init)
    fwd, bwd = _directions(bi)
    np.testing.assert_allclose(yf, fwd(x, initial_state=init[:2])[0], rtol=1e-13)
    np.testing.assert_allclose(yb, bwd(x, initial_state=init[2:])[0], rtol=1e-13)
    assert len(states) == 4
    errors = check_layer_gradients(bi, x, forward_kwargs={"initial_state": init}, verbose=False)
    assert {"initial_state[0]", "initial_state[3]"} <= set(errors)
    assert max(errors.values()) < GRAD_TOL, errors


def test_stateful_directions_carry_and_reset():
    bi = Bidirectional(SimpleRNN(3, stateful=True, seed=0))
    assert bi.states is None
    bi(np.ones((2, 4, 1)))
    assert len(bi.states) == 2 and all(s.shape == (2, 3) for s in bi.states)
    bi.reset_states()
    assert bi.states is None


# ------------------------------------------------------------------ in a model
def test_summary_row_is_keras():
    """Keras 3.15 prints, for this model (a live comparison is in test_keras_sequences.py):
    bidirectional (Bidirectional) | (None, 5, 8) | 256 and bidirectional_1 ... | (None, 2) | 144."""
    from rnnlesson.layers import reset_name_counters

    reset_name_counters()
    model = Sequential([Bidirectional(LSTM(4, return_sequences=True), input_shape=(5, 3)),
                        Bidirectional(GRU(2), merge_mode="sum"), Dense(1)])
    rows = model.summary(return_string=True).splitlines()
    assert "│ bidirectional (Bidirectional)   │ (None, 5, 8)           │           256 │" in rows
    assert "│ bidirectional_1 (Bidirectional) │ (None, 2)              │           144 │" in rows
    assert " Total params: 403 (1.57 KB)" in rows


def test_save_and_load(tmp_path):
    rng = np.random.default_rng(5)
    ids = rng.integers(1, 9, size=(6, 7))
    ids[0, :3] = 0
    model = Sequential([Embedding(9, 4, mask_zero=True, seed=0),
                        Bidirectional(LSTM(3, return_sequences=True, seed=1), "ave"),
                        Bidirectional(GRU(2, seed=2, reset_after=False)), Dense(1, seed=3)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(ids, rng.standard_normal((6, 1)), epochs=1, verbose=0)
    path = model.save(tmp_path / "bi")
    loaded = load_model(path)
    assert json.dumps(loaded.get_config()) == json.dumps(model.get_config())
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    assert loaded.layers[2].backward_layer.reset_after is False


def test_a_list_output_is_refused_in_a_sequential():
    with pytest.raises(ValueError, match=r"merge_mode=None"):
        Sequential([Bidirectional(LSTM(3), None, input_shape=(4, 2)), Dense(1)])


def test_nan_and_inf_are_refused_in_every_input_and_gradient():
    """Each direction is run without repeating the checks the wrapper has already made;
    what only one direction sees (its initial state, its states' gradients) is still
    checked."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    bi = Bidirectional(SimpleRNN(3, return_sequences=True, seed=0))
    bad = x.copy()
    bad[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        bi(bad)
    dy = np.ones_like(bi(x))
    dy[0, 3, 4] = np.inf  # in the backward direction's half
    with pytest.raises(ValueError, match="inf"):
        bi.backward(dy)
    bi = Bidirectional(LSTM(3, return_state=True, seed=0))
    init = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    init[3][0, 0] = np.nan  # the backward direction's c0
    with pytest.raises(ValueError, match="NaN"):
        bi(x, initial_state=init)
    out, *states = bi(x)
    grads = [np.ones_like(out)] + [np.zeros_like(s) for s in states]
    grads[4] = grads[4].copy()
    grads[4][1, 1] = np.nan  # the gradient of the backward direction's c_T
    with pytest.raises(ValueError, match="NaN"):
        bi.backward(grads)
