"""helpers.data and helpers.rebuild_data: shapes, checksums, error messages, IDX cache, provenance tools.

Damaged files are only ever made in temporary copies of data/; nothing here
touches the network, pip or apt.
"""

import gzip
import hashlib
import os
import re
import shutil

import numpy as np
import pytest

from helpers import data, rebuild_data
from helpers.data import DataFileError

SHIPPED = data.DATA_DIR
LOADERS = {"mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist, "orl_faces": data.load_orl_faces}
RAW = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


@pytest.fixture(scope="module")
def fashion_mnist():
    return data.load_fashion_mnist()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty folder in place of data/ (cache inside it), with nothing verified yet."""
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "_verified", {})
    return tmp_path


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """The shipped data/, with the torchvision cache in a temporary folder."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    return tmp_path


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def flip_byte(path, index=None):
    """Invert one byte of ``path`` in place (the middle one by default)."""
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 if index is None else index] ^= 0xFF
    path.write_bytes(raw)


# --- the shipped data sets ---------------------------------------------------

def test_mnist_shapes_dtypes_and_statistics(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(10))
    scaled = x_train / 255.0
    assert (round(scaled.mean(), 4), round(scaled.std(), 4)) == (0.1307, 0.3081)
    assert tuple(np.bincount(y_train)) == rebuild_data.MNIST_TRAIN_COUNTS
    assert tuple(np.bincount(y_test)) == rebuild_data.MNIST_TEST_COUNTS


def test_fashion_mnist_shapes_and_class_balance(fashion_mnist):
    (x_train, y_train), (x_test, y_test) = fashion_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert len(data.FASHION_MNIST_CLASSES) == 10


def test_orl_faces_shapes_and_person_major_order():
    images, target = data.load_orl_faces()
    assert images.shape == (400, 112, 92) and images.dtype == np.uint8
    assert target.dtype == np.uint8
    assert np.bincount(target).tolist() == [10] * 40
    np.testing.assert_array_equal(target, np.repeat(np.arange(40), 10))


def test_rebuild_verifiers_accept_the_shipped_data(mnist, fashion_mnist, capsys):
    verifiers = (rebuild_data.verify_mnist, rebuild_data.verify_fashion_mnist)
    for verify, ((x_train, y_train), (x_test, y_test)) in zip(verifiers, (mnist, fashion_mnist)):
        verify({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test})
    images, target = data.load_orl_faces()
    rebuild_data.verify_orl_faces({"images": images, "target": target})
    assert capsys.readouterr().out.count("\n") == 3


def test_load_arrays_returns_the_registered_arrays():
    for name, entry in data.REGISTRY.items():
        assert tuple(data.load_arrays(name)) == entry.arrays


def test_unknown_data_set_raises_key_error():
    with pytest.raises(KeyError, match="unknown data set 'cifar10'"):
        data.verified_path("cifar10")
    with pytest.raises(KeyError):
        data.load_arrays("cifar10")


# --- missing, truncated and altered files ------------------------------------

@pytest.mark.parametrize("damage", ["missing", "truncated", "empty", "altered"])
@pytest.mark.parametrize("name", list(data.REGISTRY))
def test_bad_file_raises_data_file_error_naming_everything(data_dir, name, damage):
    entry = data.REGISTRY[name]
    path = data_dir / entry.filename
    if damage != "missing":
        raw = bytearray((SHIPPED / entry.filename).read_bytes())
        if damage == "truncated":
            raw = raw[: len(raw) // 2]
        elif damage == "empty":
            raw = bytearray()
        else:
            raw[len(raw) // 2] ^= 0x01
        path.write_bytes(raw)
    with pytest.raises(DataFileError) as info:
        LOADERS[name]()
    message = str(info.value)
    actual = "(no file)" if damage == "missing" else sha256(path.read_bytes())
    assert str(path) in message
    assert "expected SHA-256" in message and entry.sha256 in message
    assert "actual SHA-256" in message and actual in message
    assert f"python -m helpers.rebuild_data {name}" in message
    assert data.rebuild_command(name) == f"python -m helpers.rebuild_data {name}"


def test_intact_copy_loads_and_later_damage_is_caught(data_dir):
    path = data_dir / "orl_faces.npz"
    shutil.copyfile(SHIPPED / "orl_faces.npz", path)
    data.load_orl_faces()
    assert data.verified_path("orl_faces") == path
    assert path in data._verified

    flip_byte(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later edit, past timestamp granularity
    with pytest.raises(DataFileError, match="checksum mismatch"):
        data.load_orl_faces()

    shutil.copyfile(SHIPPED / "orl_faces.npz", path)
    path.write_bytes(path.read_bytes()[:-1])  # a different size, whatever the timestamp
    with pytest.raises(DataFileError, match="checksum mismatch"):
        data.load_orl_faces()


# --- IDX files and the torchvision cache --------------------------------------

def test_read_idx_round_trip_plain_and_gzipped(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte"
    data._write_idx(path, array)
    raw = path.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and len(raw) == 4 + 3 * 4 + 24
    for encoded in (raw, gzip.compress(raw)):
        decoded = data.read_idx(encoded)
        assert decoded.dtype == np.uint8
        np.testing.assert_array_equal(decoded, array)


@pytest.mark.parametrize("header", [b"\x00\x00\x0d\x01", b"\x00\x01\x08\x01", b"\x08\x00\x08\x01"], ids=["float32", "magic", "zero"])
def test_read_idx_rejects_a_bad_header(header):
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        data.read_idx(header + (6).to_bytes(4, "big") + bytes(6))


@pytest.mark.parametrize("content", [b"", b"\x00\x00", b"\x00\x00\x08\x02\x00\x00\x00\x02"], ids=["empty", "half magic", "half shape"])
def test_read_idx_rejects_a_cut_header(content):
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        data.read_idx(content)


@pytest.mark.parametrize("size", [5, 7, 0])
def test_read_idx_rejects_a_wrong_length(size):
    header = b"\x00\x00\x08\x02" + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    with pytest.raises(ValueError, match=rf"holds {size} values, its header says \(2, 3\)"):
        data.read_idx(header + bytes(size))


def test_torchvision_mnist_reads_the_cache(cache_dir, mnist):
    import torchvision

    root = data.mnist_torchvision_root()
    assert root == cache_dir
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted([*RAW, "SHA256SUMS"])
    for train, (x, y) in ((True, mnist[0]), (False, mnist[1])):
        dataset = torchvision.datasets.MNIST(root, train=train, download=False)
        assert len(dataset) == len(x)
        image, label = dataset[0]
        np.testing.assert_array_equal(np.asarray(image), x[0])
        assert label == y[0]
        np.testing.assert_array_equal(dataset.targets.numpy(), y)
        np.testing.assert_array_equal(dataset.data.numpy(), x)


def test_intact_cache_is_reused(cache_dir):
    raw = data.mnist_torchvision_root() / "MNIST" / "raw"
    inodes = {p.name: p.stat().st_ino for p in raw.iterdir()}
    data.mnist_torchvision_root()
    assert {p.name: p.stat().st_ino for p in raw.iterdir()} == inodes


@pytest.mark.parametrize("damage", ["altered", "truncated", "missing", "stale stamp", "stamp lines lost", "stamp garbled"])
def test_damaged_cache_is_detected_and_rewritten(cache_dir, damage):
    raw = data.mnist_torchvision_root() / "MNIST" / "raw"
    good = {p.name: p.read_bytes() for p in raw.iterdir()}
    target = raw / "train-images-idx3-ubyte"
    if damage == "altered":
        flip_byte(target, index=1000)
    elif damage == "truncated":
        target.write_bytes(good[target.name][:-784])
    elif damage == "missing":
        target.unlink()
    elif damage == "stale stamp":
        (raw / "SHA256SUMS").write_text(re.sub("^[0-9a-f]{64}", "0" * 64, good["SHA256SUMS"].decode()))
    elif damage == "stamp lines lost":
        target.unlink()
        (raw / "SHA256SUMS").write_text(good["SHA256SUMS"].decode().splitlines(keepends=True)[0])
    else:
        target.unlink()
        (raw / "SHA256SUMS").write_text(good["SHA256SUMS"].decode() + "not a checksum line at all\n")
    data.mnist_torchvision_root()
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == good


# --- rebuild_data: deterministic files, PGM repair ----------------------------

def test_write_npz_is_byte_deterministic_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"images": rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), "target": np.arange(5, dtype=np.uint8), "w": rng.random(4)}
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    rebuild_data.write_npz(first, **arrays)
    rebuild_data.write_npz(second, **arrays)
    assert data.sha256_of(first) == data.sha256_of(second)
    assert first.read_bytes() == second.read_bytes()
    with np.load(first, allow_pickle=False) as npz:
        assert list(npz) == list(arrays)
        for key, array in arrays.items():
            assert npz[key].dtype == array.dtype
            np.testing.assert_array_equal(npz[key], array)


def test_rebuild_reproduces_the_registered_checksum(tmp_path, monkeypatch, capsys):
    images, target = data.load_orl_faces()
    verify = rebuild_data.verify_orl_faces
    monkeypatch.setitem(rebuild_data.BUILDERS, "orl_faces", (lambda workdir: {"images": images, "target": target}, None, verify))
    assert rebuild_data.rebuild("orl_faces", online=False, dest=tmp_path)
    assert data.sha256_of(tmp_path / "orl_faces.npz") == data.REGISTRY["orl_faces"].sha256

    changed = images.copy()
    changed[0, 0, 0] ^= 1
    monkeypatch.setitem(rebuild_data.BUILDERS, "orl_faces", (lambda workdir: {"images": changed, "target": target}, None, verify))
    assert not rebuild_data.rebuild("orl_faces", online=False, dest=tmp_path)
    assert "MISMATCH" in capsys.readouterr().err


def test_rebuild_main_rejects_unknown_names(capsys):
    with pytest.raises(SystemExit) as info:
        rebuild_data.main(["cifar10"])
    assert info.value.code == 2
    assert "unknown data set(s) cifar10" in capsys.readouterr().err


def crlf(original: bytes, keep_pairs: bool) -> bytes:
    """LF -> CRLF as a converter does it; ``keep_pairs`` leaves existing CRLF pairs alone."""
    return re.sub(rb"(?<!\r)\n" if keep_pairs else rb"\n", b"\r\n", original)


def pgm(pixels: np.ndarray) -> bytes:
    return rebuild_data.PGM_HEADER + pixels.astype(np.uint8).tobytes()


def test_repair_pgm_leaves_unconverted_files_alone():
    original = pgm(np.full((112, 92), 10))
    assert rebuild_data.repair_pgm(original) == (original, 0)


def test_repair_pgm_undoes_a_plain_conversion_exactly():
    pixels = np.random.default_rng(1).integers(0, 256, 112 * 92)
    pixels[::97] = 10
    pixels[5:7] = (13, 10)
    original = pgm(pixels)
    assert original.count(b"\n") > 100
    assert rebuild_data.repair_pgm(crlf(original, keep_pairs=False)) == (original, 0)


def test_repair_pgm_reinserts_a_byte_kept_pair_lost():
    rows, cols = np.mgrid[0:112, 0:92]
    pixels = np.rint(120 + 110 * np.sin(rows / 18) * np.cos(cols / 15)).astype(np.uint8).ravel()
    pairs = np.flatnonzero((pixels[:-1] == 13) & (pixels[1:] == 10))
    pixels[pairs[1:]] = 14  # a smooth image with exactly one 13, 10 pair ...
    assert np.count_nonzero(pixels == 10) > 5  # ... and other 10s where the 13 could go
    original = pgm(pixels)
    repaired, reinserted = rebuild_data.repair_pgm(crlf(original, keep_pairs=True))
    assert reinserted == 1
    assert repaired == original


def test_repair_pgm_keeps_the_length_in_a_noisy_image():
    pixels = np.random.default_rng(2).integers(0, 256, 112 * 92)
    pixels[pixels == 13] = 12
    pixels[4000:4002] = (13, 10)
    original = pgm(pixels)
    repaired, reinserted = rebuild_data.repair_pgm(crlf(original, keep_pairs=True))
    assert (reinserted, len(repaired)) == (1, len(original))
    assert repaired.startswith(rebuild_data.PGM_HEADER)
    # The lost 13 went back in before some byte 10, shifting only the pixels in between.
    short = np.delete(pixels, 4000)
    got = np.frombuffer(repaired, np.uint8, offset=len(rebuild_data.PGM_HEADER))
    assert any(np.array_equal(got, np.insert(short, i, 13)) for i in np.flatnonzero(short == 10))


def test_repair_pgm_rejects_an_unexpected_header():
    with pytest.raises(ValueError, match="unexpected PGM header"):
        rebuild_data.repair_pgm(b"P5\r\n64 64\r\n255\r\n" + bytes(64 * 64))
