"""rnnlesson.datasets: shapes, dtypes, balance, determinism and the documented properties."""

import json
from pathlib import Path

import numpy as np
import pytest
from numerics import assert_close

from rnnlesson import datasets
from rnnlesson._reviews import vocabulary_words
from rnnlesson.text import Vocabulary, tokenize

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- toy_sentiment

POSITIVE, NEGATIVE = {"good", "happy"}, {"bad", "sad"}


def _rule_label(text):
    """Label by the stated rule: the first adjective's polarity, flipped by a 'not' before it."""
    negated = False
    for w in text.split():
        if w == "not":
            negated = True
        elif w in POSITIVE | NEGATIVE:
            return int((w in POSITIVE) != negated)
    raise AssertionError(f"no adjective in {text!r}")


def test_toy_sentiment_shapes_balance_and_rule():
    (tr_x, tr_y), (te_x, te_y) = datasets.toy_sentiment()
    assert len(tr_x) == len(tr_y) == 62 and len(te_x) == len(te_y) == 20
    for y in (tr_y, te_y):
        assert y.dtype == np.int64 and set(y.tolist()) == {0, 1}
        assert y.sum() * 2 == len(y)
    for texts, labels in ((tr_x, tr_y), (te_x, te_y)):
        assert all(isinstance(t, str) for t in texts)
        assert [_rule_label(t) for t in texts] == labels.tolist()
    assert not set(tr_x) & set(te_x)
    assert len(set(tr_x)) == len(tr_x)


def test_toy_sentiment_test_words_and_word_pairs_occur_in_training():
    (tr_x, _), (te_x, _) = datasets.toy_sentiment()
    train_words = {w for t in tr_x for w in tokenize(t)}
    assert {w for t in te_x for w in tokenize(t)} <= train_words
    assert len(train_words) == 16

    def pairs(t):
        w = tokenize(t)
        return set(zip(w, w[1:], strict=False))

    train_pairs = set().union(*(pairs(t) for t in tr_x))
    for t in te_x:
        assert pairs(t) <= train_pairs, t


def test_toy_sentiment_has_same_bag_with_both_labels():
    (tr_x, tr_y), (te_x, te_y) = datasets.toy_sentiment()
    texts = tr_x + te_x
    labels = np.concatenate([tr_y, te_y])
    by_bag = {}
    for t, y in zip(texts, labels, strict=True):
        by_bag.setdefault(tuple(sorted(tokenize(t))), set()).add(int(y))
    twins = [bag for bag, ys in by_bag.items() if ys == {0, 1}]
    assert ("bad", "good", "not") in twins
    assert len(twins) >= 5
    # at least one such pair lies inside the training set alone
    train_bags = {}
    for t, y in zip(tr_x, tr_y, strict=True):
        train_bags.setdefault(tuple(sorted(tokenize(t))), set()).add(int(y))
    assert any(ys == {0, 1} for ys in train_bags.values())


def test_toy_sentiment_copies_agree():
    packaged = (ROOT / "rnnlesson" / "_data" / "toy_sentiment.json").read_bytes()
    assert (ROOT / "data" / "toy_sentiment.json").read_bytes() == packaged
    doc = json.loads(packaged)
    assert doc["license"].startswith("MIT")


# --------------------------------------------------------------------------- movie_reviews


def test_movie_reviews_shapes_balance_lengths():
    (tr_x, tr_y), (te_x, te_y) = datasets.movie_reviews(n_train=301, n_test=40, seed=0)
    assert len(tr_x) == 301 and tr_y.shape == (301,) and len(te_x) == 40 and te_y.shape == (40,)
    assert tr_y.dtype == np.int64 and te_y.dtype == np.int64
    assert tr_y.sum() == 151 and te_y.sum() == 20
    lengths = np.array([len(tokenize(t)) for t in tr_x])
    assert lengths.min() >= 8
    assert lengths.max() >= 150
    assert 30 <= np.median(lengths) <= 120


def test_movie_reviews_determinism():
    a = datasets.movie_reviews(n_train=50, n_test=20, seed=3)
    b = datasets.movie_reviews(n_train=50, n_test=20, seed=3)
    c = datasets.movie_reviews(n_train=50, n_test=20, seed=4)
    assert a[0][0] == b[0][0] and a[1][0] == b[1][0]
    np.testing.assert_array_equal(a[0][1], b[0][1])
    assert a[0][0] != c[0][0]
    assert not set(a[0][0]) & set(c[0][0])
    assert not set(a[0][0]) & set(a[1][0])


def test_movie_reviews_vocabulary_is_a_few_thousand_words():
    (tr_x, _), _ = datasets.movie_reviews(n_train=2000, n_test=2, seed=0)
    voc = Vocabulary().fit(tr_x)
    assert 1500 <= len(voc) <= 5000
    assert len(vocabulary_words()) >= 2500
    assert {"not", "but", "overall"} <= set(voc.token_to_id)


def test_movie_reviews_not_and_but_are_balanced_across_labels():
    # The words that carry the order information occur about equally in both classes,
    # so their counts alone say little.
    (tr_x, tr_y), _ = datasets.movie_reviews(n_train=2000, n_test=2, seed=1)
    for word in ("not", "but", "never"):
        counts = np.array([tokenize(t).count(word) for t in tr_x])
        pos, neg = counts[tr_y == 1].mean(), counts[tr_y == 0].mean()
        assert abs(pos - neg) / (pos + neg) < 0.1, (word, pos, neg)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"n_train": 0}, ValueError, "n_train to be a positive integer"),
    ({"n_train": 1}, ValueError, "n_train >= 2"),
    ({"n_test": 2.5}, TypeError, "n_test"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_movie_reviews_validation(kwargs, err, match):
    with pytest.raises(err, match=match):
        datasets.movie_reviews(**kwargs)


# ------------------------------------------------------------------- sine_wave, make_windows


def test_sine_wave_formula_shapes_noise():
    t, x = datasets.sine_wave(n=1000, noise=0.0)
    assert t.shape == x.shape == (1000,) and t.dtype == x.dtype == np.float32
    np.testing.assert_array_equal(t, np.arange(1, 1001, dtype=np.float32))
    assert_close(x, np.sin(0.01 * np.arange(1, 1001)), dtype="float32", terms=2, what="sine")
    _, noisy = datasets.sine_wave(n=5000, noise=0.2, seed=1)
    resid = noisy - np.sin(0.01 * np.arange(1, 5001))
    assert 0.19 < resid.std() < 0.21 and abs(resid.mean()) < 0.02
    np.testing.assert_array_equal(datasets.sine_wave(seed=5)[1], datasets.sine_wave(seed=5)[1])
    assert not np.array_equal(datasets.sine_wave(seed=5)[1], datasets.sine_wave(seed=6)[1])


def test_sine_wave_validation():
    with pytest.raises(ValueError, match="noise"):
        datasets.sine_wave(noise=-0.1)
    with pytest.raises(ValueError, match="n >= 2"):
        datasets.sine_wave(n=1)


def test_make_windows():
    series = np.arange(10, dtype=np.float64)
    f, y = datasets.make_windows(series, tau=4)
    assert f.shape == (6, 4) and y.shape == (6,) and f.dtype == np.float64
    np.testing.assert_array_equal(f[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(f[-1], [5, 6, 7, 8])
    np.testing.assert_array_equal(y, np.arange(4, 10))
    f[0, 0] = 99.0
    assert series[0] == 0.0  # a copy, not a view
    _, x = datasets.sine_wave(n=100)
    f, y = datasets.make_windows(x, tau=1)
    assert f.shape == (99, 1) and f.dtype == np.float32
    assert datasets.make_windows([1, 2, 3], tau=2)[0].dtype == np.float32


def test_make_windows_validation():
    with pytest.raises(ValueError, match="longer than tau=4"):
        datasets.make_windows(np.zeros(4), tau=4)
    with pytest.raises(ValueError, match=r"1-D series of shape \(n,\)"):
        datasets.make_windows(np.zeros((10, 1)))
    with pytest.raises(TypeError, match="tau"):
        datasets.make_windows(np.zeros(10), tau=2.0)
    with pytest.raises(ValueError, match="NaN"):
        datasets.make_windows(np.array([1.0, np.nan, 2.0, 3.0, 4.0, 5.0]))


# -------------------------------------------------------------------------- adding_problem


def test_adding_problem_structure():
    n, T = 500, 30
    x, y = datasets.adding_problem(n, T, seed=0)
    assert x.shape == (n, T, 2) and y.shape == (n, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert x[:, :, 0].min() >= 0.0 and x[:, :, 0].max() < 1.0
    marks = x[:, :, 1]
    assert set(np.unique(marks).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(marks.sum(1), 2.0)
    np.testing.assert_array_equal(marks[:, : T // 2].sum(1), 1.0)
    np.testing.assert_array_equal(marks[:, T // 2:].sum(1), 1.0)
    assert_close(y[:, 0], (x[:, :, 0].astype(np.float64) * marks).sum(1), dtype="float32",
                 terms=T, what="sum of the marked values")


def test_adding_problem_baseline_mse_is_one_sixth():
    _, y = datasets.adding_problem(20000, 10, seed=1)
    baseline = float(np.mean((y - 1.0) ** 2))
    assert abs(baseline - 1 / 6) < 0.01
    assert abs(float(y.mean()) - 1.0) < 0.01


def test_adding_problem_determinism_and_validation():
    a = datasets.adding_problem(20, 8, seed=2)
    b = datasets.adding_problem(20, 8, seed=2)
    c = datasets.adding_problem(20, 8, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match="T >= 2"):
        datasets.adding_problem(10, 1)
    with pytest.raises(TypeError, match="n"):
        datasets.adding_problem(10.0, 5)
