"""The wrong solutions the by-hand checks recognise, each with the hint that fixes it.

Every function here is a plausible student answer to one exercise of notebooks 01-03 and 06
(same signature), wrong in exactly one way. When a student's result on a failing case equals
one of these, the verdict shows that mistake's hint rather than a generic one; the tests run
each of them through its check and expect exactly its hint.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.verdict import Mistake

__all__ = [
    "AVG_POOL_MISTAKES", "CONV2D_MISTAKES", "CONV_PARAMS_MISTAKES", "CONV_VOLUME_MISTAKES",
    "MAX_POOL_MISTAKES", "OUTPUT_SIZE_MISTAKES", "POOL_MISTAKES", "RECEPTIVE_FIELD_MISTAKES",
    "SAME_PADDING_MISTAKES", "STACK_MISTAKES", "TRUE_CONVOLUTION_MISTAKES",
]


def _slide(x, fh, fw, stride, reduce, ceil=False, extra=0):
    """Apply ``reduce`` to every fh x fw window of a 2-D array; ``ceil``: round the number of
    windows up, as if the input were ``extra`` rows and columns shorter (the padding added for
    the partial windows)."""
    rows = (x.shape[0] - fh) // stride + 1
    cols = (x.shape[1] - fw) // stride + 1
    if ceil:
        rows = -(-(x.shape[0] - extra - fh) // stride) + 1
        cols = -(-(x.shape[1] - extra - fw) // stride) + 1
    return np.array([[reduce(x[i * stride:i * stride + fh, j * stride:j * stride + fw])
                      for j in range(cols)] for i in range(rows)], dtype=float)


def _conv(x, w, stride=1, padding=0, ceil=False):
    x = np.pad(np.asarray(x, float), padding)
    extra = w.shape[0] if ceil else 0
    return _slide(x, w.shape[0], w.shape[1], stride, lambda window: np.sum(window * w), ceil,
                  extra)


# notebook 01: conv2d(x, w, stride, padding) on one channel
CONV2D_MISTAKES = [
    Mistake(lambda x, w, s, p: _conv(x, w[::-1, ::-1], s, p),
            "frameworks compute cross-correlation: multiply each window by the kernel as it is, "
            "without flipping it"),
    Mistake(lambda x, w, s, p: _conv(x, w, 1, p),
            "windows start at 0, S, 2S, ...: step by the stride, and the output is "
            "(N - F)/S + 1 wide"),
    Mistake(lambda x, w, s, p: _conv(x, w, s, 0),
            "pad P zeros on every side first (np.pad), then slide over the padded image"),
    Mistake(lambda x, w, s, p: _conv(x, w, s, p)[:, :_conv(x, w, s, p).shape[0]],
            "loop over rows and columns separately: H2 = (H - F)/S + 1, W2 = (W - F)/S + 1"),
    Mistake(lambda x, w, s, p: _conv(np.pad(np.pad(x, p), ((0, len(w)), (0, len(w)))), w, s,
                                     0, ceil=True),
            "when (N - F)/S + 1 is not whole, frameworks floor it: no window past the edge"),
]


# notebook 01: one filter (C, F, F) over a volume (C, H, W)
CONV_VOLUME_MISTAKES = [
    Mistake(lambda x, w, s, p: _conv(np.pad(x[0], p), w[0], s, 0),
            "a filter spans the full depth: sum over all channels, not only the first"),
    Mistake(lambda x, w, s, p: sum(_conv(x[c], w[0], s, p) for c in range(len(x))),
            "channel c of the input meets channel c of the filter"),
    Mistake(lambda x, w, s, p: np.stack([_conv(x[c], w[c], s, p) for c in range(len(x))]),
            "one filter gives ONE map: add the channels' maps together"),
]

# notebook 01: true convolution(x, w)
TRUE_CONVOLUTION_MISTAKES = [
    Mistake(lambda x, w: _conv(x, w.T), "flip both axes: w[::-1, ::-1] (a transpose is not a "
                                        "flip)"),
    Mistake(lambda x, w: _conv(x, w[::-1]), "flip rows AND columns: w[::-1, ::-1]"),
    Mistake(lambda x, w: _conv(x, w[:, ::-1]), "flip rows AND columns: w[::-1, ::-1]"),
    Mistake(lambda x, w: _conv(x, w), "true convolution flips the kernel first (rotate it by "
                                      "180 degrees), then slides it like cross-correlation"),
]


def _pool(reduce, overlap=True, ceil=False):
    def pool(x, f, s):
        x = np.asarray(x, float)
        stride = s if overlap else f
        if ceil:  # partial windows at the edge, as if the input went on
            padded = np.pad(x, ((0, f), (0, f)), constant_values=np.nan)
            return _slide(padded, f, f, stride, lambda win: reduce(win[~np.isnan(win)]),
                          ceil=True, extra=f)
        return _slide(x, f, f, stride, reduce)
    return pool


_POOL_SHARED = [
    (dict(overlap=False), "windows may overlap when the stride is smaller than the window: "
                          "step by S, not by F"),
    (dict(ceil=True), "stop where the window would leave the input: floor((N - F)/S) + 1 "
                      "windows per row"),
]

# notebook 02: max_pool(x, f, s) and avg_pool(x, f, s)
MAX_POOL_MISTAKES = [
    Mistake(_pool(lambda win: max(0.0, float(np.max(win)))),
            "start the maximum from the window itself, not from 0"),
    Mistake(_pool(np.mean), "max pooling keeps the largest value of each window, not the mean"),
] + [Mistake(_pool(np.max, **how), hint) for how, hint in _POOL_SHARED]

AVG_POOL_MISTAKES = [
    Mistake(_pool(lambda win: np.sum(win) / 4), "divide by the window's size F*F, not by 4"),
    Mistake(_pool(np.max), "average pooling takes the mean of each window, not the maximum"),
] + [Mistake(_pool(np.mean, **how), hint) for how, hint in _POOL_SHARED]

def _size(n, f, s, p, twice=True, plus_one=True):
    """The output size with one slip, refusing what does not fit like a correct answer."""
    span = n - f + (2 * p if twice else p)
    if span % s:
        raise ValueError("doesn't fit")
    return span // s + (1 if plus_one else 0)


def _any_pool(fixed=None, **how):
    """A generic pooling with one slip: a fixed reduction instead of the one given, or the
    shared window slips above."""
    def pool(x, f, s, reduce):
        return _pool(fixed or (lambda win: float(reduce(win))), **how)(x, f, s)
    return pool


# notebook 02: my_pool(x, f, s, reduce) with any reduction
POOL_MISTAKES = [
    Mistake(_any_pool(np.max), "call the reduce you were given on each window (np.max is only "
                               "one of them)"),
    Mistake(_any_pool(np.mean), "call the reduce you were given on each window, not np.mean"),
] + [Mistake(_any_pool(**how), hint) for how, hint in _POOL_SHARED]

# notebook 03: output_size(n, f, s, p) -> int, ValueError when it doesn't fit
OUTPUT_SIZE_MISTAKES = [
    Mistake(lambda n, f, s, p: (n - f + 2 * p) // s + 1,
            "raise ValueError when (N - F + 2P) is not divisible by S; don't floor silently"),
    Mistake(lambda n, f, s, p: _size(n, f, s, p, twice=False),
            "padding adds 2P (P on each side), not P"),
    Mistake(lambda n, f, s, p: _size(n, f, s, p, plus_one=False),
            "(N - F + 2P)/S + 1: don't forget the + 1 (the first window)"),
]

def _stack(n, layers, *, from_input=False, last_only=False, floor=False):
    sizes, side = [], n
    for f, s, p in layers:
        start = n if from_input else side
        side = (start - f + 2 * p) // s + 1 if floor else _size(start, f, s, p)
        sizes.append(side)
    return sizes[-1] if last_only and sizes else sizes


# notebook 03: stack_sizes(n, [(f, s, p), ...]) -> [side after each layer]
STACK_MISTAKES = [
    Mistake(lambda n, layers: _stack(n, layers, from_input=True),
            "each layer reads the previous layer's output: feed the size you just computed "
            "into the next layer"),
    Mistake(lambda n, layers: _stack(n, layers, last_only=True),
            "return the side after every layer, one per layer, not only the last"),
    Mistake(lambda n, layers: _stack(n, layers, floor=True),
            "raise ValueError at the first layer that doesn't fit; don't floor silently"),
]

# notebook 03: same_padding(f) -> int
SAME_PADDING_MISTAKES = [
    Mistake(lambda f: f - 1, "P = (F - 1) / 2: the F - 1 extra pixels are split over both sides"),
]

# notebook 03: conv_params(f, d, k) -> int
CONV_PARAMS_MISTAKES = [
    Mistake(lambda f, d, k: f * f * d * k, "each filter has F*F*D weights AND one bias"),
    Mistake(lambda f, d, k: (f * f + 1) * k, "each filter spans the input depth: F*F*D weights"),
    Mistake(lambda f, d, k: 2 * f * f * d * k, "one bias per filter, not one per weight"),
    Mistake(lambda f, d, k: f * f * d + k, "K filters: (F*F*D + 1) * K"),
]


def _receptive(layers, jump_applies=True, pools=True, start=1, grows_by_f=False,
               pool_stride=True):
    size, jump = start, 1
    for kind, f, s in layers:
        if kind == "pool" and not pools:
            continue
        size += (f if grows_by_f else f - 1) * (jump if jump_applies else 1)
        jump *= s if (kind == "conv" or pool_stride) else 1
    return size, jump


# notebook 06: receptive_field([("conv" | "pool", F, S), ...]) -> (size, jump)
RECEPTIVE_FIELD_MISTAKES = [
    Mistake(lambda layers: _receptive(layers, start=0),
            "start from r = 1 (one unit sees itself); a window of F units adds F - 1"),
    Mistake(lambda layers: _receptive(layers, jump_applies=False),
            "after a stride-2 layer, neighbouring units are 2 pixels apart: r grows by "
            "(F - 1) * jump"),
    Mistake(lambda layers: _receptive(layers, pools=False),
            "a pooling window is a window too: it grows r by (F - 1) * jump and multiplies the "
            "jump by its stride"),
    Mistake(lambda layers: _receptive(layers, pool_stride=False),
            "a pooling window is a window too: its stride multiplies the jump like a conv's"),
    Mistake(lambda layers: _receptive(layers, grows_by_f=True),
            "a window of F units adds F - 1 to what one unit sees (it already saw one of them)"),
]
