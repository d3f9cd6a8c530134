"""Parity with real Keras 3: same weights, same outputs; same summary; same SGD epoch.

Keras runs on its PyTorch backend (KERAS_BACKEND=torch is set before keras is
imported). The tests are skipped when keras or torch is not installed.
"""

import os

import numpy as np
import pytest
from numerics import assert_close

os.environ["KERAS_BACKEND"] = "torch"  # must precede the first import of keras
pytest.importorskip("torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # keras was imported earlier with another backend
    pytest.skip("keras is loaded with another backend", allow_module_level=True)

from rnnlesson import layers as L  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402

KL = keras.layers

# Keras 3.15 on numpy 2 warns about its own __array__ signature; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _perturb(model, seed):
    """Move every weight (biases too) off its initial value, so bias layouts are tested."""
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.uniform(-0.3, 0.3, size=w.shape).astype(w.dtype)
                       for w in model.get_weights()])


def _pair(ours, theirs, input_shape, seed=0):
    """Build both models, copy our weights into Keras's, return both."""
    model = Sequential(ours)
    model.build((None,) + input_shape)
    _perturb(model, seed)
    kmodel = keras.Sequential([keras.Input(shape=input_shape)] + theirs)
    ours_w = model.get_weights()
    theirs_w = kmodel.get_weights()
    assert [w.shape for w in ours_w] == [tuple(w.shape) for w in theirs_w]
    kmodel.set_weights(ours_w)
    return model, kmodel


def _float64_twin(model):
    """The same network in float64 with the same weights: the reference that both float32
    results (ours and Keras's) must meet within the epsilon-derived bound (numerics.py)."""
    twin = Sequential([type(layer).from_config({**layer.get_config(), "dtype": "float64"})
                       for layer in model.layers])
    twin.build(model.input_shape)
    twin.set_weights(model.get_weights())
    return twin


def _terms(model, n, steps=1):
    """Terms behind one output entry: the batch times, for every layer, its time steps times
    its fan-in (kernel and recurrent rows, plus one for the bias); times the training steps."""
    t = model.input_shape[1] if len(model.input_shape) > 1 else 1
    fan_in = sum(sum(p.shape[0] for k, p in layer.params.items() if k != "bias") + 1
                 for layer in model.layers)
    return n * t * fan_in * steps


def _check_fit(model, kmodel, x, y, optimizer, loss, metrics=(), **fit_kwargs):
    """Train ours, Keras's and our float64 twin the same way (no shuffling); both float32
    histories and final weights must meet the twin's within the bound of numerics.py."""
    twin = _float64_twin(model)
    for m in (model, twin):
        m.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    kmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01) if optimizer == "sgd"
                   else optimizer, loss=loss, metrics=list(metrics))
    kw = dict(shuffle=False, verbose=0, **fit_kwargs)
    ref = twin.fit(x, y, **kw).history
    ours = model.fit(x, y, **kw).history
    theirs = {k: [float(v) for v in vals] for k, vals in kmodel.fit(x, y, **kw).history.items()}
    assert set(ours) == set(theirs) == set(ref)
    steps = kw["epochs"] * -(-x.shape[0] // kw["batch_size"])
    terms = _terms(model, kw["batch_size"], steps)
    for key in ref:
        assert_close(ours[key], ref[key], dtype="float32", terms=terms, what=f"rnnlesson {key}")
        assert_close(theirs[key], ref[key], dtype="float32", terms=terms, what=f"keras {key}")
    for a, b, r in zip(model.get_weights(), kmodel.get_weights(), twin.get_weights(),
                       strict=True):
        assert_close(a, r, dtype="float32", terms=terms, what="rnnlesson weights")
        assert_close(np.asarray(b), r, dtype="float32", terms=terms, what="keras weights")
    return ours


def _check_predict(model, kmodel, x, what):
    ref = _float64_twin(model).predict(x, batch_size=8)
    ours = model.predict(x, batch_size=8)
    theirs = np.asarray(kmodel.predict(x, batch_size=8, verbose=0))
    terms = _terms(model, 8)
    assert_close(ours, ref, dtype="float32", terms=terms, what=f"rnnlesson {what}")
    assert_close(theirs, ref, dtype="float32", terms=terms, what=f"keras {what}")


def _x(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


CASES = {
    "simple_rnn": (
        lambda: [L.SimpleRNN(8, seed=1), L.Dense(1, activation="sigmoid", seed=2)],
        lambda: [KL.SimpleRNN(8), KL.Dense(1, activation="sigmoid")],
        (12, 5),
    ),
    "simple_rnn_stacked_backwards": (
        lambda: [L.SimpleRNN(7, return_sequences=True, go_backwards=True, seed=1),
                 L.SimpleRNN(6, return_sequences=True, seed=2), L.SimpleRNN(4, seed=3),
                 L.Dense(2, seed=4)],
        lambda: [KL.SimpleRNN(7, return_sequences=True, go_backwards=True),
                 KL.SimpleRNN(6, return_sequences=True), KL.SimpleRNN(4), KL.Dense(2)],
        (10, 3),
    ),
    "lstm_stacked": (
        lambda: [L.LSTM(6, return_sequences=True, seed=1), L.LSTM(5, seed=2),
                 L.Dense(3, activation="softmax", seed=3)],
        lambda: [KL.LSTM(6, return_sequences=True), KL.LSTM(5),
                 KL.Dense(3, activation="softmax")],
        (9, 4),
    ),
    "lstm_backwards_sequences": (
        lambda: [L.LSTM(6, return_sequences=True, go_backwards=True, seed=1),
                 L.Dense(2, seed=2)],
        lambda: [KL.LSTM(6, return_sequences=True, go_backwards=True), KL.Dense(2)],
        (11, 3),
    ),
    "gru_stacked": (
        lambda: [L.GRU(6, return_sequences=True, seed=1), L.GRU(5, seed=2), L.Dense(1, seed=3)],
        lambda: [KL.GRU(6, return_sequences=True), KL.GRU(5), KL.Dense(1)],
        (8, 4),
    ),
    "gru_backwards_reset_before": (
        lambda: [L.GRU(5, reset_after=False, go_backwards=True, return_sequences=True, seed=1),
                 L.GRU(4, go_backwards=True, seed=2)],
        lambda: [KL.GRU(5, reset_after=False, go_backwards=True, return_sequences=True),
                 KL.GRU(4, go_backwards=True)],
        (10, 3),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_predict_matches_keras(case):
    ours, theirs, shape = CASES[case]
    model, kmodel = _pair(ours(), theirs(), shape)
    _check_predict(model, kmodel, _x((19,) + shape), case)


def test_embedding_language_model_matches_keras():
    model, kmodel = _pair(
        [L.Embedding(30, 8, seed=1), L.LSTM(7, return_sequences=True, seed=2),
         L.GRU(6, return_sequences=True, seed=3), L.Dense(30, activation="softmax", seed=4)],
        [KL.Embedding(30, 8), KL.LSTM(7, return_sequences=True),
         KL.GRU(6, return_sequences=True), KL.Dense(30, activation="softmax")],
        (14,),
    )
    ids = np.random.default_rng(5).integers(0, 30, size=(13, 14))
    _check_predict(model, kmodel, ids, "language model")


def test_summary_matches_live_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # Keras sizes its table to the terminal
    model = Sequential([
        L.Embedding(10000, 32, input_shape=(500,), name="embedding"),
        L.SimpleRNN(32, name="simple_rnn"),
        L.Dense(1, activation="sigmoid", name="dense"),
    ], name="imdb_rnn")
    kmodel = keras.Sequential([
        keras.Input(shape=(500,)), KL.Embedding(10000, 32, name="embedding"),
        KL.SimpleRNN(32, name="simple_rnn"), KL.Dense(1, activation="sigmoid", name="dense"),
    ], name="imdb_rnn")
    chunks = []
    kmodel.summary(print_fn=lambda text, line_break=False: chunks.append(text))
    theirs = "".join(chunks).rstrip("\n")
    assert model.summary(return_string=True) == theirs


@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_one_sgd_epoch_matches_keras(loss):
    """Same data, same batches (no shuffling), same SGD steps: same epoch loss and weights."""
    shape = (6, 3)
    model, kmodel = _pair([L.SimpleRNN(5, seed=1), L.Dense(1, activation="sigmoid", seed=2)],
                          [KL.SimpleRNN(5), KL.Dense(1, activation="sigmoid")], shape)
    x = _x((40,) + shape, seed=3)
    y = (x[:, :, 0].sum(axis=1, keepdims=True) > 0).astype(np.float32)
    _check_fit(model, kmodel, x, y, "sgd", loss, batch_size=16, epochs=2)


def test_history_keys_values_and_validation_split_match_keras():
    """Keras holds out the LAST fraction before shuffling; so do we (same val_ numbers)."""
    shape = (5, 2)
    model, kmodel = _pair([L.GRU(4, seed=1), L.Dense(1, activation="sigmoid", seed=2)],
                          [KL.GRU(4), KL.Dense(1, activation="sigmoid")], shape, seed=3)
    x = _x((50,) + shape, seed=4)
    y = (x[:, -1, 0] > 0).astype(np.float32)  # labels (N,) against predictions (N, 1)
    ours = _check_fit(model, kmodel, x, y, "sgd", "binary_crossentropy", ["acc"], batch_size=8,
                      epochs=2, validation_split=0.3)
    assert set(ours) == {"loss", "acc", "val_loss", "val_acc"}


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adam"])
def test_language_model_fit_matches_keras(optimizer):
    """(N, T, V) outputs, sparse labels (N, T), Keras's optimizer defaults by name."""
    v, t = 12, 7
    model, kmodel = _pair(
        [L.Embedding(v, 5, seed=1), L.LSTM(6, return_sequences=True, seed=2),
         L.Dense(v, activation="softmax", seed=3)],
        [KL.Embedding(v, 5), KL.LSTM(6, return_sequences=True), KL.Dense(v, activation="softmax")],
        (t,), seed=4,
    )
    rng = np.random.default_rng(6)
    seq = rng.integers(0, v, size=(30, t + 1))
    x, y = seq[:, :-1], seq[:, 1:]
    _check_fit(model, kmodel, x, y, optimizer, "sparse_categorical_crossentropy", ["accuracy"],
               batch_size=8, epochs=2)
