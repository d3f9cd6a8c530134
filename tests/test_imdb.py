"""rnnlesson.datasets.imdb against a local HTTP server on 127.0.0.1 serving a small file
in Keras's imdb.npz format: download, cache hit, checksum rejection, offline message,
and equality with keras.datasets.imdb.load_data on the same file."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pooch")  # imdb() downloads through pooch

from local_server import LocalServer, free_port  # noqa: E402
from optional import keras_module  # noqa: E402

from rnnlesson import datasets  # noqa: E402

WORD_INDEX = {"the": 1, "film": 2, "was": 3, "not": 4, "good": 5, "bad": 6, "plot": 7,
              "acting": 8, "great": 9, "dull": 10, "but": 11, "ending": 12}


def _ragged(seqs):
    arr = np.empty(len(seqs), dtype=object)
    arr[:] = [list(s) for s in seqs]
    return arr


def _make_imdb_npz(path: Path, seed=0):
    """A small imdb.npz as Keras stores it: word ranks from 1, object arrays of lists."""
    rng = np.random.default_rng(seed)
    def split(n):
        seqs = [rng.integers(1, 13, size=int(k)).tolist() for k in rng.integers(1, 15, size=n)]
        return _ragged(seqs), rng.integers(0, 2, size=n).astype(np.int64)
    x_train, y_train = split(40)
    x_test, y_test = split(30)
    with open(path, "wb") as f:
        np.savez(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return x_train, y_train, x_test, y_test


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Serve a small imdb.npz and word index; point the known checksums at them."""
    root = tmp_path / "www"
    (root / "data").mkdir(parents=True)
    raw = _make_imdb_npz(root / "data" / "imdb.npz")
    (root / "data" / "imdb_word_index.json").write_text(json.dumps(WORD_INDEX))
    sha = hashlib.sha256((root / "data" / "imdb.npz").read_bytes()).hexdigest()
    md5 = hashlib.md5((root / "data" / "imdb_word_index.json").read_bytes()).hexdigest()
    monkeypatch.setitem(datasets.IMDB_FILES, "imdb.npz", f"sha256:{sha}")
    monkeypatch.setitem(datasets.IMDB_FILES, "imdb_word_index.json", f"md5:{md5}")
    monkeypatch.delenv("RNNLESSON_IMDB_URL", raising=False)
    monkeypatch.delenv("RNNLESSON_CACHE_DIR", raising=False)
    server = LocalServer(root)
    yield server, raw, tmp_path / "cache"
    server.stop()


def test_known_keras_checksums_are_recorded():
    # the published values from Keras's imdb loader, so a real download is verified
    assert datasets.IMDB_FILES["imdb.npz"] == (
        "sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
    assert datasets.IMDB_BASE_URL.endswith("/tf-keras-datasets/")


def test_download_then_cache_hit(served):
    server, raw, cache = served
    (x_train, y_train), (x_test, y_test) = datasets.imdb(cache_dir=cache, base_url=server.url)
    assert server.requests == ["/data/imdb.npz"]
    assert (cache / "imdb.npz").is_file()
    assert x_train.shape == (40,) and x_test.shape == (30,) and x_train.dtype == object
    assert y_train.dtype == np.int64 and y_test.shape == (30,)
    # every review starts with start_char=1 and holds ranks shifted by index_from=3; as in
    # Keras, num_words=None means "below the largest id", so that one id becomes oov_char=2
    assert all(s[0] == 1 and all(w >= 4 or w == 2 for w in s[1:]) for s in x_train)
    top = 12 + 3
    assert not any(top in s for s in x_train) and any(2 in s for s in x_train)
    assert sorted(len(s) - 1 for s in x_train) == sorted(len(s) for s in raw[0])
    assert sorted(y_train.tolist()) == sorted(raw[1].tolist())

    again = datasets.imdb(cache_dir=cache, base_url=server.url)
    assert server.requests == ["/data/imdb.npz"]  # no second request
    for a, b in zip(again[0][0], x_train, strict=True):
        assert a == b
    np.testing.assert_array_equal(again[1][1], y_test)


def test_base_url_from_environment(served, monkeypatch):
    server, _, cache = served
    monkeypatch.setenv("RNNLESSON_IMDB_URL", server.url)
    monkeypatch.setenv("RNNLESSON_CACHE_DIR", str(cache))
    datasets.imdb()
    assert server.requests == ["/data/imdb.npz"]
    assert (cache / "imdb.npz").is_file()


def test_wrong_checksum_is_rejected_and_nothing_is_cached(served, monkeypatch):
    server, _, cache = served
    monkeypatch.setitem(datasets.IMDB_FILES, "imdb.npz", "sha256:" + "0" * 64)
    with pytest.raises(ValueError, match="does not match its known checksum"):
        datasets.imdb(cache_dir=cache, base_url=server.url)
    assert server.requests == ["/data/imdb.npz"]
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_error_names_file_place_and_alternative(tmp_path, served):
    server, _, cache = served
    server.stop()  # the server is gone: nothing answers at its address
    for url in (server.url, f"http://127.0.0.1:{free_port()}/"):
        with pytest.raises(ConnectionError) as info:
            datasets.imdb(cache_dir=cache, base_url=url)
        msg = str(info.value)
        assert "imdb.npz" in msg
        assert str(cache / "imdb.npz") in msg
        assert "movie_reviews" in msg
    assert not (cache / "imdb.npz").exists()


def test_num_words_maxlen_skip_top(served):
    server, _, cache = served
    (x_train, _), (x_test, _) = datasets.imdb(num_words=8, cache_dir=cache, base_url=server.url)
    ids = [w for s in list(x_train) + list(x_test) for w in s]
    assert max(ids) == 7 and 2 in ids  # words of rank >= 5 became oov_char=2
    (x_train, y_train), _ = datasets.imdb(maxlen=8, cache_dir=cache, base_url=server.url)
    assert all(len(s) < 8 for s in x_train) and len(x_train) == len(y_train) < 40
    (x_train, _), _ = datasets.imdb(skip_top=6, cache_dir=cache, base_url=server.url)
    assert all(w == 2 or w >= 6 for s in x_train for w in s)
    assert len(server.requests) == 1


def test_word_index_and_decode(served):
    server, _, cache = served
    index = datasets.imdb_word_index(cache_dir=cache, base_url=server.url)
    assert index == WORD_INDEX
    text = datasets.imdb_decode([0, 0, 1, 4, 5, 2, 8], index)
    assert text == "[START] the film [OOV] good"
    assert datasets.imdb_decode([1, 4], cache_dir=cache) == "[START] the"
    assert server.requests == ["/data/imdb_word_index.json"]


def test_validation():
    with pytest.raises(ValueError, match="num_words"):
        datasets.imdb(num_words=0)
    with pytest.raises(TypeError, match="maxlen"):
        datasets.imdb(maxlen=2.5)
    with pytest.raises(TypeError, match="word_index"):
        datasets.imdb_decode([1], word_index=["a"])


@pytest.mark.parametrize("kwargs", [
    {},
    {"num_words": 8},
    {"maxlen": 9},
    {"num_words": 10, "maxlen": 12, "skip_top": 2},
    {"seed": 7, "index_from": 2, "start_char": 1, "oov_char": 3, "num_words": 9},
    {"start_char": None},
    {"oov_char": None, "num_words": 7},
])
def test_equals_keras_load_data(served, monkeypatch, kwargs):
    keras_imdb = keras_module("keras.src.datasets.imdb")
    if keras_imdb is None:
        pytest.skip("keras is not installed")
    server, _, cache = served
    ours = datasets.imdb(cache_dir=cache, base_url=server.url, **kwargs)
    # Keras reads the same local file instead of downloading it
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **kw: str(cache / "imdb.npz"))
    theirs = keras_imdb.load_data(**kwargs)
    for (xo, yo), (xt, yt) in zip(ours, theirs, strict=True):
        assert len(xo) == len(xt)
        assert [list(s) for s in xo] == [list(s) for s in xt]
        np.testing.assert_array_equal(yo, yt)
