"""Scratch buffers that the fast recurrent layers keep between calls.

``SimpleRNN``, ``LSTM`` and ``GRU`` run their time loops over preallocated, time-major
arrays (``out=`` on every operation). Fresh multi-megabyte arrays on every call cost
page faults (the allocator hands big blocks back to the system), which measured about
a third of a training step, so each layer keeps its work arrays here, by name:

* :func:`workspace` ``(layer, name, shape, dtype)``: the layer's array ``name``, made
  again only when the shape or dtype changes;
* :func:`time_columns` ``(layer, name, a)``: time-major blocks (T, R, N) laid out as one
  (R, T*N) matrix, so a weight gradient over every step is one matrix product;
* :func:`batch_major` ``(a)``: transposed time-major blocks (T, H, N) as a fresh (N, T, H)
  array, the layers' public layout;
* :func:`transpose_into` ``(a, out)``: ``out[...] = a.T`` for a matrix, in bands that stay
  in the first-level cache; :func:`transposed` ``(a)``: the same into a fresh array.

They are internal: nothing a layer returns to its caller is a workspace, and each
forward call overwrites the previous call's arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["workspace", "time_columns", "batch_major", "transpose_into", "transposed"]


def workspace(layer, name: str, shape, dtype) -> np.ndarray:
    """The scratch array ``name`` of ``layer``, of ``shape`` and ``dtype`` (contents undefined).

    The same array (same memory) is returned while the shape and dtype stay the same.
    """
    ws = layer.__dict__.setdefault("_workspaces", {})
    a = ws.get(name)
    if a is None or a.shape != shape or a.dtype != dtype:
        a = ws[name] = np.empty(shape, dtype)
    return a


def time_columns(layer, name: str, a: np.ndarray) -> np.ndarray:
    """Time-major blocks ``a`` (T, R, N) as one (R, T*N) matrix, columns ordered (t, n).

    Copied into the workspace ``name`` of ``layer``: the transposed layers (LSTM, GRU)
    keep step t's gradients as an (R, N) block, and each weight gradient is then one
    product of two such matrices over all T*N columns.
    """
    t, r, n = a.shape
    out = workspace(layer, name, (r, t, n), a.dtype)
    np.copyto(out, a.transpose(1, 0, 2))
    return out.reshape(r, t * n)


def batch_major(a: np.ndarray) -> np.ndarray:
    """Transposed time-major blocks ``a`` (T, H, N) as a fresh (N, T, H) array.

    With many sequences (N >= 64) or a large array, the copy goes one time step at a
    time, each step's (H, N) block transposed on its own: at T = 29, H = 256, N = 128 one
    copy of the whole transposed array took 7.1 ms, step by step 1.3 ms; at T = 4,
    H = 128, N = 128, 72 us against 39 us (AVX-512 Xeon). With fewer sequences and
    under 200,000 elements the single copy is quicker (T = 50, H = 32, N = 32: 39 us
    against 47 us) and is used.
    """
    t, h, n = a.shape
    if n < 64 and a.size < 200_000:
        return a.transpose(2, 0, 1).copy()  # C order, never a view of a
    out = np.empty((n, t, h), a.dtype)
    for step in range(t):
        np.copyto(out[:, step], a[step].T)
    return out


def transpose_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[...] = a.T`` for a 2-D ``a`` (M, K) and ``out`` (K, M); returns ``out``.

    numpy copies a transposed matrix element by element down the columns of ``a``, one
    cache line read per element, which is slow once the matrix outgrows the cache: the
    LSTM's (273, 512) float32 weights took 310 us, as long as one of its time steps
    (AMD EPYC, AVX-512). Here the copy goes in bands of rows of ``a`` of about 32 KB, each
    band read and written while it stays in the first-level cache: 77 us for that matrix,
    40 us against 168 at (145, 512), 191 against 787 at (273, 1024). Small matrices are
    copied in one call.
    """
    m, k = a.shape
    if a.size <= 16384:
        np.copyto(out, a.T)
        return out
    rows = max(4, 8192 // k)  # 8192 float32 = 32 KB a band
    for i in range(0, m, rows):
        np.copyto(out[:, i:i + rows], a[i:i + rows].T)
    return out


def transposed(a: np.ndarray) -> np.ndarray:
    """``a.T`` of a 2-D ``a`` as a fresh C-contiguous array (see :func:`transpose_into`)."""
    return transpose_into(a, np.empty(a.shape[::-1], a.dtype))
