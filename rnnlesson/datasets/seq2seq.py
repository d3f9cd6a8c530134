"""Toy sequence-to-sequence tasks written in characters: addition and date formats.

These are the tasks of "Deep Learning from Scratch 2" (DLFS2, chapters 7 and 8), in
its fixed-width text format, generated here (not read from DLFS2's files)::

    question (source)               answer (target)
    '16+75  '                       '_91  '          addition: 7 -> 5 characters
    'september 27, 1994           ' '_1994-09-27'    dates: 29 -> 11 characters

An answer starts with ``_``, the start token the decoder reads first, and every
string of a task has the same length, padded with spaces on the right. Every
character is a token, the space and ``_`` included, so no id is padding and nothing
is masked.

``addition(n, seed)`` and ``dates(n, seed)`` return a ``CharTask``: the pair
``(questions, answers)`` of lists of str (it unpacks like a tuple), which also
carries the task's character vocabulary and turns the strings into id arrays::

    questions, answers = datasets.addition()    # 50,000 of each: '3+872  ' -> '_875 ', ...
    task = datasets.addition()
    x_src, y_tgt = task.encode()                # (50000, 7), (50000, 5) int32
    task.vocab                                  # text.Vocabulary(level='char'), 13 ids
    task.start_id                               # 12, the id of '_': y_tgt[:, 0] holds it
    task.decode(y_tgt[:3])                      # ['_875 ', '_71  ', '_35  ']

The vocabulary is fixed by the task (the characters it can ever write, in code-point
order), not by the sample, so every ``n`` and ``seed`` gives the same ids.
"""

from __future__ import annotations

import datetime

import numpy as np

from .. import _checks
from ..text import Vocabulary, _check_texts

__all__ = ["CharTask", "addition", "dates"]


class CharTask(tuple):
    """``(questions, answers)`` of a character-level seq2seq task, with its vocabulary.

    A tuple of two lists of N str, so ``questions, answers = task`` works, plus:

    - ``vocab``: the task's ``text.Vocabulary(level='char')``; every id is a character.
    - ``source_width``, ``target_width``: the fixed lengths T_in and T_out + 1 of a
      question and an answer (the answer's first character is the start token ``_``).
    - ``start_id``: the id of ``_``.
    - ``encode()``: the id arrays ``(x_src, y_tgt)``; ``encode_source(questions)`` for
      new questions; ``decode(ids)`` back to strings.
    """

    def __new__(cls, questions, answers, *, name, vocab, source_width, target_width):
        self = super().__new__(cls, (list(questions), list(answers)))
        self.name = name
        self.vocab = vocab
        self.source_width = source_width
        self.target_width = target_width
        return self

    def __getnewargs_ex__(self):  # so that copy and pickle rebuild the extra attributes
        return (tuple(self), {"name": self.name, "vocab": self.vocab,
                              "source_width": self.source_width,
                              "target_width": self.target_width})

    @property
    def questions(self) -> list[str]:
        return self[0]

    @property
    def answers(self) -> list[str]:
        return self[1]

    @property
    def start_id(self) -> int:
        return self.vocab.token_to_id["_"]

    def __repr__(self) -> str:
        return (f"CharTask({self.name!r}: {len(self[0])} pairs, question width "
                f"{self.source_width}, answer width {self.target_width}, "
                f"{len(self.vocab)} characters)")

    def _ids(self, strings, width: int, what: str, owner: str) -> np.ndarray:
        strings = _check_texts(strings, owner)
        out = np.empty((len(strings), width), dtype=np.int32)
        for i, s in enumerate(strings):
            if len(s) > width:
                raise ValueError(f"{owner}: {what} {i} ({s!r}) has {len(s)} characters; a "
                                 f"{self.name} {what} has at most {width}.")
            try:
                out[i] = self.vocab.encode(s.ljust(width))
            except ValueError as exc:
                raise ValueError(f"{owner}: {what} {i} ({s!r}) cannot be encoded. "
                                 f"{exc}") from None
        return out

    def encode_source(self, questions) -> np.ndarray:
        """Ids of N questions: an int32 array of shape (N, T_in), T_in = ``source_width``.

        A question may be shorter than the width (``'12+34'``): it is padded with
        spaces, as the task writes its own. A longer one, or one with a character
        outside the vocabulary, is a ValueError.
        """
        return self._ids(questions, self.source_width, "question",
                         f"{self.name}.encode_source")

    def encode(self, questions=None, answers=None):
        """The id arrays ``(x_src, y_tgt)`` of the task's pairs (or of the pairs given).

        ``x_src`` is int32 of shape (N, T_in) and ``y_tgt`` int32 of shape
        (N, T_out + 1): the start id first, then the answer. The decoder reads
        ``y_tgt[:, :-1]`` and is scored on ``y_tgt[:, 1:]`` (teacher forcing). For
        addition T_in = 7 and T_out + 1 = 5; for dates 29 and 11.

        Args:
            questions, answers: both None (the task's own pairs), or two lists of N
                str; short strings are padded with spaces, and answers must start with
                ``_``.
        """
        owner = f"{self.name}.encode"
        if questions is None and answers is None:
            questions, answers = self
        elif questions is None or answers is None:
            raise ValueError(f"{owner} expects both questions and answers, or neither (the "
                             "task's own); for questions alone use encode_source.")
        x = self._ids(questions, self.source_width, "question", owner)
        answers = _check_texts(answers, owner)
        for i, a in enumerate(answers):
            if not a.startswith("_"):
                raise ValueError(f"{owner}: answer {i} ({a!r}) must start with the start "
                                 "token '_', as the task's answers do.")
        y = self._ids(answers, self.target_width, "answer", owner)
        if len(x) != len(y):
            raise ValueError(f"{owner} expects as many answers as questions; got "
                             f"{len(x)} questions and {len(y)} answers.")
        return x, y

    def decode(self, ids):
        """Strings of ids: (N, T) -> a list of N str; (T,) -> one str (spaces kept)."""
        arr = np.asarray(ids)
        if arr.ndim == 1:
            return self.vocab.decode(arr)
        if arr.ndim == 2:
            return [self.vocab.decode(row) for row in arr]
        raise ValueError(f"{self.name}.decode expects ids of shape (T,) or (N, T); got "
                         f"{_checks.shape_str(arr.shape)}.")


def _start(owner: str, n, seed, most: int, stream: int):
    """Check ``n`` (1 to ``most``) and ``seed``; return n and the task's own generator."""
    n = _checks.positive_int(n, "n", owner)
    if n > most:
        raise ValueError(f"{owner} expects n <= {most:,}; got {n:,}.")
    seed = _checks.seed(seed, owner, allow_none=False)
    return n, np.random.default_rng([seed, stream])


# ---------------------------------------------------------------------------------------
# addition
# ---------------------------------------------------------------------------------------
ADDITION_WIDTHS = (7, 5)  # '999+999', '_1998'
ADDITION_MAX_N = 200_000
_ADDITION_CHARS = sorted("0123456789+ _")
_CHUNK = 4096  # candidates drawn at a time: fixed, so that a smaller n gives a prefix


def addition(n=50000, seed=0) -> CharTask:
    """Sums of two numbers from 0 to 999, as DLFS2's ``addition.txt``: ``'16+75  '`` -> ``'_91  '``.

    Each number is drawn as DLFS2's data was (the generator of Keras's addition
    example): a length of 1, 2 or 3 digits with equal chance, then that many random
    digits, leading zeros allowed, so ``'007'`` is 7. A pair whose numbers were
    already drawn, in either order, is skipped: no question repeats, and ``a+b`` and
    ``b+a`` never both occur. So, as in DLFS2's file, all 55 sums of two one-digit
    numbers and all 900 sums of a one-digit and a two-digit number occur in 50,000
    questions; of the 100,000 numbers, about 10% have one digit, 33% two and 57%
    three (DLFS2's file: 9,734, 32,625 and 57,641).

    Questions are ``'a+b'`` padded with spaces to 7 characters; answers ``'_'`` and
    the sum, padded to 5. The questions come in the order they were drawn (already
    shuffled), and ``addition(n, seed)`` is the first n of any larger ``n`` with the
    same seed. The vocabulary has 13 characters: ``' +0123456789_'`` (ids 0-12).

    Args:
        n: number of questions, 1 to 200,000 (there are 500,500 distinct pairs; past
            that size skipping repeats changes the mix of lengths more and more).
        seed: integer >= 0.

    Returns:
        a ``CharTask``: ``(questions, answers)``, lists of n str, with ``.vocab`` and
        ``.encode()`` giving ``(x_src, y_tgt)`` of shapes (n, 7) and (n, 5).
    """
    owner = "addition"
    n, rng = _start(owner, n, seed, ADDITION_MAX_N, stream=1984)
    seen = np.zeros(1000 * 1000, dtype=bool)   # seen[min * 1000 + max]
    firsts, seconds = [], []
    got = 0
    while got < n:
        u = rng.random((_CHUNK, 4))
        digits = 1 + np.floor(u[:, 0::2] * 3).astype(np.int64)        # 1, 2 or 3
        nums = np.floor(u[:, 1::2] * 10.0 ** digits).astype(np.int64)  # 0 .. 10**d - 1
        key = nums.min(axis=1) * 1000 + nums.max(axis=1)
        _, first = np.unique(key, return_index=True)   # first draw of each pair in the chunk
        first.sort()
        first = first[~seen[key[first]]][: n - got]
        seen[key[first]] = True
        firsts.append(nums[first, 0])
        seconds.append(nums[first, 1])
        got += len(first)
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    w_in, w_out = ADDITION_WIDTHS
    questions = [f"{x}+{y}".ljust(w_in) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    answers = [f"_{s}".ljust(w_out) for s in (a + b).tolist()]
    # a fresh vocabulary per task: a caller may refit or change theirs
    return CharTask(questions, answers, name=owner,
                    vocab=Vocabulary.from_tokens(_ADDITION_CHARS),
                    source_width=w_in, target_width=w_out)


# ---------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The days DLFS2's ``date.txt`` covers: its first and last dates.
DATES_RANGE = (datetime.date(1970, 1, 1), datetime.date(2017, 7, 24))
#: The four formats, in CLDR's notation for English (US): short, medium, long, full.
DATE_FORMATS = ("M/d/yy", "MMM d, y", "MMMM d, y", "EEEE, MMMM d, y")
# The same four as Python format strings, filled in by _format_date.
_DATE_TEMPLATES = ("{M}/{d}/{yy}", "{MMM} {d}, {y}", "{MMMM} {d}, {y}",
                   "{EEEE}, {MMMM} {d}, {y}")
DATES_WIDTHS = (29, 11)  # 'Wednesday, September 27, 1995', '_1995-09-27'
DATES_MAX_N = 1_000_000
_DATES_CHARS = sorted(
    set("".join(_MONTHS + _WEEKDAYS).upper() + "".join(_MONTHS + _WEEKDAYS).lower())
    | set("0123456789 ,/-_"))


def _format_date(d: datetime.date, fmt: int) -> str:
    """``d`` written in ``DATE_FORMATS[fmt]``: no zero before a one-digit day or month."""
    month = _MONTHS[d.month - 1]
    return _DATE_TEMPLATES[fmt].format(M=d.month, d=d.day, yy=f"{d.year % 100:02d}",
                                       y=d.year, MMM=month[:3], MMMM=month,
                                       EEEE=_WEEKDAYS[d.weekday()])


def dates(n=50000, seed=0) -> CharTask:
    """Dates written as people write them, to be rewritten as ISO dates, as DLFS2's ``date.txt``.

    ``'september 27, 1994           '`` -> ``'_1994-09-27'``. Each date is drawn
    uniformly from the 17,372 days of 1970-01-01 to 2017-07-24 (the span of DLFS2's
    file), so dates can repeat, as they do there (about 16,400 distinct dates in
    50,000). It is written in one of the four US English formats with equal chance:

    ==================  ===============================  ==============================
    format              pattern                          example
    ==================  ===============================  ==============================
    short               ``M/d/yy``                       ``9/27/94``
    medium              ``MMM d, y``                     ``Sep 27, 1994``
    long                ``MMMM d, y``                    ``September 27, 1994``
    full                ``EEEE, MMMM d, y``              ``Tuesday, September 27, 1994``
    ==================  ===============================  ==============================

    and then, as in DLFS2's file, kept as it is (one half), upper-cased (a quarter) or
    lower-cased (a quarter). Questions are padded with spaces to 29 characters, the
    longest possible (``'Wednesday, September 27, 1995'``); answers are ``'_'`` and
    the ISO date, 11 characters. ``dates(n, seed)`` is the first n of any larger
    ``n`` with the same seed. The vocabulary holds the 59 characters that a question
    or an answer can contain (space, ``,-/``, digits, the letters of the month and day
    names in both cases, ``_``), in code-point order.

    Args:
        n: number of questions, 1 to 1,000,000; seed: integer >= 0.

    Returns:
        a ``CharTask`` as ``addition`` does; its ``.encode()`` gives ``(x_src, y_tgt)``
        of shapes (n, 29) and (n, 11).
    """
    owner = "dates"
    n, rng = _start(owner, n, seed, DATES_MAX_N, stream=2017)
    first, last = DATES_RANGE
    n_days = (last - first).days + 1
    # One row of three uniforms per question keeps a smaller n a prefix of a larger one.
    u = rng.random((n, 3))
    day = np.floor(u[:, 0] * n_days).astype(np.int64)
    fmt = np.floor(u[:, 1] * len(DATE_FORMATS)).astype(np.int64)
    case = np.floor(u[:, 2] * 4).astype(np.int64)            # 0, 1: as is; 2: upper; 3: lower
    w_in, w_out = DATES_WIDTHS
    questions, answers = [], []
    for k, f, c in zip(day.tolist(), fmt.tolist(), case.tolist(), strict=True):
        d = first + datetime.timedelta(days=k)
        text = _format_date(d, f)
        text = text.upper() if c == 2 else text.lower() if c == 3 else text
        questions.append(text.ljust(w_in))
        answers.append("_" + d.isoformat())
    return CharTask(questions, answers, name=owner, vocab=Vocabulary.from_tokens(_DATES_CHARS),
                    source_width=w_in, target_width=w_out)
