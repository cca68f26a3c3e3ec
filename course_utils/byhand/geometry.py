"""Spatial arithmetic of a conv or pool layer: the lecture's W2 = (W1 - F + 2P)/S + 1.

Pure Python (no NumPy, no torch): the formulas the slides write on the board, with the
"doesn't fit" case made explicit instead of silently floored.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass


class GeometryError(ValueError):
    """The filter does not fit the (padded) input with this stride, or a size is no size.

    The slide 'A closer look at spatial dimensions' (7x7 input, 3x3 filter, stride 3): "doesn't
    fit!"; notebook 03, section 1 '7x7 input, 3x3 filter: stride 1, 2, 3' prints it.
    """


# The lecture's names for what each argument is, used in every "must be a whole number" error.
WORDS = {
    "n": "the input size N",
    "f": "the filter size F",
    "stride": "the stride S",
    "padding": "the padding P",
    "d_in": "the input depth D1",
    "k": "the number of filters K",
    "max_padding": "the largest padding P",
}


def whole(value, what: str, minimum: int = 1) -> int:
    """`value` as an int if it is a whole number >= minimum; a one-line GeometryError otherwise.

    Rejects what Python would quietly accept as a size: True (== 1), 7.0 (gives float sizes),
    -5 (gives negative parameter counts), NaN, inf and None (raw numpy or Python errors).
    `what` is a key of WORDS ('f') or the words themselves.

    value: any object; what: str; minimum: int -> int.
    Lecture: the names are the slide 'Summary. To summarize, the Conv Layer' (N, F, S, P, D1, K);
    notebook 03's exercises and notebook 04's layer specs are checked with it.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise GeometryError(f"{WORDS.get(what, what)} must be a whole number >= {minimum}, "
                            f"got {value!r}")
    return int(value)


@dataclass(frozen=True)
class OutputGeometry:
    """What one conv/pool setting does along one spatial axis.

    Fields: ints n (N), f (F), stride (S), padding (P or (before, after)) -> exact (bool),
    size (int, the floored N2), ignored (int), formula (str); ``value``: N2 unfloored (float).
    Notebook 03, section 1 '7x7 input, 3x3 filter: stride 1, 2, 3' (2.33 at stride 3) and
    section 5 'The conv-layer summary'.
    """

    n: int
    f: int
    stride: int
    padding: int | tuple[int, int]  # P on both sides, or (before, after) where they differ
    exact: bool  # (N - F + 2P) divisible by S: every input pixel is covered
    size: int  # the framework's output size: floor((N - F + 2P)/S) + 1
    ignored: int  # rows/columns of the padded input that no window reaches
    formula: str  # the slide's formula with the numbers substituted

    @property
    def value(self) -> float:
        """(N - F + 2P)/S + 1 as a real number (2.33 for the slide's stride 3)."""
        before, after = _pair(self.padding)
        return (self.n - self.f + before + after) / self.stride + 1


def _pair(padding: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(padding, tuple | list):
        if len(padding) != 2:
            raise GeometryError(f"asymmetric padding must be (before, after) >= 0, "
                                f"got {padding!r}")
        return tuple(padding)
    return padding, padding


def _check(n: int, f: int, stride: int, before: int, after: int) -> tuple[int, ...]:
    """The five numbers as plain ints (numpy ints from a shape are fine), or a GeometryError."""
    n, f, stride = whole(n, "n"), whole(f, "f"), whole(stride, "stride")
    before, after = whole(before, "padding", 0), whole(after, "padding", 0)
    padded = n + before + after
    if f > padded:
        raise GeometryError(f"a {f}x{f} filter is larger than the {padded}x{padded} padded input")
    return n, f, stride, before, after


def output_geometry(n: int, f: int, stride: int = 1,
                    padding: int | tuple[int, int] = 0) -> OutputGeometry:
    """The lecture's output-size formula without raising: size, exactness, ignored pixels.

    ``padding`` is P (both sides) or (before, after): TensorFlow's 'same' for an even F pads
    one pixel more after than before, and the formula then reads (N - F + before + after).

    n, f, stride: ints; padding: int or (before, after) -> OutputGeometry (one axis).
    Notebook 03, sections 1 and 5 (the slides 'A closer look at spatial dimensions' and the
    Conv Layer summary); notebook 05, 'padding="valid" means no padding'.
    """
    n, f, stride, before, after = _check(n, f, stride, *_pair(padding))
    if not isinstance(padding, tuple | list):
        padding = before
    span = n - f + before + after
    size = span // stride + 1
    value = span / stride + 1
    shown = f"{value:g}" if span % stride == 0 else f"{value:.2f}"
    padded = f"2*{before}" if before == after else f"{before} + {after}"
    formula = f"({n} - {f} + {padded})/{stride} + 1 = {shown}"
    return OutputGeometry(n, f, stride, padding, span % stride == 0, size, span % stride, formula)


def conv_output_size(n: int, f: int, stride: int = 1, padding: int = 0) -> int:
    """(N - F + 2P)/S + 1 when the filter fits exactly; raises GeometryError ("doesn't fit!") else.

    Lecture: 7x7 input, 3x3 filter -> stride 1: 5, stride 2: 3, stride 3: doesn't fit (2.33).

    n, f, stride, padding: ints (one axis) -> int N2 = (N - F + 2P)/S + 1.
    Slides 'A closer look at spatial dimensions' and 'Summary. To summarize, the Conv Layer';
    notebook 03, section 1 (also used in notebooks 01, 02 and 04).
    """
    geo = output_geometry(n, f, stride, padding)
    if not geo.exact:
        raise GeometryError(
            f"doesn't fit: {geo.formula} is not a whole number. Frameworks (PyTorch, TensorFlow) "
            f"floor it to {geo.size}, ignoring the last {geo.ignored} row(s)/column(s) "
            f"of the padded input."
        )
    return geo.size


def padding_for(mode: str | int, f: int) -> int:
    """Padding of a stride-1 layer by name: 'valid' 0, 'same' (F-1)/2, 'full' F-1.

    Lecture: zero padding (F-1)/2 preserves the size: F=3 -> 1, F=5 -> 2, F=7 -> 3.
    An even F has no symmetric 'same' padding (TensorFlow pads 0 before and 1 after).

    mode: 'valid' | 'same' | 'full' | int; f: int -> int P (zeros on each side).
    Slide 'In practice: Common to zero pad the border'; notebook 03, section 2 'Zero padding'
    and 'Valid, same and full padding (the lecture's reading assignment)'.
    """
    if isinstance(mode, numbers.Integral):  # True is refused here too: it is no padding
        return whole(mode, "padding", 0)
    if not isinstance(mode, str):
        raise GeometryError(f"padding must be an int or 'valid', 'same', 'full', got {mode!r}")
    f = whole(f, "f")
    if mode == "valid":
        return 0
    if mode == "full":
        return f - 1
    if mode == "same":
        if f % 2 == 0:
            raise GeometryError(
                f"'same' with an even filter (F={f}) needs asymmetric padding "
                f"({(f - 1) // 2} before, {f // 2} after); (F-1)/2 = {(f - 1) / 2} is not whole"
            )
        return (f - 1) // 2
    raise GeometryError(f"padding must be an int or 'valid', 'same', 'full', got {mode!r}")


def conv_params(f: int, d_in: int, k: int, bias: bool = True) -> int:
    """Parameters of a conv layer: (F*F*D1)*K weights + K biases.

    Lecture: 10 5x5 filters on a 32x32x3 input -> 5*5*3 + 1 = 76 per filter, 760 in all.
    A negative or fractional size is refused: it would give a plausible-looking count.

    f, d_in, k: ints; bias: bool -> int, (F*F*D1)*K + K.
    Slides 'Examples' (760) and AlexNet's CONV1 ((11*11*3)*96 = 35K); notebook 03, sections 3
    'Example: 32x32x3 input, 10 5x5 filters, stride 1, pad 2' and 4 'AlexNet's first layer'.
    """
    f, d_in, k = whole(f, "f"), whole(d_in, "d_in"), whole(k, "k")
    return (f * f * d_in + (1 if bias else 0)) * k


def paddings_that_fit(n: int, f: int, stride: int, max_padding: int | None = None) -> list[int]:
    """Every padding P <= max_padding (default F-1) for which the filter fits exactly.

    Lecture: "F = 5, S = 2, P = ? (whatever fits)".

    n, f, stride, max_padding: ints -> list[int] of paddings P, ascending ([] if none fits).
    The slide 'Summary. To summarize, the Conv Layer' (common settings); notebook 03, section 5
    'The conv-layer summary'.
    """
    n, f, stride = whole(n, "n"), whole(f, "f"), whole(stride, "stride")
    limit = f - 1 if max_padding is None else whole(max_padding, "max_padding", 0)
    fitting = range(max(0, -(-(f - n) // 2)), limit + 1)  # from the least P with F <= N + 2P
    return [p for p in fitting if output_geometry(n, f, stride, p).exact]


def pool_stride(size: int, stride: int | None = None) -> int:
    """A pooling window's stride: the window size unless given (lecture: 2x2 pooling, stride 2).

    AlexNet's overlapping pooling gives it explicitly: 3x3 windows at stride 2.

    size: int; stride: int or None (-> size) -> int S.
    Slides 'A Convolutional Neural Networks (CNNs)- Examples' (max pool 2x2, stride 2) and
    AlexNet's POOL1; notebook 02, sections 2 and 5 (through ``ops.max_pool2d``).
    """
    size = whole(size, "f")
    return size if stride is None else whole(stride, "stride")


def padding_pair(mode: str | int | tuple[int, int], f: int) -> tuple[int, int]:
    """Zero padding (before, after) of one axis for 'valid', 'same', 'full', an int or a pair.

    Like `padding_for`, but 'same' with an even F gives the asymmetric padding that TensorFlow
    and PyTorch's padding='same' use: (F-1)//2 before, F//2 after (F=2 -> (0, 1)). The one
    home of that rule: the conv ops, the explorer, the figures and the layer tables call it.

    mode: 'valid' | 'same' | 'full' | int | (before, after); f: int -> (before, after) ints.
    Notebook 03, 'Valid, same and full padding'; notebook 05, 'padding="same" with an even
    kernel: 0 before, 1 after' (the Programming Tasks slide's Conv Layer2: 2x2, padding=same).
    """
    f = whole(f, "f")
    if isinstance(mode, tuple | list):
        pair = _pair(mode)
    elif mode == "same" and f % 2 == 0:
        pair = (f - 1) // 2, f // 2
    elif isinstance(mode, bool):  # True would otherwise pass for padding 1
        raise GeometryError(f"padding must be an int or 'valid', 'same', 'full', got {mode!r}")
    else:
        p = padding_for(mode, f)
        pair = p, p
    return whole(pair[0], "padding", 0), whole(pair[1], "padding", 0)


def window_starts(n: int, f: int, stride: int = 1,
                  padding: int | tuple[int, int] = 0) -> list[int]:
    """Where each window starts along one axis of the padded input (0 = first padded pixel).

    Lecture: 7x7 input, 3x3 filter, stride 2 -> windows at 0, 2, 4 (a 3x3 output).
    Frameworks floor: a window that would run past the padded input is dropped.

    n, f, stride: ints; padding: int or (before, after) -> list[int], one start per output (N2).
    Slide 'A closer look at spatial dimensions'; notebook 03, section 5 'The conv-layer summary'.
    """
    return [i * stride for i in range(output_geometry(n, f, stride, padding).size)]


def reached(n: int, f: int, stride: int = 1, padding: int | tuple[int, int] = 0) -> list[bool]:
    """For each pixel along one axis of the padded input: does any window cover it?

    Lecture: 7x7, 3x3 filter, stride 3 -> the last column is never reached ("doesn't fit").

    n, f, stride: ints; padding: int or (before, after) -> list[bool] of N + before + after.
    Slide 'A closer look at spatial dimensions'; notebook 03, section 5 'The conv-layer summary'.
    """
    before, after = _pair(padding)
    covered = [False] * (n + before + after)
    for start in window_starts(n, f, stride, padding):
        covered[start:start + f] = [True] * f
    return covered


@dataclass(frozen=True)
class ReceptiveField:
    """What one unit of a layer sees of the input along one axis, from the window arithmetic.

    ``size`` r: input pixels one unit's window spans; ``jump`` j: input pixels between two
    neighbouring units; ``start``: where unit 0's window begins (negative: in the padding).

    Fields: ints size, jump, start (input pixels along one axis).
    Notebook 06, section 3 'Activation maps and receptive fields'.
    """

    size: int
    jump: int
    start: int


def _layer(layer) -> tuple[int, int, int]:
    """(F, S) or (F, S, P) with P an int or (before, after): F, S and the padding before."""
    if len(layer) not in (2, 3):
        raise GeometryError(f"a layer is (F, S) or (F, S, P), got {layer!r}")
    f, stride = whole(layer[0], "f"), whole(layer[1], "stride")
    before = _pair(layer[2])[0] if len(layer) == 3 else 0
    return f, stride, whole(before, "padding", 0)


def receptive_fields(layers) -> list[ReceptiveField]:
    """The receptive field after each layer: r += (F - 1) * j, then j *= S.

    Built on the lecture's sliding window: one output value reads F neighbouring values of its
    input, and neighbouring outputs are S inputs apart. Each input value already spans r
    pixels, and two neighbouring ones are j pixels apart, so F of them span r + (F - 1) * j.
    Pooling is a window too: a 2x2/1 pool adds 1 * j. Padding P moves the start by P * j.

    layers: iterable of (F, S) or (F, S, P) tuples, P an int or (before, after)
    -> list[ReceptiveField], one per layer.
    Notebook 06, section 3 'Activation maps and receptive fields' (conv1, conv2, pool: r = 3,
    5, 7), built on the slide 'A closer look at spatial dimensions'.
    """
    size, jump, start, fields = 1, 1, 0, []
    for layer in layers:
        f, stride, before = _layer(layer)
        size, start = size + (f - 1) * jump, start - before * jump
        jump *= stride
        fields.append(ReceptiveField(size, jump, start))
    return fields


def receptive_box(layers, n: int, index: int) -> tuple[int, int] | None:
    """Input pixels [first, last] that unit ``index`` of the last layer sees, along an axis
    of ``n`` pixels; None if it sees only padding.

    The unclipped box is start + index * jump plus size - 1 (``receptive_fields``). Clipped
    here layer by layer, going back: padding holds no pixels, and a floored layer's last
    rows are never read, so a unit at the edge sees less than r pixels.

    layers: list of (F, S) or (F, S, P); n, index: ints -> (first, last) ints, or None.
    Notebook 06, section 3 'Activation maps and receptive fields' (each box checked against a
    gradient).
    """
    parsed = [_layer(layer) for layer in layers]
    sizes = [whole(n, "n")]
    for layer, (f, stride, _) in zip(layers, parsed, strict=True):
        padding = layer[2] if len(layer) == 3 else 0
        sizes.append(output_geometry(sizes[-1], f, stride, padding).size)
    if not 0 <= index < sizes[-1]:
        raise GeometryError(f"unit {index!r} does not exist: the last layer has {sizes[-1]}")
    first = last = index
    for (f, stride, before), size_in in zip(reversed(parsed), reversed(sizes[:-1]),
                                            strict=True):
        first, last = max(first * stride - before, 0), min(last * stride - before + f - 1,
                                                           size_in - 1)
        if first > last:
            return None
    return first, last


__all__ = [
    "WORDS", "GeometryError", "OutputGeometry", "ReceptiveField", "conv_output_size",
    "conv_params", "output_geometry", "padding_for", "padding_pair", "paddings_that_fit",
    "pool_stride", "reached", "receptive_box", "receptive_fields", "whole", "window_starts",
]
