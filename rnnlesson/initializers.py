"""Weight initialisers, as Keras defines them.

* ``glorot_uniform``: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)),
  the default for every ``kernel``.
* ``orthogonal``: a random orthogonal matrix (QR of a Gaussian matrix, with the
  signs fixed so the result is uniformly distributed), the default for every
  ``recurrent_kernel``. For a (H, 4H) matrix the rows are orthonormal.
* ``zeros``: the default for biases.

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
