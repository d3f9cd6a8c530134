"""benchmarks/mnist_rows.py: reading MNIST's original IDX files, and refusing wrong ones."""

import gzip

import numpy as np
import pytest
from bench_scripts import load_script


@pytest.fixture(scope="module")
def script():
    return load_script("mnist_rows")


def idx_bytes(a: np.ndarray) -> bytes:
    head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    return head + a.astype(np.uint8).tobytes()


def test_read_idx_plain_and_gzipped(script, tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(a)))
    for name in ("a", "a.gz"):
        got = script.read_idx(tmp_path / name, (2, 3, 4))
        np.testing.assert_array_equal(got, a)
        assert got.flags.writeable


def test_read_idx_rejects_other_files(script, tmp_path):
    a = np.zeros((2, 3), np.uint8)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    with pytest.raises(SystemExit, match=r"expected MNIST's \(2, 4\)"):
        script.read_idx(tmp_path / "a", (2, 4))
    (tmp_path / "b").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(SystemExit, match="not an IDX file"):
        script.read_idx(tmp_path / "b", (2, 3))
    (tmp_path / "c").write_bytes(idx_bytes(a)[:-1])  # truncated
    with pytest.raises(SystemExit, match="bytes of data"):
        script.read_idx(tmp_path / "c", (2, 3))


def test_load_idx_names_the_missing_file(script, tmp_path):
    with pytest.raises(SystemExit, match="no train-images-idx3-ubyte"):
        script.load_idx(tmp_path)


def test_torch_only_options_need_torch(script, capsys):
    for option in ("--skip-ours", "--torch-init"):
        with pytest.raises(SystemExit) as info:
            script.main(["--idx", "nowhere", option])
        assert info.value.code == 2 and "go with --torch" in capsys.readouterr().err
