"""Hand-made 3x3 kernels and how much a learned filter looks like one of them (NumPy only).

Notebook 01 slides the Sobel kernel and its transpose over MNIST digits; notebook 06 asks which
of the 64 filters the network learned in conv1 resemble such kernels. The kernels live here once,
each under the name of what it responds to (positive output), so both signs of an edge are
separate entries: a learned filter that is minus the Sobel kernel is the other edge, not the same
one.
"""

from __future__ import annotations

import numpy as np

SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)  # notebook 01's `vertical`
SOBEL_DIAGONAL = np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]], dtype=float)
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)

HAND_KERNELS: dict[str, np.ndarray] = {
    "left edge (Sobel)": SOBEL,  # bright left of dark: positive
    "right edge": -SOBEL,
    "top edge": SOBEL.T,
    "bottom edge": -SOBEL.T,
    "top-left edge": SOBEL_DIAGONAL,
    "bottom-right edge": -SOBEL_DIAGONAL,
    "top-right edge": SOBEL_DIAGONAL[:, ::-1],
    "bottom-left edge": -SOBEL_DIAGONAL[:, ::-1],
    "bright spot": -LAPLACIAN,
    "dark spot (Laplacian)": LAPLACIAN,
}


def similarity(a, b) -> float:
    """Cosine of two kernels after removing each one's mean: +1 same pattern, -1 the opposite
    pattern (the other sign of the edge), 0 unrelated; 0 for a flat kernel (no pattern).

    The mean is removed because it only says how strongly a filter answers the window's overall
    brightness, which every edge kernel ignores (its weights sum to 0); the cosine ignores the
    scale, which the next layer can undo.

    a, b: kernels with the same number of weights, e.g. (3, 3) arrays -> float in [-1, 1].
    Notebook 06, section 2 'conv1's filters beside the hand-made kernels'.
    """
    a, b = (np.asarray(k, dtype=float).ravel() for k in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"kernels of different sizes: {a.size} and {b.size} weights")
    a, b = a - a.mean(), b - b.mean()
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norms) if norms > 0 else 0.0


def similarity_matrix(filters, kernels: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """``similarity`` of every filter (rows; shape (K, F, F) or (K, 1, F, F)) with every hand
    kernel (columns, in ``kernels``' order; default ``HAND_KERNELS``).

    filters: (K, F, F) or (K, 1, F, F); kernels: name -> (F, F) array -> (K, len(kernels)) array.
    Notebook 06, section 2 'conv1's filters beside the hand-made kernels' (under
    ``best_matches`` and ``nearest_kernel``).
    """
    kernels = HAND_KERNELS if kernels is None else kernels
    filters = np.asarray(filters, dtype=float)
    filters = filters.reshape(len(filters), -1)
    return np.array([[similarity(f, k) for k in kernels.values()] for f in filters])


def best_matches(filters, kernels: dict[str, np.ndarray] | None = None
                 ) -> list[tuple[str, int, float]]:
    """For each hand kernel, the learned filter most like it: (kernel name, filter index,
    similarity), best first.

    filters: (K, F, F) or (K, 1, F, F) array -> list of len(kernels) (str, int, float) tuples.
    Notebook 06, section 2 'conv1's filters beside the hand-made kernels'.
    """
    kernels = HAND_KERNELS if kernels is None else kernels
    table = similarity_matrix(filters, kernels)
    matches = [(name, int(table[:, j].argmax()), float(table[:, j].max()))
               for j, name in enumerate(kernels)]
    return sorted(matches, key=lambda match: -match[2])


def nearest_kernel(filters, kernels: dict[str, np.ndarray] | None = None
                   ) -> list[tuple[str, float]]:
    """For each learned filter, the hand kernel it is most like and the similarity.

    filters: (K, F, F) or (K, 1, F, F) array -> list of K (str, float) tuples.
    Notebook 06, section 2 'conv1's filters beside the hand-made kernels' (initial vs trained).
    """
    kernels = HAND_KERNELS if kernels is None else kernels
    table, names = similarity_matrix(filters, kernels), list(kernels)
    return [(names[int(row.argmax())], float(row.max())) for row in table]


__all__ = ["HAND_KERNELS", "LAPLACIAN", "SOBEL", "SOBEL_DIAGONAL", "best_matches",
           "nearest_kernel", "similarity", "similarity_matrix"]
