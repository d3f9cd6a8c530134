"""Losses: values against hand computations, baselines and Keras; gradients; validation."""

import math
import os

import numpy as np
import pytest

from rnnlesson import losses
from rnnlesson.gradcheck import check_function_gradient
from rnnlesson.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def grad_error(loss, y_pred, y_true):
    """Relative error of loss.backward() against numerical derivatives of loss.forward
    (the default estimate of rnnlesson.gradcheck: Richardson-extrapolated differences)."""
    def fwd(p):
        return np.array(loss.forward(p, y_true))

    def bwd(d):
        return d * loss.backward()

    return check_function_gradient(fwd, bwd, y_pred, verbose=False)["x"]


# ---------------------------------------------------------------- baselines and hand values
def test_binary_ce_of_one_half_is_ln2():
    p = np.full((8, 1), 0.5)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    assert BinaryCrossentropy().forward(p, y) == pytest.approx(math.log(2), rel=1e-12)
    assert BinaryCrossentropy(from_logits=True).forward(np.zeros((8, 1)), y) == pytest.approx(
        math.log(2), rel=1e-12)


@pytest.mark.parametrize("c", [2, 10, 37])
def test_uniform_prediction_gives_ln_c(c, rng):
    labels = rng.integers(0, c, size=(6, 4))
    uniform = np.full((6, 4, c), 1.0 / c)
    assert SparseCategoricalCrossentropy().forward(uniform, labels) == pytest.approx(math.log(c))
    logits = np.full((6, 4, c), 3.7)  # any constant logits give the uniform distribution
    assert SparseCategoricalCrossentropy(from_logits=True).forward(logits, labels) == \
        pytest.approx(math.log(c))
    onehot = np.eye(c)[labels]
    assert CategoricalCrossentropy().forward(uniform, onehot) == pytest.approx(math.log(c))


def test_binary_ce_hand_values():
    p = np.array([[0.9], [0.2], [0.6]])
    y = np.array([[1], [0], [0]])
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3
    assert BinaryCrossentropy().forward(p, y) == pytest.approx(expected, rel=1e-12)
    z = np.log(p / (1 - p))  # the logits of the same probabilities
    assert BinaryCrossentropy(from_logits=True).forward(z, y) == pytest.approx(expected, rel=1e-12)


def test_categorical_hand_values_and_mean_over_time():
    p = np.array([[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]],
                  [[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]]])  # (N=2, T=2, C=3)
    labels = np.array([[0, 2], [1, 0]])
    expected = -(math.log(0.7) + math.log(0.8) + math.log(0.3) + math.log(0.5)) / 4
    assert SparseCategoricalCrossentropy().forward(p, labels) == pytest.approx(expected)
    assert CategoricalCrossentropy().forward(p, np.eye(3)[labels]) == pytest.approx(expected)
    logits = np.log(p) + 2.0
    assert SparseCategoricalCrossentropy(from_logits=True).forward(logits, labels) == \
        pytest.approx(expected)


def test_mse_hand_value():
    p = np.array([[1.0], [2.0], [4.0]])
    loss = MeanSquaredError()
    assert loss.forward(p, np.array([0.0, 2.0, 1.0])) == pytest.approx((1 + 0 + 9) / 3)
    np.testing.assert_allclose(loss.backward(), [[2 / 3], [0], [2.0]])  # 2 (p - y) / 3


def test_clipping_caps_a_confident_wrong_answer():
    p = np.array([[0.0], [1.0]])
    y = np.array([[1], [0]])
    loss = BinaryCrossentropy()
    assert loss.forward(p, y) == pytest.approx(-math.log(1e-7), rel=1e-6)  # ~16.1, finite
    assert not loss.backward().any()  # gradient 0 where the clip acts, as Keras


def test_logits_are_stable_for_huge_scores():
    z = np.array([[1000.0], [-1000.0]])
    y = np.array([[0], [1]])
    loss = BinaryCrossentropy(from_logits=True)
    assert loss.forward(z, y) == pytest.approx(1000.0)
    np.testing.assert_allclose(loss.backward(), [[0.5], [-0.5]])
    s = SparseCategoricalCrossentropy(from_logits=True)
    assert s.forward(np.array([[1000.0, -1000.0, 0.0]]), np.array([1])) == pytest.approx(2000.0)
    assert np.isfinite(s.backward()).all()


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_gradients(rng, from_logits):
    y = rng.integers(0, 2, size=(5, 1)).astype(float)
    y[0] = 0.3  # a soft label
    pred = rng.normal(size=(5, 1)) if from_logits else rng.uniform(0.05, 0.95, size=(5, 1))
    assert grad_error(BinaryCrossentropy(from_logits=from_logits), pred, y) < 1e-7
    # sequence outputs (N, T, 1), labels (N, T, 1)
    y3 = rng.integers(0, 2, size=(3, 4, 1))
    p3 = rng.normal(size=(3, 4, 1)) if from_logits else rng.uniform(0.05, 0.95, size=(3, 4, 1))
    assert grad_error(BinaryCrossentropy(from_logits=from_logits), p3, y3) < 1e-7


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (3, 6, 4)])
def test_categorical_gradients(rng, from_logits, shape):
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    onehot = np.eye(shape[-1])[labels]
    z = rng.normal(size=shape)
    # probabilities that do not sum to 1 exercise Keras's renormalisation; none tiny, since
    # the finite-difference truncation error of ln p grows like (eps / p)**2
    pred = z if from_logits else softmax(0.5 * z) * rng.uniform(0.5, 1.5, size=shape[:-1] + (1,))
    assert grad_error(SparseCategoricalCrossentropy(from_logits=from_logits), pred, labels) < 1e-7
    assert grad_error(CategoricalCrossentropy(from_logits=from_logits), pred, onehot) < 1e-7
    soft = 0.8 * onehot + 0.2 / shape[-1]  # soft targets (label smoothing 0.2)
    assert grad_error(CategoricalCrossentropy(from_logits=from_logits), pred, soft) < 1e-7


def test_mse_gradient(rng):
    assert grad_error(MeanSquaredError(), rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))) \
        < 1e-7


@pytest.mark.parametrize("loss, pred, true", [
    (BinaryCrossentropy(), np.full((4, 1), 0.3, np.float32), np.ones(4)),
    (BinaryCrossentropy(from_logits=True), np.zeros((4, 1), np.float32), np.ones(4)),
    (SparseCategoricalCrossentropy(), np.full((4, 3), 1 / 3, np.float32), np.zeros(4, int)),
    (CategoricalCrossentropy(from_logits=True), np.zeros((4, 3), np.float32),
     np.eye(3)[[0, 1, 2, 0]]),
    (MeanSquaredError(), np.zeros((4, 1), np.float32), np.ones(4)),
])
def test_backward_shape_and_dtype_follow_y_pred(loss, pred, true):
    pred0 = pred.copy()
    loss.forward(pred, true)
    d = loss.backward()
    assert d.shape == pred.shape and d.dtype == np.float32
    assert np.array_equal(pred, pred0)


def test_sparse_labels_with_trailing_axis_and_float_ids(rng):
    p = softmax(rng.normal(size=(5, 3)))
    labels = np.array([0, 2, 1, 1, 0])
    ref = SparseCategoricalCrossentropy().forward(p, labels)
    assert SparseCategoricalCrossentropy().forward(p, labels[:, None]) == ref
    assert SparseCategoricalCrossentropy().forward(p, labels.astype(float)) == ref


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        MeanSquaredError().backward()


# ---------------------------------------------------------------- get and config
@pytest.mark.parametrize("name, cls", [
    ("binary_crossentropy", BinaryCrossentropy),
    ("categorical_crossentropy", CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", SparseCategoricalCrossentropy),
    ("mse", MeanSquaredError),
    ("mean_squared_error", MeanSquaredError),
    ("BinaryCrossentropy", BinaryCrossentropy),
])
def test_get_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_object_and_config_roundtrip():
    obj = BinaryCrossentropy(from_logits=True)
    assert losses.get(obj) is obj
    again = losses.get(obj.get_config())
    assert type(again) is BinaryCrossentropy and again.from_logits is True
    assert losses.get(MeanSquaredError().get_config()).name == "mean_squared_error"
    assert obj.get_config() == {"name": "binary_crossentropy", "from_logits": True}


def test_get_unknown_lists_names():
    with pytest.raises(ValueError, match="known names: binary_crossentropy, "):
        losses.get("cross_entropy")
    with pytest.raises(TypeError, match="loss name"):
        losses.get(3)


# ---------------------------------------------------------------- Keras parity
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _keras_value(keras_loss, y_true, y_pred):
    return float(np.asarray(keras_loss(y_true, y_pred)))


@pytest.mark.parametrize("from_logits", [False, True])
def test_losses_equal_keras(keras, rng, from_logits):
    n, t, c = 6, 5, 4
    # binary, (N, 1) predictions with (N,) labels, one of them clipped
    yb = rng.integers(0, 2, size=n).astype("float32")
    if from_logits:
        pb = rng.normal(size=(n, 1)).astype("float32") * 3
    else:
        pb = rng.uniform(0.01, 0.99, size=(n, 1)).astype("float32")
        pb[0, 0] = 0.0
    ours = BinaryCrossentropy(from_logits=from_logits).forward(pb, yb)
    theirs = _keras_value(keras.losses.BinaryCrossentropy(from_logits=from_logits), yb, pb)
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)
    # sparse and categorical on sequences (N, T, C)
    labels = rng.integers(0, c, size=(n, t))
    z = rng.normal(size=(n, t, c)).astype("float32") * 2
    pc = z if from_logits else (softmax(z) * 1.3).astype("float32")  # Keras renormalises too
    ours = SparseCategoricalCrossentropy(from_logits=from_logits).forward(pc, labels)
    theirs = _keras_value(keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
                          labels, pc)
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)
    onehot = np.eye(c, dtype="float32")[labels]
    ours = CategoricalCrossentropy(from_logits=from_logits).forward(pc, onehot)
    theirs = _keras_value(keras.losses.CategoricalCrossentropy(from_logits=from_logits),
                          onehot, pc)
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)


def test_mse_equals_keras(keras, rng):
    p = rng.normal(size=(7, 1)).astype("float32")
    y = rng.normal(size=7).astype("float32")
    theirs = _keras_value(keras.losses.MeanSquaredError(), y, p)
    assert MeanSquaredError().forward(p, y) == pytest.approx(theirs, rel=1e-6)
    p3 = rng.normal(size=(3, 4, 2)).astype("float32")
    y3 = rng.normal(size=(3, 4, 2)).astype("float32")
    theirs = _keras_value(keras.losses.MeanSquaredError(), y3, p3)
    assert MeanSquaredError().forward(p3, y3) == pytest.approx(theirs, rel=1e-6)
