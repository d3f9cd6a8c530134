"""What is special to SimpleRNN: its activations, pinned numbers and the Keras count.

Everything every layer or every recurrent layer must do is in test_layer_contract.py,
test_recurrent_contract.py and test_cell_contract.py.
"""

import layer_cases as cases
import numpy as np
import pytest
from numerics import rnn_terms, tolerances

from rnnlesson.cells import SimpleRNNCell
from rnnlesson.gradcheck import check_layer_gradients
from rnnlesson.layers import SimpleRNN

OTHER_ACTIVATIONS = pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])


@OTHER_ACTIVATIONS
@pytest.mark.parametrize("shape", cases.SHAPES, ids=cases.SHAPE_IDS)
def test_gradients_other_activations(activation, shape):
    n, t, d, h = shape
    options = {"activation": activation, "return_sequences": True, "return_state": True}
    layer = cases.make_recurrent(SimpleRNN, d, h, options)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, t, d))
    kwargs = {"initial_state": [rng.standard_normal((n, h))]}
    errors = check_layer_gradients(layer, x, forward_kwargs=kwargs, verbose=False)
    assert len(errors) == 5
    assert max(errors.values()) < cases.GRAD_TOL, errors


@OTHER_ACTIVATIONS
@pytest.mark.parametrize("shape", cases.SHAPES, ids=cases.SHAPE_IDS)
@pytest.mark.parametrize("flags", [(True, True, False, False, True),
                                   (False, False, True, True, False)], ids=["RS--I", "--BF-"])
@pytest.mark.parametrize("steps", [cases.KernelSteps, cases.CellSteps], ids=["kernels", "cells"])
def test_other_activations_equal_a_loop_of_steps(activation, shape, flags, steps):
    """The fused loop's other activations (written in place) against the kernels and cells."""
    n, t, d, h = shape
    options = {"activation": activation, **cases.flag_options(flags)}
    layer = cases.make_recurrent(SimpleRNN, d, h, options)
    cases.assert_layer_equals_loop(steps, layer, flags, (n, t, d), seed=8)


def test_count_params_is_keras():
    layer = SimpleRNN(32, activation="relu")
    layer.build((None, None, 10))
    assert layer.count_params() == 32 * (10 + 32) + 32  # u (D + u) + u


def test_bad_activation():
    with pytest.raises(ValueError, match=r"activation to be one of 'tanh'.*got 'softmax'"):
        SimpleRNN(4, activation="softmax")
    with pytest.raises(ValueError, match=r"got 'tahn'"):
        SimpleRNNCell(4, activation="tahn")
    assert SimpleRNN(4, None).activation == "linear"  # None means linear, as Keras


# ------------------------------------------------------------------ pinned numbers
def test_seeded_initial_weights_are_pinned():
    cases.assert_pinned_weights(SimpleRNN, 4, PINNED_W_SUM, PINNED_U_CHECK)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_golden_outputs(dtype):
    # float64 as pinned; float32 within the epsilon-derived bound of the float64 numbers
    tol = 1e-12 if dtype == "float64" else tolerances(dtype, 1.0, rnn_terms(2, 3, 5, 4))[0]
    layer = SimpleRNN(4, seed=0, return_sequences=True, dtype=dtype)
    y = layer(cases.golden_input(dtype))
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y[0, -1], PINNED_Y0_LAST, rtol=tol, atol=tol)
    np.testing.assert_allclose(y[1, 0], PINNED_Y1_FIRST, rtol=tol, atol=tol)
    relu = SimpleRNN(4, activation="relu", seed=0, go_backwards=True, dtype=dtype)
    y = relu(cases.golden_input(dtype))
    np.testing.assert_allclose(y, PINNED_RELU_BACK, rtol=tol, atol=tol)


# computed once with the first correct implementation (checked against the cell and torch)
PINNED_W_SUM = 0.4034103140239481
PINNED_U_CHECK = -16.315856084045606
PINNED_Y0_LAST = [-0.7296705468935359, -0.7737007130925057, -0.09963463711158503,
                  0.13764835574119705]
PINNED_Y1_FIRST = [0.3781077781916967, 0.01642224372296884, 0.06999951272331711,
                   -0.2871782819173176]
PINNED_RELU_BACK = [[0.0, 0.0, 0.2133762217722155, 1.0331389322192488],
                    [1.8326016369720084, 1.3635580669308247, 0.0, 0.0]]
