"""compile(metrics=['perplexity']): exp of the mean cross-entropy per token over an epoch."""

import math

import numpy as np
import pytest

from rnnlesson.layers import LSTM, Dense, Embedding
from rnnlesson.losses import SparseCategoricalCrossentropy
from rnnlesson.models import Sequential
from rnnlesson.models.metrics import Metric, token_nll
from rnnlesson.optimizers import Adam

V = 6


def _model(softmax, seed=0):
    model = Sequential([Embedding(V, 4, seed=seed), LSTM(8, return_sequences=True, seed=seed + 1),
                        Dense(V, activation="softmax" if softmax else None, seed=seed + 2)])
    model.compile(optimizer=Adam(learning_rate=0.03),
                  loss=SparseCategoricalCrossentropy(from_logits=not softmax),
                  metrics=["perplexity"])
    return model


def _data(n=24, t=7, seed=0):
    """The first half of the rows is predictable (y = x + 1), the rest random, so that
    batches differ in their loss once the model has learned."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, (n, t))
    y = (x + 1) % V
    y[n // 2:] = rng.integers(0, V, (n - n // 2, t))
    return x, y


def _by_hand(model, x, y, softmax):
    """exp(mean over every token of -ln p(label)), in float64, from predict."""
    out = model.predict(x, batch_size=len(x)).astype(np.float64)
    if softmax:
        logp = np.log(out / out.sum(-1, keepdims=True))
    else:
        out -= out.max(-1, keepdims=True)
        logp = out - np.log(np.exp(out).sum(-1, keepdims=True))
    return math.exp(-np.take_along_axis(logp, y[..., None], -1).mean())


@pytest.mark.parametrize("softmax", [False, True])
def test_evaluate_gives_exp_of_the_mean_token_cross_entropy(softmax):
    model = _model(softmax)
    x, y = _data()
    model.fit(x, y, epochs=20, batch_size=8, verbose=0, shuffle=False)
    loss, ppl = model.evaluate(x, y, batch_size=5)      # uneven batches: 5, 5, 5, 5, 4
    assert ppl == pytest.approx(_by_hand(model, x, y, softmax), rel=1e-5)
    assert ppl == pytest.approx(math.exp(loss), rel=1e-5)
    # not the mean of the batches' perplexities (larger, by Jensen's inequality)
    per_batch = [math.exp(model.evaluate(x[s:s + 5], y[s:s + 5], batch_size=5)[0])
                 for s in range(0, len(x), 5)]
    sizes = [min(5, len(x) - s) for s in range(0, len(x), 5)]
    assert np.average(per_batch, weights=sizes) > ppl * (1 + 1e-4)


@pytest.mark.parametrize("softmax", [False, True])
def test_fit_history_and_progress_show_perplexity(softmax, capsys):
    model = _model(softmax, seed=3)
    x, y = _data(seed=1)
    hist = model.fit(x, y, epochs=4, batch_size=6, verbose=2, validation_data=_data(seed=2))
    h = hist.history
    assert set(h) == {"loss", "perplexity", "val_loss", "val_perplexity"}
    # the epoch's tokens all count alike, so perplexity = exp(the epoch's mean loss)
    np.testing.assert_allclose(h["perplexity"], np.exp(h["loss"]), rtol=1e-5)
    np.testing.assert_allclose(h["val_perplexity"], np.exp(h["val_loss"]), rtol=1e-5)
    assert h["perplexity"][-1] < h["perplexity"][0] < V * 1.2
    out = capsys.readouterr().out
    assert out.count(" - perplexity: ") == 4 and out.count(" - val_perplexity: ") == 4


def test_train_on_batch_reports_the_batch_perplexity():
    model = _model(softmax=False, seed=5)
    x, y = _data(seed=3)
    loss, ppl = model.train_on_batch(x, y)
    assert ppl == pytest.approx(math.exp(loss), rel=1e-5)


def test_a_uniform_model_has_perplexity_v():
    m = Metric("perplexity", from_logits=True)
    m.update(np.zeros((3, 5, V), np.float32), np.zeros((3, 5), int))
    assert m.result() == pytest.approx(V, rel=1e-12)
    p = Metric("perplexity")
    p.update(np.full((2, V), 1.0 / V), np.arange(2))
    assert p.result() == pytest.approx(V, rel=1e-12)
    assert math.isnan(Metric("perplexity").result())  # nothing seen yet


def test_token_nll_takes_one_hot_labels_and_large_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [3.0, 1.0, 0.5]])
    got = token_nll(z, np.eye(3)[[1, 0]], from_logits=True)
    lse = np.log(np.exp(z[1] - 3).sum()) + 3
    np.testing.assert_allclose(got, [1000.0, lse - 3.0], rtol=1e-12)


def test_bad_labels_are_explained():
    m = Metric("perplexity", from_logits=True)
    with pytest.raises(ValueError, match=r"labels of shape \(3, 5\)"):
        m.update(np.zeros((3, 5, V)), np.zeros((3, 4), int))
    with pytest.raises(ValueError, match=r"labels in \[0, 5\]"):
        m.update(np.zeros((3, 5, V)), np.full((3, 5), V))
    with pytest.raises(TypeError, match="from_logits"):
        Metric("perplexity", from_logits="yes")
