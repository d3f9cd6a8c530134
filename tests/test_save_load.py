"""``Sequential.save`` / ``load_model``: exact round trips, atomic writes, clear rejections."""

import json
import os
import zipfile

import numpy as np
import pytest

from rnnlesson.layers import GRU, LSTM, Dense, Dropout, Embedding, Flatten, SimpleRNN
from rnnlesson.models import Sequential, load_model


def text_model(dtype="float32"):
    return Sequential([
        Embedding(40, 6, input_shape=(9,), seed=1, dtype=dtype),
        LSTM(5, return_sequences=True, seed=2, dtype=dtype),
        GRU(4, return_sequences=True, go_backwards=True, seed=3, dtype=dtype),
        Dropout(0.25, seed=4, dtype=dtype),
        SimpleRNN(3, seed=5, dtype=dtype),
        Dense(2, activation="softmax", seed=6, dtype=dtype),
    ], name="round_trip", seed=7)


@pytest.fixture
def ids(rng):
    return rng.integers(0, 40, size=(11, 9))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_exact(tmp_path, ids, dtype):
    model = text_model(dtype)
    # move the weights away from their seeded initial values, so a loader that
    # re-initialised from the seeds instead of reading the weights would fail
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(size=w.shape) * 0.1 for w in model.get_weights()])
    path = model.save(tmp_path / "model.npz")
    assert path == str(tmp_path / "model.npz")
    loaded = load_model(path)
    assert loaded.name == "round_trip"
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert [a.name for a in loaded.layers] == [b.name for b in model.layers]
    assert [a.get_config() for a in loaded.layers] == [b.get_config() for b in model.layers]
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    assert loaded.summary(return_string=True) == model.summary(return_string=True)


def test_npz_suffix_is_appended_and_found_again(tmp_path, ids):
    model = text_model()
    path = model.save(tmp_path / "no_suffix")
    assert path.endswith("no_suffix.npz") and os.path.isfile(path)
    assert not os.path.exists(tmp_path / "no_suffix")
    np.testing.assert_array_equal(load_model(tmp_path / "no_suffix").predict(ids),
                                  model.predict(ids))


def test_file_layout_is_plain_arrays_and_json(tmp_path):
    path = text_model().save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(data["__rnnlesson__"].tobytes().decode("utf-8"))
        assert all(data[k].dtype != object for k in data.files)
        n_weights = len([k for k in data.files if k.startswith("weight_")])
    assert header["format"] == "rnnlesson.Sequential"
    assert [e["class_name"] for e in header["model"]["layers"]] == [
        "Embedding", "LSTM", "GRU", "Dropout", "SimpleRNN", "Dense"]
    assert n_weights == len(header["weights"]) == 1 + 3 + 3 + 3 + 2


def test_model_built_from_data_round_trips(tmp_path, rng):
    model = Sequential([Flatten(), Dense(3, seed=0)])
    x = rng.normal(size=(4, 5, 2))
    y = model.predict(x)
    loaded = load_model(model.save(tmp_path / "flat.npz"))
    assert loaded.input_shape == (None, 5, 2)
    np.testing.assert_array_equal(loaded.predict(x), y)


def test_unbuilt_model_cannot_be_saved(tmp_path):
    with pytest.raises(RuntimeError, match="no weights yet"):
        Sequential([Dense(1)]).save(tmp_path / "x.npz")


# ---------------------------------------------------------------- atomic writes
def test_failed_save_keeps_earlier_file_and_leaves_no_temp(tmp_path, monkeypatch, ids):
    model = text_model()
    path = model.save(tmp_path / "keep.npz")
    before = open(path, "rb").read()
    expected = model.predict(ids)

    def broken_savez(file, **arrays):
        file.write(b"PK\x03\x04 half of an archive")  # a partial write, then the failure
        raise OSError("disk full (simulated)")

    model.set_weights([w * 0 for w in model.get_weights()])
    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]
    np.testing.assert_array_equal(load_model(path).predict(ids), expected)


def test_interrupted_save_leaves_no_temp(tmp_path, monkeypatch):
    model = text_model()

    def interrupted(file, **arrays):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_missing_directory_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        text_model().save(tmp_path / "nope" / "m.npz")


# ---------------------------------------------------------------- rejections
@pytest.fixture
def saved(tmp_path):
    return text_model().save(tmp_path / "good.npz")


def _expect_rejected(path, *fragments):
    with pytest.raises(ValueError) as info:
        load_model(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    assert "Sequential.save()" in msg, msg
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def test_truncated_file_is_rejected(tmp_path, saved):
    data = open(saved, "rb").read()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(data[: len(data) // 2])
    _expect_rejected(bad, "truncated or damaged")


def test_damaged_bytes_are_rejected(tmp_path, saved):
    data = bytearray(open(saved, "rb").read())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("weight_001.npy")
    start = info.header_offset + 30 + len(info.filename) + 200  # inside the LSTM kernel's data
    data[start:start + 16] = bytes(16)
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    _expect_rejected(bad, "damaged", "CRC")


def test_text_file_is_rejected(tmp_path):
    bad = tmp_path / "notes.npz"
    bad.write_text("this is not a model\n")
    _expect_rejected(bad, "does not start like a zip")


def test_foreign_npz_is_rejected(tmp_path, rng):
    bad = tmp_path / "foreign.npz"
    np.savez(bad, a=rng.normal(size=3), b=np.arange(4))
    _expect_rejected(bad, "no '__rnnlesson__' entry", "'a'", "'b'")


def test_single_npy_is_rejected(tmp_path):
    bad = tmp_path / "array.npy"
    np.save(bad, np.arange(5))
    _expect_rejected(bad, "single .npy array")


def test_pickled_object_array_is_rejected_without_unpickling(tmp_path, saved):
    with np.load(saved) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["weight_000"] = np.array([{"evil": True}, None], dtype=object)
    bad = tmp_path / "pickled.npz"
    np.savez(bad, **arrays)
    _expect_rejected(bad, "pickled object array", "'weight_000'")


def _rewrite_header(saved, target, edit):
    with np.load(saved) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(arrays["__rnnlesson__"].tobytes())
    edit(header)
    arrays["__rnnlesson__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(target, **arrays)
    return target


def test_weight_shape_mismatch_is_rejected(tmp_path, saved):
    def edit(h):
        h["model"]["layers"][1]["config"]["units"] = 7  # LSTM(7) cannot take LSTM(5) weights
    _expect_rejected(_rewrite_header(saved, tmp_path / "shape.npz", edit), "do not fit")


def test_unknown_layer_class_is_rejected(tmp_path, saved):
    def edit(h):
        h["model"]["layers"][0]["class_name"] = "Transformer"
    _expect_rejected(_rewrite_header(saved, tmp_path / "cls.npz", edit), "'Transformer'",
                     "custom_objects")


def test_wrong_format_and_broken_json_are_rejected(tmp_path, saved):
    def edit(h):
        h["format"] = "something.else"
    _expect_rejected(_rewrite_header(saved, tmp_path / "fmt.npz", edit), "something.else")
    with np.load(saved) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["__rnnlesson__"] = np.frombuffer(b'{"format": "rnnlesson.Seq', np.uint8)
    np.savez(tmp_path / "json.npz", **arrays)
    _expect_rejected(tmp_path / "json.npz", "does not parse")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        load_model(tmp_path / "absent.npz")


@pytest.mark.parametrize("clip", ["clipnorm", "global_clipnorm"])
def test_compile_choices_round_trip_but_not_optimizer_state(tmp_path, ids, rng, clip):
    from rnnlesson import losses, optimizers

    model = text_model()
    model.compile(optimizers.Adam(learning_rate=0.003, **{clip: 1.0}),
                  losses.SparseCategoricalCrossentropy(), metrics=["acc"])
    y = rng.integers(0, 2, size=len(ids))
    model.fit(ids, y, epochs=1, batch_size=4, verbose=0)
    loaded = load_model(model.save(tmp_path / "compiled.npz"))
    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.learning_rate == 0.003 and getattr(loaded.optimizer, clip) == 1.0
    other = "global_clipnorm" if clip == "clipnorm" else "clipnorm"
    assert getattr(loaded.optimizer, other) is None
    assert loaded.optimizer.iterations == 0  # a fresh optimizer: its state is not saved
    assert type(loaded.loss) is losses.SparseCategoricalCrossentropy
    assert loaded.metrics == ["acc"]
    assert loaded.evaluate(ids, y, return_dict=True) == model.evaluate(ids, y, return_dict=True)
    loaded.fit(ids, y, epochs=1, verbose=0)  # ready to train on
    bare = load_model(tmp_path / "compiled.npz", compile=False)
    assert bare.loss is None and bare.optimizer is None


def test_version_1_clipnorm_is_read_as_global_clipnorm(tmp_path, saved):
    """Files of format version 1 wrote the global norm under 'clipnorm'."""
    def edit(h):
        h["format_version"] = 1
        h["compile"] = {"loss": {"class_name": "SparseCategoricalCrossentropy",
                                 "config": {"name": "sparse_categorical_crossentropy",
                                            "from_logits": False}},
                        "loss_name": None, "metrics": [],
                        "optimizer": {"class_name": "Adam",
                                      "config": {"name": "adam", "learning_rate": 0.01,
                                                 "beta_1": 0.9, "beta_2": 0.999,
                                                 "epsilon": 1e-7, "clipnorm": 5.0}}}
    loaded = load_model(_rewrite_header(saved, tmp_path / "v1.npz", edit))
    assert loaded.optimizer.global_clipnorm == 5.0 and loaded.optimizer.clipnorm is None
    with np.load(loaded.save(tmp_path / "v2.npz")) as data:
        header = json.loads(data["__rnnlesson__"].tobytes())
    assert header["format_version"] == 2
    assert header["compile"]["optimizer"]["config"]["global_clipnorm"] == 5.0

    def future(h):
        h["format_version"] = 3
    _expect_rejected(_rewrite_header(saved, tmp_path / "v3.npz", future), "format version 3")


def test_logits_loss_setting_survives(tmp_path):
    from rnnlesson import losses

    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", losses.BinaryCrossentropy(from_logits=True))
    loaded = load_model(model.save(tmp_path / "logits.npz"))
    assert loaded.loss.from_logits is True
