"""The course's data sets: one registry with checksums, loaders and a cache.

Every data set ships in ``data/`` as a compressed uint8 ``.npz``. Loaders
verify the file's SHA-256 against ``REGISTRY`` before reading it and return
what the frameworks' own loaders return, so notebook code reads like their
documentation::

    (x_train, y_train), (x_test, y_test) = load_mnist()

A missing, truncated or altered file raises :class:`DataFileError`, which
names the file, both checksums and the command that rebuilds it. Nothing
falls back to other or smaller data.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))
CACHE_DIR = DATA_DIR / "cache"


@dataclass(frozen=True)
class DataSet:
    """One shipped file: its name in ``data/``, its checksum and its arrays."""

    filename: str
    sha256: str
    arrays: tuple[str, ...]


REGISTRY: dict[str, DataSet] = {
    "mnist": DataSet(
        "mnist.npz",
        "ee068f36682cba7f38bafdedc77b0f873ebbcf877036f7ebde566966146ac146",
        ("x_train", "y_train", "x_test", "y_test"),
    ),
    "fashion_mnist": DataSet(
        "fashion_mnist.npz",
        "442f264ce0d782402cefb7088dee95291033dcd5898f6a2b089ab99ca8c36e88",
        ("x_train", "y_train", "x_test", "y_test"),
    ),
    "orl_faces": DataSet(
        "orl_faces.npz",
        "079157960c64ef965517df432b736d7b5a9dbfb7b8f5f9c5c7b4339c81eb24c3",
        ("images", "target"),
    ),
}

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


class DataFileError(RuntimeError):
    """A shipped data file is missing, truncated or altered."""


def rebuild_command(name: str) -> str:
    """The shell command that rebuilds data set ``name`` from its sources."""
    return f"python -m helpers.rebuild_data {name}"


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fail(name: str, path: Path, problem: str, actual: str) -> DataFileError:
    entry = REGISTRY[name]
    return DataFileError(
        f"{path}: {problem}.\n"
        f"  expected SHA-256: {entry.sha256}\n"
        f"  actual SHA-256:   {actual}\n"
        f"Restore it with `git checkout -- data/{entry.filename}`, or rebuild it from "
        f"its upstream sources with `{rebuild_command(name)}` (see data/README.md)."
    )


_verified: dict[Path, tuple[int, int]] = {}


def verified_path(name: str) -> Path:
    """Path of data set ``name`` after checking its SHA-256 (once per process and file state)."""
    if name not in REGISTRY:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(REGISTRY)}")
    entry = REGISTRY[name]
    path = DATA_DIR / entry.filename
    if not path.is_file():
        raise _fail(name, path, "file is missing", "(no file)")
    stat = path.stat()
    if _verified.get(path) == (stat.st_size, stat.st_mtime_ns):
        return path
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise _fail(name, path, "checksum mismatch (the file is truncated or altered)", actual)
    _verified[path] = (stat.st_size, stat.st_mtime_ns)
    return path


def load_arrays(name: str) -> dict[str, np.ndarray]:
    """All arrays of data set ``name``, verified, as a dict."""
    path = verified_path(name)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in REGISTRY[name].arrays}
    return arrays


def _split(name: str):
    a = load_arrays(name)
    return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])


def load_mnist():
    """MNIST as ``keras.datasets.mnist.load_data()`` gives it.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
    (60000, 28, 28) and (10000, 28, 28), uint8 labels 0-9.
    """
    return _split("mnist")


def load_fashion_mnist():
    """Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` gives it.

    Same shapes and dtypes as :func:`load_mnist`; class names are in
    ``FASHION_MNIST_CLASSES``.
    """
    return _split("fashion_mnist")


def load_orl_faces():
    """The AT&T (ORL) faces: 40 people, 10 images each, 112x92 grey levels.

    Returns ``(images, target)``: uint8 images of shape (400, 112, 92) and uint8
    person ids 0-39 (folder ``s1`` is person 0). Rows are ordered person by
    person, image 1 to 10, so image ``k`` of person ``p`` is row ``10 * p + k - 1``.
    """
    a = load_arrays("orl_faces")
    return a["images"], a["target"]


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) in the IDX format that torchvision reads."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    tmp.replace(path)


def read_idx(data: bytes) -> np.ndarray:
    """Parse an IDX file (optionally gzip-compressed) of unsigned bytes."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or len(data) < 4 + 4 * data[3]:
        raise ValueError("not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    pixels = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if pixels.size != int(np.prod(shape)):
        raise ValueError(f"IDX file holds {pixels.size} values, its header says {shape}")
    return pixels.reshape(shape)


def mnist_torchvision_root() -> Path:
    """A root for ``torchvision.datasets.MNIST(root, train=..., download=False)``.

    The raw IDX files torchvision reads are derived from the verified shipped
    MNIST into ``data/cache/``; they are checked on every call and rewritten
    when missing, altered or made from an older ``mnist.npz``.
    """
    raw = CACHE_DIR / "MNIST" / "raw"
    stamp = raw / "SHA256SUMS"
    expected = f"{REGISTRY['mnist'].sha256}  mnist.npz\n"
    names = [f"{prefix}-{kind}-ubyte" for prefix in ("train", "t10k") for kind in ("images-idx3", "labels-idx1")]
    if stamp.is_file():
        lines = stamp.read_text().splitlines(keepends=True)
        recorded = dict(reversed(line.split()) for line in lines[1:] if len(line.split()) == 2)
        if lines[:1] == [expected] and sorted(recorded) == sorted(names) and all(
            (raw / name).is_file() and sha256_of(raw / name) == recorded[name] for name in names
        ):
            return CACHE_DIR
    (x_train, y_train), (x_test, y_test) = load_mnist()
    raw.mkdir(parents=True, exist_ok=True)
    sums = [expected]
    for name, array in zip(names, (x_train, y_train, x_test, y_test)):
        _write_idx(raw / name, array)
        sums.append(f"{sha256_of(raw / name)}  {name}\n")
    stamp.write_text("".join(sums))
    return CACHE_DIR
