"""Convolution and pooling by hand, in NumPy: slide the window, take dot products.

Written as the slide does it on the board, with readable loops over output positions.
Like every deep-learning framework, `conv2d` computes cross-correlation: the kernel is NOT
flipped (a mathematician's convolution flips it first: see `flip_kernel`).
"""

from __future__ import annotations

import numpy as np

from course_utils.geometry import GeometryError, padding_pair, pool_stride, window_starts


def pad2d(x: np.ndarray, padding: int | str | tuple[int, int], f: int = 1) -> np.ndarray:
    """Zero-pad the last two axes: an int P, (before, after), or 'valid'/'same'/'full' for F."""
    before, after = padding_pair(padding, f)
    pad = [(0, 0)] * (x.ndim - 2) + [(before, after), (before, after)]
    return np.pad(x, pad)


def flip_kernel(w: np.ndarray) -> np.ndarray:
    """The kernel rotated by 180 degrees: true convolution = cross-correlation with this."""
    return np.asarray(w)[..., ::-1, ::-1]


def _slide(x: np.ndarray, fh: int, fw: int, stride: int, reduce) -> np.ndarray:
    """Apply `reduce` to every (C, fh, fw) window of a (C, H, W) array, top-left to bottom-right."""
    # Frameworks floor a window that does not fit; geometry.conv_output_size explains why.
    tops, lefts = window_starts(x.shape[1], fh, stride), window_starts(x.shape[2], fw, stride)
    out = np.empty((len(tops), len(lefts)))
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            out[i, j] = reduce(x[:, top:top + fh, left:left + fw])
    return out


def _as_float(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim not in (2, 3, 4):
        raise ValueError(f"{name} must be 2-D (H, W) or 3-D (C, H, W), got shape {a.shape}")
    return a


def conv2d(x, w, b=None, stride: int = 1, padding: int | str = 0) -> np.ndarray:
    """The conv layer by hand: dot product of the filter with every window of the input.

    Shapes: image (H, W) with kernel (F, F) -> (H2, W2); volume (C, H, W) with one filter
    (C, F, F) -> one activation map (H2, W2); (C, H, W) with K filters (K, C, F, F) -> (K, H2, W2).
    `b` is one bias per filter. `padding` is an int or 'valid'/'same'/'full'.
    Lecture: the 5x5 image with the 3x3 kernel gives 51 at the top left.
    """
    x, w = _as_float(x, "x"), _as_float(w, "w")
    if x.ndim == 4:
        raise ValueError(f"x must be 2-D (H, W) or 3-D (C, H, W), got shape {x.shape}")
    single_map = w.ndim == x.ndim
    volume = x if x.ndim == 3 else x[None]
    filters = w[None] if single_map else w
    if filters.ndim == 3:
        filters = filters[:, None]
    if filters.shape[1] != volume.shape[0]:
        raise ValueError(f"filters have depth {filters.shape[1]} but the input has "
                         f"{volume.shape[0]} channels: a filter spans the full input depth")
    fh, fw = filters.shape[-2:]
    if fh != fw and isinstance(padding, str) and padding != "valid":
        raise GeometryError(f"padding {padding!r} needs a square kernel, got {fh}x{fw}")
    volume = pad2d(volume, padding, fh)
    biases = np.zeros(len(filters)) if b is None else np.broadcast_to(b, (len(filters),))
    maps = np.stack([
        _slide(volume, fh, fw, stride, lambda window, f=f: np.sum(window * f)) + bias
        for f, bias in zip(filters, biases, strict=True)
    ])
    return maps[0] if single_map else maps


def _pool(x, size: int, stride: int | None, reduce) -> np.ndarray:
    x = _as_float(x, "x")
    if x.ndim == 4:
        raise ValueError(f"x must be 2-D (H, W) or 3-D (C, H, W), got shape {x.shape}")
    stride = pool_stride(size, stride)
    channels = x if x.ndim == 3 else x[None]
    # Pooling works on each depth slice separately: it never mixes channels.
    out = np.stack([_slide(c[None], size, size, stride, reduce) for c in channels])
    return out if x.ndim == 3 else out[0]


def max_pool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling by hand: the largest value of every size x size window (stride = size).

    Lecture: 2x2 / stride 2 on [[2,2,7,3],[9,4,6,1],[8,5,2,4],[3,1,2,6]] -> [[9,7],[8,6]].
    """
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling by hand: the mean of every size x size window (stride defaults to size)."""
    return _pool(x, size, stride, np.mean)
