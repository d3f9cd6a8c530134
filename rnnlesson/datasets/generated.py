"""Data sets computed on the fly: review-like texts, a noisy sine, the adding problem.

Nothing here reads a file: each function draws its data from a seeded
``numpy.random.Generator``, so the same arguments give the same arrays on every
machine, and another seed gives other data of the same kind.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from .._reviews import generate_reviews

__all__ = ["movie_reviews", "sine_wave", "make_windows", "adding_problem"]


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
    ``Adam(learning_rate=0.01, global_clipnorm=1.0)``, 5 to 10 epochs: over 4 data seeds x
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
    seed = _checks.seed(seed, owner, allow_none=False)
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
    seed = _checks.seed(seed, owner, allow_none=False)
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
    seed = _checks.seed(seed, owner, allow_none=False)
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
