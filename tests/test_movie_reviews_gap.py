"""The claims the text data sets are built for, measured with rnnlesson's own layers.

- toy_sentiment: a many-to-one vanilla RNN on one-hot words reaches 100% test
  accuracy, while logistic regression on word counts cannot fit train + test.
- movie_reviews: a bag-of-words logistic regression stays far below an
  Embedding + SimpleRNN (or LSTM) classifier.

Accuracy thresholds only; every run is seeded.
"""

import numpy as np
import pytest

from rnnlesson.datasets import movie_reviews, toy_sentiment
from rnnlesson.layers import LSTM, Dense, Embedding, SimpleRNN
from rnnlesson.models import Sequential
from rnnlesson.optimizers import Adam
from rnnlesson.text import Vocabulary, bag_of_words, one_hot, pad_sequences


def _accuracy(model, x, y):
    p = model.predict(x, verbose=0).reshape(-1)
    return float(np.mean((p > 0.5) == (y == 1)))


def _logistic_regression(x, y, epochs, seed=0, batch_size=32):
    """Logistic regression = one Dense(1, 'sigmoid') unit, trained with Adam on BCE."""
    model = Sequential([Dense(1, "sigmoid", seed=seed)], seed=seed)
    model.compile(Adam(0.01), "binary_crossentropy")
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model


# ---------------------------------------------------------------------------- toy_sentiment


@pytest.fixture(scope="module")
def toy():
    (tr_x, tr_y), (te_x, te_y) = toy_sentiment()
    voc = Vocabulary().fit(tr_x)
    ids_tr = pad_sequences(voc(tr_x))
    ids_te = pad_sequences(voc(te_x), maxlen=ids_tr.shape[1])
    return voc, ids_tr, tr_y, ids_te, te_y


@pytest.mark.parametrize("units, seed", [(32, 0), (32, 1), (64, 2)])
def test_toy_sentiment_vanilla_rnn_reaches_100_percent_test(toy, units, seed):
    voc, ids_tr, tr_y, ids_te, te_y = toy
    V = len(voc)
    assert V == 18 and ids_tr.shape[1] == 6
    x_tr, x_te = one_hot(ids_tr, V), one_hot(ids_te, V)     # (N, T, V) one-hot words
    model = Sequential([SimpleRNN(units, seed=seed), Dense(1, "sigmoid", seed=seed + 100)],
                       seed=seed)
    model.compile(Adam(0.01), "binary_crossentropy")
    model.fit(x_tr, tr_y, batch_size=8, epochs=100, verbose=0)
    assert _accuracy(model, x_tr, tr_y) == 1.0
    assert _accuracy(model, x_te, te_y) == 1.0


def test_toy_sentiment_bag_of_words_cannot_fit_train_and_test(toy):
    voc, ids_tr, tr_y, ids_te, te_y = toy
    x = bag_of_words(np.concatenate([ids_tr, ids_te]), len(voc))
    y = np.concatenate([tr_y, te_y])
    model = _logistic_regression(x, y, epochs=300, batch_size=82)
    acc = _accuracy(model, x, y)
    # identical bags with opposite labels make 100% impossible for any function of counts
    assert acc < 1.0
    # and a linear model of counts falls well short, even fitted on the test phrases too
    assert acc <= 0.9


# ---------------------------------------------------------------------------- movie_reviews


@pytest.fixture(scope="module")
def reviews():
    (tr_x, tr_y), (te_x, te_y) = movie_reviews(n_train=2000, n_test=500, seed=0)
    voc = Vocabulary().fit(tr_x)
    ids_tr, ids_te = voc(tr_x), voc(te_x)
    return voc, ids_tr, tr_y, ids_te, te_y


def test_movie_reviews_bag_of_words_stays_low(reviews):
    voc, ids_tr, tr_y, ids_te, te_y = reviews
    V = len(voc)
    x_tr = np.log1p(bag_of_words(ids_tr, V))
    x_te = np.log1p(bag_of_words(ids_te, V))
    model = _logistic_regression(x_tr, tr_y, epochs=20)
    # it does fit the training set (so it is not simply undertrained) ...
    assert _accuracy(model, x_tr, tr_y) >= 0.8
    # ... but word counts carry little of the label
    test_acc = _accuracy(model, x_te, te_y)
    assert test_acc <= 0.70


@pytest.mark.parametrize("cell", [SimpleRNN, LSTM])
def test_movie_reviews_rnn_reads_the_order(reviews, cell):
    voc, ids_tr, tr_y, ids_te, te_y = reviews
    x_tr = pad_sequences(ids_tr, maxlen=100)
    x_te = pad_sequences(ids_te, maxlen=100)
    model = Sequential([Embedding(len(voc), 32, seed=0), cell(32, seed=1),
                        Dense(1, "sigmoid", seed=2)], seed=3)
    model.compile(Adam(0.01, global_clipnorm=1.0), "binary_crossentropy")  # the documented one
    model.fit(x_tr, tr_y, batch_size=32, epochs=5, verbose=0)
    assert _accuracy(model, x_te, te_y) >= 0.90
