"""Data sets for the lessons, all made or shipped by rnnlesson and usable offline.

==================  =============================================================  ==========
function            what                                                           offline
==================  =============================================================  ==========
``toy_sentiment``   82 short phrases with negation ("not bad"), lesson 1           shipped
``movie_reviews``   generated reviews whose label depends on word order            generated
``sine_wave``       a noisy sine, and ``make_windows`` to cut it into examples      generated
``adding_problem``  the long-memory benchmark of Hochreiter & Schmidhuber (1997)   generated
``imdb``            the real IMDB reviews, Keras's ``imdb.npz``, downloaded once   cached
==================  =============================================================  ==========

Text sets return ``(train_texts, train_labels), (test_texts, test_labels)`` with
texts as a list of str and labels as int64 arrays of 0 (negative) and 1 (positive);
``rnnlesson.text.Vocabulary`` turns the texts into ids.
"""

from __future__ import annotations

import json
import os
from importlib import resources

import numpy as np

from . import _checks
from ._reviews import generate_reviews

__all__ = ["toy_sentiment", "movie_reviews", "sine_wave", "make_windows", "adding_problem",
           "imdb", "imdb_word_index", "imdb_decode", "IMDB_BASE_URL"]


# ---------------------------------------------------------------------------------------
# toy_sentiment
# ---------------------------------------------------------------------------------------
def _read_toy() -> dict:
    path = resources.files("rnnlesson").joinpath("_data", "toy_sentiment.json")
    with path.open("r", encoding="utf-8") as f:
        return json.load(f)


def toy_sentiment():
    """The first lesson's data: short phrases with negation and intensifiers.

    62 training and 20 test phrases over 16 words ("i am not at all happy",
    "this is good not sad", "it was not very bad"), labelled 1 (positive) or 0
    (negative), balanced in both splits. Every test word, and every pair of
    neighbouring test words, occurs in training, but no test phrase does.

    Why it needs an RNN: some bags of words occur with both labels ("good not bad"
    is 1, "bad not good" is 0), so no model of word counts can classify every
    phrase, while a many-to-one vanilla RNN on one-hot words reads the order and
    reaches 100% test accuracy: ``SimpleRNN(32)`` (or 64) with ``Dense(1,
    'sigmoid')``, Adam(learning_rate=0.01), batch_size=8, 100 epochs, on
    ``pad_sequences`` of the ids (T = 6, V = 18 ids), well under a second.

    The phrases are stored in ``rnnlesson/_data/toy_sentiment.json`` (a copy is in
    ``data/``; see ``data/README.md``).

    Returns:
        ``(train_texts, train_labels), (test_texts, test_labels)``: lists of str
        (length N) and int64 arrays of shape (N,).
    """
    doc = _read_toy()
    out = []
    for split in ("train", "test"):
        rows = doc[split]
        out.append(([t for t, _ in rows], np.array([y for _, y in rows], dtype=np.int64)))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# movie_reviews
# ---------------------------------------------------------------------------------------
def movie_reviews(n_train=2000, n_test=1000, seed=0):
    """Generated movie reviews whose sentiment depends on word order.

    Each review is a few sentences about a made-up film (actors, characters,
    places, plot, the acting, the score, ...), 10 to about 330 words long (median
    about 70), over a vocabulary of about 3,200 words, and ends with a verdict. The
    label is the sentiment of that verdict, written so that only word order tells it:

    - contrast (70% of reviews): "the acting was great but the film was dull" is 0;
      the clause after "but" wins, and the mirror image is 1 with the same kind of words;
    - negation scope (30%): "overall, the film was not good" is 0, "in short, it
      wasn't dull" is 1; "not" occurs as often in positive as in negative reviews;
    - long reviews: opinions earlier in the review are random (and often negated)
      and do not decide the label; one review in five also carries a telling
      phrase ("a real masterpiece", "a waste of time") somewhere in its body.

    Measured with 2,000 training and 1,000 test reviews (seeds 0 and 1), all words
    kept and ``maxlen=100``: logistic regression on word counts reaches 57-62% test
    accuracy (while fitting 97-99% of its training set); ``Embedding(V, 32)``,
    ``SimpleRNN(32)``, ``Dense(1, 'sigmoid')`` trained with ``Adam(learning_rate=0.01)``,
    batch_size=32, 5 epochs reaches 97-99%, and the same with ``LSTM(32)`` 100%,
    each in a few seconds on one core.

    Sensible settings: ``Vocabulary()`` (all words) or ``Vocabulary(max_size=2000)``
    (the rare words are mostly character names); ``pad_sequences(ids, maxlen=100)``
    (the default ``truncating='pre'`` keeps the end, where the verdict is; with
    ``padding='post'`` a last-state RNN fails); batch_size 32;
    ``Adam(learning_rate=0.01, clipnorm=1.0)``, 5 to 10 epochs: over 4 data seeds x
    2 vocabulary sizes, all 8 SimpleRNN runs passed 90% within 3 epochs and ended at
    99.9-100% after 10. Without clipping a
    SimpleRNN at this rate sometimes falls back late in training (one run in eight
    went from 95% to 72%); with Keras's default rate 0.001 it memorises the training
    reviews before it finds the rule (about 65% test accuracy after 10 epochs).

    Args:
        n_train, n_test: number of reviews in each split (each >= 2); labels are
            balanced (half 1, half 0; the extra one is 1 when the count is odd).
        seed: integer >= 0; the same seed gives the same reviews, another seed others.

    Returns:
        ``(train_texts, train_labels), (test_texts, test_labels)``: lists of str and
        int64 arrays of shape (n_train,) and (n_test,).
    """
    owner = "movie_reviews"
    n_train = _checks.positive_int(n_train, "n_train", owner)
    n_test = _checks.positive_int(n_test, "n_test", owner)
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if n < 2:
            raise ValueError(f"{owner} expects {name} >= 2 (one review of each label); "
                             f"got {n}.")
    seed = _checks.nonneg_int(seed, "seed", owner)
    rng = np.random.default_rng([seed, 20260])
    out = []
    for n in (n_train, n_test):
        texts, labels = generate_reviews(n, rng)
        out.append((texts, np.asarray(labels, dtype=np.int64)))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# sine_wave, make_windows
# ---------------------------------------------------------------------------------------
def sine_wave(n=1000, noise=0.2, seed=0):
    """A noisy sine: ``x_t = sin(0.01 * t) + eps_t``, t = 1..n, ``eps_t ~ N(0, noise**2)``.

    The classic first sequence-prediction task (as in d2l's "Sequence Models"):
    with n = 1000 the series covers about 1.6 periods (period 2*pi/0.01 = 628 steps).

    Args:
        n: number of time steps (>= 2).
        noise: standard deviation of the Gaussian noise (>= 0; 0 gives a clean sine).
        seed: integer seed of the noise.

    Returns:
        ``(time, series)``: ``time`` float32 of shape (n,) holding 1..n, and
        ``series`` float32 of shape (n,).
    """
    owner = "sine_wave"
    n = _checks.positive_int(n, "n", owner)
    if n < 2:
        raise ValueError(f"{owner} expects n >= 2; got {n}.")
    noise = _checks.real_number(noise, "noise", owner, low=0.0)
    seed = _checks.nonneg_int(seed, "seed", owner)
    rng = np.random.default_rng(seed)
    time = np.arange(1, n + 1, dtype=np.float64)
    series = np.sin(0.01 * time) + rng.normal(0.0, noise, size=n)
    return time.astype(np.float32), series.astype(np.float32)


def make_windows(series, tau=4):
    """Cut a series into (features, targets) for one-step-ahead prediction.

    Row i of ``features`` is ``series[i : i + tau]`` and ``targets[i]`` is
    ``series[i + tau]``: the model sees the last ``tau`` values and predicts the
    next. For an RNN, ``features[..., None]`` has shape (N, T, D) = (n - tau, tau, 1).

    Args:
        series: 1-D array of shape (n,), with n > tau.
        tau: window length (>= 1).

    Returns:
        ``(features, targets)`` of shapes (n - tau, tau) and (n - tau,), in the
        series' float dtype (float32 for integer input).
    """
    owner = "make_windows"
    tau = _checks.positive_int(tau, "tau", owner)
    arr = np.asarray(series)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{owner} expects a numeric series; got dtype {arr.dtype}.")
    if arr.ndim != 1:
        raise ValueError(f"{owner} expects a 1-D series of shape (n,); got shape "
                         f"{_checks.shape_str(arr.shape)}.")
    if arr.shape[0] <= tau:
        raise ValueError(f"{owner} expects a series longer than tau={tau}; got n={arr.shape[0]}.")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    _checks.check_finite(arr, owner, "series")
    n = arr.shape[0]
    idx = np.arange(n - tau)[:, None] + np.arange(tau)[None, :]
    return arr[idx].copy(), arr[tau:].copy()


# ---------------------------------------------------------------------------------------
# adding_problem
# ---------------------------------------------------------------------------------------
def adding_problem(n=1000, T=50, seed=0):
    """The adding problem, a long-memory benchmark (Hochreiter & Schmidhuber 1997).

    Each sequence has T steps of two channels: channel 0 holds random values from
    U(0, 1); channel 1 is a marker that is 1 at exactly two steps, one in the first
    half (t < T // 2) and one in the second half, and 0 elsewhere. The target is
    the sum of the two marked values. To solve it a model must remember the first
    marked value across up to T steps.

    Baseline: always predicting the mean, 1, gives a mean squared error of
    Var(u1 + u2) = 1/12 + 1/12 = 1/6 = 0.167 (two independent U(0, 1) values), so
    a model has learned something only when its MSE is clearly below 0.167.

    Args:
        n: number of sequences (>= 1).
        T: sequence length (>= 2).
        seed: integer seed.

    Returns:
        ``(x, y)``: ``x`` float32 of shape (n, T, 2), ``y`` float32 of shape (n, 1).
    """
    owner = "adding_problem"
    n = _checks.positive_int(n, "n", owner)
    T = _checks.positive_int(T, "T", owner)
    if T < 2:
        raise ValueError(f"{owner} expects T >= 2 (one marker in each half); got {T}.")
    seed = _checks.nonneg_int(seed, "seed", owner)
    rng = np.random.default_rng(seed)
    half = T // 2
    values = rng.uniform(0.0, 1.0, size=(n, T))
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    x = np.zeros((n, T, 2), dtype=np.float32)
    x[:, :, 0] = values
    rows = np.arange(n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (values[rows, first] + values[rows, second]).astype(np.float32)[:, None]
    return x, y


# ---------------------------------------------------------------------------------------
# imdb
# ---------------------------------------------------------------------------------------
#: Where Keras's copy of the IMDB data lives (``keras.datasets.imdb``); override with the
#: ``base_url`` argument or the ``RNNLESSON_IMDB_URL`` environment variable.
IMDB_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: Known checksums of the files, as ``keras/src/datasets/imdb.py`` lists them (Keras
#: publishes an MD5 only for the word index).
IMDB_FILES = {
    "imdb.npz": "sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "imdb_word_index.json": "md5:bfafd718b763782e994055a2d397834f",
}


def _cache_dir(cache_dir) -> str:
    if cache_dir is not None:
        return os.fspath(cache_dir)
    env = os.environ.get("RNNLESSON_CACHE_DIR")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".cache", "rnnlesson")


def _fetch(fname: str, cache_dir, base_url) -> str:
    """Return the local path of ``fname``, downloading and verifying it if needed."""
    folder = _cache_dir(cache_dir)
    target = os.path.join(folder, fname)
    try:
        import pooch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"rnnlesson.datasets.imdb needs the 'pooch' package to download {fname}: "
            "pip install pooch. Without it, place the file by hand at "
            f"{target}, or use rnnlesson.datasets.movie_reviews(), which needs no download."
        ) from exc
    base = base_url or os.environ.get("RNNLESSON_IMDB_URL") or IMDB_BASE_URL
    url = base.rstrip("/") + "/" + fname
    known = IMDB_FILES[fname]
    try:
        return pooch.retrieve(url, known_hash=known, fname=fname, path=folder,
                              progressbar=False)
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise
        raise ValueError(
            f"The downloaded {fname} from {url} does not match its known checksum "
            f"{known}; it was not kept. The server may hold a different or damaged copy. "
            f"Details: {exc}"
        ) from exc
    except Exception as exc:  # network errors come from requests, urllib3 or the OS
        raise ConnectionError(
            f"Could not download {fname} from {url} ({type(exc).__name__}: {exc}).\n"
            f"rnnlesson looks for the file at {target}. If you are offline, copy {fname} "
            f"there by hand (a Keras cache has it as ~/.keras/datasets/{fname}), or use "
            "the built-in rnnlesson.datasets.movie_reviews(), which needs no network."
        ) from exc


def imdb(num_words=None, maxlen=None, cache_dir=None, *, skip_top=0, seed=113, start_char=1,
         oov_char=2, index_from=3, base_url=None):
    """The IMDB movie-review sentiment data (25,000 train, 25,000 test), as Keras loads it.

    Downloads Keras's ``imdb.npz`` once (about 17 MB), checks its SHA-256 and keeps
    it in ``cache_dir`` (default ``$RNNLESSON_CACHE_DIR`` or ``~/.cache/rnnlesson``);
    later calls read the cached file without any network access. Needs ``pooch``.
    The result equals ``keras.datasets.imdb.load_data`` with the same arguments:

    - each review is a list of word ids: ``start_char`` (1) first, then each word's
      frequency rank plus ``index_from`` (3), so the most frequent word, "the", is 4;
      0 is left for padding and 2 (``oov_char``) marks words cut by ``num_words``
      or ``skip_top``;
    - ``num_words``: keep ids below it (the ``num_words - 3`` most frequent words);
      None means "below the largest id", which, exactly as in Keras, turns that one
      rarest word into ``oov_char``; ``skip_top`` also turns the most frequent ids
      into ``oov_char``;
    - ``maxlen``: drop (not cut) reviews of ``maxlen`` ids or more, as Keras does;
    - both splits are shuffled with ``np.random.RandomState(seed)``.

    Offline, with no cached copy, it raises ``ConnectionError`` naming the file and
    the place to put it by hand; ``movie_reviews()`` is the built-in alternative.
    Words: ``imdb_word_index()`` gives the word -> rank mapping and
    ``imdb_decode(ids)`` turns a review back into text.

    Args:
        num_words, maxlen, skip_top, seed, start_char, oov_char, index_from: as Keras.
        cache_dir: folder for the downloaded file.
        base_url: where to download from (default ``IMDB_BASE_URL``, Keras's address,
            or the ``RNNLESSON_IMDB_URL`` environment variable).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` object arrays of shape (N,)
        whose items are lists of ints of varying length (``pad_sequences`` makes them
        (N, T)); ``y_*`` int64 arrays of shape (N,) with 1 for positive reviews.
    """
    owner = "imdb"
    if num_words is not None:
        num_words = _checks.positive_int(num_words, "num_words", owner)
    if maxlen is not None:
        maxlen = _checks.positive_int(maxlen, "maxlen", owner)
    skip_top = _checks.nonneg_int(skip_top, "skip_top", owner)
    seed = _checks.nonneg_int(seed, "seed", owner)
    index_from = _checks.nonneg_int(index_from, "index_from", owner)
    if start_char is not None:
        start_char = _checks.nonneg_int(start_char, "start_char", owner)
    if oov_char is not None:
        oov_char = _checks.nonneg_int(oov_char, "oov_char", owner)

    path = _fetch("imdb.npz", cache_dir, base_url)
    # The file holds object arrays of Python lists, so it needs pickle; it is only
    # opened after its SHA-256 matched the published one.
    with np.load(path, allow_pickle=True) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]

    rs = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rs.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rs.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    def shift(x):
        head = [] if start_char is None else [start_char]
        return [head + [int(w) + index_from for w in seq] for seq in x]

    xs_train, xs_test = shift(x_train), shift(x_test)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if maxlen:
        keep = [len(s) < maxlen for s in xs_train]
        xs_train = [s for s, k in zip(xs_train, keep, strict=True) if k]
        y_train = y_train[np.array(keep, dtype=bool)]
        keep = [len(s) < maxlen for s in xs_test]
        xs_test = [s for s, k in zip(xs_test, keep, strict=True) if k]
        y_test = y_test[np.array(keep, dtype=bool)]
        if not xs_train or not xs_test:
            raise ValueError(f"{owner}: no review is shorter than maxlen={maxlen}; "
                             "increase maxlen.")
    xs = xs_train + xs_test
    if not num_words:
        num_words = max(max(s) for s in xs if s)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in s] for s in xs]
    else:
        xs = [[w for w in s if skip_top <= w < num_words] for s in xs]

    def as_object_array(seqs):
        arr = np.empty(len(seqs), dtype=object)
        arr[:] = seqs
        return arr

    k = len(xs_train)
    return ((as_object_array(xs[:k]), y_train.astype(np.int64)),
            (as_object_array(xs[k:]), y_test.astype(np.int64)))


def imdb_word_index(cache_dir=None, *, base_url=None) -> dict:
    """Keras's IMDB word index: a dict word -> frequency rank (1 is "the").

    Downloaded once beside ``imdb.npz`` (``imdb_word_index.json``, checked by the MD5
    Keras publishes) and read from the cache afterwards. A review's id ``i`` from
    ``imdb()`` is the word of rank ``i - index_from``; ``imdb_decode`` does this.
    """
    path = _fetch("imdb_word_index.json", cache_dir, base_url)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def imdb_decode(ids, word_index=None, *, start_char=1, oov_char=2, index_from=3,
                cache_dir=None) -> str:
    """Turn one review from ``imdb()`` (a list of ids) back into words.

    ``start_char`` shows as ``[START]``, ``oov_char`` as ``[OOV]``, padding (0) is
    skipped. ``word_index`` defaults to ``imdb_word_index(cache_dir)``; pass it in
    when decoding many reviews.
    """
    if word_index is None:
        word_index = imdb_word_index(cache_dir)
    if not isinstance(word_index, dict):
        raise TypeError(f"imdb_decode expects word_index as a dict word -> rank; got "
                        f"{type(word_index).__name__}.")
    inverse = {rank + index_from: word for word, rank in word_index.items()}
    if start_char is not None:
        inverse[start_char] = "[START]"
    if oov_char is not None:
        inverse[oov_char] = "[OOV]"
    arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"imdb_decode expects one review as a list of int ids, shape (T,); "
                        f"got shape {_checks.shape_str(arr.shape)} of dtype {arr.dtype}.")
    return " ".join(inverse.get(int(i), "[?]") for i in arr if int(i) != 0)
