"""The data files shipped in the package: pinned bytes, the loaders, and the digits split."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from rnnlesson import datasets
from rnnlesson.text import Vocabulary

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "rnnlesson" / "_data"

# SHA-256 and size of each shipped file; data/README.md records where they come from.
PINNED = {
    "tinyshakespeare.txt": ("86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                            1_115_394),
    "digits.csv": ("6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8", 264_712),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_shipped_file_is_pinned_and_mirrored_in_data(name):
    sha, size = PINNED[name]
    raw = (PACKAGED / name).read_bytes()
    assert len(raw) == size
    assert hashlib.sha256(raw).hexdigest() == sha
    # data/ keeps a byte-for-byte copy, so the file can be read without the package
    assert (ROOT / "data" / name).read_bytes() == raw


def test_package_data_globs_cover_every_shipped_file():
    text = (ROOT / "pyproject.toml").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("rnnlesson = ["))
    globs = [g.strip().strip('"') for g in line.split("[", 1)[1].rstrip("]").split(",")]
    for f in PACKAGED.iterdir():
        assert any(f.match(g.split("/")[-1]) for g in globs), f"{f.name} is not package data"


def test_data_readme_names_every_shipped_file_with_its_hash():
    readme = (ROOT / "data" / "README.md").read_text()
    for name, (sha, _) in PINNED.items():
        assert name in readme and sha in readme


# ----------------------------------------------------------------------------- shakespeare


def test_shakespeare_text():
    text = datasets.shakespeare()
    assert isinstance(text, str)
    assert len(text) == 1_115_394
    chars = sorted(set(text))
    assert len(chars) == 65
    assert "".join(chars) == ("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz")
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == PINNED["tinyshakespeare.txt"][0]


def test_shakespeare_with_a_char_vocabulary():
    text = datasets.shakespeare()
    voc = Vocabulary(level="char").fit([text])
    assert len(voc) == 65
    assert voc.id_to_token[:2] == ["\n", " "] and voc.id_to_token[-1] == "z"
    ids = voc.encode(text[:5000])
    assert voc.decode(ids) == text[:5000]
    assert voc.encode("\n zA") == [0, 1, 64, 13]


# ---------------------------------------------------------------------------------- digits

CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _all_digits():
    (xa, ya), (xb, yb) = datasets.digits()
    return np.concatenate([xa, xb]), np.concatenate([ya, yb])


def test_digits_shapes_dtypes_and_range():
    (x_train, y_train), (x_test, y_test) = datasets.digits()
    assert x_train.shape == (1347, 8, 8) and x_test.shape == (450, 8, 8)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert y_train.dtype == y_test.dtype == np.int64
    x, y = _all_digits()
    assert x.min() == 0.0 and x.max() == 1.0
    counts = x * 16
    np.testing.assert_array_equal(counts, np.round(counts))  # every value is k/16
    assert np.bincount(y).tolist() == CLASS_COUNTS
    assert len(y) == 1797


def test_digits_first_image_is_the_known_zero():
    # the first row of the UCI test file (and of scikit-learn's load_digits)
    raw = (PACKAGED / "digits.csv").read_text().splitlines()
    assert len(raw) == 1797
    first = np.array(raw[0].split(","), dtype=int)
    assert first[64] == 0
    assert first[:8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    x, y = _all_digits()
    match = np.flatnonzero((x * 16 == first[:64].reshape(8, 8)).all(axis=(1, 2)))
    assert len(match) >= 1 and set(y[match].tolist()) == {0}


def test_digits_split_is_a_partition_and_stratified():
    (x_train, y_train), (x_test, y_test) = datasets.digits(test_size=0.25, seed=3)
    # every image lands in exactly one split: compare sorted rows with the file
    raw = np.loadtxt(PACKAGED / "digits.csv", delimiter=",", dtype=np.int64)
    both = np.concatenate([np.concatenate([x_train, x_test]).reshape(-1, 64) * 16,
                           np.concatenate([y_train, y_test])[:, None]], axis=1).astype(np.int64)
    order = np.lexsort(both.T[::-1])
    ref = raw[np.lexsort(raw.T[::-1])]
    np.testing.assert_array_equal(both[order], ref)
    # each class within one image of its exact share of the 450 test images
    share = np.array(CLASS_COUNTS) * 450 / 1797
    per_class = np.bincount(y_test, minlength=10)
    assert per_class.sum() == 450
    assert np.all(np.abs(per_class - share) < 1.0), per_class
    # and the splits are shuffled, not sorted by class
    assert np.any(np.diff(y_train) < 0) and np.any(np.diff(y_test) < 0)


def test_digits_is_reproducible_and_seeded():
    a = datasets.digits(seed=7)
    b = datasets.digits(seed=7)
    c = datasets.digits(seed=8)
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a[1][0], c[1][0])
    # the caller owns the arrays: writing into one changes no later call
    a[0][0][0, 0, 0] = 99.0
    np.testing.assert_array_equal(datasets.digits(seed=7)[0][0], b[0][0])


@pytest.mark.parametrize("test_size, n_test", [(0.1, 180), (0.5, 899), (100, 100), (10, 10)])
def test_digits_test_size_as_fraction_or_count(test_size, n_test):
    (x_train, _), (x_test, y_test) = datasets.digits(test_size=test_size)
    assert len(x_test) == n_test and len(x_train) == 1797 - n_test
    assert set(y_test.tolist()) == set(range(10))


@pytest.mark.parametrize("kwargs, err, match", [
    ({"test_size": 0.0}, ValueError, r"fraction in \(0, 1\)"),
    ({"test_size": 1.0}, ValueError, r"fraction in \(0, 1\)"),
    ({"test_size": 0.001}, ValueError, "10 to 1787 images"),
    ({"test_size": 5}, ValueError, "10 to 1787 images"),
    ({"test_size": 1790}, ValueError, "gives 1790"),
    ({"test_size": "25%"}, TypeError, "test_size"),
    ({"test_size": True}, TypeError, "test_size"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": None}, TypeError, "an integer >= 0"),
])
def test_digits_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        datasets.digits(**kwargs)
