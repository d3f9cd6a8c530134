"""``interop.to_keras`` and ``interop.to_torch``: the same network with the same weights.

Each float32 result (ours, Keras's, torch's) is compared with our float64 model on the same
weights, within the bound of tests/numerics.py. Every layer kind, Bidirectional in each
merge mode with and without return_sequences, and masked models (Embedding mask_zero and
Masking; padding before, after and inside) are covered; so are the errors: a layer that
does not translate, an unbuilt model, and a missing torch or keras (simulated).
"""

import sys

import numpy as np
import pytest
from layer_cases import sequence_masks
from numerics import assert_close, rnn_terms
from optional import keras_module

from rnnlesson import interop
from rnnlesson import layers as L
from rnnlesson.models import Sequential

torch = pytest.importorskip("torch")
keras = keras_module()
needs_keras = pytest.mark.skipif(keras is None or keras.backend.backend() != "torch",
                                 reason="keras with the torch backend is not available")
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

N, T, D = 5, 7, 3


def _models(make, input_shape, seed=0):
    """A float64 reference with random weights of order 1 and a float32 copy."""
    ref = Sequential(make("float64"))
    ref.build(input_shape)
    rng = np.random.default_rng(seed)
    ref.set_weights([w + 0.4 * rng.standard_normal(w.shape) for w in ref.get_weights()])
    ours = Sequential(make("float32"))
    ours.build(input_shape)
    ours.set_weights(ref.get_weights())
    return ref, ours


def _torch_out(model, x):
    with torch.no_grad():
        return interop.to_torch(model)(x).numpy()


def _keras_out(model, x):
    return np.asarray(interop.to_keras(model).predict(x, verbose=0))


def _check_all(make, input_shape, x, terms, what):
    ref, ours = _models(make, input_shape)
    want = ref.predict(x)
    results = {"rnnlesson": ours.predict(x), "torch": _torch_out(ours, x)}
    if keras is not None and keras.backend.backend() == "torch":
        results["keras"] = _keras_out(ours, x)
    for who, got in results.items():
        assert got.dtype == np.float32, who
        assert_close(got, want, dtype="float32", terms=terms, scale=1.0, what=f"{who} {what}")
    # the float64 model translates to float64 torch, equal to 1e-9
    np.testing.assert_allclose(_torch_out(ref, x), want, rtol=1e-9, atol=1e-12)
    return results


def _terms(layers=2, h=8):
    return layers * rnn_terms(N, T, max(D, h), h)


RECURRENT = {
    "simple_rnn_tanh": lambda dt, **kw: L.SimpleRNN(6, dtype=dt, seed=1, **kw),
    "simple_rnn_relu": lambda dt, **kw: L.SimpleRNN(6, activation="relu", dtype=dt, seed=1,
                                                    **kw),
    "lstm": lambda dt, **kw: L.LSTM(6, dtype=dt, seed=1, **kw),
    "gru": lambda dt, **kw: L.GRU(6, dtype=dt, seed=1, **kw),
}


@pytest.mark.parametrize("kind", sorted(RECURRENT))
@pytest.mark.parametrize("backwards", [False, True])
def test_recurrent_stacks_agree(kind, backwards):
    """Two stacked layers of each kind (return_sequences between them), then Dense."""
    make_rnn = RECURRENT[kind]

    def make(dt):
        return [make_rnn(dt, return_sequences=True, go_backwards=backwards),
                make_rnn(dt), L.Dense(4, activation="tanh", dtype=dt, seed=2)]

    x = np.random.default_rng(3).standard_normal((N, T, D))
    _check_all(make, (None, T, D), x, _terms(2, 6), kind)


def test_mlp_with_flatten_dropout_and_softmax_agrees():
    def make(dt):
        return [L.Flatten(dtype=dt), L.Dense(16, activation="relu", dtype=dt, seed=0),
                L.Dropout(0.5, dtype=dt, seed=1), L.Dense(10, activation="softmax", dtype=dt,
                                                          seed=2)]

    x = np.random.default_rng(0).random((N, 8, 8))
    results = _check_all(make, (None, 8, 8), x, 64 + 16, "mlp")
    np.testing.assert_allclose(results["torch"].sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("sequences", [True, False])
def test_bidirectional_agrees(merge_mode, sequences):
    def make(dt):
        inner = L.LSTM(5, return_sequences=sequences, dtype=dt, seed=1)
        return [L.Bidirectional(inner, merge_mode=merge_mode), L.Dense(3, dtype=dt, seed=2)]

    x = np.random.default_rng(4).standard_normal((N, T, D))
    _check_all(make, (None, T, D), x, _terms(2, 10), f"bidirectional {merge_mode}")


@pytest.mark.parametrize("kind", ["post", "pre", "holes"])
@pytest.mark.parametrize("first", ["embedding", "masking"])
def test_masked_models_agree(kind, first):
    """A mask from Embedding(mask_zero) or Masking through LSTM, Bidirectional(GRU),
    SimpleRNN and a Dense: masked steps keep the state in torch's explicit loop too."""
    keep = sequence_masks(N, T)[kind]
    rng = np.random.default_rng(5)

    def make(dt):
        head = (L.Embedding(9, D, mask_zero=True, dtype=dt, seed=0) if first == "embedding"
                else L.Masking(dtype=dt))
        return [head, L.LSTM(5, return_sequences=True, dtype=dt, seed=1),
                L.Bidirectional(L.GRU(4, return_sequences=True, dtype=dt, seed=2)),
                L.SimpleRNN(4, dtype=dt, seed=3), L.Dense(3, dtype=dt, seed=4)]

    if first == "embedding":
        x, shape = rng.integers(1, 9, size=(N, T)) * keep, (None, T)
    else:
        x, shape = rng.standard_normal((N, T, D)) * keep[..., None], (None, T, D)
    results = _check_all(make, shape, x, _terms(4, 8), f"{first} {kind}")
    # the mask matters: the same model without it gives other numbers
    ref, ours = _models(make, shape)
    unmasked = ours.layers[0]
    if first == "embedding":
        unmasked.mask_zero = unmasked.supports_masking = False
    else:
        ours.layers.pop(0)
        ours.build(shape)
    assert np.abs(ours.predict(x) - results["torch"]).max() > 1e-3


def test_masked_tagger_passes_its_mask_on():
    """return_sequences all the way: torch's output mask is the Embedding's, and the outputs
    at padded steps are what Keras gives (Dense of a zero or repeated state)."""
    def make(dt):
        return [L.Embedding(9, 4, mask_zero=True, dtype=dt, seed=0),
                L.Bidirectional(L.SimpleRNN(5, return_sequences=True, dtype=dt, seed=1)),
                L.Dense(3, dtype=dt, seed=2)]

    keep = sequence_masks(N, T)["pre"]
    x = np.random.default_rng(6).integers(1, 9, size=(N, T)) * keep
    _check_all(make, (None, T), x, _terms(2, 10), "tagger")
    _, ours = _models(make, (None, T))
    net = interop.to_torch(ours)
    with torch.no_grad():
        net(x)
    np.testing.assert_array_equal(net.output_mask.numpy(), keep)


@needs_keras
def test_keras_model_has_our_names_and_gru_reset_before():
    """GRU(reset_after=False) goes to Keras as it is (not to torch, which has no such GRU)."""
    def make(dt):
        return [L.GRU(6, reset_after=False, return_sequences=True, dtype=dt, seed=1),
                L.GRU(4, dtype=dt, seed=2)]

    ref, ours = _models(make, (None, T, D))
    x = np.random.default_rng(7).standard_normal((N, T, D))
    kmodel = interop.to_keras(ours)
    assert [layer.name for layer in kmodel.layers] == [layer.name for layer in ours.layers]
    assert kmodel.count_params() == ours.count_params()
    assert_close(np.asarray(kmodel.predict(x, verbose=0)), ref.predict(x), dtype="float32",
                 terms=_terms(2, 6), scale=1.0, what="keras gru reset_before")
    with pytest.raises(ValueError, match="reset_after=False"):
        interop.to_torch(ours)


@needs_keras
def test_keras_model_trains_further():
    """The point of graduating: compile and fit the Keras model (the loss goes down)."""
    _, ours = _models(lambda dt: [L.LSTM(8, dtype=dt, seed=0), L.Dense(1, dtype=dt, seed=1)],
                      (None, T, D))
    rng = np.random.default_rng(8)
    x = rng.standard_normal((64, T, D)).astype(np.float32)
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    kmodel = interop.to_keras(ours)
    kmodel.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    losses = kmodel.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_torch_model_trains_and_its_parameters_are_ours():
    _, ours = _models(lambda dt: [L.GRU(8, dtype=dt, seed=0), L.Dense(1, dtype=dt, seed=1)],
                      (None, T, D))
    net = interop.to_torch(ours)
    assert not net.training  # eval mode: dropout off
    gru = net.steps[0].rnn
    kernel = ours.params[f"{ours.layers[0].name}/kernel"]
    # torch's r block is Keras's second (r) block, transposed
    np.testing.assert_array_equal(gru.weight_ih_l0.detach().numpy()[:8], kernel[:, 8:16].T)
    x = torch.randn(4, T, D)
    net.train()
    loss = (net(x) ** 2).mean()
    loss.backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


# ------------------------------------------------------------------ errors
def test_untranslatable_layers_are_named():
    emb = L.Embedding(9, 4, seed=0)
    tied = Sequential([emb, L.LSTM(4, return_sequences=True, seed=1), L.TiedDense(emb)])
    tied.build((None, T))
    for convert in (interop.to_torch, interop.to_keras):
        with pytest.raises(ValueError, match="TiedDense"):
            convert(tied)
    with pytest.raises(ValueError, match="not built"):
        interop.to_torch(Sequential([L.LSTM(3)]))
    with pytest.raises(TypeError, match="Sequential"):
        interop.to_keras(L.LSTM(3))
    state = Sequential([L.SimpleRNN(3, stateful=True, seed=0)])
    state.build((2, T, D))
    with pytest.raises(ValueError, match="stateful=True"):
        interop.to_torch(state)


@pytest.mark.parametrize("layer, match", [
    (L.SimpleRNN(3, activation="sigmoid", seed=0), "tanh or relu"),
    (L.LSTM(3, dropout=0.2, seed=0), "no dropout"),
    (L.GRU(3, recurrent_dropout=0.2, seed=0), "no dropout"),
])
def test_what_torch_lacks_is_refused(layer, match):
    model = Sequential([layer])
    model.build((None, T, D))
    with pytest.raises(ValueError, match=match):
        interop.to_torch(model)


@pytest.mark.parametrize("module, convert, install", [
    ("torch", interop.to_torch, "pip install torch"),
    ("keras", interop.to_keras, "pip install keras"),
])
def test_missing_package_says_what_to_install(monkeypatch, module, convert, install):
    """A module set to None in sys.modules cannot be imported: as if it were not installed."""
    model = Sequential([L.SimpleRNN(3, seed=0)])
    model.build((None, T, D))
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=install):
        convert(model)


def test_keras_older_than_3_is_refused(monkeypatch):
    class OldKeras:
        __version__ = "2.15.0"

    model = Sequential([L.SimpleRNN(3, seed=0)])
    model.build((None, T, D))
    monkeypatch.setitem(sys.modules, "keras", OldKeras)
    with pytest.raises(ImportError, match="Keras 3"):
        interop.to_keras(model)


def test_importing_interop_loads_neither_torch_nor_keras():
    import subprocess

    code = ("import sys, rnnlesson.interop\n"
            "print(','.join(m for m in ('torch', 'keras') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
