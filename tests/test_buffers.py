"""The layers' scratch-buffer helpers: layouts and ownership of what they return."""

import numpy as np
import pytest

from rnnlesson.layers._buffers import batch_major, time_columns, transpose_into, transposed


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


@pytest.mark.parametrize("shape", [(3, 5), (128, 128), (145, 512), (273, 1024), (300, 7)],
                         ids=["small", "at-threshold", "bands-of-16", "bands-of-8", "tall"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose_into_copies_every_element_band_by_band(shape, dtype):
    rng = np.random.default_rng(1)
    big = rng.standard_normal((shape[0] + 3, shape[1] + 5)).astype(dtype)
    a = big[1:shape[0] + 1, 2:shape[1] + 2]  # a strided view, as the GRU passes
    out = np.full(shape[::-1], np.nan, dtype)
    assert transpose_into(a, out) is out
    np.testing.assert_array_equal(out, a.T)  # the last, partial band included
    fresh = transposed(a)
    np.testing.assert_array_equal(fresh, a.T)
    assert fresh.flags.c_contiguous and not np.shares_memory(fresh, big)
