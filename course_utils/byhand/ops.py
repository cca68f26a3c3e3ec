"""Convolution and pooling by hand, in NumPy: slide the window, take dot products.

Written as the slide does it on the board, with readable loops over output positions.
Like every deep-learning framework, `conv2d` computes cross-correlation: the kernel is NOT
flipped (a mathematician's convolution flips it first: see `flip_kernel`).
"""

from __future__ import annotations

import numpy as np

from course_utils.byhand.geometry import GeometryError, padding_pair, pool_stride, window_starts


def pad2d(x: np.ndarray, padding: int | str | tuple[int, int], f: int = 1) -> np.ndarray:
    """Zero-pad the last two axes: an int P, (before, after), or 'valid'/'same'/'full' for F.

    x: (..., H, W) array -> (..., H + before + after, W + before + after) array.
    Slide 'In practice: Common to zero pad the border'; notebook 01, 'Your turn: the
    convolution loop, with stride and padding', and notebook 03, section 2 'Zero padding'.
    """
    before, after = padding_pair(padding, f)
    pad = [(0, 0)] * (x.ndim - 2) + [(before, after), (before, after)]
    return np.pad(x, pad)


def flip_kernel(w: np.ndarray) -> np.ndarray:
    """The kernel rotated by 180 degrees: true convolution = cross-correlation with this.

    w: (..., F, F) array -> the same shape, its last two axes reversed.
    Notebook 01, section 4 '"Convolution" in deep learning is cross-correlation'.
    """
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


class KernelShapeError(ValueError):
    """A kernel whose shape has more than one reading for this input (one line, says which).

    Slide 'A Convolutional Neural Networks (CNNs)- Examples': a 32x32x3 image takes a 5x5x3
    filter (full depth); notebook 01, section 5 'Volumes: a 32x32x3 image and a 5x5x3 filter'.
    """


def _as_float(a, name: str, dims: tuple[int, ...] = (2, 3)) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim not in dims:
        shapes = "2-D (F, F), 3-D (C, F, F) or 4-D (K, C, F, F)" if 4 in dims else \
            "2-D (H, W) or 3-D (C, H, W)"
        raise ValueError(f"{name} must be {shapes}, got shape {a.shape}")
    return a


def _depth_error(depth: int, x_shape: tuple[int, ...]) -> KernelShapeError:
    """The filters' depth is not the input's: name the likely slip (channels last?)."""
    hint = ""
    if len(x_shape) == 3 and x_shape[-1] == depth:
        hint = (f"; the input looks channels-last (H, W, C) = {x_shape}: "
                f"pass x.transpose(2, 0, 1)")
    elif len(x_shape) == 3:
        hint = (f"; for K filters of depth {x_shape[0]} pass w of shape "
                f"(K, {x_shape[0]}, F, F)")
    return KernelShapeError(f"filters have depth {depth} but the input has "
                            f"{x_shape[0] if len(x_shape) == 3 else 1} channels: "
                            f"a filter spans the full input depth{hint}")


def conv2d(x, w, b=None, stride: int = 1, padding: int | str = 0) -> np.ndarray:
    """The conv layer by hand: dot product of the filter with every window of the input.

    Shapes: image (H, W) with kernel (F, F) -> (H2, W2); image (H, W) with K kernels (K, F, F)
    -> (K, H2, W2); volume (C, H, W) with one filter (C, F, F) -> one activation map (H2, W2);
    (C, H, W) with K filters (K, C, F, F) -> (K, H2, W2). `b` is one bias per filter.
    `padding` is an int or 'valid'/'same'/'full'.
    H2 = floor((H - F + before + after)/S) + 1 (the slides' (H - F + 2P)/S + 1), W2 likewise.
    Lecture: the 5x5 image with the 3x3 kernel gives 51 at the top left; the 32x32x3 image
    takes a 5x5x3 filter (full depth), so a 2-D kernel on a C > 1 volume is refused.
    Notebook 01, sections 2-6, slide 'A Convolutional Neural Networks (CNNs)- Examples'
    (5x5 image, 3x3 kernel -> 51; 32x32x3 image, 5x5x3 filter); notebook 03, section 2.
    """
    x, w = _as_float(x, "x"), _as_float(w, "w", (2, 3, 4))
    if x.ndim == 3 and w.ndim == 2:
        c, f = x.shape[0], w.shape
        if c != 1:
            # Read as (K, F) filters it once gave a plausible (C, H2, W2) of wrong numbers.
            raise KernelShapeError(
                f"a 2-D {f[0]}x{f[1]} kernel on a {c}-channel input is ambiguous: one filter "
                f"over all channels needs a depth-{c} kernel of shape ({c}, {f[0]}, {f[1]}) "
                f"(e.g. np.stack([kernel] * {c})); per channel, loop over the channels "
                f"(conv2d(x[c], kernel)) or use a depthwise convolution")
        w = w[None]  # one channel: the kernel is that one filter of depth 1
    single_map = w.ndim == x.ndim
    volume = x if x.ndim == 3 else x[None]
    filters = w[None] if single_map else w
    if filters.ndim == 3:
        filters = filters[:, None]
    if filters.shape[1] != volume.shape[0]:
        raise _depth_error(filters.shape[1], x.shape)
    fh, fw = filters.shape[-2:]
    if fh != fw and isinstance(padding, str) and padding != "valid":
        raise GeometryError(f"padding {padding!r} needs a square kernel, got {fh}x{fw}")
    volume = pad2d(volume, padding, fh)
    if b is None:
        biases = np.zeros(len(filters))
    else:
        b = np.asarray(b, dtype=float)
        if b.size not in (1, len(filters)):  # numpy's broadcast error names no filters
            raise ValueError(f"b must be one bias per filter: {len(filters)} filter(s), "
                             f"got {b.size} values of shape {b.shape}")
        biases = np.broadcast_to(b.reshape(-1), (len(filters),))
    maps = np.stack([
        _slide(volume, fh, fw, stride, lambda window, f=f: np.sum(window * f)) + bias
        for f, bias in zip(filters, biases, strict=True)
    ])
    return maps[0] if single_map else maps


def _pool(x, size: int, stride: int | None, reduce) -> np.ndarray:
    x = _as_float(x, "x")
    stride = pool_stride(size, stride)  # refuses size 0, -2, 2.5, True: one-line GeometryError
    channels = x if x.ndim == 3 else x[None]
    # Pooling works on each depth slice separately: it never mixes channels.
    out = np.stack([_slide(c[None], size, size, stride, reduce) for c in channels])
    return out if x.ndim == 3 else out[0]


def pool2d(x, size: int = 2, stride: int | None = None, reduce=np.max) -> np.ndarray:
    """Any pooling: ``reduce`` (a function of one size x size window, returning a number) on
    every window; ``np.max`` is max pooling, ``np.mean`` average pooling.

    x: (H, W) or (C, H, W) array -> (H2, W2) or (C, H2, W2), H2 = floor((H - size)/S) + 1.
    Notebook 02, section 3 (the exercise: pooling with any reduction).
    """
    return _pool(x, size, stride, lambda window: reduce(window[0]))


def max_pool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling by hand: the largest value of every size x size window (stride = size).

    Lecture: 2x2 / stride 2 on [[2,2,7,3],[9,4,6,1],[8,5,2,4],[3,1,2,6]] -> [[9,7],[8,6]].

    x: (H, W) or (C, H, W) array -> (H2, W2) or (C, H2, W2), H2 = floor((H - size)/S) + 1;
    each depth slice is pooled on its own.
    Notebook 02, section 2 'Max pooling 2x2, stride 2: the slide's example' (slide 'A
    Convolutional Neural Networks (CNNs)- Examples') and section 5 (AlexNet's POOL1, 3x3 /2).
    """
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling by hand: the mean of every size x size window (stride defaults to size).

    x: (H, W) or (C, H, W) array -> (H2, W2) or (C, H2, W2), H2 = floor((H - size)/S) + 1.
    Notebook 02, section 3 'Average pooling'; the LeNet-5 slide's subsampling layers (2x2 at
    stride 2) are average pools (``networks.lenet5``).
    """
    return _pool(x, size, stride, np.mean)


__all__ = [
    "KernelShapeError", "avg_pool2d", "conv2d", "flip_kernel", "max_pool2d", "pad2d", "pool2d",
]
