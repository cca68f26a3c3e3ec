"""Hidden cases: random inputs of the same kind as each exercise's public cases, drawn from a
seed only the instructor's run knows, so memorising the public cases gains nothing.

Each function takes a NumPy ``Generator`` and returns one argument tuple for the exercise's
reference (and the student's function), or :class:`Keywords` where the public cases pass an
argument by name. Sizes stay small: the references are loops in NumPy. The arrays hold small
integers (exact sums), the backprop cases reuse the checks' own builders. Notebooks 04 and 06
are arithmetic on layer sizes: their cases are whole numbers of the slides' ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_utils.checks import backprop as backprop_checks
from course_utils.checks import byhand as byhand_checks

__all__ = [
    "NAMED_CALLABLES", "Keywords", "branch_macs", "conv2d", "conv_backward",
    "conv_backward_single", "conv_layer", "conv_params", "conv_volume", "max_pool",
    "max_pool_backward", "numerical_gradient", "output_size", "pool", "receptive_field",
    "same_padding", "stack_sizes", "true_convolution", "vgg_line",
]

# The test functions a case may pass to the student (pooling reductions, functions to
# differentiate), by the name the worker knows them under.
NAMED_CALLABLES = {
    np.max: "np.max", np.mean: "np.mean", np.min: "np.min", np.median: "np.median",
    byhand_checks.root_mean_square: "rms",
    backprop_checks.sum_of_squares: "sum_of_squares",
    backprop_checks.sum_of_cubes: "sum_of_cubes",
    backprop_checks.wavy: "wavy",
    backprop_checks.square_of_sum: "square_of_sum",
}
_REDUCTIONS = [np.max, np.mean, np.min, np.median, byhand_checks.root_mean_square]
_FUNCTIONS = [f for f, name in NAMED_CALLABLES.items() if f not in _REDUCTIONS]


@dataclass(frozen=True)
class Keywords:
    """A hidden case's arguments when some go by name, as in the public cases
    (``my_branch_macs(..., reduce=16)``)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)


def _ints(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(-5, 6, size=shape).astype(float)


def _window(rng: np.random.Generator, low: int = 3, high: int = 9):
    """(height, width, f, stride, padding) where at least one window fits."""
    while True:
        h, w = (int(v) for v in rng.integers(low, high + 1, 2))
        f, stride, padding = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(
            rng.integers(0, 3))
        if f <= min(h, w) + 2 * padding and f > padding:
            return h, w, f, stride, padding


def conv2d(rng):
    h, w, f, stride, padding = _window(rng)
    return _ints(rng, h, w), _ints(rng, f, f), stride, padding


def true_convolution(rng):
    h, w = (int(v) for v in rng.integers(3, 8, 2))
    kh, kw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
    return _ints(rng, h, w), _ints(rng, kh, kw)


def conv_volume(rng):
    h, w, f, stride, padding = _window(rng)
    c = int(rng.integers(1, 5))
    return _ints(rng, c, h, w), _ints(rng, c, f, f), stride, padding


def max_pool(rng):
    h, w = (int(v) for v in rng.integers(2, 10, 2))
    f = int(rng.integers(1, min(h, w, 4) + 1))
    return _ints(rng, h, w), f, int(rng.integers(1, 4))


def pool(rng):
    x, f, stride = max_pool(rng)
    return x, f, stride, _REDUCTIONS[int(rng.integers(len(_REDUCTIONS)))]


def output_size(rng):
    n = int(rng.integers(1, 64))
    return n, int(rng.integers(1, n + 1)), int(rng.integers(1, 5)), int(rng.integers(0, 4))


def stack_sizes(rng):
    layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 3)), int(rng.integers(0, 3)))
              for _ in range(int(rng.integers(0, 5)))]
    return int(rng.integers(8, 65)), layers


def same_padding(rng):
    return (int(rng.integers(0, 8)) * 2 + 1,)


def conv_params(rng):
    return int(rng.integers(1, 8)), int(rng.integers(1, 513)), int(rng.integers(1, 513))


def numerical_gradient(rng):
    shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(1, 4))))
    return _FUNCTIONS[int(rng.integers(len(_FUNCTIONS)))], rng.normal(size=shape)


def _conv_case(rng, single: bool):
    while True:
        h, w, f, stride, padding = _window(rng, 4, 8)
        n, c, k = (1, 1, 1) if single else (int(v) for v in rng.integers(1, 4, 3))
        try:
            case = backprop_checks.conv_case("hidden", int(rng.integers(2**31)), n, c, h, w,
                                              k, f, stride, padding, single=single)
        except ValueError:  # the filter does not tile this input: draw again
            continue
        return case.args


def conv_backward_single(rng):
    return _conv_case(rng, single=True)


def conv_backward(rng):
    return _conv_case(rng, single=False)


def max_pool_backward(rng):
    h, w = (int(v) for v in rng.integers(3, 8, 2))
    f = int(rng.integers(2, min(h, w, 3) + 1))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), h, w)
    case = backprop_checks.pool_case("hidden", int(rng.integers(2**31)), shape, f,
                                      int(rng.integers(1, 3)))
    return case.args


# --- notebook 04: layer arithmetic --------------------------------------------------------------

def conv_layer(rng):
    """(n, d_in, k, f, stride, padding) where the filter fits exactly, as in every public case."""
    f = int(rng.choice([1, 3, 5, 7, 11]))
    stride, padding = int(rng.integers(1, 5)), int(rng.integers(0, (f - 1) // 2 + 1))
    n = (int(rng.integers(2, 60)) - 1) * stride + f - 2 * padding
    return n, int(rng.integers(1, 257)), int(rng.integers(1, 513)), f, stride, padding


def vgg_line(rng):
    """(side, d_in, k) of a CONV3-K line."""
    return int(rng.integers(2, 225)), int(rng.integers(1, 513)), int(rng.integers(1, 513))


def branch_macs(rng):
    """(side, d_in, f, k), odd f ('same' padding), with ``reduce=r`` half the time."""
    side, d_in = int(rng.integers(4, 57)), int(rng.integers(3, 1025))
    f, k = int(rng.choice([1, 3, 5, 7])), int(rng.integers(8, 385))
    if rng.random() < 0.5:
        return Keywords((side, d_in, f, k))
    return Keywords((side, d_in, f, k), {"reduce": int(rng.integers(1, min(d_in, 192) + 1))})


# --- notebook 06: receptive fields ------------------------------------------------------------

def receptive_field(rng):
    """([(kind, F, S), ...],): 1-5 conv and pool windows."""
    layers = []
    for _ in range(int(rng.integers(1, 6))):
        if rng.random() < 0.3:
            layers.append(("pool", int(rng.integers(2, 4)), int(rng.integers(1, 3))))
        else:
            layers.append(("conv", int(rng.choice([1, 2, 3, 5, 7, 11])),
                           int(rng.choice([1, 1, 2, 4]))))
    return (layers,)
