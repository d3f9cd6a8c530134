"""Data sets for the lessons: generated, shipped with the package, or downloaded once.

==================  ==============================================================  ==========
function            what                                                            offline
==================  ==============================================================  ==========
``toy_sentiment``   82 short phrases with negation ("not bad"), lesson 1            shipped
``shakespeare``     the tiny-shakespeare text, 1.1 M characters, for char LMs       shipped
``digits``          1,797 UCI 8x8 handwritten digits, read as 8 rows of 8 pixels    shipped
``movie_reviews``   generated reviews whose label depends on word order             generated
``sine_wave``       a noisy sine, and ``make_windows`` to cut it into examples       generated
``adding_problem``  the long-memory benchmark of Hochreiter & Schmidhuber (1997)    generated
``addition``        ``'16+75  '`` -> ``'_91  '``: DLFS2's seq2seq addition task     generated
``dates``           ``'june 5, 1994'`` -> ``'_1994-06-05'``: DLFS2's date task      generated
``imdb``            the real IMDB reviews, Keras's ``imdb.npz``                     cached
``mnist``           MNIST, Keras's ``mnist.npz``                                    cached
``ptb``             Penn Treebank, the word-level language-model benchmark          cached
==================  ==============================================================  ==========

"cached" means downloaded once, checked against a published SHA-256 and kept on disk;
offline such a loader says which file to put where, and which built-in set needs no
network. Text sets return ``(train_texts, train_labels), (test_texts, test_labels)``
with texts as a list of str and labels as int64 arrays of 0 (negative) and 1
(positive); ``rnnlesson.text.Vocabulary`` turns the texts into ids.

The code is split by where the data comes from: ``shipped`` (files in
``rnnlesson/_data``), ``generated`` (computed from a seed), ``seq2seq`` (the character
tasks of the encoder-decoder lesson) and ``downloads``. Every function is available
here, as ``rnnlesson.datasets.NAME``. Every ``seed`` is an integer >= 0: a data set is
the same on every run.
"""

from .downloads import (
    IMDB_BASE_URL,
    IMDB_FILES,
    KERAS_BASE_URL,
    MNIST_FILES,
    PTB_BASE_URL,
    PTB_FILES,
    imdb,
    imdb_decode,
    imdb_word_index,
    mnist,
    ptb,
)
from .generated import adding_problem, make_windows, movie_reviews, sine_wave
from .seq2seq import CharTask, addition, dates
from .shipped import digits, shakespeare, toy_sentiment

__all__ = ["toy_sentiment", "shakespeare", "digits", "movie_reviews", "sine_wave",
           "make_windows", "adding_problem", "addition", "dates", "CharTask", "imdb",
           "imdb_word_index", "imdb_decode", "mnist", "ptb", "KERAS_BASE_URL",
           "IMDB_BASE_URL", "PTB_BASE_URL", "IMDB_FILES", "MNIST_FILES", "PTB_FILES"]
