"""Parity with real Keras 3: same weights, same outputs; same summary; same SGD epoch.

Keras runs on its PyTorch backend (KERAS_BACKEND=torch is set before keras is
imported). The tests are skipped when keras or torch is not installed.
"""

import os

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "torch"  # must precede the first import of keras
pytest.importorskip("torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # keras was imported earlier with another backend
    pytest.skip("keras is loaded with another backend", allow_module_level=True)

from rnnlesson import layers as L  # noqa: E402
from rnnlesson.models import Sequential  # noqa: E402

KL = keras.layers
TOL = 1e-5

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


def _max_err(model, kmodel, x):
    ours = model.predict(x, batch_size=8)
    theirs = np.asarray(kmodel.predict(x, batch_size=8, verbose=0))
    assert ours.shape == theirs.shape
    return float(np.max(np.abs(ours - theirs)))


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
    err = _max_err(model, kmodel, _x((19,) + shape))
    assert err < TOL, f"{case}: max |rnnlesson - keras| = {err:.3g}"


def test_embedding_language_model_matches_keras():
    model, kmodel = _pair(
        [L.Embedding(30, 8, seed=1), L.LSTM(7, return_sequences=True, seed=2),
         L.GRU(6, return_sequences=True, seed=3), L.Dense(30, activation="softmax", seed=4)],
        [KL.Embedding(30, 8), KL.LSTM(7, return_sequences=True),
         KL.GRU(6, return_sequences=True), KL.Dense(30, activation="softmax")],
        (14,),
    )
    ids = np.random.default_rng(5).integers(0, 30, size=(13, 14))
    err = _max_err(model, kmodel, ids)
    assert err < TOL, f"max |rnnlesson - keras| = {err:.3g}"


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
    model.compile(optimizer="sgd", loss=loss)
    kmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=loss)
    ours = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    theirs = kmodel.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for a, b in zip(model.get_weights(), kmodel.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_history_keys_values_and_validation_split_match_keras():
    """Keras holds out the LAST fraction before shuffling; so do we (same val_ numbers)."""
    shape = (5, 2)
    model, kmodel = _pair([L.GRU(4, seed=1), L.Dense(1, activation="sigmoid", seed=2)],
                          [KL.GRU(4), KL.Dense(1, activation="sigmoid")], shape, seed=3)
    x = _x((50,) + shape, seed=4)
    y = (x[:, -1, 0] > 0).astype(np.float32)  # labels (N,) against predictions (N, 1)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
    kmodel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                   loss="binary_crossentropy", metrics=["acc"])
    kw = dict(batch_size=8, epochs=2, shuffle=False, validation_split=0.3, verbose=0)
    ours = model.fit(x, y, **kw).history
    theirs = {k: [float(v) for v in vals] for k, vals in kmodel.fit(x, y, **kw).history.items()}
    assert set(ours) == set(theirs) == {"loss", "acc", "val_loss", "val_acc"}
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


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
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    kmodel.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    ours = model.fit(x, y, **kw).history
    theirs = kmodel.fit(x, y, **kw).history
    assert set(ours) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], [float(a) for a in theirs[key]], rtol=2e-5,
                                   atol=1e-6, err_msg=key)
    for a, b in zip(model.get_weights(), kmodel.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=2e-6)
