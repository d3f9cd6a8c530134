"""The fast paths of a language model's training step give the numbers of the plain ones.

Embedding's scatter-add (bincount or sort + reduceat), Adam's in-place update, the
chunked float64 gradient norm, and the training step's skipping of checks that it does
itself.
"""

import math

import numpy as np
import pytest

from rnnlesson import _checks
from rnnlesson.layers import LSTM, Dense, Embedding
from rnnlesson.losses import SparseCategoricalCrossentropy
from rnnlesson.models import Sequential
from rnnlesson.models.training import train_step
from rnnlesson.optimizers import Adam, _sum_of_squares, global_norm


@pytest.mark.parametrize("V, N, T", [(7, 6, 9), (500, 3, 4), (10000, 20, 35)])
def test_embedding_gradient_is_the_float64_scatter_add(V, N, T):
    """Both ways (more lookups than ids: bincount; fewer: sort and reduceat) sum each
    row's terms in float64 in their order, so they equal np.add.at in float64 exactly."""
    rng = np.random.default_rng(V)
    p = 1.0 / np.arange(1, V + 1)
    ids = rng.choice(V, size=(N, T), p=p / p.sum())   # repeated ids, as in text
    layer = Embedding(V, 5, seed=0)
    layer.forward(ids)
    dy = rng.normal(size=(N, T, 5)).astype(np.float32)
    layer.backward(dy)
    want = np.zeros((V, 5))
    np.add.at(want, ids.ravel(), dy.reshape(-1, 5).astype(np.float64))
    np.testing.assert_array_equal(layer.grads["embeddings"], want.astype(np.float32))
    layer.forward(ids[:1, :2])                          # a later, smaller batch: no leftovers
    layer.backward(dy[:1, :2])
    want = np.zeros((V, 5), np.float32)
    np.add.at(want, ids[0, :2], dy[0, :2])
    np.testing.assert_allclose(layer.grads["embeddings"], want, rtol=1e-7)


@pytest.mark.parametrize("shape", [(30, 20), (300, 700)])   # whole, and in pieces
def test_adam_in_place_gives_the_textbook_numbers_bit_for_bit(shape):
    rng = np.random.default_rng(0)
    p = rng.normal(size=shape).astype(np.float32)
    q = p.copy()
    opt = Adam(learning_rate=0.01, global_clipnorm=1.0)
    m, v = np.zeros_like(q), np.zeros_like(q)
    for t in range(1, 6):
        g = (3 * rng.normal(size=p.shape)).astype(np.float32)
        opt.apply([p], [g])
        norm = math.sqrt(float(np.sum(g.astype(np.float64) ** 2)))
        gc = g * np.float32(1.0 / norm) if norm > 1.0 else g
        alpha = 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        m += (1 - 0.9) * (gc - m)
        v += (1 - 0.999) * (gc * gc - v)
        q -= (alpha * m) / (np.sqrt(v) + 1e-7)
    np.testing.assert_array_equal(p, q)


def test_the_chunked_norm_is_the_float64_norm():
    g = np.random.default_rng(1).normal(size=300_001).astype(np.float32)
    want = float(np.sum(g.astype(np.float64) ** 2))
    assert _sum_of_squares(g) == pytest.approx(want, rel=1e-13)
    assert global_norm([g, g[:5]]) == pytest.approx(math.sqrt(want + float(
        np.sum(g[:5].astype(np.float64) ** 2))), rel=1e-13)


def test_checks_skipped_only_inside_the_block():
    bad = np.array([1.0, np.nan])
    with _checks.checked_elsewhere():
        _checks.check_finite(bad, "x")                 # skipped
        with pytest.raises(RuntimeError):
            with _checks.checked_elsewhere():
                raise RuntimeError("leaves the inner block")
        _checks.check_finite(bad, "x")                 # still skipped in the outer one
    with pytest.raises(ValueError, match="1 NaN"):
        _checks.check_finite(bad, "x")


def _lm(seed=0):
    model = Sequential([Embedding(11, 4, seed=seed), LSTM(6, return_sequences=True, seed=seed),
                        Dense(11, seed=seed)])
    model.compile(optimizer=Adam(global_clipnorm=1.0),
                  loss=SparseCategoricalCrossentropy(from_logits=True))
    model.build((None, 3))
    return model


def test_the_step_still_refuses_a_bad_batch_and_reports_divergence():
    model = _lm()
    x = np.zeros((2, 3), int)
    with pytest.raises(ValueError, match="NaN"):
        train_step(model, x, np.array([[0.0, np.nan, 1.0], [1, 1, 1]]))
    model.layers[2].params["kernel"][0, 0] = np.inf   # a weight gone bad: an inf output
    res = train_step(model, x, np.zeros((2, 3), int))
    assert not res.ok and "became NaN or inf" in res.problem
    with pytest.raises(ValueError, match="inf"):
        model.layers[2].backward(np.full((2, 3, 11), np.inf, np.float32))  # outside: checked
