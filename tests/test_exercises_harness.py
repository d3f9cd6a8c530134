"""The exercise harness: every checker of every lesson behaves the same way.

Each lesson's test file lists its exercises (a right answer and typical mistakes, see
exercise_table.py); here every one of them goes through the same tests: the right answer
is accepted in float64 and, where it is an array, in float32; every typical mistake is
rejected with its specific message or hint, in float32 too; a stub is "not attempted
yet"; a crash or a non-function is a wrong answer, never an exception; ``strict=True``
raises AssertionError with the same verdict; and every verdict has the same form. Then
the harness's own parts: the result type, the tolerance rule, counts and calls.
"""

import numpy as np
import pytest
import test_exercises_01_02
import test_exercises_03
import test_exercises_04_05
import test_exercises_06
import test_exercises_07
import test_exercises_08
from exercise_table import in_float32, stub
from IPython.core.formatters import DisplayFormatter

from rnnlesson import exercises
from rnnlesson.exercises import harness
from rnnlesson.exercises.harness import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    CheckResult,
    NotAttempted,
    Wrong,
    as_count,
    call,
    close,
    tolerance,
)

EXERCISES = [*test_exercises_01_02.EXERCISES, *test_exercises_03.EXERCISES,
             *test_exercises_04_05.EXERCISES, *test_exercises_06.EXERCISES,
             *test_exercises_07.EXERCISES, *test_exercises_08.EXERCISES]
IDS = [e.checker.__name__ for e in EXERCISES]
MISTAKES = [(e, m) for e in EXERCISES for m in e.mistakes]
MISTAKE_IDS = [f"{e.checker.__name__}-{k}" for e in EXERCISES for k in range(len(e.mistakes))]
FLOAT32 = [e for e in EXERCISES if e.float32]
FLOAT32_MISTAKES = [(e, m) for e, m in MISTAKES if e.float32 and m.numeric]

MARKS = {CORRECT: "\N{WHITE HEAVY CHECK MARK}", WRONG: "\N{CROSS MARK}",
         NOT_ATTEMPTED: "\N{HOURGLASS WITH FLOWING SAND}"}
HEADLINES = {CORRECT: "correct!", WRONG: "not yet.", NOT_ATTEMPTED: "not attempted yet."}


def run(exercise, fn, capsys, **kwargs):
    result = exercise.checker(fn, **kwargs)
    return result, capsys.readouterr().out


def assert_one_verdict(out, result, exercise, status):
    """``out`` holds exactly one verdict, in the common form, for ``status``."""
    assert isinstance(result, CheckResult) and result.status == status, out
    assert out == result.verdict() + "\n"
    first, *rest = out.rstrip("\n").split("\n")
    assert first.startswith(f"{MARKS[status]} {exercise.name}: {HEADLINES[status]}"), out
    if status == WRONG:
        assert len(rest) == 1 and rest[0].startswith("   Hint: ") and len(rest[0]) > 12, out
    elif status == CORRECT:
        assert rest == [] or (len(rest) == 1 and rest[0].startswith("   Note: ")), out
    else:
        assert rest == [], out


def test_every_exported_checker_is_tested():
    checkers = {n for n in exercises.__all__ if n.startswith("check_")}
    assert checkers == set(IDS)
    assert len(checkers) == 27   # three per lesson in 01-05, four each in 06, 07 and 08


# ------------------------------------------------------------------ the verdicts
@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_right_answer_is_accepted(exercise, capsys):
    result, out = run(exercise, exercise.right, capsys)
    assert_one_verdict(out, result, exercise, CORRECT)
    assert result and result.correct and result.attempted


@pytest.mark.parametrize("back_to_float64", [False, True], ids=["float32", "float32-as-float64"])
@pytest.mark.parametrize("exercise", FLOAT32, ids=[e.checker.__name__ for e in FLOAT32])
def test_the_right_answer_computed_in_float32_is_accepted(exercise, back_to_float64, capsys):
    """A learner may work in float32 (Keras's default), and even hand back float64 arrays
    that are only as accurate as their float32 steps."""
    result, out = run(exercise, in_float32(exercise.right, back_to_float64), capsys)
    assert_one_verdict(out, result, exercise, CORRECT)


@pytest.mark.parametrize("exercise, mistake", MISTAKES, ids=MISTAKE_IDS)
def test_a_typical_mistake_is_rejected_with_its_hint(exercise, mistake, capsys):
    result, out = run(exercise, mistake.fn, capsys)
    assert_one_verdict(out, result, exercise, WRONG)
    assert not result and mistake.words in out


@pytest.mark.parametrize("exercise, mistake", FLOAT32_MISTAKES,
                         ids=[f"{e.checker.__name__}-{m.words}" for e, m in FLOAT32_MISTAKES])
def test_a_typical_mistake_in_float32_gets_the_same_hint(exercise, mistake, capsys):
    """The tolerance that accepts float32 answers is still tight enough to tell each
    mistake apart from the right answer and from the other mistakes."""
    result, out = run(exercise, in_float32(mistake.fn), capsys)
    assert result.status == WRONG and mistake.words in out, out


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_each_checker_knows_two_typical_mistakes_by_their_own_hint(exercise, capsys):
    hints = set()
    for mistake in exercise.mistakes:
        result, _ = run(exercise, mistake.fn, capsys)
        hints.add(result.hint)
    generic = {harness.CRASH_HINT, harness.MUTATION_HINT, harness.SHAPE_HINT}
    assert len(hints - generic) >= 2


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_a_stub_is_not_attempted(exercise, capsys):
    result, out = run(exercise, stub, capsys)
    assert_one_verdict(out, result, exercise, NOT_ATTEMPTED)
    assert not result and not result.attempted


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_a_crash_is_a_wrong_answer_not_an_exception(exercise, capsys):
    result, out = run(exercise, lambda *args: 1 / 0, capsys)
    assert_one_verdict(out, result, exercise, WRONG)
    assert "raised ZeroDivisionError: division by zero" in out


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_a_value_instead_of_a_function_is_explained(exercise, capsys):
    result, out = run(exercise, (1, 2), capsys)
    assert_one_verdict(out, result, exercise, WRONG)
    assert "expects your function itself" in out and exercise.name in result.hint


# ------------------------------------------------------------------ strict mode (graded cells)
@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_strict_passes_a_right_answer(exercise, capsys):
    result, out = run(exercise, exercise.right, capsys, strict=True)
    assert result.correct
    assert_one_verdict(out, result, exercise, CORRECT)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_strict_raises_the_same_verdict_on_a_mistake(exercise, capsys):
    mistake = exercise.mistakes[0]
    verdict = run(exercise, mistake.fn, capsys)[0].verdict()
    with pytest.raises(AssertionError) as info:
        exercise.checker(mistake.fn, strict=True)
    assert str(info.value) == verdict and "Hint: " in verdict and mistake.words in verdict
    assert capsys.readouterr().out == ""   # the verdict is in the error, not printed twice


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_strict_raises_when_not_attempted(exercise, capsys):
    with pytest.raises(AssertionError, match="not attempted yet"):
        exercise.checker(stub, strict=True)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------ the result type
def test_a_cell_that_ends_with_a_check_shows_the_verdict_once(capsys):
    """The checker prints the verdict; Jupyter's display of the returned result adds
    nothing (an IPython formatter gets no data to show), so the cell shows it once."""
    result = exercises.check_rnn_step(test_exercises_01_02.step_right)
    assert capsys.readouterr().out.count("rnn_step: correct!") == 1
    assert DisplayFormatter().format(result) == ({}, {})
    assert repr(result) == "<CheckResult rnn_step: correct>"
    assert str(result) == result.verdict()


def test_assert_on_the_result_works_as_before(capsys):
    assert exercises.check_rnn_step(test_exercises_01_02.step_right)
    with pytest.raises(AssertionError):
        assert exercises.check_rnn_step(stub)


def test_check_result_formats_and_validates():
    ok = CheckResult("f", CORRECT, "All good.", "Mind the dtype.")
    assert ok.verdict() == (
        "\N{WHITE HEAVY CHECK MARK} f: correct! All good.\n   Note: Mind the dtype.")
    bad = CheckResult("f", WRONG, "It is off.", "Try again.")
    assert bad.verdict() == "\N{CROSS MARK} f: not yet. It is off.\n   Hint: Try again."
    assert bool(ok) and not bad and bad.attempted
    with pytest.raises(ValueError, match="status"):
        CheckResult("f", "maybe")


# ------------------------------------------------------------------ tolerance
def test_tolerance_is_float32s_at_the_least_and_grows_with_sqrt_terms():
    ref = np.array([2.0, -1.0])
    eps32 = float(np.finfo(np.float32).eps)
    assert tolerance(np.float64, ref, 4) == tolerance(np.float32, ref, 4)
    assert tolerance(np.float32, ref, 4) == pytest.approx((8 * eps32, 16 * eps32))
    assert tolerance(np.float32, ref, 16)[0] == pytest.approx(2 * tolerance(np.float32, ref, 4)[0])
    assert tolerance(np.float16, ref, 4)[0] > 1000 * tolerance(np.float32, ref, 4)[0]
    assert tolerance(np.float32, 1e-6 * ref, 4, scale=1.0)[1] == pytest.approx(8 * eps32)
    with pytest.raises(ValueError):
        tolerance(np.float32, ref, 0)


def test_close_accepts_float32_rounding_and_rejects_a_small_real_error():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 50)), rng.normal(size=(50, 6))
    ref = np.tanh(a @ b / 7)
    ours32 = np.tanh(a.astype(np.float32) @ b.astype(np.float32) / 7)
    assert close(ours32, ref, terms=50 + harness.ROUNDINGS)
    assert close(ours32.astype(np.float64), ref, terms=50 + harness.ROUNDINGS)
    off = ref.copy()
    off[3, 2] += 1e-4 * np.max(np.abs(ref))
    assert not close(off, ref, terms=50 + harness.ROUNDINGS)
    assert not close(ref.T, ref.T.T, terms=1)   # a shape mismatch is never close


# ------------------------------------------------------------------ counts and calls
@pytest.mark.parametrize("answer, value, note", [
    (2080, 2080, False), (np.int64(2080), 2080, False), (np.array(7), 7, False),
    (2080.0, 2080, True), (np.float32(16.0), 16, True),
])
def test_as_count_accepts_whole_numbers(answer, value, note):
    got, got_note = as_count(answer, "count()")
    assert got == value and type(got) is int and bool(got_note) == note


@pytest.mark.parametrize("answer, words", [
    (2080.5, "whole number"), (True, "not a number"), ("2080", "not a number"),
    (None, "None"), (float("nan"), "whole number"),
])
def test_as_count_rejects_what_is_not_a_whole_number(answer, words):
    with pytest.raises(Wrong, match=words):
        as_count(answer, "count()")


def test_call_tells_stubs_crashes_and_writes_into_inputs_apart():
    def not_yet(x):
        raise NotImplementedError

    def writes(grads):
        grads[1] *= 2
        return grads

    with pytest.raises(NotAttempted):
        call(not_yet, np.zeros(2))
    with pytest.raises(Wrong, match="raised KeyError") as info:
        call(lambda x: {}[x], "k", hint="Look it up.")
    assert info.value.hint == "Look it up."
    grads = [np.ones(2), np.ones(3)]
    with pytest.raises(Wrong, match="in place"):
        call(writes, grads)
    assert all(np.array_equal(g, np.ones_like(g)) for g in grads)   # the caller's arrays
