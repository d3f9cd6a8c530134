"""The exercises of lesson 07 (sequence tasks): right answers and typical mistakes for every
checker (run through the common tests in test_exercises_harness.py), and the checkers'
references against the package (Bidirectional, a masked SimpleRNN, the masked loss)."""

import numpy as np
from exercise_table import Exercise, Mistake

from rnnlesson import exercises as ex
from rnnlesson import layers as L
from rnnlesson import losses
from rnnlesson.models.training import masked_loss


# ---------------------------------------------------------------- rows as a sequence
def rows_ok(flat, height, width):
    return np.asarray(flat).reshape(-1, height, width)


def rows_as_columns(flat, height, width):
    return np.asarray(flat).reshape(-1, height, width).transpose(0, 2, 1)


def rows_wrong_reshape(flat, height, width):
    return np.asarray(flat).reshape(-1, width, height).transpose(0, 2, 1)


def rows_wrong_length(flat, height, width):
    return np.asarray(flat).reshape(-1, width, height)


def rows_bottom_first(flat, height, width):
    return rows_ok(flat, height, width)[:, ::-1]


def rows_no_batch(flat, height, width):
    return np.asarray(flat).reshape(-1, width)


# ---------------------------------------------------------------- bidirectional
def bi_ok(x, run_forward, run_backward):
    return np.concatenate([run_forward(x), run_backward(x[:, ::-1])[:, ::-1]], axis=-1)


def bi_not_reversed_back(x, run_forward, run_backward):
    return np.concatenate([run_forward(x), run_backward(x[:, ::-1])], axis=-1)


def bi_input_not_reversed(x, run_forward, run_backward):
    return np.concatenate([run_forward(x), run_backward(x)], axis=-1)


def bi_output_only_reversed(x, run_forward, run_backward):
    return np.concatenate([run_forward(x), run_backward(x)[:, ::-1]], axis=-1)


def bi_sum(x, run_forward, run_backward):
    return run_forward(x) + run_backward(x[:, ::-1])[:, ::-1]


# ---------------------------------------------------------------- masked step
def step_ok(x, h_prev, keep, Wx, Wh, b):
    h_new = np.tanh(x @ Wx + h_prev @ Wh + b)
    return np.where(np.asarray(keep)[:, None] != 0, h_new, h_prev)


def step_zeroed(x, h_prev, keep, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b) * np.asarray(keep)[:, None]


def step_no_mask(x, h_prev, keep, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def step_input_masked(x, h_prev, keep, Wx, Wh, b):
    return np.tanh((x * np.asarray(keep)[:, None]) @ Wx + h_prev @ Wh + b)


def step_inverted(x, h_prev, keep, Wx, Wh, b):
    return np.where(np.asarray(keep)[:, None] != 0, h_prev, np.tanh(x @ Wx + h_prev @ Wh + b))


def step_bool_only(x, h_prev, keep, Wx, Wh, b):
    """Right for a boolean mask; ``~`` on a 0.0/1.0 float mask raises TypeError."""
    keep = np.asarray(keep)
    return np.where(~keep[:, None], h_prev, np.tanh(x @ Wx + h_prev @ Wh + b))


# ---------------------------------------------------------------- masked loss
def nll(probs, targets):
    return -np.log(np.take_along_axis(probs, targets[..., None], axis=-1)[..., 0])


def loss_ok(probs, targets, mask):
    return float(nll(probs, targets)[mask].mean())


def loss_over_all_steps(probs, targets, mask):
    return float((nll(probs, targets) * mask).mean())


def loss_no_mask(probs, targets, mask):
    return float(nll(probs, targets).mean())


def loss_per_sequence(probs, targets, mask):
    per = (nll(probs, targets) * mask).sum(axis=1) / mask.sum(axis=1)
    return float(per.mean())


def loss_no_minus(probs, targets, mask):
    return -loss_ok(probs, targets, mask)


def loss_array(probs, targets, mask):
    return nll(probs, targets) * mask


EXERCISES = [
    Exercise(ex.check_rows_as_sequence, "rows_as_sequence", rows_ok, [
        Mistake(rows_as_columns, "columns as the time steps"),
        Mistake(rows_wrong_reshape, "last two axes swapped"),
        Mistake(rows_wrong_length, "cut"),
        Mistake(rows_bottom_first, "reverse order of rows"),
        Mistake(rows_no_batch, "expected (", numeric=False),
    ]),
    Exercise(ex.check_bidirectional_outputs, "bidirectional_outputs", bi_ok, [
        Mistake(bi_not_reversed_back, "not reversed back"),
        Mistake(bi_input_not_reversed, "read x forwards"),
        Mistake(bi_output_only_reversed, "reversed twice or not at all"),
        Mistake(bi_sum, "Concatenate on the last axis", numeric=False),
    ]),
    Exercise(ex.check_masked_rnn_step, "masked_rnn_step", step_ok, [
        Mistake(step_zeroed, "set to zero"),
        Mistake(step_no_mask, "mask is ignored"),
        Mistake(step_input_masked, "only the input was masked"),
        Mistake(step_inverted, "wrong way round"),
        Mistake(step_bool_only, "0/1 numbers", numeric=False),
    ]),
    Exercise(ex.check_masked_mean_crossentropy, "masked_mean_crossentropy", loss_ok, [
        Mistake(loss_over_all_steps, "padded steps count"),
        Mistake(loss_no_mask, "mask is ignored"),
        Mistake(loss_per_sequence, "per-sequence means"),
        Mistake(loss_no_minus, "minus sign"),
        Mistake(loss_array, "one number", numeric=False),
    ]),
]


# ---------------------------------------------------------------- references against the package
def test_bidirectional_reference_is_the_package_layer():
    """The checker's construction (reverse, run, reverse back, concat) is Bidirectional's."""
    rng = np.random.default_rng(0)
    layer = L.Bidirectional(L.SimpleRNN(3, return_sequences=True, dtype="float64", seed=1))
    x = rng.normal(size=(2, 5, 4))
    want = layer(x)
    fwd, bwd = layer.layers
    fresh = [L.SimpleRNN(3, return_sequences=True, dtype="float64") for _ in range(2)]
    for f, w in zip(fresh, (fwd, bwd), strict=True):
        f.build((None, None, 4))
        f.set_weights(w.get_weights())
    got = bi_ok(x, fresh[0], fresh[1])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_masked_step_reference_is_the_package_layer():
    """Step by step with the masked step gives the masked SimpleRNN's final state."""
    rng = np.random.default_rng(1)
    layer = L.SimpleRNN(4, dtype="float64", seed=2)
    x = rng.normal(size=(3, 6, 2))
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[1, :2] = False
    mask[2, 3] = False
    want = layer(x, mask=mask)
    Wx, Wh, b = layer.get_weights()
    h = np.zeros((3, 4))
    for t in range(6):
        h = step_ok(x[:, t], h, mask[:, t], Wx, Wh, b)
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=1e-12)


def test_masked_loss_reference_is_the_package_reduction():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 5, 4))
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    targets = rng.integers(0, 4, size=(3, 5))
    mask = np.arange(5)[None, :] < np.array([[5], [2], [3]])
    loss = losses.get("sparse_categorical_crossentropy")
    want, _ = masked_loss(loss, probs, targets, mask)
    assert abs(loss_ok(probs, targets, mask) - want) < 1e-9
