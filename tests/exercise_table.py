"""What the exercise tests know about each checker: a right answer and typical mistakes.

Each lesson's test file (tests/test_exercises_*.py) lists its exercises as
:class:`Exercise` rows; tests/test_exercises_harness.py runs every row through the same
tests (right answers accepted in float64 and float32, each mistake rejected with its
hint, stubs not attempted, strict mode, the verdict's format).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Mistake(NamedTuple):
    """A wrong answer and words its verdict must contain (the specific message or hint).

    ``numeric`` is False for mistakes that are not about the numbers (a crash, a wrong
    shape, an input written in place), which a float32 copy of the inputs would hide.
    """

    fn: Callable
    words: str
    numeric: bool = True


class Exercise(NamedTuple):
    """One checker: its exercise name (as the verdict prints it), a right answer, and
    its typical mistakes. ``float32`` says whether the answer is an array that a learner
    may compute in float32."""

    checker: Callable
    name: str
    right: Callable
    mistakes: list[Mistake]
    float32: bool = True


def stub(*args):
    raise NotImplementedError("write this function")


def _to32(a):
    if isinstance(a, np.ndarray) and a.dtype == np.float64:
        return a.astype(np.float32)
    if isinstance(a, list):
        return [_to32(b) for b in a]
    return a


def in_float32(fn, back_to_float64=False):
    """``fn`` run on float32 copies of its float64 array arguments, as a learner working in
    float32 would; with ``back_to_float64`` its arrays are cast back before they return."""

    def run(*args):
        out = fn(*(_to32(a) for a in args))
        if not back_to_float64:
            return out
        if isinstance(out, (tuple, list)):
            return type(out)(np.asarray(o, dtype=np.float64) for o in out)
        return np.asarray(out, dtype=np.float64)

    run.__name__ = getattr(fn, "__name__", "fn")
    return run
