"""Data sets shipped inside the package: read from ``rnnlesson/_data/``, never downloaded.

=================  ==========================  ===========  ==================================
function           file in ``rnnlesson/_data``  bytes        source and licence
=================  ==========================  ===========  ==================================
``toy_sentiment``  ``toy_sentiment.json``       2,994        written for rnnlesson, MIT
``shakespeare``    ``tinyshakespeare.txt``      1,115,394    karpathy/char-rnn; public domain
``digits``         ``digits.csv``               264,712      UCI optdigits test set; CC BY 4.0
=================  ==========================  ===========  ==================================

The files are package data (``pyproject.toml``, ``[tool.setuptools.package-data]``)
read through ``importlib.resources``, so they work from a source checkout, an
editable install and a regular ``pip install`` alike. ``data/`` at the top of the
repository holds byte-for-byte copies, and ``data/README.md`` records where each
file comes from and the SHA-256 that ``tests/test_shipped_data.py`` pins.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from importlib import resources

import numpy as np

from .. import _checks

__all__ = ["toy_sentiment", "shakespeare", "digits"]


def _data_file(name: str):
    return resources.files("rnnlesson").joinpath("_data", name)


# ---------------------------------------------------------------------------------------
# toy_sentiment
# ---------------------------------------------------------------------------------------
def _read_toy() -> dict:
    with _data_file("toy_sentiment.json").open("r", encoding="utf-8") as f:
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
# shakespeare
# ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def shakespeare() -> str:
    """The tiny-shakespeare text: the standard corpus of character-level language models.

    1,115,394 characters over 65 distinct ones (newline, space, ``!$&',-.3:;?``, and
    the 52 letters), about 40,000 lines of Shakespeare's plays as dialogue::

        First Citizen:
        Before we proceed any further, hear me speak.

    It is ``data/tinyshakespeare/input.txt`` of Andrej Karpathy's char-rnn
    repository, byte for byte (SHA-256 ``86c4e6aa...c565ed``, pinned in the tests),
    shipped with rnnlesson so that the language-model lesson runs offline.
    Shakespeare's text is in the public domain; ``data/README.md`` gives the source
    commit.

    Typical use, with a character vocabulary (ids sorted by character)::

        from rnnlesson.text import Vocabulary
        text = datasets.shakespeare()
        voc = Vocabulary(level='char').fit([text])   # len(voc) == 65: V = 65
        ids = np.array(voc.encode(text))              # shape (1115394,)

    Returns:
        the whole text as one str (the same object on every call: str is immutable).
    """
    return _data_file("tinyshakespeare.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------
# digits
# ---------------------------------------------------------------------------------------
#: Images per class in the shipped digits file (digit 0 first), as UCI documents them.
DIGITS_CLASS_COUNTS = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)


@functools.lru_cache(maxsize=1)
def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    """Pixel counts (1797, 8, 8) uint8 in 0..16 and labels (1797,) int64, read-only."""
    with _data_file("digits.csv").open("r", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    counts = table[:, :64].reshape(-1, 8, 8).astype(np.uint8)
    labels = table[:, 64].copy()
    counts.flags.writeable = False
    labels.flags.writeable = False
    return counts, labels


def _stratified_test_counts(class_sizes: np.ndarray, n_test: int) -> np.ndarray:
    """Test images per class: proportional to the class sizes and summing to ``n_test``.

    Each class gets ``floor(n_c * n_test / N)``; the images still missing go one each
    to the classes with the largest remainders (ties to the lower class), so every
    class is within one image of its exact share.
    """
    share = class_sizes * n_test / class_sizes.sum()
    counts = np.floor(share).astype(np.int64)
    missing = n_test - int(counts.sum())
    order = np.lexsort((np.arange(len(share)), -(share - counts)))
    counts[order[:missing]] += 1
    return counts


def digits(test_size=0.25, seed=0):
    """The UCI 8x8 handwritten digits: 1,797 images as sequences of 8 rows of 8 pixels.

    Each image is a digit 0-9 written by one of 43 people, scanned, and reduced to an
    8x8 grid whose cells count the dark pixels of a 4x4 block (0..16). This is the
    test set of "Optical Recognition of Handwritten Digits" (E. Alpaydin and C.
    Kaynak, UCI Machine Learning Repository, 1998, doi:10.24432/C50P49, licensed
    CC BY 4.0), the same 1,797 images that scikit-learn ships as ``load_digits``.
    The file is shipped with rnnlesson (``rnnlesson/_data/digits.csv``, one image a
    line: 64 counts row by row, then the label); ``data/README.md`` gives its source.
    Images per class, digit 0 first: 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.

    Read row by row, an image is a sequence of T = 8 steps of D = 8 features, the
    small version of reading MNIST's 28 rows of 28 pixels.

    The split is stratified: each digit goes to the test set in the proportion
    ``test_size`` (within one image), drawn at random with ``seed``; both splits are
    then shuffled. The test set has ``ceil(test_size * 1797)`` images (450 for 0.25).

    Args:
        test_size: fraction of the images in the test set, in (0, 1); or their number,
            an int from 10 to 1787 (every digit needs an image in each split).
        seed: integer >= 0; the same seed gives the same split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` float32 of shape (N, 8, 8)
        with the counts divided by 16 (values k/16 in [0, 1]); ``y`` int64 of shape
        (N,) with the digit.
    """
    owner = "digits"
    seed = _checks.seed(seed, owner, allow_none=False)
    counts, labels = _read_digits()
    total = len(labels)
    n_classes = len(DIGITS_CLASS_COUNTS)
    lo, hi = n_classes, total - n_classes
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{owner} expects test_size as a fraction in (0, 1) or a number of "
                        f"images from {lo} to {hi}; got {test_size!r}.")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    else:
        frac = float(test_size)
        if not 0.0 < frac < 1.0:
            raise ValueError(f"{owner} expects test_size as a fraction in (0, 1) or a number "
                             f"of images from {lo} to {hi}; got {test_size!r}.")
        n_test = math.ceil(frac * total)
    if not lo <= n_test <= hi:
        raise ValueError(f"{owner} expects a test set of {lo} to {hi} images (at least one of "
                         f"each digit in each split); test_size={test_size!r} gives {n_test}.")

    rng = np.random.default_rng([seed, 8_8])
    per_class = _stratified_test_counts(np.bincount(labels, minlength=n_classes), n_test)
    test_idx, train_idx = [], []
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(members[:per_class[c]])
        train_idx.append(members[per_class[c]:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))

    def split(idx):
        x = counts[idx].astype(np.float32) / np.float32(16.0)
        return x, labels[idx].copy()

    return split(train_idx), split(test_idx)
