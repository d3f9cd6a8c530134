"""Bad inputs at the public entry points give a clear TypeError/ValueError (or RuntimeError for
a wrong call order) whose message names what was expected: a shape, a range or the valid names.

Each case: an id, a function that must raise, the exception type, and a regex that the
message must match (the expected shape or range, and where useful what came instead).
"""

import numpy as np
import pytest

from rnnlesson import gradcheck, losses, optimizers
from rnnlesson.layers import GRU, LSTM, Dense, Dropout, Embedding, Flatten, SimpleRNN
from rnnlesson.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from rnnlesson.optimizers import SGD, Adam, RMSprop, clip_by_global_norm


def ran(layer, x, **kw):
    """Run ``layer`` forward once and return it (for cases about a second call or backward)."""
    layer.forward(x, **kw)
    return layer


X3 = np.ones((2, 3, 5))
P01 = np.full((4, 1), 0.5)
PROBS = np.full((4, 3), 1 / 3)

CASES = [
    # ------------------------------------------------------------ recurrent layers
    ("simplernn-2d-input-design-example",
     lambda: SimpleRNN(32)(np.ones((32, 8))), ValueError,
     r"expects input of shape \(N, T, D\); got \(32, 8\)\..*return_sequences=True"),
    ("lstm-empty-sequence",
     lambda: LSTM(4)(np.ones((2, 0, 3))), ValueError,
     r"non-empty input of shape \(N, T, D\).*\(2, 0, 3\)"),
    ("gru-zero-units", lambda: GRU(0), ValueError, r"units to be a positive integer; got 0"),
    ("lstm-return-sequences-not-bool",
     lambda: LSTM(4, return_sequences="yes"), TypeError, r"return_sequences to be True or False"),
    ("simplernn-unknown-activation",
     lambda: SimpleRNN(4, activation="softsign"), ValueError, r"activation to be one of .*'tanh'"),
    ("lstm-initial-state-needs-h-and-c",
     lambda: LSTM(4).forward(X3, initial_state=[np.zeros((2, 4))]), ValueError,
     r"list of 2 array\(s\) \[h, c\] of shape \(N, H\) = \(2, 4\); got 1"),
    ("simplernn-initial-state-wrong-batch",
     lambda: SimpleRNN(4).forward(X3, initial_state=[np.zeros((3, 4))]), ValueError,
     r"shape \(N, H\) = \(2, 4\); got \(3, 4\)"),
    ("simplernn-backward-wrong-shape",
     lambda: ran(SimpleRNN(4), X3).backward(np.ones((2, 3, 4))), ValueError,
     r"shape of the forward output \(2, 4\); got \(2, 3, 4\)"),
    ("gru-input-width-changed",
     lambda: ran(GRU(4), X3)(np.ones((2, 3, 6))), ValueError,
     r"built for inputs with D=5 .*got input of shape \(2, 3, 6\)"),
    ("lstm-stateful-batch-changed",
     lambda: ran(LSTM(4, stateful=True), X3)(np.ones((3, 3, 5))), ValueError,
     r"batch of 2; got a batch of 3.*reset_states\(\)"),
    ("lstm-nan-input",
     lambda: LSTM(4)(np.full((2, 3, 5), np.nan)), ValueError, r"30 NaN .*expected finite numbers"),
    ("gru-integer-dtype", lambda: GRU(4, dtype="int32"), TypeError,
     r"dtype='float32' or 'float64'; got 'int32'"),
    ("simplernn-text-input",
     lambda: SimpleRNN(4)(np.array([["a", "b"]])), TypeError, r"numeric array.*Vocabulary"),
    ("lstm-return-state-backward-needs-list",
     lambda: ran(LSTM(4, return_state=True), X3).backward([np.ones((2, 4))]), ValueError,
     r"list of 3 gradients \[doutput, dh, dc\].*got list of length 1"),
    ("simplernn-backward-before-forward",
     lambda: SimpleRNN(4).backward(np.ones((2, 4))), RuntimeError,
     r"backward\(\) called before forward\(\)"),
    # ------------------------------------------------------------ Dense
    ("dense-1d-input", lambda: Dense(3)(np.ones(5)), ValueError,
     r"shape \(N, D\) or \(N, T, D\); got \(5,\)\..*reshape\(1, -1\)"),
    ("dense-width-changed", lambda: ran(Dense(3), np.ones((2, 5)))(np.ones((2, 4))), ValueError,
     r"built for inputs with D=5 .*got input of shape \(2, 4\)"),
    ("dense-units-float", lambda: Dense(2.5), TypeError,
     r"units to be a positive integer; got 2.5"),
    ("dense-unknown-activation", lambda: Dense(3, activation="gelu"), ValueError,
     r"activation to be one of 'linear', 'tanh', 'sigmoid', 'relu', 'softmax' or None; got 'gelu'"),
    ("dense-backward-wrong-shape",
     lambda: ran(Dense(3), np.ones((2, 5))).backward(np.ones((2, 4))), ValueError,
     r"shape of the forward output \(2, 3\); got \(2, 4\)"),
    ("dense-inf-input", lambda: Dense(3)(np.array([[1.0, np.inf]])), ValueError,
     r"1 inf values; expected finite numbers"),
    # ------------------------------------------------------------ Embedding
    ("embedding-id-too-large", lambda: Embedding(10, 4)(np.array([[1, 2, 10]])), ValueError,
     r"ids must be in \[0, 9\]; got 10"),
    ("embedding-negative-id", lambda: Embedding(10, 4)(np.array([[3, -1]])), ValueError,
     r"ids must be in \[0, 9\]; got -1"),
    ("embedding-non-integer-floats", lambda: Embedding(10, 4)(np.array([[0.5, 1.0]])), ValueError,
     r"integer token ids; got floats that are not whole numbers \(e.g. 0.5\)"),
    ("embedding-one-hot-input", lambda: Embedding(10, 4)(np.ones((2, 3, 10), dtype=int)),
     ValueError, r"ids of shape \(N, T\); got \(2, 3, 10\)\. .*not one-hot"),
    ("embedding-string-input", lambda: Embedding(10, 4)(np.array([["the", "cat"]])), TypeError,
     r"integer token ids of shape \(N, T\); got an array of dtype <U3"),
    ("embedding-zero-vocabulary", lambda: Embedding(0, 4), ValueError,
     r"input_dim to be a positive integer; got 0"),
    ("embedding-backward-wrong-shape",
     lambda: ran(Embedding(10, 4), np.ones((2, 3), dtype=int)).backward(np.ones((2, 3, 5))),
     ValueError, r"shape of the forward output \(2, 3, 4\); got \(2, 3, 5\)"),
    # ------------------------------------------------------------ Flatten, Dropout
    ("flatten-scalar", lambda: Flatten()(np.float64(3.0)), ValueError,
     r"batch axis, e\.g\. \(N, T, H\)"),
    ("dropout-rate-one", lambda: Dropout(1.0), ValueError, r"rate in \[0.0, 1.0\); got 1.0"),
    ("dropout-negative-rate", lambda: Dropout(-0.1), ValueError, r"rate in \[0.0, 1.0\); got -0.1"),
    ("dropout-training-not-bool", lambda: Dropout(0.5)(np.ones((2, 2)), training="yes"),
     TypeError, r"training to be True or False; got 'yes'"),
    # ------------------------------------------------------------ losses
    ("bce-logits-given-as-probabilities",
     lambda: BinaryCrossentropy().forward(np.array([[2.5], [-1.0]]), np.array([1, 0])),
     ValueError, r"probabilities in \[0, 1\].*\[-1, 2.5\].*from_logits=True"),
    ("bce-labels-out-of-range",
     lambda: BinaryCrossentropy().forward(P01, np.array([0, 1, 2, 1])), ValueError,
     r"labels y_true in \[0, 1\]; got values in \[0, 2\]"),
    ("bce-shape-mismatch", lambda: BinaryCrossentropy().forward(P01, np.ones((4, 2))), ValueError,
     r"to match y_pred \(4, 1\); got y_true \(4, 2\)"),
    ("sparse-class-id-too-large",
     lambda: SparseCategoricalCrossentropy().forward(PROBS, np.array([0, 1, 3, 2])), ValueError,
     r"class ids in \[0, 2\] for y_pred with C=3 classes; got 3"),
    ("sparse-given-one-hot",
     lambda: SparseCategoricalCrossentropy().forward(PROBS, np.eye(3)[[0, 1, 2, 0]]), ValueError,
     r"class ids y_true of shape \(4,\); got \(4, 3\).*CategoricalCrossentropy"),
    ("sparse-1d-predictions",
     lambda: SparseCategoricalCrossentropy().forward(np.ones(4), np.zeros(4)), ValueError,
     r"y_pred of shape \(N, C\) or \(N, T, C\); got \(4,\)"),
    ("categorical-given-integer-labels",
     lambda: CategoricalCrossentropy().forward(PROBS, np.array([0, 1, 2, 0])), ValueError,
     r"one-hot y_true of the shape of y_pred \(4, 3\); got \(4,\).*SparseCategoricalCrossentropy"),
    ("categorical-negative-probabilities",
     lambda: CategoricalCrossentropy().forward(PROBS - 0.5, np.eye(3)[[0, 1, 2, 0]]), ValueError,
     r"probabilities in \[0, 1\].*from_logits=True"),
    ("mse-nan-prediction", lambda: MeanSquaredError().forward(np.array([[np.nan]]), [1.0]),
     ValueError, r"y_pred containing 1 NaN"),
    ("mse-nan-target", lambda: MeanSquaredError().forward(np.array([[1.0]]), [np.nan]),
     ValueError, r"y_true containing 1 NaN"),
    ("mse-shape-mismatch",
     lambda: MeanSquaredError().forward(np.ones((4, 3, 1)), np.ones((4, 1))), ValueError,
     r"to match y_pred \(4, 3, 1\); got y_true \(4, 1\)"),
    ("loss-unknown-name", lambda: losses.get("crossentropy"), ValueError,
     r"unknown loss 'crossentropy'; known names: binary_crossentropy, categorical_crossentropy"),
    ("loss-from-logits-not-bool", lambda: BinaryCrossentropy(from_logits="no"), TypeError,
     r"from_logits to be True or False"),
    ("loss-backward-before-forward", lambda: BinaryCrossentropy().backward(), RuntimeError,
     r"backward\(\) called before forward\(\)"),
    # ------------------------------------------------------------ optimizers
    ("optimizer-negative-learning-rate", lambda: Adam(learning_rate=-0.01), ValueError,
     r"learning_rate in \(0, inf\); got -0.01"),
    ("optimizer-learning-rate-set-to-zero",
     lambda: setattr(SGD(), "learning_rate", 0), ValueError, r"learning_rate in \(0, inf\); got 0"),
    ("sgd-momentum-one", lambda: SGD(momentum=1.0), ValueError,
     r"momentum in \[0.0, 1.0\); got 1.0"),
    ("rmsprop-rho-above-one", lambda: RMSprop(rho=1.5), ValueError,
     r"rho in \[0.0, 1.0\); got 1.5"),
    ("adam-beta-2-one", lambda: Adam(beta_2=1.0), ValueError, r"beta_2 in \[0.0, 1.0\); got 1.0"),
    ("adam-zero-epsilon", lambda: Adam(epsilon=0), ValueError, r"epsilon in \(0, inf\); got 0"),
    ("optimizer-negative-clipnorm", lambda: SGD(clipnorm=-1), ValueError,
     r"clipnorm in \(0, inf\); got -1"),
    ("optimizer-both-clipnorms", lambda: SGD(clipnorm=1, global_clipnorm=1), ValueError,
     r"clipnorm or global_clipnorm"),
    ("optimizer-list-lengths-differ",
     lambda: SGD().apply([np.ones(2), np.ones(3)], [np.ones(2)]), ValueError,
     r"as many gradients as parameters; got 2 parameters and 1 gradients"),
    ("optimizer-gradient-shape",
     lambda: SGD().apply([np.ones((2, 3))], [np.ones((3, 2))]), ValueError,
     r"gradient 0 has shape \(3, 2\) but its parameter has shape \(2, 3\)"),
    ("optimizer-single-array-not-list", lambda: SGD().apply(np.ones(2), [np.ones(2)]), TypeError,
     r"list of parameter arrays; got ndarray.*apply\(\[w\], \[dw\]\)"),
    ("optimizer-nan-gradient", lambda: Adam().apply([np.ones(2)], [np.array([np.nan, 1.0])]),
     ValueError, r"gradient 0 \(shape \(2,\)\) containing 1 NaN"),
    ("optimizer-unknown-name", lambda: optimizers.get("adagrad"), ValueError,
     r"unknown optimizer 'adagrad'; known names: sgd, rmsprop, adam"),
    ("optimizer-number-instead-of-object", lambda: optimizers.get(0.01), TypeError,
     r"Adam\(learning_rate=0.01\)"),
    ("clip-non-positive-max-norm", lambda: clip_by_global_norm([np.ones(2)], 0), ValueError,
     r"max_norm in \(0, inf\); got 0"),
    ("clip-gradients-not-a-list", lambda: clip_by_global_norm(np.ones(3), 1.0), TypeError,
     r"list of gradient arrays; got ndarray"),
    ("optimizer-integer-parameter", lambda: SGD().apply([np.ones(2, int)], [np.ones(2)]),
     TypeError, r"float numpy arrays as parameters.*item 0 is dtype int64"),
    # ------------------------------------------------------------ gradcheck
    ("gradcheck-float32-layer",
     lambda: gradcheck.check_layer_gradients(Dense(2), np.ones((2, 3))), TypeError,
     r"needs float64 layers.*dtype float32.*dtype=.float64."),
    ("gradcheck-rel-error-shapes", lambda: gradcheck.rel_error(np.ones(2), np.ones((2, 1))),
     ValueError, r"same shape; got \(2,\) and \(2, 1\)"),
]


@pytest.mark.parametrize("make, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_clear_error(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_case_ids_are_distinct_and_plenty():
    ids = [c[0] for c in CASES]
    assert len(set(ids)) == len(ids)
    assert len(ids) >= 25


def test_bad_calls_leave_layers_usable(rng):
    # after a rejected call, a layer still works on good data and keeps its weights
    layer = Dense(3, seed=0)
    x = rng.normal(size=(2, 5))
    y = layer(x)
    w = layer.get_weights()
    with pytest.raises(ValueError):
        layer(np.ones((2, 4)))
    np.testing.assert_array_equal(layer(x), y)
    for a, b in zip(w, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_rejected_optimizer_step_changes_nothing():
    w = np.ones(3)
    opt = Adam()
    with pytest.raises(ValueError):
        opt.apply([w, np.ones(2)], [np.ones(3), np.array([np.nan, 0.0])])
    assert w.tolist() == [1.0, 1.0, 1.0] and opt.iterations == 0
