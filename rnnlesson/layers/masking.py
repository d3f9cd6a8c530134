"""Masks, as Keras 3 passes them from layer to layer, and the ``Masking`` layer.

A mask marks which time steps of a batch of sequences are real and which are padding:
a boolean array (N, T), True where the step counts. Two layers make one:

* ``Embedding(V, E, mask_zero=True)``: the steps whose id is 0 (the padding id);
* ``Masking(mask_value=0.0)``: the steps whose every feature equals ``mask_value``.

``Sequential`` hands the mask to the next layers, as Keras does (:func:`call_with_mask`).
Each layer says what it does with one, with three attributes of :class:`Layer`:

* ``supports_masking``: it can receive a mask. A layer that cannot (``Flatten``) drops
  it with a warning, so the layers after it see none (Keras's behaviour).
* ``takes_mask``: its ``forward`` takes ``mask=`` and uses it (the recurrent layers
  and ``Bidirectional``: masked steps leave the state unchanged).
* ``compute_mask(x, mask)``: the mask of its output. By default the incoming mask
  when ``supports_masking`` (``Dense`` and ``Dropout`` work step by step, so the
  mask still fits), else None; a recurrent layer passes it on only with
  ``return_sequences=True`` (otherwise it has consumed the time axis).

The loss and the metrics then leave the masked steps out (see
:mod:`rnnlesson.models.training`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _checks
from .base import Layer

__all__ = ["Masking", "sequence_mask", "call_with_mask", "skipped_rows", "skipped_columns"]


def sequence_mask(mask, n: int, t: int, owner: str):
    """``mask`` checked as a sequence mask for N sequences of T steps: a bool array (N, T)
    (a fresh copy), or None. 0/1 numbers are accepted as False/True."""
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expects a mask of booleans (N, T), True where a time step "
                        f"counts; got an array of dtype {arr.dtype}.")
    if arr.shape != (n, t):
        raise ValueError(
            f"{owner} expects a mask of shape (N, T) = ({n}, {t}), one entry per sequence and "
            f"time step of its input; got {_checks.shape_str(arr.shape)}.")
    if arr.dtype.kind != "b":
        if not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{owner} expects a mask of booleans or 0/1 (N, T); got other "
                             f"values, e.g. {arr[~np.isin(arr, (0, 1))].flat[0].item()!r}.")
        return arr != 0
    return arr.copy()


def skipped_rows(keep: np.ndarray, width: int) -> list:
    """Per time step, the entries of an (N, width) block that a mask ``keep`` (N, T) skips
    (whole rows), as a bool array for ``np.copyto(..., where=)``, or None at steps where no
    sequence is masked (the masked loops then skip the copy). Full-size arrays: a
    broadcast ``where`` of shape (N, 1) made the copy 1.4x to 4x slower."""
    skip = np.repeat(~keep.T[:, :, None], width, axis=2)  # (T, N, width)
    return [c if a else None for c, a in zip(skip, ~keep.all(axis=0), strict=True)]


def skipped_columns(keep: np.ndarray, height: int) -> list:
    """The same for the transposed (height, N) blocks of the LSTM and GRU loops: whole
    columns, (height, N) bool arrays or None."""
    skip = np.repeat(~keep.T[:, None, :], height, axis=1)  # (T, height, N)
    return [c if a else None for c, a in zip(skip, ~keep.all(axis=0), strict=True)]


def call_with_mask(layer, x, mask, training=False):
    """Run ``layer`` on ``x`` with the incoming ``mask`` (N, T) or None, as Keras does, and
    return ``(output, output mask)``.

    A layer that does not support masking gets no mask and passes none on (Keras warns
    the same way); a layer that takes one gets it as ``forward(..., mask=mask)``.
    """
    if mask is not None and not layer.supports_masking:
        warnings.warn(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
            "mask attached to it. However, this layer does not support masking and will "
            "therefore destroy the mask information. Downstream layers will not see the mask.",
            stacklevel=2)
        mask = None
    if mask is not None and layer.takes_mask:
        out = layer.forward(x, training=training, mask=mask)
    else:
        out = layer.forward(x, training=training)
    return out, layer.compute_mask(x, mask)


class Masking(Layer):
    """Mask the time steps whose features all equal ``mask_value`` (Keras's ``Masking``).

    Args:
        mask_value: the padding value (default 0.0).
        name, dtype, input_shape: as :class:`Layer`.

    Shapes: x (N, T, D) -> the same shape, with the masked steps set to 0 (as Keras), and
    the mask ``any(x != mask_value, axis=-1)`` (N, T) for the layers after it. Backward
    passes dL/dy through at the kept steps and 0 at the masked ones.
    """

    _config_keys = ("mask_value",)
    uses_randomness = False
    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = _checks.real_number(mask_value, "mask_value", "Masking")
        self._last = None  # (the input object of the last forward, its mask)

    def _check_shape(self, shape) -> None:
        if len(shape) != 3:
            raise ValueError(f"Masking expects input of shape (N, T, D); got "
                             f"{_checks.shape_str(shape)}.")

    def compute_output_shape(self, input_shape):
        """The input shape, unchanged: (N, T, D)."""
        input_shape = tuple(input_shape)
        self._check_shape(input_shape)
        return input_shape

    def _mask_of(self, x: np.ndarray) -> np.ndarray:
        return (x != self.mask_value).any(axis=-1)

    def forward(self, x, training=False):
        """x: (N, T, D) -> (N, T, D), zero where a step is masked. ``training`` is unused."""
        arr = _checks.as_float_array(x, self.dtype, "Masking")
        self._check_shape(arr.shape)
        _checks.check_nonempty(arr, "Masking", "(N, T, D) with N >= 1 and T >= 1")
        self._ensure_built(arr.shape)
        keep = self._mask_of(arr)
        self._cache = (keep, arr.shape)
        self._last = (x, keep)
        return np.where(keep[..., None], arr, np.zeros((), arr.dtype))  # zeros, as Keras

    def compute_mask(self, x, mask=None):
        """(N, T): True where some feature of x differs from ``mask_value`` (the incoming
        mask is replaced, as Keras does)."""
        if self._last is not None and self._last[0] is x:
            return self._last[1]  # already computed by forward
        arr = _checks.as_float_array(x, self.dtype, "Masking")
        self._check_shape(arr.shape)
        return self._mask_of(arr)

    def backward(self, dy):
        """dy: dL/dy (N, T, D) -> dL/dx = dy at the kept steps, 0 at the masked ones."""
        keep, shape = self._need_cache()
        dy = self._check_grad(dy, shape)
        return dy * keep[..., None]
