"""layers.Attention and layers.AdditiveAttention: gradient checks in float64, Keras 3
parity (outputs, weights, gradients), options, and clear errors."""

import os

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson.gradcheck import check_function_gradient, numerical_gradient, rel_error
from rnnlesson.layers import AdditiveAttention, Attention

N, TQ, TV, D, DV = 2, 3, 4, 5, 6

# every kind of score the two layers compute
VARIANTS = {
    "dot": lambda **kw: Attention(**kw),
    "dot_scaled": lambda **kw: Attention(use_scale=True, **kw),
    "concat": lambda **kw: Attention(score_mode="concat", **kw),
    "concat_scaled": lambda **kw: Attention(score_mode="concat", use_scale=True, **kw),
    "additive": lambda **kw: AdditiveAttention(seed=3, **kw),
    "additive_unscaled": lambda **kw: AdditiveAttention(use_scale=False, **kw),
}


def _inputs(rng, with_key, dtype="float64"):
    q = rng.standard_normal((N, TQ, D))
    v = rng.standard_normal((N, TV, DV if with_key else D))
    arrays = [q, v] + ([rng.standard_normal((N, TV, D))] if with_key else [])
    return [a.astype(dtype) for a in arrays]


def _layer(kind, inputs, dtype="float64", **kw):
    layer = VARIANTS[kind](dtype=dtype, **kw)
    layer.build([a.shape for a in inputs])
    # scalars off 1 and the scale vector off its draw, so their gradients are not special
    layer.set_weights([1.3 * w - 0.1 for w in layer.get_weights()])
    return layer


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("kind", sorted(VARIANTS))
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_input_gradients(rng, kind, with_key, causal):
    inputs = _inputs(rng, with_key)
    layer = _layer(kind, inputs)

    def forward(*arrays):  # both outputs count: the context and the returned weights
        return layer.forward(list(arrays), return_attention_scores=True, use_causal_mask=causal)

    def backward(grads):
        return tuple(layer.backward(grads))

    names = ["query", "value", "key"][:len(inputs)]
    errors = check_function_gradient(forward, backward, *inputs, names=names, verbose=False)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("kind", ["dot_scaled", "concat", "concat_scaled", "additive"])
@pytest.mark.parametrize("with_key", [False, True])
def test_weight_gradients(rng, kind, with_key):
    inputs = _inputs(rng, with_key)
    layer = _layer(kind, inputs)
    dout = rng.standard_normal((N, TQ, inputs[1].shape[2]))
    dw = rng.standard_normal((N, TQ, TV))

    def loss():
        out, w = layer.forward(inputs, return_attention_scores=True)
        return float((out * dout).sum() + (w * dw).sum())

    loss()
    layer.backward((dout, dw))
    assert list(layer.grads) == list(layer.params)
    for name, p in layer.params.items():
        analytic = layer.grads[name].copy()
        # Richardson extrapolation of two central differences: error O(eps^4)
        g1 = numerical_gradient(loss, p, eps=1e-3)
        g2 = numerical_gradient(loss, p, eps=2e-3)
        assert rel_error(analytic, (4 * g1 - g2) / 3) < 1e-7, name


def test_masks_and_dropout_gradients(rng):
    inputs = _inputs(rng, True)
    layer = _layer("dot_scaled", inputs, dropout=0.3, seed=5)
    q_mask = np.array([[True, True, False], [True, False, True]])
    v_mask = np.array([[True, False, True, True], [False, True, True, True]])

    def forward(*arrays):
        layer.rng = np.random.default_rng(11)  # the same dropout mask on every pass
        return layer.forward(list(arrays), training=True, mask=[q_mask, v_mask])

    errors = check_function_gradient(forward, lambda d: tuple(layer.backward(d)), *inputs,
                                     names=["query", "value", "key"], verbose=False)
    assert max(errors.values()) < 1e-7, errors


def test_weights_are_a_softmax_and_masks_hold(rng):
    inputs = _inputs(rng, False)
    layer = Attention(dtype="float64")
    out, w = layer.forward(inputs, return_attention_scores=True, use_causal_mask=True)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.all(w[:, 0, 1:] == 0) and np.all(w[:, 1, 2:] == 0)  # causal: j <= i only
    np.testing.assert_allclose(out, w @ inputs[1], rtol=0, atol=1e-12)
    q_mask = np.array([[True, False, True], [True, True, True]])
    out = layer.forward(inputs, mask=[q_mask, None])
    assert np.all(out[0, 1] == 0) and np.any(out[0, 0] != 0)


def test_dropout_only_when_training(rng):
    inputs = _inputs(rng, False)
    layer = Attention(dropout=0.5, seed=0, dtype="float64")
    a = layer.forward(inputs)
    b = layer.forward(inputs, training=False)
    np.testing.assert_array_equal(a, b)
    _, w = layer.forward(inputs, training=True, return_attention_scores=True)
    assert np.any(w == 0) and np.any(w > 0)


def test_backward_does_not_mutate_its_gradient(rng):
    inputs = _inputs(rng, True)
    layer = _layer("concat_scaled", inputs)
    layer.forward(inputs)
    dout = rng.standard_normal((N, TQ, DV))
    keep = dout.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(dout, keep)


# ---------------------------------------------------------------------- Keras parity
os.environ.setdefault("KERAS_BACKEND", "torch")


def _keras():
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras is loaded with another backend")
    return keras


def _keras_twin(keras, kind, inputs, weights, dtype):
    cls = keras.layers.AdditiveAttention if kind.startswith("additive") else keras.layers.Attention
    kw = {"use_scale": "scaled" in kind or kind == "additive"}
    if kind.startswith("concat"):
        kw["score_mode"] = "concat"
    layer = cls(dtype=dtype, **kw)
    layer.build([a.shape for a in inputs])
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    return layer


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("kind", ["dot", "dot_scaled", "concat_scaled", "additive"])
def test_matches_keras(rng, kind):
    keras = _keras()
    import torch

    inputs64 = _inputs(rng, True)
    ours64 = _layer(kind, inputs64)
    weights = ours64.get_weights()
    q_mask = np.array([[True, True, False], [True, True, True]])
    v_mask = np.array([[True, True, False, True], [True, True, True, True]])
    dout = rng.standard_normal((N, TQ, DV))
    out64, w64 = ours64.forward(inputs64, return_attention_scores=True, use_causal_mask=True,
                                mask=[q_mask, v_mask])
    grads64 = ours64.backward(dout)

    # Keras's torch backend computes in float32 whatever the layer's dtype, so both
    # float32 results (ours and Keras's) are held to the float64 reference (ours, checked
    # by the gradient tests), within the eps-derived bound of tests/numerics.py
    dtype = "float32"
    inputs = [a.astype(dtype) for a in inputs64]
    ours = _layer(kind, inputs, dtype=dtype)
    ours.set_weights(weights)
    theirs = _keras_twin(keras, kind, inputs, [w.astype(dtype) for w in weights], dtype)
    tensors = [torch.tensor(a, requires_grad=True) for a in inputs]
    k_out, k_w = theirs(tensors, return_attention_scores=True, use_causal_mask=True,
                        mask=[torch.tensor(q_mask), torch.tensor(v_mask)])
    (k_out * torch.tensor(dout.astype(dtype))).sum().backward()
    k_grads = [t.grad.numpy() for t in tensors]
    out, w = ours.forward(inputs, return_attention_scores=True, use_causal_mask=True,
                          mask=[q_mask, v_mask])
    grads = ours.backward(dout.astype(dtype))
    results = {"output": (out, k_out.detach().numpy(), out64),
               "weights": (w, k_w.detach().numpy(), w64)}
    for name, g, kg, g64 in zip(("dquery", "dvalue", "dkey"), grads, k_grads, grads64,
                                strict=True):
        results[name] = (g, kg, g64)
    terms = (D + DV + TV) * 4  # a score's dot product, the softmax sum, the context sum
    for name, (a, b, ref) in results.items():
        assert_close(a, ref, dtype=dtype, terms=terms, scale=1.0, what=f"ours {name}")
        assert_close(b, ref, dtype=dtype, terms=terms, scale=1.0, what=f"Keras {name}")


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_additive_scale_initialised_as_keras(rng):
    keras = _keras()
    layer = AdditiveAttention(seed=0)
    layer.build([(None, 3, 40), (None, 5, 40)])
    theirs = keras.layers.AdditiveAttention()
    theirs.build([(None, 3, 40), (None, 5, 40)])
    limit = np.sqrt(6.0 / 80)  # glorot-uniform of a (40,) vector: fan_in = fan_out = 40
    for w in (layer.params["scale"], theirs.get_weights()[0]):
        assert w.shape == (40,) and np.abs(w).max() <= limit and np.abs(w).max() > 0.8 * limit
    assert [w.path.split("/")[-1] for w in theirs.weights] == list(layer.params)


# ---------------------------------------------------------------------- structure and errors
def test_config_round_trip_and_shapes():
    layer = Attention(use_scale=True, score_mode="concat", dropout=0.25, name="att", seed=2)
    again = Attention.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    add = AdditiveAttention(use_scale=False)
    assert AdditiveAttention.from_config(add.get_config()).get_config() == add.get_config()
    assert layer.compute_output_shape([(None, 4, 8), (None, 7, 6), (None, 7, 8)]) == (None, 4, 6)
    layer.build([(None, 4, 8), (None, 7, 8)])
    assert layer.count_params() == 2 and [w.shape for w in layer.get_weights()] == [(), ()]
    add2 = AdditiveAttention()
    add2.build([(None, 4, 8), (None, 7, 8)])
    assert add2.count_params() == 8


@pytest.mark.parametrize("inputs, match", [
    ("not a list", "list"),
    ([np.zeros((2, 3, 4))], "list"),
    ([np.zeros((2, 3)), np.zeros((2, 4, 4))], r"query of shape \(N, T, D\)"),
    ([np.zeros((2, 3, 4)), np.zeros((2, 4, 5))], "same last axis D"),
    ([np.zeros((2, 3, 4)), np.zeros((2, 4, 6)), np.zeros((2, 5, 4))], "same number of steps"),
    ([np.zeros((2, 3, 4)), np.zeros((3, 4, 4))], "same batch size"),
    ([np.zeros((2, 0, 4)), np.zeros((2, 4, 4))], "non-empty"),
    ([np.full((2, 3, 4), np.nan), np.zeros((2, 4, 4))], "NaN"),
])
def test_bad_inputs(inputs, match):
    with pytest.raises(ValueError, match=match):
        Attention().forward(inputs)


def test_bad_arguments_and_protocol(rng):
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="general")
    with pytest.raises(ValueError, match="dropout"):
        Attention(dropout=1.0)
    with pytest.raises(TypeError, match="use_scale"):
        AdditiveAttention(use_scale="yes")
    layer = Attention()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((N, TQ, D)))
    inputs = _inputs(rng, False, "float32")
    layer.forward(inputs)
    with pytest.raises(ValueError, match="shape of the forward output"):
        layer.backward(np.zeros((N, TQ + 1, D)))
    with pytest.raises(ValueError, match="return_attention_scores"):
        layer.backward((np.zeros((N, TQ, D)), np.zeros((N, TQ, TV))))
    with pytest.raises(ValueError, match="value_mask"):
        layer.forward(inputs, mask=[None, np.ones((N, TV + 1), bool)])
