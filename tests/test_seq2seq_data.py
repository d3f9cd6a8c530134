"""datasets.addition and datasets.dates: every answer checked by an independent parser,
the fixed-width format, the distributions matched to DLFS2's files, and the id arrays."""

import collections
import datetime
import pickle
import re

import numpy as np
import pytest

from rnnlesson import datasets
from rnnlesson.text import Vocabulary

# ---------------------------------------------------------------------------------- addition


@pytest.fixture(scope="module")
def add50k():
    return datasets.addition()  # n=50000, seed=0: the size of DLFS2's file


def _parse_sum(question):
    m = re.fullmatch(r"(\d{1,3})\+(\d{1,3}) *", question)
    assert m, question
    return int(m.group(1)), int(m.group(2))


def test_addition_every_answer_is_right(add50k):
    questions, answers = add50k
    assert len(questions) == len(answers) == 50000
    for q, a in zip(questions, answers, strict=True):
        assert len(q) == 7 and len(a) == 5
        x, y = _parse_sum(q)
        assert str(x) == q.split("+")[0] and q.rstrip() == f"{x}+{y}"  # no leading zeros
        assert a[0] == "_" and int(a[1:]) == x + y
        assert a == a.rstrip().ljust(5) and " " not in a.rstrip()  # padded on the right only


def test_addition_distribution_matches_dlfs2(add50k):
    pairs = [_parse_sum(q) for q in add50k.questions]
    # no repeated pair, in either order (DLFS2's file has none either)
    assert len({tuple(sorted(p)) for p in pairs}) == 50000
    digits = collections.Counter(len(str(v)) for p in pairs for v in p)
    # DLFS2's addition.txt: 9,734 / 32,625 / 57,641 numbers of 1 / 2 / 3 digits
    for k, dlfs2 in ((1, 9734), (2, 32625), (3, 57641)):
        assert abs(digits[k] - dlfs2) < 400, (k, digits[k])
    by_len = collections.Counter(tuple(sorted((len(str(a)), len(str(b))))) for a, b in pairs)
    assert by_len[(1, 1)] == 55      # all 10*11/2 pairs of one-digit numbers, as in DLFS2
    assert by_len[(1, 2)] == 900     # all 10*90 pairs of a one- and a two-digit number
    for key, dlfs2 in (((1, 3), 8724), ((2, 2), 3981), ((2, 3), 23763), ((3, 3), 12577)):
        assert abs(by_len[key] - dlfs2) < 400, (key, by_len[key])
    values = np.array(pairs).ravel()
    assert values.min() == 0 and values.max() == 999
    # the order of the two numbers is random, not sorted
    assert 0.45 < np.mean([a < b for a, b in pairs]) < 0.55


def test_addition_vocabulary_and_encode(add50k):
    voc = add50k.vocab
    assert isinstance(voc, Vocabulary) and voc.level == "char"
    assert voc.id_to_token == list(" +0123456789_")
    assert add50k.start_id == 12
    x, y = add50k.encode()
    assert x.shape == (50000, 7) and y.shape == (50000, 5)
    assert x.dtype == y.dtype == np.int32
    np.testing.assert_array_equal(y[:, 0], 12)
    assert x.min() == 0 and x.max() <= 11 and y.max() == 12  # every id a character
    assert add50k.decode(x[:50]) == add50k.questions[:50]
    assert add50k.decode(y[7]) == add50k.answers[7]
    # decoding the arrays with the vocabulary alone gives the strings back
    assert [voc.decode(r) for r in y[:20]] == add50k.answers[:20]


def test_addition_vocabulary_does_not_depend_on_n_or_seed(add50k):
    small = datasets.addition(n=3, seed=9)
    assert small.vocab.id_to_token == add50k.vocab.id_to_token
    x, _ = small.encode()
    assert small.vocab.decode(x[0]) == small.questions[0]
    small.vocab.fit(["xyz"])  # a caller's own copy: refitting it changes no other task
    assert datasets.addition(n=3).vocab.id_to_token == list(" +0123456789_")


def test_addition_seed_prefix_and_difference():
    a = datasets.addition(n=2000, seed=4)
    assert datasets.addition(n=2000, seed=4) == a
    assert datasets.addition(n=300, seed=4) == (a[0][:300], a[1][:300])  # a prefix
    b = datasets.addition(n=2000, seed=5)
    assert len(set(a.questions) & set(b.questions)) < 200


def test_addition_encode_source_and_given_pairs(add50k):
    x = add50k.encode_source(["12+34", "999+999"])
    assert x.shape == (2, 7)
    assert add50k.decode(x) == ["12+34  ", "999+999"]
    xs, ys = add50k.encode(["1+2"], ["_3"])
    assert add50k.decode(ys) == ["_3   "] and xs.shape == (1, 7)


@pytest.mark.parametrize("call, err, match", [
    (lambda t: t.encode_source(["1+234567"]), ValueError, "at most 7"),
    (lambda t: t.encode_source(["1-2"]), ValueError, r"'-' \(U\+002D\) at position 1"),
    (lambda t: t.encode_source("1+2"), TypeError, "single str"),
    (lambda t: t.encode(["1+2"]), ValueError, "both questions and answers"),
    (lambda t: t.encode(["1+2"], ["3"]), ValueError, "start token '_'"),
    (lambda t: t.encode(["1+2", "2+2"], ["_3"]), ValueError, "2 questions and 1 answers"),
    (lambda t: t.decode(np.zeros((1, 2, 3), dtype=int)), ValueError, r"\(N, T\)"),
])
def test_addition_encode_errors(call, err, match):
    task = datasets.addition(n=5)
    with pytest.raises(err, match=match):
        call(task)


@pytest.mark.parametrize("fn", [datasets.addition, datasets.dates])
@pytest.mark.parametrize("kwargs, err, match", [
    ({"n": 0}, ValueError, "n to be a positive integer"),
    ({"n": 2.0}, TypeError, "n to be a positive integer"),
    ({"n": 10**7}, ValueError, "n <= "),
    ({"seed": -2}, ValueError, "seed"),
    ({"seed": "0"}, TypeError, "seed"),
    ({"seed": None}, TypeError, "an integer >= 0"),
])
def test_task_bad_arguments(fn, kwargs, err, match):
    with pytest.raises(err, match=match):
        fn(**kwargs)


def test_char_task_is_a_tuple_that_pickles(add50k):
    small = datasets.addition(n=10)
    questions, answers = small
    assert isinstance(small, tuple) and len(small) == 2 and questions == small.questions
    again = pickle.loads(pickle.dumps(small))
    assert again == small and again.vocab.id_to_token == small.vocab.id_to_token
    assert again.encode()[1].tolist() == small.encode()[1].tolist()
    assert "addition" in repr(small) and "13 characters" in repr(small)


# ------------------------------------------------------------------------------------ dates


@pytest.fixture(scope="module")
def dates50k():
    return datasets.dates()


_SHORT = re.compile(r"(\d{1,2})/(\d{1,2})/(\d\d)")


def _parse_date(question):
    """Read a question with the standard library's parser alone (C locale month names)."""
    text = question.rstrip()
    m = _SHORT.fullmatch(text)
    if m:  # two-digit years: the data spans 1970-2017
        month, day, yy = map(int, m.groups())
        return datetime.date(1900 + yy if yy >= 70 else 2000 + yy, month, day), "short"
    for fmt, name in (("%A, %B %d, %Y", "full"), ("%B %d, %Y", "long"), ("%b %d, %Y", "medium")):
        try:
            parsed = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if name == "full":  # strptime does not check the weekday against the date
            assert text.split(",")[0].lower() == parsed.strftime("%A").lower(), text
        return parsed, name
    raise AssertionError(f"unreadable date {question!r}")


def test_dates_every_answer_is_right(dates50k):
    questions, answers = dates50k
    assert len(questions) == len(answers) == 50000
    for q, a in zip(questions, answers, strict=True):
        assert len(q) == 29 and len(a) == 11 and a[0] == "_"
        d, _ = _parse_date(q)
        assert a == "_" + d.isoformat()
        assert not q.startswith(" ") and "  " not in q.rstrip()


def test_dates_distribution_matches_dlfs2(dates50k):
    parsed = [_parse_date(q) for q in dates50k.questions]
    days = [d for d, _ in parsed]
    assert min(days) == datetime.date(1970, 1, 1) and max(days) == datetime.date(2017, 7, 24)
    # uniform days with repeats: DLFS2's date.txt has 16,365 distinct dates in 50,000
    assert abs(len(set(days)) - 16365) < 200
    formats = collections.Counter(name for _, name in parsed)
    may = sum(1 for d, name in parsed if d.month == 5 and name in ("medium", "long"))
    assert set(formats) == {"short", "medium", "long", "full"}
    for name in ("short", "full"):
        assert abs(formats[name] - 12500) < 400, formats
    assert abs(formats["medium"] + formats["long"] - 25000) < 500 and may > 1500
    lettered = [q.rstrip() for q, (_, n) in zip(dates50k.questions, parsed, strict=True)
                if n != "short"]
    case = collections.Counter("upper" if q.isupper() else "lower" if q.islower() else "as is"
                               for q in lettered)
    # DLFS2: 18,865 as written, 9,227 upper, 9,474 lower, of 37,566 with letters
    assert abs(case["as is"] / len(lettered) - 0.5) < 0.02
    assert abs(case["upper"] / len(lettered) - 0.25) < 0.02
    assert abs(case["lower"] / len(lettered) - 0.25) < 0.02
    assert any(q.startswith("Wednesday, September") for q in dates50k.questions)


def test_dates_width_is_the_longest_possible_question():
    # 'Wednesday' and 'September' are the longest names: a two-digit day in a September
    # that falls on a Wednesday fills all 29 characters
    longest = max(len(d.strftime("%A, %B %d, %Y").replace(" 0", " "))
                  for d in (datetime.date(1970, 1, 1) + datetime.timedelta(k)
                            for k in range(17372)))
    assert longest == 29
    assert datasets.dates(n=1).source_width == 29


def test_dates_vocabulary_and_encode(dates50k):
    voc = dates50k.vocab
    chars = set("".join(dates50k.questions) + "".join(dates50k.answers))
    assert chars == set(voc.id_to_token)  # 50,000 dates use every character it holds
    assert voc.id_to_token == sorted(voc.id_to_token) and len(voc) == 59
    x, y = dates50k.encode()
    assert x.shape == (50000, 29) and y.shape == (50000, 11)
    np.testing.assert_array_equal(y[:, 0], dates50k.start_id)
    assert dates50k.decode(y[:5]) == dates50k.answers[:5]
    assert datasets.dates(n=2, seed=3).vocab.id_to_token == voc.id_to_token
    assert dates50k.decode(dates50k.encode_source(["june 5, 1994"]))[0].rstrip() == "june 5, 1994"


def test_dates_seed_prefix_and_difference():
    a = datasets.dates(n=500, seed=1)
    assert datasets.dates(n=500, seed=1) == a
    assert datasets.dates(n=40, seed=1) == (a[0][:40], a[1][:40])
    assert datasets.dates(n=500, seed=2).answers != a.answers
