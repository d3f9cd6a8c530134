"""Weight initialisers, as Keras defines them.

* ``glorot_uniform``: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)),
  the default for every ``kernel``.
* ``orthogonal``: a random orthogonal matrix (QR of a Gaussian matrix, with the
  signs fixed so the result is uniformly distributed), the default for every
  ``recurrent_kernel``. For a (H, 4H) matrix the rows are orthonormal.
* ``zeros``: the default for biases.
* ``recurrent_weights``: the three weights of a recurrent layer or cell from the above,
  so a layer and a cell with the same seed start from the same numbers.

All take a ``numpy.random.Generator`` so a layer's ``seed=`` makes its weights
reproducible.
"""

from __future__ import annotations

import numpy as np


def glorot_uniform(shape, rng: np.random.Generator, dtype="float32") -> np.ndarray:
    """Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).

    For a weight of shape (fan_in, fan_out).
    """
    fan_in, fan_out = shape[0], shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def uniform(shape, rng: np.random.Generator, dtype="float32", limit: float = 0.05) -> np.ndarray:
    """U(-limit, limit); Keras's default for ``Embedding`` uses limit 0.05."""
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def orthogonal(shape, rng: np.random.Generator, dtype="float32", gain: float = 1.0) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal rows or columns (whichever are fewer)."""
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the distribution uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)


def zeros(shape, rng=None, dtype="float32") -> np.ndarray:
    """All zeros."""
    return np.zeros(shape, dtype=dtype)


def recurrent_weights(input_dim: int, units: int, blocks: int, rng: np.random.Generator,
                      dtype="float32", *, bias_shape=None, forget_bias_block=None) -> dict:
    """Keras's initial weights of a recurrent layer with ``blocks`` gate blocks of H columns.

    Returns ``{'kernel': (D, kH) glorot-uniform, 'recurrent_kernel': (H, kH) orthogonal,
    'bias': zeros of bias_shape (default (kH,))}``, drawn in that order from ``rng``.
    k is 1 for a SimpleRNN, 4 for an LSTM (``forget_bias_block=1`` sets the forget block
    of the bias to 1, Keras's ``unit_forget_bias``) and 3 for a GRU (bias (2, 3H) with
    ``reset_after``).
    """
    h = units
    weights = {
        "kernel": glorot_uniform((input_dim, blocks * h), rng, dtype),
        "recurrent_kernel": orthogonal((h, blocks * h), rng, dtype),
        "bias": zeros(bias_shape or (blocks * h,), dtype=dtype),
    }
    if forget_bias_block is not None:
        k = forget_bias_block
        weights["bias"][..., k * h:(k + 1) * h] = 1.0
    return weights
