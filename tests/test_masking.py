"""Masks from layer to layer, as Keras 3 passes them: ``Embedding(mask_zero=True)`` and
``Masking`` make one, ``Sequential`` hands it on, the recurrent layers use it, and the loss
and metrics leave the masked steps out. Parity with Keras's numbers is in
test_keras_sequences.py; the recurrent layers' masked maths in test_recurrent_contract.py."""

import warnings

import numpy as np
import pytest
from layer_cases import GRAD_TOL

from rnnlesson import losses
from rnnlesson.gradcheck import check_layer_gradients, numerical_gradient
from rnnlesson.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Masking,
    SimpleRNN,
)
from rnnlesson.models import Sequential
from rnnlesson.models.metrics import Metric
from rnnlesson.models.training import masked_loss


def _ids(rng, n=6, t=7, v=9, padding="post"):
    """Token ids (N, T) padded with 0, lengths t, t-1, ... (at least 1)."""
    ids = rng.integers(1, v, size=(n, t))
    for i in range(n):
        length = max(1, t - i)
        if padding == "post":
            ids[i, length:] = 0
        else:
            ids[i, :t - length] = 0
    return ids


# ------------------------------------------------------------------ making masks
def test_embedding_mask_zero():
    ids = np.array([[3, 0, 2], [0, 0, 1]])
    emb = Embedding(4, 2, mask_zero=True, seed=0)
    out = emb(ids)
    np.testing.assert_array_equal(emb.compute_mask(ids), ids != 0)
    np.testing.assert_array_equal(out[0, 1], emb.params["embeddings"][0])  # vectors unchanged
    assert Embedding(4, 2).compute_mask(ids) is None
    assert emb.get_config()["mask_zero"] is True and emb.supports_masking


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]], [[5.0, 5.0], [5.0, 5.0], [1.0, 5.0]]])
    layer = Masking(dtype="float64")
    out = layer(x)
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True],
                                                          [True, True, True]])
    np.testing.assert_array_equal(out, x)
    five = Masking(mask_value=5.0, dtype="float64")
    out = five(x)
    np.testing.assert_array_equal(five.compute_mask(x), [[True, True, True],
                                                         [False, False, True]])
    np.testing.assert_array_equal(out[1, :2], 0.0)  # masked steps become zeros, as Keras
    dx = five.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx[1, :2], 0.0)
    np.testing.assert_array_equal(dx[0], 1.0)
    assert five.compute_mask(x.copy()).tolist() == five.compute_mask(x).tolist()
    assert Masking.from_config(five.get_config()).mask_value == 5.0
    with pytest.raises(ValueError, match=r"Masking expects input of shape \(N, T, D\); got "
                                         r"\(2, 3\)"):
        Masking()(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"mask_value to be a number"):
        Masking("x")


# ------------------------------------------------------------------ passing them on
def test_sequential_passes_the_mask_on():
    rng = np.random.default_rng(0)
    ids = _ids(rng)
    model = Sequential([Embedding(9, 4, mask_zero=True, seed=0),
                        LSTM(5, return_sequences=True, seed=1), Dropout(0.2),
                        Dense(3, seed=2)])
    model.forward(ids)
    np.testing.assert_array_equal(model.output_mask, ids != 0)
    last = Sequential([Embedding(9, 4, mask_zero=True, seed=0), GRU(3, seed=1), Dense(1)])
    last.forward(ids)
    assert last.output_mask is None  # consumed by the recurrent layer
    plain = Sequential([Embedding(9, 4, seed=0), LSTM(5, return_sequences=True), Dense(3)])
    plain.forward(ids)
    assert plain.output_mask is None


def test_a_layer_without_mask_support_drops_it_with_a_warning():
    ids = _ids(np.random.default_rng(1))
    model = Sequential([Embedding(9, 4, mask_zero=True), Flatten(), Dense(2)])
    with pytest.warns(UserWarning, match=r"'flatten.*' \(of type Flatten\) was passed an input "
                                         r"with a mask .*will not see the mask"):
        model.forward(ids)
    assert model.output_mask is None


def test_the_recurrent_layer_uses_the_mask_it_is_handed():
    rng = np.random.default_rng(2)
    ids = _ids(rng, padding="pre")
    emb = Embedding(9, 3, mask_zero=True, seed=0, dtype="float64")
    rnn = SimpleRNN(4, seed=1, dtype="float64")
    model = Sequential([emb, rnn])
    np.testing.assert_allclose(model.forward(ids), rnn(emb(ids), mask=ids != 0), rtol=1e-14)
    assert not np.allclose(model.forward(ids), rnn(emb(ids)))


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_padding_side_and_amount_do_not_change_predictions(cls):
    """What issue 19 asks of masking: without a mask the prediction depends on the padding;
    with one it does not."""
    rng = np.random.default_rng(3)
    sentences = [rng.integers(1, 9, size=n) for n in (5, 2, 7, 3)]

    def padded(t, side):
        ids = np.zeros((len(sentences), t), int)
        for i, s in enumerate(sentences):
            if side == "pre":
                ids[i, t - len(s):] = s
            else:
                ids[i, :len(s)] = s
        return ids

    for mask_zero in (True, False):
        model = Sequential([Embedding(9, 4, mask_zero=mask_zero, seed=0, dtype="float64"),
                            cls(5, seed=1, dtype="float64"), Dense(1, seed=2, dtype="float64")])
        preds = [model.predict(padded(t, side)) for t in (7, 10) for side in ("pre", "post")]
        spread = max(np.abs(p - preds[0]).max() for p in preds)
        if mask_zero:
            assert spread < 1e-12
        else:
            assert spread > 1e-3


def test_a_mask_reaches_bidirectional():
    rng = np.random.default_rng(4)
    ids = _ids(rng)
    model = Sequential([Embedding(9, 4, mask_zero=True, seed=0),
                        Bidirectional(LSTM(3, return_sequences=True, seed=1)), Dense(2, seed=2)])
    out = model.forward(ids)
    np.testing.assert_array_equal(model.output_mask, ids != 0)
    hidden = model.layers[1].forward(model.layers[0](ids), mask=ids != 0)
    assert not hidden[ids == 0].any()  # Bidirectional outputs zeros at masked steps
    assert out.shape == (6, 7, 2)


# ------------------------------------------------------------------ losses and metrics
LOSSES = [
    (losses.SparseCategoricalCrossentropy(from_logits=True), "ids"),
    (losses.SparseCategoricalCrossentropy(), "ids-probs"),
    (losses.CategoricalCrossentropy(from_logits=True), "onehot"),
    (losses.BinaryCrossentropy(), "binary"),
    (losses.MeanSquaredError(), "regression"),
]


def _batch(kind, rng, n=4, t=5, c=3):
    if kind in ("ids", "ids-probs", "onehot"):
        y_pred = rng.standard_normal((n, t, c))
        if kind == "ids-probs":
            y_pred = np.exp(y_pred) / np.exp(y_pred).sum(-1, keepdims=True)
        y = rng.integers(0, c, size=(n, t))
        if kind == "onehot":
            y = np.eye(c)[y]
        return y_pred, y
    if kind == "binary":
        return rng.uniform(0.05, 0.95, size=(n, t, 1)), rng.integers(0, 2, size=(n, t))
    return rng.standard_normal((n, t, 2)), rng.standard_normal((n, t, 2))


@pytest.mark.parametrize("loss, kind", LOSSES, ids=[k for _, k in LOSSES])
def test_masked_loss_is_the_mean_over_the_kept_steps(loss, kind):
    rng = np.random.default_rng(5)
    y_pred, y = _batch(kind, rng)
    keep = rng.random(y_pred.shape[:2]) > 0.4
    value, backward = masked_loss(loss, y_pred, y, keep)
    grad = backward()
    per_step = []  # Keras's rule: the per-step losses weighted by the mask, over kept steps
    for i, j in zip(*np.nonzero(keep), strict=True):
        per_step.append(float(loss.forward(y_pred[i:i + 1, j], y[i:i + 1, j])))
    np.testing.assert_allclose(value, np.mean(per_step), rtol=1e-12)
    assert not grad[~keep].any()
    num = numerical_gradient(lambda: masked_loss(loss, y_pred, y, keep)[0], y_pred)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)
    value0, backward0 = masked_loss(loss, y_pred, y, np.zeros(keep.shape, bool))
    assert value0 == 0.0 and not backward0().any()  # Keras's divide_no_nan


def test_masked_loss_needs_per_step_targets():
    y_pred = np.zeros((3, 4, 2))
    with pytest.raises(ValueError, match=r"carries a sequence mask \(3, 4\), so the loss needs "
                                         r"targets with one entry per time step.*got y of shape "
                                         r"\(3,\)"):
        masked_loss(losses.MeanSquaredError(), y_pred, np.zeros(3), np.ones((3, 4), bool))


def test_metrics_count_only_the_kept_steps():
    y_pred = np.array([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]])
    y = np.array([[0, 0, 1]])
    keep = np.array([[True, True, False]])
    m = Metric("accuracy")
    m.update(y_pred, y, mask=keep)
    m.update(y_pred, y, mask=np.zeros((1, 3), bool))  # nothing kept: nothing counted
    assert m.result() == 0.5 and m.count == 2
    m.update(y_pred, y)
    assert m.count == 5


def test_masked_many_to_many_training():
    """A tagger on padded sentences: fit, evaluate and the metric use only real tokens."""
    rng = np.random.default_rng(6)
    ids = _ids(rng, n=40, t=8)
    tags = (ids % 3) * (ids != 0)
    model = Sequential([Embedding(9, 8, mask_zero=True, seed=0),
                        GRU(16, return_sequences=True, seed=1), Dense(3, seed=2)])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(ids, tags, epochs=3, batch_size=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(ids, tags, batch_size=40, return_dict=True)
    pred = model.predict(ids).argmax(-1)
    keep = ids != 0
    np.testing.assert_allclose(logs["accuracy"], (pred == tags)[keep].mean(), rtol=1e-12)
    scores = model.predict(ids)
    logp = scores - np.log(np.exp(scores.astype(float)).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, tags[..., None], -1)[..., 0]
    np.testing.assert_allclose(logs["loss"], nll[keep].mean(), rtol=1e-5)


def test_gradients_of_a_masked_model():
    rng = np.random.default_rng(7)
    ids = _ids(rng, n=4, t=5, padding="pre")
    ids[1, 2] = 0  # a hole inside a sequence too
    model = Sequential([Embedding(9, 3, mask_zero=True, seed=0, dtype="float64"),
                        LSTM(4, return_sequences=True, seed=1, dtype="float64"),
                        Bidirectional(GRU(3, seed=2, dtype="float64")),
                        Dense(2, seed=3, dtype="float64")])
    model.build((None, 5))
    model.set_weights([0.5 * rng.standard_normal(w.shape) for w in model.get_weights()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no layer drops the mask
        errors = check_layer_gradients(model, ids, verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors
    assert not model.layers[0].grads["embeddings"][0].any()  # padding id: no gradient
