"""Tolerances for comparing floating-point results, derived from machine epsilon.

The rule (tests/README.md explains it at more length): a result computed in float32
is compared with a float64 reference of the same computation, and it may differ by

    |actual - reference| <= rtol * |reference| + atol,
    rtol = 4 * sqrt(n) * eps,    atol = rtol * max|reference|,

where eps is the machine epsilon of the dtype the result was computed in (2**-23 for
float32) and n is the number of terms accumulated along the longest chain of sums that
produced any entry (for a recurrent layer, :func:`rnn_terms`). Rounding errors of a sum
of n terms grow like sqrt(n) * eps/2 on average and n * eps/2 at worst; 4 * sqrt(n) * eps
covers the average growth eight times over, and the atol term covers entries that are
small only because of cancellation (their error scales with the size of the terms,
which the largest entry of the array stands for). A real bug (a missing derivative, a
transposed weight, a swapped gate) gives errors of 1e-2 or more relative to the largest
entry, orders of magnitude above these bounds.

Nothing here depends on which CPU ran the test: BLAS kernels that sum in another order
(AVX2, AVX-512, arm64, OPENBLAS_CORETYPE) change the rounding, not the bound.
"""

from __future__ import annotations

import math

import numpy as np

#: multiple of sqrt(n) * eps allowed between a result and its float64 reference
SAFETY = 4.0


def tolerances(dtype, reference, terms: int, scale=None) -> tuple[float, float]:
    """``(rtol, atol)`` for a result computed in ``dtype`` against a float64 ``reference``.

    ``terms`` is the number of terms along the longest chain of sums behind one entry.
    ``scale`` is the size of those terms; by default the largest entry of ``reference``.
    Give it when the whole array is small because its sums cancel (a one-entry gradient,
    say): the rounding error follows the size of the terms, not of their sum.
    """
    if terms < 1:
        raise ValueError(f"terms must be >= 1; got {terms}")
    eps = float(np.finfo(np.dtype(dtype)).eps)
    rtol = SAFETY * math.sqrt(terms) * eps
    ref = np.asarray(reference, dtype=np.float64)
    biggest = float(np.max(np.abs(ref))) if ref.size else 0.0
    return rtol, rtol * (biggest if scale is None else max(scale, biggest))


def assert_close(actual, reference, *, dtype, terms: int, scale=None, what: str = "") -> None:
    """Assert that ``actual`` (computed in ``dtype``) agrees with the float64 ``reference``
    within :func:`tolerances`. ``what`` names the quantity in the failure message."""
    actual = np.asarray(actual)
    reference = np.asarray(reference, dtype=np.float64)
    assert actual.shape == reference.shape, (
        f"{what}: shape {actual.shape} against the reference's {reference.shape}")
    rtol, atol = tolerances(dtype, reference, terms, scale)
    np.testing.assert_allclose(
        actual.astype(np.float64), reference, rtol=rtol, atol=atol,
        err_msg=f"{what} ({np.dtype(dtype).name}, n={terms}: rtol {rtol:.2g}, atol {atol:.2g})")


#: roundings per time step outside the dot products: the gates' exp, add, divide and tanh,
#: the cell update's multiplies and adds (an LSTM step has eight on each value's path)
STEP_ROUNDINGS = 8


def rnn_terms(n: int, t: int, d: int, h: int) -> int:
    """An upper estimate of the roundings behind one entry of a recurrent layer's outputs or
    gradients: N * T * (D + H + 1 + STEP_ROUNDINGS). A weight gradient sums over the N * T
    steps of the batch; each step's value comes from a (D + H + 1)-term dot product (inputs,
    state, bias) and a few elementwise operations."""
    return n * t * (d + h + 1 + STEP_ROUNDINGS)
