"""Optimizers: steps against hand computations and Keras; clipping; state; validation."""

import math
import os

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson import optimizers
from rnnlesson.optimizers import SGD, Adam, RMSprop, clip_by_global_norm, global_norm


def arrays():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    b = np.array([0.1, -0.1])
    gw = np.array([[0.2, -0.4], [1.0, 0.0]])
    gb = np.array([-0.5, 0.3])
    return [w, b], [gw, gb]


# ---------------------------------------------------------------- hand-computed steps
def test_sgd_plain_step():
    (w, b), (gw, gb) = arrays()
    w0 = w.copy()
    SGD(learning_rate=0.1).apply([w, b], [gw, gb])
    np.testing.assert_allclose(w, w0 - 0.1 * gw, rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps_by_hand():
    w = np.array([1.0])
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.apply([w], [np.array([2.0])])  # m = -0.2; w = 0.8
    assert w[0] == pytest.approx(0.8)
    opt.apply([w], [np.array([1.0])])  # m = 0.9 * -0.2 - 0.1 = -0.28; w = 0.52
    assert w[0] == pytest.approx(0.52)
    np.testing.assert_allclose(opt.slots(w)["m"], [-0.28])


def test_sgd_nesterov_two_steps_by_hand():
    w = np.array([1.0])
    opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    opt.apply([w], [np.array([2.0])])  # m = -0.2; w += 0.9 * -0.2 - 0.2 = -0.38
    assert w[0] == pytest.approx(0.62)
    opt.apply([w], [np.array([1.0])])  # m = -0.28; w += 0.9 * -0.28 - 0.1 = -0.352
    assert w[0] == pytest.approx(0.268)


def test_rmsprop_two_steps_by_hand():
    w = np.array([1.0])
    opt = RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-7)
    opt.apply([w], [np.array([2.0])])
    v1 = 0.1 * 4.0
    w1 = 1.0 - 0.01 * 2.0 / math.sqrt(v1 + 1e-7)
    assert w[0] == pytest.approx(w1, rel=1e-14)
    opt.apply([w], [np.array([-1.0])])
    v2 = 0.9 * v1 + 0.1 * 1.0
    assert w[0] == pytest.approx(w1 + 0.01 / math.sqrt(v2 + 1e-7), rel=1e-14)


def test_rmsprop_momentum_by_hand():
    w = np.array([0.0])
    opt = RMSprop(learning_rate=0.1, rho=0.5, momentum=0.5)
    opt.apply([w], [np.array([1.0])])
    s1 = 0.1 * 1.0 / math.sqrt(0.5 + 1e-7)
    opt.apply([w], [np.array([1.0])])
    s2 = 0.1 * 1.0 / math.sqrt(0.75 + 1e-7)
    assert w[0] == pytest.approx(-(s1 + (0.5 * s1 + s2)), rel=1e-14)


def test_adam_two_steps_by_hand():
    w = np.array([1.0, -1.0])
    opt = Adam(learning_rate=0.1)
    g1, g2 = np.array([0.5, -2.0]), np.array([1.0, 0.0])
    opt.apply([w], [g1])
    # step 1: m = 0.1 g, v = 0.001 g^2; alpha = 0.1 sqrt(0.001) / 0.1, so w -= 0.1 g / (|g| + eps')
    m, v = 0.1 * g1, 0.001 * g1 ** 2
    alpha = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    expected = np.array([1.0, -1.0]) - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-14)
    np.testing.assert_allclose(w, [0.9, -0.9], rtol=1e-5)  # the first Adam step is ~lr * sign(g)
    opt.apply([w], [g2])
    m = 0.9 * m + 0.1 * g2
    v = 0.999 * v + 0.001 * g2 ** 2
    alpha = 0.1 * math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)
    expected = expected - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-14)
    assert opt.iterations == 2


def test_keras_defaults():
    assert SGD().learning_rate == 0.01 and SGD().momentum == 0.0 and SGD().nesterov is False
    r = RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon) == (0.001, 0.9, 0.0, 1e-7)
    a = Adam()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon) == (0.001, 0.9, 0.999, 1e-7)


# ---------------------------------------------------------------- behaviour
def test_float32_params_stay_float32():
    w = np.ones(3, np.float32)
    for opt in (SGD(momentum=0.5), RMSprop(), Adam()):
        opt.apply([w], [np.full(3, 0.5, np.float32)])
        assert w.dtype == np.float32


@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm"])
def test_grads_are_not_mutated_by_clipping(option):
    params, grads = arrays()
    before = [g.copy() for g in grads]
    opt = SGD(learning_rate=1.0, **{option: 0.1})
    opt.apply(params, grads)
    for g, g0 in zip(grads, before, strict=True):
        assert np.array_equal(g, g0)
    if option == "global_clipnorm":
        assert opt.last_grad_norm == pytest.approx(global_norm(before))
    else:
        assert opt.last_grad_norm is None


def test_global_clipnorm_equals_clip_by_global_norm_then_step():
    params_a, grads = arrays()
    params_b, _ = arrays()
    SGD(learning_rate=0.5, global_clipnorm=0.3).apply(params_a, grads)
    clipped = [g.copy() for g in grads]
    clip_by_global_norm(clipped, 0.3)
    SGD(learning_rate=0.5).apply(params_b, clipped)
    for a, b in zip(params_a, params_b, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_clipnorm_clips_each_array_on_its_own():
    # gradient norms: kernel sqrt(1.2) ~ 1.10, bias sqrt(0.34) ~ 0.58
    for limit in (0.3, 0.8, 2.0):  # both clipped; only the kernel; neither
        params, grads = arrays()
        start = [p.copy() for p in params]
        SGD(learning_rate=0.5, clipnorm=limit).apply(params, grads)
        for p, p0, g in zip(params, start, grads, strict=True):
            norm = np.sqrt((g ** 2).sum())
            used = g * min(1.0, limit / norm)  # this array's own factor
            np.testing.assert_allclose(p, p0 - 0.5 * used, rtol=1e-14, atol=1e-15)
    # per array is not global: with 0.8 the bias keeps its full length
    params_a, grads = arrays()
    params_b, _ = arrays()
    SGD(learning_rate=0.5, clipnorm=0.8).apply(params_a, grads)
    SGD(learning_rate=0.5, global_clipnorm=0.8).apply(params_b, grads)
    assert not np.allclose(params_a[1], params_b[1], rtol=1e-3)


def test_apply_takes_dicts_with_the_same_keys():
    (w, b), (gw, gb) = arrays()
    (w2, b2), _ = arrays()
    SGD(learning_rate=0.1, global_clipnorm=0.5).apply({"d/kernel": w, "d/bias": b},
                                                     {"d/bias": gb, "d/kernel": gw})
    SGD(learning_rate=0.1, global_clipnorm=0.5).apply([w2, b2], [gw, gb])
    np.testing.assert_array_equal(w, w2)
    np.testing.assert_array_equal(b, b2)
    assert global_norm({"a": gw, "b": gb}) == pytest.approx(global_norm([gw, gb]), rel=1e-15)
    with pytest.raises(ValueError, match=r"same keys.*missing \['d/bias'\]"):
        SGD().apply({"d/kernel": w, "d/bias": b}, {"d/kernel": gw})
    with pytest.raises(TypeError, match="both as lists or both as dicts"):
        SGD().apply({"d/kernel": w}, [gw])
    with pytest.raises(ValueError, match="gradient 'd/kernel' has shape"):
        SGD().apply({"d/kernel": w}, {"d/kernel": gb})


def test_learning_rate_is_a_plain_mutable_attribute():
    w = np.array([1.0])
    opt = SGD(learning_rate=0.1)
    opt.apply([w], [np.array([1.0])])
    opt.learning_rate = 0.01
    opt.apply([w], [np.array([1.0])])
    assert w[0] == pytest.approx(1.0 - 0.1 - 0.01)
    assert opt.learning_rate == 0.01


def test_state_follows_the_array_not_the_list_position():
    a, b = np.array([1.0]), np.array([1.0])
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.apply([a, b], [np.array([1.0]), np.array([-1.0])])
    opt.apply([b, a], [np.array([0.0]), np.array([0.0])])  # swapped order, zero gradients
    # each array keeps coasting with its own momentum
    assert a[0] == pytest.approx(1.0 - 0.1 - 0.09)
    assert b[0] == pytest.approx(1.0 + 0.1 + 0.09)


def test_reset_forgets_state():
    w = np.array([1.0])
    opt = Adam()
    opt.apply([w], [np.array([1.0])])
    opt.reset()
    assert opt.iterations == 0 and opt.slots(w) == {}


# ---------------------------------------------------------------- clip_by_global_norm
def test_clip_keeps_direction_and_returns_norm_before(rng):
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    before = [g.copy() for g in grads]
    expected_norm = math.sqrt(sum(float((g ** 2).sum()) for g in before))
    norm = clip_by_global_norm(grads, 0.5)
    assert norm == pytest.approx(expected_norm, rel=1e-12)
    assert global_norm(grads) == pytest.approx(0.5, rel=1e-12)
    scale = 0.5 / expected_norm
    for g, g0 in zip(grads, before, strict=True):
        np.testing.assert_allclose(g, g0 * scale, rtol=1e-12)  # same direction, one factor


def test_clip_is_a_no_op_below_max_norm(rng):
    grads = [rng.normal(size=(2, 2)) * 0.01]
    ids = [id(g) for g in grads]
    before = grads[0].copy()
    norm = clip_by_global_norm(grads, 10.0)
    assert norm < 10.0
    assert np.array_equal(grads[0], before) and [id(g) for g in grads] == ids


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_returns_non_finite_norm_and_changes_nothing(bad):
    grads = [np.array([1.0, bad]), np.array([3.0])]
    norm = clip_by_global_norm(grads, 1.0)
    assert not math.isfinite(norm)
    assert grads[1][0] == 3.0 and grads[0][0] == 1.0


def test_clip_float32_large_values_no_overflow():
    grads = [np.full(4, 3e20, np.float32)]  # squares overflow float32
    norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(6e20, rel=1e-6)
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-5)


# ---------------------------------------------------------------- get and config
@pytest.mark.parametrize("name, cls", [("adam", Adam), ("sgd", SGD), ("rmsprop", RMSprop),
                                       ("Adam", Adam)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm"])
def test_get_object_and_config_roundtrip(option):
    opt = Adam(learning_rate=0.01, beta_1=0.8, **{option: 1.0})
    assert optimizers.get(opt) is opt
    again = optimizers.get(opt.get_config())
    assert type(again) is Adam and again.get_config() == opt.get_config()
    assert again.beta_1 == 0.8 and getattr(again, option) == 1.0
    other = "clipnorm" if option == "global_clipnorm" else "global_clipnorm"
    assert getattr(again, other) is None
    assert f"{option}=1.0" in repr(again)


def test_get_unknown_lists_names():
    with pytest.raises(ValueError, match="known names: sgd, rmsprop, adam"):
        optimizers.get("adagrad")


# ---------------------------------------------------------------- Keras parity
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("make_ours, make_keras", [
    (lambda: SGD(0.1, momentum=0.9), lambda k: k.optimizers.SGD(0.1, momentum=0.9)),
    (lambda: SGD(0.1, momentum=0.9, nesterov=True),
     lambda k: k.optimizers.SGD(0.1, momentum=0.9, nesterov=True)),
    (lambda: RMSprop(0.01), lambda k: k.optimizers.RMSprop(0.01)),
    (lambda: RMSprop(0.01, momentum=0.5), lambda k: k.optimizers.RMSprop(0.01, momentum=0.5)),
    (lambda: Adam(0.01), lambda k: k.optimizers.Adam(0.01)),
    (lambda: Adam(0.01, global_clipnorm=0.5),
     lambda k: k.optimizers.Adam(0.01, global_clipnorm=0.5)),
    (lambda: Adam(0.01, clipnorm=0.5), lambda k: k.optimizers.Adam(0.01, clipnorm=0.5)),
])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras's torch-to-numpy conversion
def test_steps_equal_keras(keras, rng, make_ours, make_keras):
    w0 = rng.normal(size=(3, 4)).astype("float32")
    b0 = rng.normal(size=4).astype("float32")
    grads = [[rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=4).astype("float32")]
             for _ in range(3)]
    ours = make_ours()
    w, b = w0.copy(), b0.copy()
    kopt = make_keras(keras)
    kw, kb = keras.Variable(w0), keras.Variable(b0)
    for gw, gb in grads:  # three steps, so momentum and bias correction count
        ours.apply([w, b], [gw, gb])
        kopt.apply_gradients([(keras.ops.convert_to_tensor(gw), kw),
                              (keras.ops.convert_to_tensor(gb), kb)])
    ref = make_ours()  # the same three steps in float64: the reference for both
    w64, b64 = w0.astype(np.float64), b0.astype(np.float64)
    for gw, gb in grads:
        ref.apply([w64, b64], [gw.astype(np.float64), gb.astype(np.float64)])
    terms = 3 * 10  # three steps of about ten roundings each (moments, square root, update)
    for who, got_w, got_b in (("rnnlesson", w, b), ("keras", keras.ops.convert_to_numpy(kw.value),
                                                    keras.ops.convert_to_numpy(kb.value))):
        assert_close(got_w, w64, dtype="float32", terms=terms, what=f"{who} kernel")
        assert_close(got_b, b64, dtype="float32", terms=terms, what=f"{who} bias")


@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm"])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras's torch-to-numpy conversion
def test_one_clipped_sgd_step_equals_keras(keras, option):
    """One plain SGD step shows the clipped gradient itself: w1 = w0 - lr * clip(g).
    The kernel's gradient is longer than the limit and the bias's shorter, so clipnorm
    (each array on its own) and global_clipnorm (all together) give different steps."""
    rng = np.random.default_rng(7)
    w0 = rng.normal(size=(3, 4)).astype("float32")
    b0 = rng.normal(size=4).astype("float32")
    gw = (3.0 * rng.normal(size=(3, 4))).astype("float32")
    gb = (0.1 * rng.normal(size=4)).astype("float32")
    limit = 1.0
    assert np.linalg.norm(gw) > limit > np.linalg.norm(gb)
    w, b = w0.copy(), b0.copy()
    SGD(0.5, **{option: limit}).apply([w, b], [gw, gb])
    kw, kb = keras.Variable(w0), keras.Variable(b0)
    keras.optimizers.SGD(0.5, **{option: limit}).apply_gradients(
        [(keras.ops.convert_to_tensor(gw), kw), (keras.ops.convert_to_tensor(gb), kb)])
    # the float64 reference, written out from Keras's definitions
    g64 = [gw.astype(np.float64), gb.astype(np.float64)]
    if option == "clipnorm":
        clipped = [g * limit / max(np.linalg.norm(g), limit) for g in g64]
    else:
        total = np.sqrt(sum((g ** 2).sum() for g in g64))
        clipped = [g * limit / max(total, limit) for g in g64]
    ref = [w0.astype(np.float64) - 0.5 * clipped[0], b0.astype(np.float64) - 0.5 * clipped[1]]
    terms = 12 + 4  # a 12-term norm, then scale, multiply and subtract
    for who, got in (("rnnlesson", [w, b]),
                     ("keras", [keras.ops.convert_to_numpy(kw.value),
                                keras.ops.convert_to_numpy(kb.value)])):
        for name, a, r in zip(("kernel", "bias"), got, ref, strict=True):
            assert_close(a, r, dtype="float32", terms=terms, what=f"{who} {name} ({option})")
    # the two options really differ here, by much more than the tolerance
    other = "global_clipnorm" if option == "clipnorm" else "clipnorm"
    w2, b2 = w0.copy(), b0.copy()
    SGD(0.5, **{other: limit}).apply([w2, b2], [gw, gb])
    assert np.abs(b2 - b).max() > 1e-3
