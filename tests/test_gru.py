"""What is special to the GRU: its equations (both forms), pinned numbers, Keras's count.

Everything every layer or every recurrent layer must do is in test_layer_contract.py,
test_recurrent_contract.py and test_cell_contract.py (both reset_after forms).
"""

import numpy as np
import pytest
from layer_cases import assert_pinned_weights, golden_input
from numerics import rnn_terms, tolerances

from rnnlesson.cells import GRUCell
from rnnlesson.layers import GRU

RESET_AFTER = pytest.mark.parametrize("reset_after", [True, False], ids=["ra1", "ra0"])


def test_cell_follows_the_equations_written_out():
    """The cell's step against the Keras equations typed in separately (reset_after=True)."""
    rng = np.random.default_rng(0)
    n, d, h = 2, 3, 4
    cell = GRUCell(h, dtype="float64")
    cell.build((n, d))
    W, U, b = (rng.standard_normal(s) for s in [(d, 3 * h), (h, 3 * h), (2, 3 * h)])
    cell.set_weights([W, U, b])
    x, hp = rng.standard_normal((n, d)), rng.standard_normal((n, h))

    def sig(a):
        return 1 / (1 + np.exp(-a))

    z = sig(x @ W[:, :h] + b[0, :h] + hp @ U[:, :h] + b[1, :h])
    r = sig(x @ W[:, h:2 * h] + b[0, h:2 * h] + hp @ U[:, h:2 * h] + b[1, h:2 * h])
    hh = np.tanh(x @ W[:, 2 * h:] + b[0, 2 * h:] + r * (hp @ U[:, 2 * h:] + b[1, 2 * h:]))
    np.testing.assert_allclose(cell.forward(x, hp)[0], z * hp + (1 - z) * hh, rtol=1e-13)

    cell0 = GRUCell(h, reset_after=False, dtype="float64")
    cell0.build((n, d))
    b0 = b[0]
    cell0.set_weights([W, U, b0])
    z = sig(x @ W[:, :h] + hp @ U[:, :h] + b0[:h])
    r = sig(x @ W[:, h:2 * h] + hp @ U[:, h:2 * h] + b0[h:2 * h])
    hh = np.tanh(x @ W[:, 2 * h:] + (r * hp) @ U[:, 2 * h:] + b0[2 * h:])
    np.testing.assert_allclose(cell0.forward(x, hp)[0], z * hp + (1 - z) * hh, rtol=1e-13)


@RESET_AFTER
def test_count_params_is_keras(reset_after):
    layer = GRU(4, reset_after=reset_after, seed=0)
    layer.build((None, 5, 3))
    # Keras: 3 * (u * (D + u) + u) plus another 3u recurrent bias with reset_after
    assert layer.count_params() == 3 * (4 * (3 + 4) + 4) + (12 if reset_after else 0)


def test_reset_after_must_be_a_bool():
    with pytest.raises(TypeError, match=r"reset_after to be True or False; got 'yes'"):
        GRU(4, reset_after="yes")
    with pytest.raises(TypeError, match=r"reset_after to be True or False"):
        GRUCell(4, reset_after=1)


# ------------------------------------------------------------------ pinned numbers
def test_seeded_initial_weights_are_pinned():
    assert_pinned_weights(GRU, 4, PINNED_W_SUM, PINNED_U_CHECK)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_golden_outputs(dtype):
    # float64 as pinned; float32 within the epsilon-derived bound of the float64 numbers
    tol = 1e-12 if dtype == "float64" else tolerances(dtype, 1.0, rnn_terms(2, 3, 5, 4))[0]
    y = GRU(4, seed=0, return_sequences=True, dtype=dtype)(golden_input(dtype))
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y[0, -1], PINNED_Y0_LAST, rtol=tol, atol=tol)
    np.testing.assert_allclose(y[1, 0], PINNED_Y1_FIRST, rtol=tol, atol=tol)
    # non-zero biases so the bias paths are pinned too
    layer = GRU(4, reset_after=False, seed=0, go_backwards=True, dtype=dtype)
    layer.build((None, None, 5))
    layer.params["bias"][...] = np.linspace(-0.5, 0.5, 12)
    np.testing.assert_allclose(layer(golden_input(dtype)), PINNED_RA0_BACK, rtol=tol, atol=tol)
    layer = GRU(4, seed=0, dtype=dtype)
    layer.build((None, None, 5))
    layer.params["bias"][...] = np.linspace(-0.5, 0.5, 24).reshape(2, 12)
    np.testing.assert_allclose(layer(golden_input(dtype)), PINNED_RA1_BIAS, rtol=tol, atol=tol)


# computed once with the first correct implementation (checked against the cell and torch)
PINNED_W_SUM = 0.37905971096382485
PINNED_U_CHECK = 34.44423009401244
PINNED_Y0_LAST = [0.3575893472675026, -0.2900667317576481, -0.1383482580863109, 0.35831417143983435]
PINNED_Y1_FIRST = [-0.09296092920189329, 0.10851599338336831, -0.057156887220250086,
                   -0.08883229048074366]
PINNED_RA0_BACK = [[0.7665671815193822, -0.3420438712935674, 0.26078528266949547,
                    0.6217665344220819],
                   [-0.14503151407605755, 0.5379402055603832, 0.29229586277051334,
                    -0.02465880222312622]]
PINNED_RA1_BIAS = [[0.33348531315919483, -0.2645105895376817, -0.017977460315838998,
                    0.5124644622281979],
                   [-0.5694005978414443, 0.646114041633053, 0.0534741707924685,
                    -0.5406235595884217]]
