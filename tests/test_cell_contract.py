"""The one-step cells (``rnnlesson.cells``): one API, one set of checks for all three.

``h, state = cell.forward(x_t, state)``, ``dx_t, dstate = cell.backward(dh, dstate)``,
gradients that add up until ``zero_grad()``, ``reset_cache()``; Keras's weights, the
layer's initial weights for the same seed, clear errors. That the cells are the kernels
is in test_kernels.py; that a loop of cells is the sequence layer, in
test_recurrent_contract.py.
"""

import inspect
import json

import numpy as np
import pytest
from layer_cases import GRAD_TOL

from rnnlesson.cells import GRUCell, LSTMCell, SimpleRNNCell, StepCell
from rnnlesson.gradcheck import check_function_gradient
from rnnlesson.layers import GRU, LSTM, SimpleRNN

#: (id, cell class, options, sequence layer class)
CELLS = [
    ("rnn-tanh", SimpleRNNCell, {}, SimpleRNN),
    ("rnn-relu", SimpleRNNCell, {"activation": "relu"}, SimpleRNN),
    ("rnn-sigmoid", SimpleRNNCell, {"activation": "sigmoid"}, SimpleRNN),
    ("rnn-linear", SimpleRNNCell, {"activation": "linear"}, SimpleRNN),
    ("lstm", LSTMCell, {}, LSTM),
    ("lstm-no-forget-bias", LSTMCell, {"unit_forget_bias": False}, LSTM),
    ("gru", GRUCell, {}, GRU),
    ("gru-reset-before", GRUCell, {"reset_after": False}, GRU),
]
CELL = pytest.mark.parametrize("cls, options, layer_cls", [c[1:] for c in CELLS],
                               ids=[c[0] for c in CELLS])
N, T, D, H = 3, 3, 4, 5


def _state(cls, value):
    """The public form of a state from a list of arrays: (h, c) for the LSTM, else h."""
    return tuple(value) if cls is LSTMCell else value[0]


def _as_list(cls, state):
    return list(state) if cls is LSTMCell else [state]


def _cell(cls, options, seed=0, dtype="float64"):
    cell = cls(H, dtype=dtype, seed=seed, input_dim=D, **options)
    rng = np.random.default_rng(seed + 50)
    cell.set_weights([0.6 * rng.standard_normal(w.shape) for w in cell.get_weights()])
    return cell


# ------------------------------------------------------------------ gradients
@CELL
def test_gradients_through_a_few_steps(cls, options, layer_cls):
    """dL/d(inputs, initial state, weights) of T steps forward, T steps back."""
    cell = _cell(cls, options)
    k = len(cls.state_names)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, T, D))
    if cls is SimpleRNNCell and options.get("activation") == "relu":
        x += 0.2 * np.sign(x)  # keep the pre-activations off the kink
    states0 = [rng.standard_normal((N, H)) for _ in range(k)]

    def forward(x, *rest):
        *s0, W, U, b = rest
        cell.set_weights([W, U, b])
        cell.reset_cache()
        state, hs = _state(cls, s0), []
        for t in range(T):
            h, state = cell.forward(x[:, t], state)
            hs.append(h)
        return [np.stack(hs, axis=1)] + _as_list(cls, state)

    def backward(douts):
        dhs, *dfinal = douts
        cell.zero_grad()
        dstate, dxs = _state(cls, dfinal), [None] * T
        for t in reversed(range(T)):
            dxs[t], dstate = cell.backward(dhs[:, t], dstate)
        g = cell.grads
        return [np.stack(dxs, axis=1)] + _as_list(cls, dstate) + [
            g["kernel"].copy(), g["recurrent_kernel"].copy(), g["bias"].copy()]

    names = ["x"] + [f"{s}0" for s in cls.state_names] + ["W", "U", "b"]
    errors = check_function_gradient(forward, backward, x, *states0, *cell.get_weights(),
                                     names=names, verbose=False)
    assert max(errors.values()) < GRAD_TOL, errors


@CELL
def test_grads_add_up_until_zero_grad(cls, options, layer_cls):
    cell = _cell(cls, options)
    rng = np.random.default_rng(3)
    x, dh = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    state = _state(cls, [rng.standard_normal((N, H)) for _ in cls.state_names])
    cell.forward(x, state)
    cell.backward(dh)
    once = {k: g.copy() for k, g in cell.grads.items()}
    assert all(np.abs(g).max() > 0 for g in once.values())
    cell.forward(x, state)
    cell.zero_grad()  # between forward and backward: the step stays, the sums restart
    cell.backward(dh)
    for k in once:
        np.testing.assert_allclose(cell.grads[k], once[k], rtol=1e-13)
    cell.forward(x, state)
    cell.backward(dh)
    for k in once:
        np.testing.assert_allclose(cell.grads[k], 2 * once[k], rtol=1e-12)
    cell.zero_grad()
    assert all(not g.any() for g in cell.grads.values())


@CELL
def test_reset_cache_forgets_the_steps(cls, options, layer_cls):
    cell = _cell(cls, options)
    x = np.ones((N, D))
    cell.forward(x)
    cell.forward(x)
    cell.reset_cache()
    with pytest.raises(RuntimeError, match="no forward step left"):
        cell.backward(np.ones((N, H)))


@CELL
def test_cell_keeps_no_reference_to_the_callers_arrays(cls, options, layer_cls):
    """The cache is the cell's own: writing into x_t, the state or the output afterwards
    changes nothing in backward."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((N, D))
    s0 = [rng.standard_normal((N, H)) for _ in cls.state_names]
    dh = rng.standard_normal((N, H))
    clean = _cell(cls, options)
    clean.forward(x.copy(), _state(cls, [s.copy() for s in s0]))
    dx_clean, ds_clean = clean.backward(dh)
    cell = _cell(cls, options)
    h, state = cell.forward(x, _state(cls, s0))
    for a in [x, h] + s0 + _as_list(cls, state):
        a[...] = 7.0
    dx, ds = cell.backward(dh)
    np.testing.assert_array_equal(dx, dx_clean)
    for a, b in zip(_as_list(cls, ds), _as_list(cls, ds_clean), strict=True):
        np.testing.assert_array_equal(a, b)
    for k in cell.grads:
        np.testing.assert_array_equal(cell.grads[k], clean.grads[k])


# ------------------------------------------------------------------ weights and options
@CELL
def test_weights_follow_keras_and_the_layer(cls, options, layer_cls):
    cell = cls(H, seed=42, **options)
    cell.build((None, D))
    layer = layer_cls(H, seed=42, **options)
    layer.build((None, 7, D))
    assert [(k, v.shape) for k, v in cell.params.items()] == [
        (k, v.shape) for k, v in layer.params.items()]
    for a, b in zip(cell.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # same seed, same draws in the same order
    assert cell.count_params() == layer.count_params()
    assert cell.compute_output_shape((None, D)) == (None, H)
    eager = cls(H, seed=42, input_dim=D, **options)  # input_dim: weights made at once
    assert eager.built
    for a, b in zip(eager.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@CELL
def test_config_round_trip(cls, options, layer_cls):
    cell = cls(H, seed=3, name="probe", **options)
    cfg = cell.get_config()
    assert json.loads(json.dumps(cfg)) == cfg
    clone = cls.from_config(cfg)
    assert clone.get_config() == cfg
    x = np.random.default_rng(0).standard_normal((N, D))
    np.testing.assert_array_equal(cell.forward(x)[0], clone.forward(x)[0])


@pytest.mark.parametrize("cls, args", [(SimpleRNNCell, (4, "tanh", True)), (LSTMCell, (4, True)),
                                       (GRUCell, (4, True))], ids=["rnn", "lstm", "gru"])
def test_options_are_keyword_only(cls, args):
    allowed = 2 if cls is SimpleRNNCell else 1  # units, and a SimpleRNN's activation
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.kind for p in params[:allowed]] == [params[0].POSITIONAL_OR_KEYWORD] * allowed
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[allowed:])
    with pytest.raises(TypeError, match="positional argument"):
        cls(*args)


def test_every_cell_is_a_step_cell():
    assert all(issubclass(c[1], StepCell) for c in CELLS)
    assert StepCell.forward is LSTMCell.forward is GRUCell.forward is SimpleRNNCell.forward
    assert StepCell.backward is LSTMCell.backward is GRUCell.backward


@CELL
@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (2.5, TypeError), (False, TypeError)])
def test_bad_seed_is_refused(cls, options, layer_cls, bad, exc):
    with pytest.raises(exc, match=r"seed to be an integer >= 0"):
        cls(H, seed=bad, **options)


@CELL
@pytest.mark.parametrize("units, exc", [(0, ValueError), ("8", TypeError), (2.5, TypeError)])
def test_bad_units_are_refused(cls, options, layer_cls, units, exc):
    with pytest.raises(exc, match=rf"units to be a positive integer; got {units!r}"):
        cls(units, **options)


# ------------------------------------------------------------------ errors
@CELL
def test_errors_say_what_was_expected(cls, options, layer_cls):
    name = cls.__name__
    cell = cls(4, **options)
    k = len(cls.state_names)
    with pytest.raises(RuntimeError, match=rf"{name}.backward: no forward step left"):
        cell.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"x_t of shape \(N, D\); got \(2, 3, 5\).*x\[:, t\]"):
        cell.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"x_t of shape \(N, D\); got \(5,\)"):
        cell.forward(np.zeros(5))
    with pytest.raises(ValueError, match=r"NaN"):
        cell.forward(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match=r"non-empty"):
        cell.forward(np.zeros((0, 5)))
    zeros = _state(cls, [np.zeros((2, 4))] * k)
    cell.forward(np.zeros((2, 5)), zeros)
    with pytest.raises(ValueError, match=r"D=5.*\(2, 6\)"):
        cell.forward(np.zeros((2, 6)))
    bad_h = _state(cls, [np.zeros((2, 3))] + [np.zeros((2, 4))] * (k - 1))
    label = "state 'h'" if k == 2 else "state"
    with pytest.raises(ValueError, match=rf"{label} of shape \(N, H\) = \(2, 4\); got \(2, 3\)"):
        cell.forward(np.zeros((2, 5)), bad_h)
    with pytest.raises(ValueError, match=r"dh of shape \(N, H\) = \(2, 4\); got \(4,\)"):
        cell.backward(np.zeros(4))
    bad_d = _state(cls, [np.zeros((2, 4))] * (k - 1) + [np.zeros((2, 5))])
    label = "dstate 'dc'" if k == 2 else "dstate"
    with pytest.raises(ValueError, match=rf"{label} of shape \(N, H\) = \(2, 4\); got \(2, 5\)"):
        cell.backward(None, bad_d)
    if k == 2:  # the LSTM's state is a pair
        with pytest.raises(ValueError, match=r"state as a pair \(h, c\).*got a list of length 1"):
            cell.forward(np.zeros((2, 5)), [np.zeros((2, 4))])
        with pytest.raises(ValueError, match=r"dstate as a pair \(dh, dc\).*got ndarray"):
            cell.backward(None, np.zeros((2, 4)))
    dx, dstate = cell.backward(np.zeros((2, 4)))  # the failed calls left the step in place
    assert dx.shape == (2, 5) and all(s.shape == (2, 4) for s in _as_list(cls, dstate))
    with pytest.raises(RuntimeError, match=r"no forward step left"):
        cell.backward(np.zeros((2, 4)))
