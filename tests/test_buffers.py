"""The layers' scratch-buffer helpers: layouts and ownership of what they return."""

import numpy as np

from rnnlesson.layers._buffers import batch_major, time_columns


def test_batch_major_transposes_a_view_into_a_fresh_array():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 9, 4)).astype(np.float32)  # (T + 1, K, N) as an LSTM keeps it
    hn = z[1:, :5]                                           # (T, H, N) view with gaps
    out = batch_major(hn)
    assert out.shape == (4, 5, 5) and out.dtype == np.float32
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
