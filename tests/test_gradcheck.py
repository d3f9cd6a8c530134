"""Tests of rnnlesson.gradcheck: the checker must pass correct code and catch wrong code."""

import numpy as np
import pytest

from rnnlesson import gradcheck
from rnnlesson.gradcheck import (
    check_function_gradient,
    check_layer_gradients,
    numerical_gradient,
    rel_error,
)
from rnnlesson.layers.base import Layer
from rnnlesson.layers.recurrent import Recurrent


# ---------------------------------------------------------------- small layers for the tests
class TanhAffine(Layer):
    """y = tanh(x W + b), x (N, D) -> (N, U); ``bug`` plants a typical mistake in backward."""

    def __init__(self, units, bug=None, **kw):
        super().__init__(**kw)
        self.units, self.bug = units, bug

    def _build(self, input_shape):
        d = input_shape[-1]
        self.add_weight("kernel", self.rng.normal(size=(d, self.units)))
        self.add_weight("bias", self.rng.normal(size=(self.units,)))

    def forward(self, x, training=False):
        x = np.asarray(x, self.dtype)
        self._ensure_built(x.shape)
        y = np.tanh(x @ self.params["kernel"] + self.params["bias"])
        self._cache = (x, y)
        return y

    def backward(self, dy):
        x, y = self._need_cache()
        dz = dy if self.bug == "no_tanh_derivative" else dy * (1 - y * y)
        self.grads["kernel"][...] = x.T @ dz
        self.grads["bias"][...] = dz.sum(0) if self.bug != "bias_mean" else dz.mean(0)
        return dz @ self.params["kernel"].T


class RandomMask(Layer):
    """Multiplies by a random 0/2 mask drawn from self.rng when training (like dropout)."""

    def forward(self, x, training=False):
        x = np.asarray(x, self.dtype)
        mask = (self.rng.random(x.shape) < 0.5) * 2.0 if training else np.ones_like(x)
        self._cache = mask
        return x * mask

    def backward(self, dy):
        return dy * self._need_cache()


class TinyRNN(Recurrent):
    """h_t = tanh(x_t W + h_{t-1} U): enough to drive every flag of the Recurrent base."""

    def _build_weights(self, d):
        self.add_weight("kernel", self.rng.normal(size=(d, self.units)) * 0.5)
        self.add_weight("recurrent_kernel", self.rng.normal(size=(self.units, self.units)) * 0.5)

    def _forward_seq(self, x, states, keep, copy=True):
        n, t, _ = x.shape
        h = states[0]
        hs = np.empty((n, t, self.units), self.dtype)
        for s in range(t):
            new = np.tanh(x[:, s] @ self.params["kernel"] + h @ self.params["recurrent_kernel"])
            h = new if keep is None else np.where(keep[:, s, None], new, h)
            hs[:, s] = h
        self._seq_cache = (x, states[0], hs, keep)
        return hs, [h]

    def _backward_seq(self, dseq, dfinal):
        x, h0, hs, keep = self._seq_cache
        n, t, _ = x.shape
        W, U = self.params["kernel"], self.params["recurrent_kernel"]
        dW, dU = np.zeros_like(W), np.zeros_like(U)
        dx = np.empty_like(x, dtype=self.dtype)
        dh = dfinal[0]
        for s in reversed(range(t)):
            if dseq is not None:
                dh = dh + dseq[:, s]
            kept = np.ones((n, 1), bool) if keep is None else keep[:, s, None]
            dz = np.where(kept, dh * (1 - hs[:, s] ** 2), 0.0)  # a masked step: h passes on
            h_prev = hs[:, s - 1] if s > 0 else h0
            dW += x[:, s].T @ dz
            dU += h_prev.T @ dz
            dx[:, s] = dz @ W.T
            dh = dz @ U.T + np.where(kept, 0.0, dh)
        self.grads["kernel"][...] = dW
        self.grads["recurrent_kernel"][...] = dU
        return dx, [dh]


# ---------------------------------------------------------------- primitives
def test_numerical_gradient_of_known_function_and_restores_x(rng):
    x = rng.normal(size=(3, 4))
    before = x.copy()
    g = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(g, 3 * before ** 2, rtol=1e-7, atol=1e-8)
    assert np.array_equal(x, before)  # every entry put back exactly


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])

    def f():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(f, x)
    assert x.tolist() == [1.0, 2.0]


def test_numerical_gradient_rejects_integer_array():
    with pytest.raises(TypeError, match="float numpy array"):
        numerical_gradient(lambda: 0.0, np.arange(3))


def test_rel_error_values():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    # |1 - 3| / (1 + 3) = 0.5 is the worst entry
    assert rel_error([1.0, 2.0], [3.0, 2.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


# ---------------------------------------------------------------- layers
def test_correct_layer_passes_and_table_is_printed(rng, capsys):
    layer = TanhAffine(3, dtype="float64", seed=0)
    x = rng.normal(size=(4, 5))
    x_before = x.copy()
    errors = check_layer_gradients(layer, x)
    assert set(errors) == {"input", "kernel", "bias"}
    assert max(errors.values()) < 1e-7
    assert np.array_equal(x, x_before)
    out = capsys.readouterr().out
    assert "parameter" in out and "relative error" in out and "verdict" in out
    assert "kernel" in out and "(5, 3)" in out and "ok" in out
    assert "< 1e-7" in out and "> 1e-3" in out


@pytest.mark.parametrize("bug", ["no_tanh_derivative", "bias_mean"])
def test_planted_bug_is_caught(rng, bug, capsys):
    layer = TanhAffine(3, bug=bug, dtype="float64", seed=0)
    errors = check_layer_gradients(layer, rng.normal(size=(4, 5)))
    wrong = "bias" if bug == "bias_mean" else "kernel"
    assert errors[wrong] > 1e-3
    assert "BUG" in capsys.readouterr().out


def test_weights_are_restored_exactly(rng):
    layer = TanhAffine(3, dtype="float64", seed=0)
    layer.build((None, 5))
    before = layer.get_weights()
    check_layer_gradients(layer, rng.normal(size=(4, 5)), verbose=False)
    for a, b in zip(before, layer.get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_float32_layer_is_refused(rng):
    layer = TanhAffine(3, dtype="float32", seed=0)
    with pytest.raises(TypeError, match="float64"):
        check_layer_gradients(layer, rng.normal(size=(4, 5)))


def test_random_mask_is_fixed_across_evaluations(rng):
    layer = RandomMask(dtype="float64", seed=3)
    errors = check_layer_gradients(layer, rng.normal(size=(6, 7)),
                                   forward_kwargs={"training": True}, verbose=False)
    assert errors["input"] < 1e-7


def test_random_mask_without_rewinding_would_fail(rng):
    # the same check by hand, drawing a fresh mask per evaluation, gives garbage:
    # this is what check_layer_gradients prevents by rewinding layer.rng.
    layer = RandomMask(dtype="float64", seed=3)
    x = rng.normal(size=(6, 7))
    dout = rng.normal(size=x.shape)
    layer.forward(x, training=True)
    dx = layer.backward(dout)
    num = numerical_gradient(lambda: float(np.sum(layer.forward(x, training=True) * dout)), x)
    assert rel_error(dx, num) > 1e-3


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_recurrent_flags(rng, return_sequences, return_state):
    layer = TinyRNN(4, return_sequences=return_sequences, return_state=return_state,
                    dtype="float64", seed=1)
    errors = check_layer_gradients(layer, rng.normal(size=(3, 5, 2)), verbose=False)
    assert set(errors) == {"input", "kernel", "recurrent_kernel"}
    assert max(errors.values()) < 1e-7


def test_initial_state_is_checked(rng):
    layer = TinyRNN(4, return_state=True, dtype="float64", seed=1)
    h0 = 0.5 * rng.normal(size=(3, 4))
    h0_before = h0.copy()
    errors = check_layer_gradients(layer, rng.normal(size=(3, 5, 2)),
                                   forward_kwargs={"initial_state": [h0]}, verbose=False)
    assert "initial_state[0]" in errors
    assert max(errors.values()) < 1e-7
    assert np.array_equal(h0, h0_before)


def test_stateful_layer_state_is_held_and_restored(rng):
    layer = TinyRNN(4, stateful=True, dtype="float64", seed=1)
    x = rng.normal(size=(3, 5, 2))
    layer.forward(x)  # now it carries a non-zero state
    carried = [s.copy() for s in layer.states]
    errors = check_layer_gradients(layer, rng.normal(size=(3, 5, 2)), verbose=False)
    assert max(errors.values()) < 1e-7
    assert np.array_equal(layer.states[0], carried[0])


def test_max_entries_samples_a_subset(rng, capsys):
    layer = TanhAffine(6, dtype="float64", seed=0)
    errors = check_layer_gradients(layer, rng.normal(size=(4, 8)), max_entries=5)
    assert max(errors.values()) < 1e-7
    assert "at most 5 entries" in capsys.readouterr().out


# ---------------------------------------------------------------- functions
def test_function_check_one_input(capsys):
    err = check_function_gradient(np.tanh, lambda d, z: d * (1 - np.tanh(z) ** 2),
                                  np.linspace(-2, 2, 7))
    assert err["x"] < 1e-7
    assert "x" in capsys.readouterr().out


def test_function_check_closure_backward_and_several_inputs(rng):
    cache = {}

    def step(x, h, wx, wh):
        y = np.tanh(x @ wx + h @ wh)
        cache.update(x=x, h=h, wx=wx, wh=wh, y=y)
        return y

    def step_backward(dy):
        dz = dy * (1 - cache["y"] ** 2)
        return (dz @ cache["wx"].T, dz @ cache["wh"].T, cache["x"].T @ dz, cache["h"].T @ dz)

    # moderate scales: no saturated tanh, whose tiny gradients finite differences cannot resolve
    args = (rng.normal(size=(2, 3)), rng.normal(size=(2, 4)),
            0.3 * rng.normal(size=(3, 4)), 0.3 * rng.normal(size=(4, 4)))
    errs = check_function_gradient(step, step_backward, *args,
                                   names=["x", "h", "Wx", "Wh"], verbose=False)
    assert set(errs) == {"x", "h", "Wx", "Wh"}
    assert max(errs.values()) < 1e-7


def test_function_check_catches_transposed_weight(rng):
    w = rng.normal(size=(4, 4))

    def f(x):
        return x @ w

    errs = check_function_gradient(f, lambda d: d @ w, rng.normal(size=(3, 4)), verbose=False)
    assert errs["x"] > 1e-3  # the right answer is d @ w.T


def test_function_check_wrong_gradient_shape(rng):
    with pytest.raises(ValueError, match=r"shape \(3,\); expected the input's shape \(2, 3\)"):
        check_function_gradient(lambda x: x * 2, lambda d: d.sum(0), rng.normal(size=(2, 3)))


def test_thresholds_match_the_reading_guide():
    assert gradcheck.OK_BELOW == 1e-7 and gradcheck.BUG_ABOVE == 1e-3
    assert gradcheck._verdict(1e-9) == "ok"
    assert gradcheck._verdict(1e-5) == "look closer"
    assert gradcheck._verdict(1e-2) == "BUG"


# ---------------------------------------------------------------- the default estimate
def _saturating_step(rng):
    """A tanh step with large weights: some gradient entries are ~1e-6 (saturated units)."""
    cache = {}

    def step(x, wx):
        y = np.tanh(x @ wx)
        cache.update(x=x, wx=wx, y=y)
        return y

    def step_backward(dy):
        dz = dy * (1 - cache["y"] ** 2)
        return dz @ cache["wx"].T, cache["x"].T @ dz

    return step, step_backward, (rng.normal(size=(2, 3)), 2.0 * rng.normal(size=(3, 4)))


def test_default_estimate_resolves_tiny_entries_that_central_differences_cannot():
    step, step_backward, args = _saturating_step(np.random.default_rng(1234))
    default = check_function_gradient(step, step_backward, *args, verbose=False)
    central = check_function_gradient(step, step_backward, *args, eps=1e-6, verbose=False)
    assert max(default.values()) < 1e-7
    assert max(central.values()) > 1e-7  # the noise floor of plain central differences


def test_relu_kink_within_reach_falls_back_to_small_step(rng):
    from rnnlesson.layers import Dense

    layer = Dense(3, activation="relu", dtype="float64", seed=0)
    x = rng.normal(size=(4, 5))
    layer.build(x.shape)
    z = x @ layer.params["kernel"]
    layer.params["bias"][...] = -z[0] + np.array([3e-5, -2e-5, 0.5])  # two units 2-3e-5 from 0
    errors = check_layer_gradients(layer, x, verbose=False)
    assert max(errors.values()) < 1e-7


def test_whole_sequential_model_with_dropout_and_stateful_rnn(rng):
    from rnnlesson.layers import Dense, Dropout, Embedding
    from rnnlesson.models import Sequential

    model = Sequential([
        Embedding(7, 3, dtype="float64", seed=0),
        TinyRNN(4, return_sequences=True, stateful=True, dtype="float64", seed=1),
        Dropout(0.3, dtype="float64", seed=2),
        Dense(2, activation="tanh", dtype="float64", seed=3),
    ])
    ids = rng.integers(0, 7, size=(3, 5))
    model.forward(ids)  # the RNN now carries a state
    errors = check_layer_gradients(model, ids, forward_kwargs={"training": True}, verbose=False)
    names = [layer.name for layer in model.layers]
    assert set(errors) == {f"{names[0]}/embeddings", f"{names[1]}/kernel",
                           f"{names[1]}/recurrent_kernel", f"{names[3]}/kernel",
                           f"{names[3]}/bias"}  # integer ids: no 'input'
    assert max(errors.values()) < 1e-7


def test_model_with_a_float32_layer_is_refused(rng):
    from rnnlesson.layers import Dense
    from rnnlesson.models import Sequential

    model = Sequential([Dense(3, dtype="float64"), Dense(2)])
    with pytest.raises(TypeError, match=r"Dense 'dense.*' has dtype float32"):
        check_layer_gradients(model, rng.normal(size=(2, 4)))
