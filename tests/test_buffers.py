"""The layers' scratch-buffer helpers: layouts and ownership of what they return."""

import numpy as np
import pytest

from rnnlesson.layers._buffers import batch_major, time_columns


@pytest.mark.parametrize("shape", [(5, 4, 5), (1, 3, 1), (3, 4, 64), (100, 64, 32)],
                         ids=["small", "ones", "stepwise-many", "stepwise-large"])
def test_batch_major_transposes_a_view_into_a_fresh_array(shape):
    t, h, n = shape
    rng = np.random.default_rng(0)
    z = rng.standard_normal((t + 1, h + 3, n)).astype(np.float32)  # as an LSTM keeps it
    hn = z[1:, :h]                                                  # (T, H, N) view
    out = batch_major(hn)
    assert out.shape == (n, t, h) and out.dtype == np.float32
    np.testing.assert_array_equal(out, hn.transpose(2, 0, 1))
    assert out.flags.c_contiguous and not np.shares_memory(out, z)


def test_time_columns_orders_columns_by_step_then_sequence():
    a = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)  # (T, R, N)

    class Layer:
        pass

    cols = time_columns(Layer(), "cols", a)
    assert cols.shape == (3, 8)
    np.testing.assert_array_equal(cols[:, :4], a[0])
    np.testing.assert_array_equal(cols[:, 4:], a[1])
