"""The exercise harness: one result type, one tolerance rule and one runner for every checker.

A checker such as :func:`rnnlesson.exercises.check_rnn_step` has two parts. Its *body*
calls the learner's function on seeded test cases through :func:`call`, compares each
answer with a reference through :func:`diagnose` (or :func:`check_counts` for whole
numbers), and raises :class:`Wrong` with a message and a hint at the first wrong
answer; it returns a short sentence for the success verdict. The public function hands
the body to :func:`run_check`::

    def check_rnn_step(rnn_step, *, strict=False):
        return run_check("rnn_step", _rnn_step_body, rnn_step, strict=strict)

One check serves two uses:

* in a learner's notebook, ``check_rnn_step(rnn_step)`` prints its verdict and a hint
  and returns a :class:`CheckResult`; it never raises, so "Run All" keeps going, and a
  stub that still raises ``NotImplementedError`` is "not attempted yet";
* in a graded test cell (nbgrader), ``check_rnn_step(rnn_step, strict=True)`` raises
  ``AssertionError`` carrying the same verdict and hint when the answer is wrong or not
  attempted, and prints the verdict when it is right.

Every verdict has the same form::

    ✅ rnn_step: correct! <what was checked>
       Note: <an optional remark>
    ❌ rnn_step: not yet. <what is wrong>
       Hint: <what to do about it>
    ⏳ rnn_step: not attempted yet. <what to do>

**The tolerance rule** (:func:`tolerance`, in the spirit of tests/README.md). The checkers
feed float64 inputs and compute a float64 reference. A learner's array answer is right
when, entry by entry,

    |answer - reference| <= rtol * |reference| + atol,
    rtol = 4 * sqrt(n) * eps,    atol = rtol * max(max|reference|, scale),

where n is the number of roundings behind one entry (the terms of the longest sum plus
:data:`ROUNDINGS` elementwise operations), scale the size of the terms where a sum
cancels, and eps the machine epsilon of the answer's dtype, **and float32's at the least**:
a learner may compute in float32 anywhere inside (Keras's default dtype) and hand back a
float64 array that is only as accurate as its float32 steps. So any correct float64 or
float32 implementation passes, whatever order it sums in, while every typical mistake the
checkers know (a missing derivative, a transposed weight, a swapped gate, an off-by-one
in time) is off by far more. Measured on the tests' answers: the float32 answers still
pass with a bound eight times tighter, and every typical mistake is still told apart
with a bound 10,000 times looser. A typical mistake is recognised with the same rule,
its float64 result standing in for the reference. Whole numbers (parameter counts) are
compared exactly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["CheckResult", "CORRECT", "WRONG", "NOT_ATTEMPTED", "Wrong", "NotAttempted",
           "Formula", "ROUNDINGS", "tolerance", "close", "max_error", "call", "as_answer",
           "diagnose", "as_count", "check_counts", "run_check"]

CORRECT = "correct"
WRONG = "wrong"
NOT_ATTEMPTED = "not attempted"

_MARK = {CORRECT: "\N{WHITE HEAVY CHECK MARK}", WRONG: "\N{CROSS MARK}",
         NOT_ATTEMPTED: "\N{HOURGLASS WITH FLOWING SAND}"}
_HEADLINE = {CORRECT: "correct!", WRONG: "not yet.", NOT_ATTEMPTED: "not attempted yet."}

NOT_ATTEMPTED_MESSAGE = ("Your function still raises NotImplementedError: write it in its cell "
                         "(replace the `raise NotImplementedError`), run that cell, then run "
                         "this check again.")
CRASH_HINT = ("Read the error message: it names the line that failed. A shape error usually "
              "means a matrix is used the wrong way round; print the shapes of the arrays in "
              "that line.")
MUTATION_HINT = ("Compute new arrays (e.g. `g * scale`) instead of writing into the arguments "
                 "(`g *= scale`, `x[...] = ...`): the caller may still need them.")
SHAPE_HINT = "Print the shapes of your arrays and compare them with the docstring."


# ------------------------------------------------------------------ the result
@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        exercise: the exercise's name, e.g. ``"rnn_step"``.
        status: :data:`CORRECT`, :data:`WRONG` or :data:`NOT_ATTEMPTED`.
        message: what was checked (correct) or what is wrong.
        hint: for a wrong answer, what to do about it; for a correct one, an optional note.

    A result is truthy only when correct, so ``assert check_x(f)`` works. The checker
    prints the verdict when it runs; displaying the result in Jupyter shows nothing more,
    so a cell that ends with ``check_x(f)`` shows the verdict exactly once
    (``print(result)`` shows it again).
    """

    exercise: str
    status: str
    message: str = ""
    hint: str = ""

    def __post_init__(self):
        if self.status not in _MARK:
            raise ValueError(f"CheckResult status must be one of {sorted(_MARK)}; "
                             f"got {self.status!r}")

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    @property
    def attempted(self) -> bool:
        return self.status != NOT_ATTEMPTED

    def __bool__(self) -> bool:
        return self.correct

    def verdict(self) -> str:
        """The verdict as the checker prints it: one line, and a Hint: or Note: line."""
        text = f"{_MARK[self.status]} {self.exercise}: {_HEADLINE[self.status]} {self.message}"
        if self.hint:
            text = f"{text.rstrip()}\n   {'Note' if self.correct else 'Hint'}: {self.hint}"
        return text.rstrip()

    __str__ = verdict

    def __repr__(self) -> str:
        return f"<CheckResult {self.exercise}: {self.status}>"

    def _ipython_display_(self):
        """Show nothing: the checker has printed the verdict already."""


# ------------------------------------------------------------------ outcomes of a body
class NotAttempted(Exception):
    """The learner's function still raises NotImplementedError."""


class Wrong(Exception):
    """A wrong answer: ``message`` says what is wrong, ``hint`` what to do about it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


# ------------------------------------------------------------------ tolerance
#: multiple of sqrt(n) * eps allowed between an answer and its float64 reference
SAFETY = 4.0
#: elementwise roundings to count on top of a sum (exp, tanh, products, adds of a step)
ROUNDINGS = 8


def tolerance(dtype, reference, terms: int, scale: float | None = None) -> tuple[float, float]:
    """``(rtol, atol)`` for an answer of ``dtype`` against a float64 ``reference``.

    ``terms`` is the number of roundings behind one entry; ``scale`` the size of the
    terms of a sum that may cancel (default: the largest entry of ``reference``). eps is
    the machine epsilon of ``dtype`` and float32's at the least (see the module docstring).
    """
    if terms < 1:
        raise ValueError(f"terms must be >= 1; got {terms}")
    dt = np.dtype(dtype)
    eps = max(float(np.finfo(dt).eps) if dt.kind == "f" else 0.0,
              float(np.finfo(np.float32).eps))
    rtol = SAFETY * math.sqrt(terms) * eps
    ref = np.asarray(reference, dtype=np.float64)
    biggest = float(np.max(np.abs(ref))) if ref.size else 0.0
    return rtol, rtol * max(biggest, scale or 0.0)


def close(answer, reference, *, terms: int, scale: float | None = None) -> bool:
    """True when ``answer`` has ``reference``'s shape and lies within :func:`tolerance`."""
    answer = np.asarray(answer)
    reference = np.asarray(reference, dtype=np.float64)
    if answer.shape != reference.shape:
        return False
    rtol, atol = tolerance(answer.dtype, reference, terms, scale)
    err = np.abs(answer.astype(np.float64) - reference)
    return bool(np.all(err <= rtol * np.abs(reference) + atol))


def max_error(answer, reference) -> float:
    """The largest absolute difference, or NaN when the shapes differ."""
    answer, reference = np.asarray(answer, dtype=np.float64), np.asarray(reference)
    if answer.shape != reference.shape:
        return float("nan")
    return float(np.max(np.abs(answer - reference))) if answer.size else 0.0


# ------------------------------------------------------------------ calling the learner
def _fn_name(fn) -> str:
    name = getattr(fn, "__name__", "")
    return name if name.isidentifier() else "your function"


def _copy(arg):
    if isinstance(arg, np.ndarray):
        return arg.copy()
    if isinstance(arg, list):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in arg]
    return arg


def _changed(passed, original) -> bool:
    """Did the learner's function write into ``passed``, our copy of ``original``?"""
    if isinstance(original, np.ndarray):
        return not np.array_equal(passed, original)
    if isinstance(original, list):
        return len(passed) != len(original) or any(
            isinstance(o, np.ndarray) and not (isinstance(p, np.ndarray) and np.array_equal(p, o))
            for p, o in zip(passed, original, strict=True))
    return False


def call(fn, *args, hint: str = CRASH_HINT):
    """Call the learner's ``fn(*args)`` on copies of the array arguments.

    Raises :class:`NotAttempted` when ``fn`` raises NotImplementedError, and
    :class:`Wrong` when it raises anything else (the exception is the message, ``hint``
    the hint) or writes into one of its input arrays. Returns what ``fn`` returned.
    """
    copies = [_copy(a) for a in args]
    try:
        out = fn(*copies)
    except NotImplementedError as exc:
        raise NotAttempted() from exc
    except Exception as exc:  # the learner's code may raise anything: report it, never raise
        raise Wrong(f"{_fn_name(fn)} raised {type(exc).__name__}: {exc}", hint) from exc
    if any(_changed(c, a) for c, a in zip(copies, args, strict=True)):
        raise Wrong(f"{_fn_name(fn)} changed one of its input arrays in place.", MUTATION_HINT)
    return out


def _as_array(out, shape, what: str, hint: str) -> np.ndarray:
    if out is None:
        raise Wrong(f"{what} is None.", "Did you forget the `return` statement?")
    try:
        arr = np.asarray(out)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf":
        raise Wrong(f"{what} is not an array of numbers (got {type(out).__name__}).",
                    "Return a numpy array.")
    if arr.shape != tuple(shape):
        raise Wrong(f"{what} has shape {arr.shape}; expected {tuple(shape)}.", hint)
    if not np.all(np.isfinite(arr)):
        raise Wrong(f"{what} contains NaN or inf.", "Look for a division or an overflow.")
    return arr


def as_answer(out, want, what: str, names: Sequence[str] | None = None,
              hint: str = SHAPE_HINT):
    """Check that the learner's ``out`` has the form of the reference ``want``.

    ``want`` is an array, or a tuple of arrays whose parts ``names`` names. Returns
    ``out`` as an array (or a tuple of arrays, keeping each one's dtype) with the
    reference's shapes; raises :class:`Wrong` for None, a wrong count of parts, a
    non-number, a wrong shape (with ``hint``) or NaN.
    """
    if not isinstance(want, tuple):
        return _as_array(out, np.shape(want), f"The result of {what}", hint)
    names = list(names or (f"item {k}" for k in range(len(want))))
    if not isinstance(out, (tuple, list)) or len(out) != len(want):
        got = type(out).__name__ + (f" of length {len(out)}"
                                    if isinstance(out, (tuple, list)) else "")
        raise Wrong(f"{what} should return a tuple of {len(want)} arrays ({', '.join(names)}); "
                    f"it returned a {got}.", f"End with `return {', '.join(names)}`.")
    return tuple(_as_array(o, np.shape(w), f"{name} from {what}", hint)
                 for o, w, name in zip(out, want, names, strict=True))


def _parts(value):
    return value if isinstance(value, tuple) else (value,)


def diagnose(got, want, mistakes=(), *, what: str, terms: int, scale: float | None = None,
             names: Sequence[str] | None = None, hint: str) -> None:
    """Return quietly when ``got`` matches ``want``; else raise :class:`Wrong`.

    ``got`` comes from :func:`as_answer` (an array or a tuple of arrays), ``want`` is the
    float64 reference of the same form. ``mistakes`` holds ``(label, candidate, hint)``
    triples: the float64 result of a typical mistake on the same inputs (None to skip).
    The first candidate that ``got`` matches within :func:`tolerance` names the mistake;
    when none does, the message says which part is off and by how much, with ``hint``.
    """
    got, want = _parts(got), _parts(want)

    def matches(candidate):
        candidate = _parts(candidate)
        return all(close(g, c, terms=terms, scale=scale)
                   for g, c in zip(got, candidate, strict=True))

    if matches(want):
        return
    for label, candidate, mistake_hint in mistakes:
        if candidate is not None and matches(candidate):
            raise Wrong(f"{what} looks like a typical mistake: {label}.", mistake_hint)
    names = list(names or ["the result"])
    worst = max(range(len(want)), key=lambda k: max_error(got[k], want[k]))
    raise Wrong(f"{what}: {names[worst]} is off by up to {max_error(got[worst], want[worst]):.3g}.",
                hint)


# ------------------------------------------------------------------ whole numbers
def as_count(out, what: str) -> tuple[int, str]:
    """The learner's answer as an int, and a gentle note when it came as a float like 2080.0.

    Raises :class:`Wrong` for None, a bool, a non-number or a number with a fraction.
    """
    if isinstance(out, np.ndarray) and out.ndim == 0:
        out = out.item()
    if out is None:
        raise Wrong(f"{what} returned None.", "Did you forget the `return` statement?")
    if isinstance(out, (bool, np.bool_)) or not isinstance(out, numbers.Real):
        raise Wrong(f"{what} returned {out!r}, not a number.", "Return one whole number (an int).")
    if isinstance(out, numbers.Integral):
        return int(out), ""
    if math.isfinite(out) and float(out).is_integer():
        return int(out), (f"your function returns floats such as {float(out)!r}; a count is "
                          f"a whole number, so `int` is its natural type ({int(out)}).")
    raise Wrong(f"{what} returned {out!r}; expected a whole number.",
                "A count of weights has no fraction: return an int.")


class Formula(NamedTuple):
    """A typical mistake in a count: ``value(*case)`` is what the mistake gives."""

    label: str
    value: Callable[..., int]
    hint: str


def check_counts(fn, cases, reference: Callable[..., int], mistakes: Sequence[Formula], *,
                 show: Callable[..., str], hint: str) -> str:
    """Check a function that counts, on ``cases`` (tuples of arguments) of one kind.

    The learner's answers on all the cases are collected first; a wrong answer is then
    explained by the mistaken formula that gives the learner's answers *on every case*,
    computed from the inputs (two formulas may give the same number on one case, say
    when the input size equals the hidden size, but not on all of them). If no formula
    fits every case, those that fit the first wrong case are named. ``show(*case)``
    writes the call, e.g. ``param_count('lstm', 32, 32)``. Returns the note of
    :func:`as_count` ('' when the answers are ints); raises :class:`Wrong`.
    """
    answers, note = [], ""
    for case in cases:
        value, case_note = as_count(call(fn, *case), show(*case))
        answers.append(value)
        note = note or case_note
    wrong = [k for k, case in enumerate(cases) if answers[k] != reference(*case)]
    if not wrong:
        return note
    first = wrong[0]
    fits = [m for m in mistakes
            if all(answers[k] == m.value(*case) for k, case in enumerate(cases))]
    fits = fits or [m for m in mistakes if answers[first] == m.value(*cases[first])]
    head = f"{show(*cases[first])} = {answers[first]}, expected {reference(*cases[first])}"
    if not fits:
        raise Wrong(f"{head}.", hint)
    if len(fits) == 1:
        raise Wrong(f"{head}: {fits[0].label}.", fits[0].hint)
    raise Wrong(f"{head}, which fits more than one typical mistake: "
                + "; or ".join(m.label for m in fits) + ".",
                " Or: ".join(m.hint for m in fits))


# ------------------------------------------------------------------ the runner
def run_check(exercise: str, body: Callable, fn, *, strict: bool = False) -> CheckResult:
    """Run ``body(fn)`` and turn its outcome into a :class:`CheckResult`.

    The body returns the success sentence, or ``(sentence, note)``, and raises
    :class:`Wrong` or :class:`NotAttempted` (through :func:`call`) otherwise. With
    ``strict=False`` the verdict is printed and the result returned; nothing is raised.
    With ``strict=True`` a result that is not correct raises ``AssertionError`` with
    the verdict and hint as its message (for graded test cells); a correct one is
    printed and returned.
    """
    if not callable(fn):
        result = CheckResult(
            exercise, WRONG, f"the check expects your function itself, not a value of type "
            f"{type(fn).__name__}.", f"Pass the function without calling it: `{exercise}`, "
            f"not `{exercise}(...)`.")
    else:
        try:
            outcome = body(fn)
        except NotAttempted:
            result = CheckResult(exercise, NOT_ATTEMPTED, NOT_ATTEMPTED_MESSAGE)
        except Wrong as exc:
            result = CheckResult(exercise, WRONG, exc.message, exc.hint)
        except Exception as exc:  # what the learner returned broke the check itself
            result = CheckResult(
                exercise, WRONG, f"the check could not use what your function returned "
                f"({type(exc).__name__}: {exc}).", "Compare the type and shape of what you "
                "return with the exercise's docstring.")
        else:
            detail, note = outcome if isinstance(outcome, tuple) else (outcome, "")
            result = CheckResult(exercise, CORRECT, detail, note)
    if strict and not result:
        raise AssertionError(result.verdict())
    print(result.verdict())
    return result
