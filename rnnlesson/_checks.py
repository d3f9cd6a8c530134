"""Input validation shared by every public entry point.

Each helper raises ``TypeError`` or ``ValueError`` with a message that names what
was expected and what came, so a learner never sees an IndexError from deep
inside numpy. Messages start with the name of the thing that complained
(``"SimpleRNN expects ..."``).
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def resolve_dtype(dtype, owner: str) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"{owner} expects dtype='float32' or 'float64'; got {dtype!r}."
        ) from exc
    if dt.name not in FLOAT_DTYPES:
        raise TypeError(f"{owner} expects dtype='float32' or 'float64'; got {dt.name!r}.")
    return dt


def shape_str(shape) -> str:
    """Format a shape the way the docs write it: ``(N, T, D)`` or ``(32, 8)``."""
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def numeric_array(x, owner: str, what: str = "input") -> np.ndarray:
    """``np.asarray(x)`` if it is numeric (bool, int or float), else a TypeError or ValueError
    that says what to do: pad ragged sequences, turn text into ids. No copy, no NaN check."""
    if isinstance(x, (list, tuple)) and len(x) > 0 and isinstance(x[0], np.ndarray) and any(
        np.shape(a) != np.shape(x[0]) for a in x
    ):
        raise ValueError(
            f"{owner} expects its {what} as one array; got a list of arrays of different "
            f"shapes {[np.shape(a) for a in x][:4]}. Pad the sequences to one length first "
            "(rnnlesson.text.pad_sequences)."
        )
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{owner} expects a numeric array as {what}; got {type(x).__name__}."
        ) from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{owner} expects a numeric array as {what}; got an array of dtype {arr.dtype}. "
            "Text must be turned into numbers first (rnnlesson.text.Vocabulary)."
        )
    return arr


def as_float_array(x, dtype: np.dtype, owner: str, what: str = "input") -> np.ndarray:
    """Convert ``x`` to a float array of ``dtype``; reject non-numbers, NaN and inf.

    Returns the array itself when it already has the right dtype (no copy), so
    callers must not write into the result.
    """
    arr = numeric_array(x, owner, what)
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    check_finite(arr, owner, what)
    return arr


def batch_array(x, owner: str, what: str = "x") -> np.ndarray:
    """A model's input or target batch: numeric, finite, with a non-empty batch axis first.

    Integer arrays stay integer (token ids); bool becomes float32; floats keep their
    dtype (each layer casts to its own). No copy when ``x`` is already such an array.
    """
    arr = numeric_array(x, owner, what)
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError(f"{owner} expects {what} with a batch axis first, shape (N, ...); "
                         "got a single number.")
    if arr.shape[0] == 0:
        raise ValueError(f"{owner} expects a non-empty {what}; got shape "
                         f"{shape_str(arr.shape)} (no samples).")
    check_finite(arr, owner, what)
    return arr


#: True while a caller that checks every array itself runs layers (see checked_elsewhere)
_CHECKED_ELSEWHERE = contextvars.ContextVar("rnnlesson_checked_elsewhere", default=False)


@contextlib.contextmanager
def checked_elsewhere():
    """Inside this block :func:`check_finite` does nothing.

    For the one training step (``models.training.train_step``), which checks its batch
    first, then every layer's output and every gradient itself, and reports a NaN or
    inf as a diverged step. The layers' own checks of what they receive would only
    repeat that work: one pass over each array, a language model's (N, T, V) scores
    and their gradient included.
    """
    token = _CHECKED_ELSEWHERE.set(True)
    try:
        yield
    finally:
        _CHECKED_ELSEWHERE.reset(token)


def check_finite(arr: np.ndarray, owner: str, what: str = "input") -> None:
    """Raise ValueError if ``arr`` holds NaN or inf (cheap: one reduction)."""
    if _CHECKED_ELSEWHERE.get():
        return
    if arr.dtype.kind == "f" and arr.size and not np.isfinite(arr.sum()):
        # sum() is fast; only if it is not finite do we look closer, since a
        # large-but-finite array can overflow the sum.
        if not np.isfinite(arr).all():
            n_nan = int(np.isnan(arr).sum())
            n_inf = int(np.isinf(arr).sum())
            raise ValueError(
                f"{owner} got {what} containing {n_nan} NaN and {n_inf} inf values; "
                "expected finite numbers. Check the data, or lower the learning rate if "
                "they appeared during training."
            )


def check_ndim(arr: np.ndarray, ndim: int, owner: str, expected: str, hint: str = "") -> None:
    """Raise ValueError unless ``arr.ndim == ndim``; ``expected`` is e.g. ``'(N, T, D)'``."""
    if arr.ndim != ndim:
        msg = f"{owner} expects input of shape {expected}; got {shape_str(arr.shape)}."
        if hint:
            msg += " " + hint
        raise ValueError(msg)


def check_nonempty(arr: np.ndarray, owner: str, expected: str) -> None:
    """Raise ValueError if any axis of ``arr`` has length 0."""
    if arr.size == 0:
        raise ValueError(
            f"{owner} expects a non-empty input of shape {expected}; got {shape_str(arr.shape)}, "
            "which holds no values (an empty batch or an empty sequence)."
        )


def positive_int(value, name: str, owner: str) -> int:
    """Return ``value`` as int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner} expects {name} to be a positive integer; got {value!r}.")
    if value <= 0:
        raise ValueError(f"{owner} expects {name} to be a positive integer; got {value}.")
    return int(value)


def nonneg_int(value, name: str, owner: str) -> int:
    """Return ``value`` as int if it is an integer >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner} expects {name} to be an integer >= 0; got {value!r}.")
    if value < 0:
        raise ValueError(f"{owner} expects {name} to be an integer >= 0; got {value}.")
    return int(value)


def real_number(value, name: str, owner: str, low=None, high=None,
                low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """Return ``value`` as float if it is a finite real number within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner} expects {name} to be a number; got {value!r}.")
    v = float(value)
    lo_ok = low is None or (v >= low if low_inclusive else v > low)
    hi_ok = high is None or (v <= high if high_inclusive else v < high)
    if not np.isfinite(v) or not lo_ok or not hi_ok:
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        lb = "[" if low_inclusive and low is not None else "("
        hb = "]" if high_inclusive and high is not None else ")"
        raise ValueError(f"{owner} expects {name} in {lb}{lo}, {hi}{hb}; got {value!r}.")
    return v


def seed(value, owner: str, name: str = "seed", allow_none: bool = True):
    """Return ``value`` as an int if it is an integer >= 0 (or None when allowed), else raise.

    The one check of every ``seed=`` argument in the package (layers, models, data sets,
    trainers, widgets), so they all accept and refuse the same things.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an integer >= 0 or None" if allow_none else "an integer >= 0"
        raise TypeError(f"{owner} expects {name} to be {expected}; got {value!r}.")
    if value < 0:
        raise ValueError(f"{owner} expects {name} to be an integer >= 0; got {value}.")
    return int(value)


def one_of(value, name: str, owner: str, choices) -> object:
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    if value not in choices:
        raise ValueError(
            f"{owner} expects {name} to be one of {', '.join(repr(c) for c in choices)}; "
            f"got {value!r}."
        )
    return value


def boolean(value, name: str, owner: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools allowed), else raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner} expects {name} to be True or False; got {value!r}.")
    return bool(value)
