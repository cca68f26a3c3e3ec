"""A drawing turned into an MNIST digit, the way MNIST's own digits were made (NumPy only).

MNIST's page (http://yann.lecun.com/exdb/mnist/): "The original black and white (bilevel) images
from NIST were size normalized to fit in a 20x20 pixel box while preserving their aspect ratio.
The resulting images contain grey levels as a result of the anti-aliasing technique used by the
normalization algorithm. the images were centered in a 28x28 image by computing the center of
mass of the pixels, and translating the image so as to position this point at the center of the
28x28 field."

Measured on all 70,000 MNIST digits (tests/test_drawing.py asserts it): the longer side of the
ink's bounding box is 20 pixels (19 for 16 digits), and the centre of mass, in 0-based pixel
indices, lies within 0.5 of (14, 14) in both directions (13.48-14.50; mean 14.00, standard
deviation 0.29, i.e. evenly spread over one pixel): the translation moved whole pixels, so the
centre is pixel 14, not the geometric 13.5.
"""

from __future__ import annotations

import numpy as np

BOX = 20  # the box MNIST's digits were scaled into
SIZE = 28  # MNIST's image side
CENTRE = 14.0  # where MNIST's centre of mass lies (0-based pixel index; measured, see above)
INK = 0.1  # a canvas pixel darker than this (0 = paper, 1 = full ink) belongs to the digit
# Ink smaller than this fraction of the canvas in both directions is a stray click, not a
# digit: scaled up to 20 pixels it would be a blob the networks read as anything.
MIN_EXTENT = 0.1

BLANK = "draw a digit on the canvas: its 28x28 input and the networks' answers appear here"


def _as_ink(canvas) -> np.ndarray:
    """Any 2-D canvas as float ink in [0, 1]: uint8 0-255 is scaled, floats are clipped."""
    array = np.asarray(canvas)
    if array.ndim != 2 or min(array.shape) == 0:
        raise ValueError(f"a canvas is a 2-D array of pixels, got shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float64) / 255.0
    return np.clip(np.nan_to_num(array.astype(np.float64)), 0.0, 1.0)


def ink_box(canvas) -> tuple[slice, slice] | None:
    """The rows and columns the digit's ink spans (pixels above INK), or None for a canvas
    with no digit on it (nothing drawn, or only a stray mark smaller than MIN_EXTENT).

    canvas: (H, W) array (uint8 0-255 or float 0-1) -> (rows, cols) slices, or None.
    Notebook 06, 'Draw a digit': step 1 of making a drawing an MNIST input.
    """
    ink = _as_ink(canvas) > INK
    if not ink.any():
        return None
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    if height < MIN_EXTENT * ink.shape[0] and width < MIN_EXTENT * ink.shape[1]:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in]: how much of each input pixel falls into each output pixel (rows sum
    to 1). Averaging over areas is the anti-aliasing: a stroke half inside a pixel makes it
    half grey, as in MNIST's grey edges."""
    edges = np.linspace(0.0, n_in, n_out + 1)
    start, stop = edges[:-1, None], edges[1:, None]
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(stop, pixel + 1) - np.maximum(start, pixel), 0.0, None)
    return overlap / (stop - start)


def fit_box(digit: np.ndarray, box: int = BOX) -> np.ndarray:
    """The digit scaled so its longer side is `box` pixels, its aspect ratio kept: MNIST's
    "size normalized to fit in a 20x20 pixel box while preserving their aspect ratio".

    digit: (h, w) float array -> (h2, w2) float array, max(h2, w2) = box, h2 / w2 ~ h / w.
    Notebook 06, 'Draw a digit': step 2 (the 20x20 box).
    """
    height, width = digit.shape
    scale = box / max(height, width)
    # Half up, not Python's half to even: 2.5 pixels is 3, the same way for every size.
    out_h, out_w = (max(1, int(side * scale + 0.5)) for side in (height, width))
    return _area_weights(height, out_h) @ digit @ _area_weights(width, out_w).T


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in 0-based pixel indices.

    image: (H, W) array of ink, not all 0 -> (row, column) floats.
    Notebook 06, 'Draw a digit': the point step 3 (``place_by_mass``) centres.
    """
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def place_by_mass(digit: np.ndarray, size: int = SIZE, centre: float = CENTRE) -> np.ndarray:
    """The digit in a size x size image, moved by whole pixels so its centre of mass lands
    within half a pixel of (centre, centre): MNIST's "centered in a 28x28 image by computing
    the center of mass". A lopsided digit is kept whole (moved only as far as the frame
    allows): cutting ink off would change the digit more than a centre a pixel off.

    digit: (h, w) array, h, w <= size -> (size, size) float array (28x28 by default).
    Notebook 06, 'Draw a digit': step 3 (centred by mass in 28x28).
    """
    height, width = digit.shape
    com_row, com_col = centre_of_mass(digit)
    top = min(max(round(centre - com_row), 0), size - height)
    left = min(max(round(centre - com_col), 0), size - width)
    image = np.zeros((size, size))
    image[top:top + height, left:left + width] = digit
    return image


def to_mnist(canvas) -> np.ndarray | None:
    """A drawing (2-D array: 0 = paper, 1 or 255 = ink, any size) as a 28x28 MNIST input,
    float32 in [0, 1], made the way MNIST's digits were (yann.lecun.com/exdb/mnist: "normalized
    to fit in a 20x20 pixel box while preserving their aspect ratio ... centered in a 28x28
    image by computing the center of mass"); None for a blank canvas (show BLANK instead of a
    prediction).

    canvas: (H, W) array -> (28, 28) float32 array in [0, 1], or None.
    Notebook 06, 'Draw a digit': the input the canvas gives the three trained networks.
    """
    box = ink_box(canvas)
    if box is None:
        return None
    digit = fit_box(_as_ink(canvas)[box])
    return np.clip(place_by_mass(digit), 0.0, 1.0).astype(np.float32)


__all__ = ["BLANK", "BOX", "CENTRE", "SIZE", "centre_of_mass", "fit_box", "ink_box",
           "place_by_mass", "to_mnist"]
