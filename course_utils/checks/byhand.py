"""The checks of the by-hand exercises (notebooks 01-03, 06): convolution, pooling, spatial
arithmetic, receptive fields. Each ``check_*`` prints one line; each ``verify_*`` returns the
verdict (tests).

The cases start with the slide's example and add seeded ones that catch the usual mistakes:
non-square inputs, stride > 1, padding, several channels, F = 1, and the last row that a stride
skips. The references are the package's own ``ops`` and ``geometry`` functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.byhand import geometry, ops
from course_utils.checks import mistakes_byhand as mistakes
from course_utils.checks.answers import as_int, as_int_tree
from course_utils.checks.verdict import Case, Check, Verdict, report

# The lecture's examples: the 5x5 image and 3x3 kernel of the convolution slide (51 at the top
# left) and the 4x4 input of the max-pooling slide ([[9, 7], [8, 6]]).
SLIDE_IMAGE = np.array([[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3],
                        [2, 3, 4, 8, 5]], dtype=float)
SLIDE_KERNEL = np.array([[1, 2, 3], [-4, 7, 4], [2, -5, 1]], dtype=float)
SLIDE_POOL_INPUT = np.array([[2, 2, 7, 3], [9, 4, 6, 1], [8, 5, 2, 4], [3, 1, 2, 6]],
                            dtype=float)


def _random(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-5, 6, size=shape).astype(float)


def conv2d_cases() -> list[Case]:
    """One-channel images: (image, kernel, stride, padding)."""
    return [
        Case("the slide's 5x5 image and 3x3 kernel (51 at the top left)",
             (SLIDE_IMAGE, SLIDE_KERNEL, 1, 0)),
        Case("a non-square 6x8 image", (_random(1, 6, 8), _random(2, 3, 3), 1, 0)),
        Case("stride 2 on 7x7", (_random(3, 7, 7), _random(4, 3, 3), 2, 0)),
        Case("stride 2 on 8x8, whose last row the stride skips",
             (_random(5, 8, 8), _random(6, 3, 3), 2, 0)),
        Case("padding 1", (_random(7, 5, 5), _random(8, 3, 3), 1, 1)),
        Case("a 1x1 kernel (F = 1)", (_random(9, 4, 5), _random(10, 1, 1), 1, 0)),
        Case("a 2x2 kernel with stride 2 and padding 1",
             (_random(11, 5, 6), _random(12, 2, 2), 2, 1)),
    ]


def conv2d_check() -> Check:
    """The convolution slide by hand: a one-channel image and one kernel (cross-correlation,
    as every framework computes it)."""
    return Check("conv2d", lambda x, w, s, p: ops.conv2d(x, w, stride=s, padding=p),
                 conv2d_cases(), mistakes=mistakes.CONV2D_MISTAKES)


def verify_conv2d(student: Callable) -> Verdict:
    """:func:`conv2d_check` run on ``student``."""
    return conv2d_check().verify(student)


def check_conv2d(student: Callable) -> None:
    """Notebook 01's first exercise: the slide's 51, then the whole feature map and beyond."""
    report(verify_conv2d(student))


def conv_volume_check() -> Check:
    """One filter over a volume (C, H, W) with depth C: one activation map."""
    cases = [
        Case("a 3-channel 7x7 volume and a 3x3x3 filter",
             (_random(20, 3, 7, 7), _random(21, 3, 3, 3), 1, 0)),
        Case("one channel, the slide's image", (SLIDE_IMAGE[None], SLIDE_KERNEL[None], 1, 0)),
        Case("5 channels, stride 2, padding 1",
             (_random(22, 5, 6, 9), _random(23, 5, 3, 3), 2, 1)),
        Case("2 channels whose kernels differ", (_random(24, 2, 4, 4), _random(25, 2, 2, 2), 1, 0)),
    ]
    return Check("conv over a volume", lambda x, w, s, p: ops.conv2d(x, w, stride=s, padding=p),
                 cases, mistakes=mistakes.CONV_VOLUME_MISTAKES)


def verify_conv_volume(student: Callable) -> Verdict:
    """:func:`conv_volume_check` run on ``student``."""
    return conv_volume_check().verify(student)


def check_conv_volume(student: Callable) -> None:
    """Notebook 01: a 5x5x3 filter on a 32x32x3 image gives one 28x28 map."""
    report(verify_conv_volume(student))


def true_convolution_check() -> Check:
    """The mathematicians' convolution: the kernel flipped along both axes first."""
    cases = [
        Case("the slide's image and kernel", (SLIDE_IMAGE, SLIDE_KERNEL)),
        Case("an asymmetric 2x3 kernel", (_random(30, 5, 6), _random(31, 2, 3))),
        Case("a 2x2 kernel [[1, 2], [3, 5]]",
             (_random(32, 4, 4), np.array([[1.0, 2.0], [3.0, 5.0]]))),
    ]
    return Check("true convolution", lambda x, w: ops.conv2d(x, ops.flip_kernel(w)), cases,
                 mistakes=mistakes.TRUE_CONVOLUTION_MISTAKES)


def verify_true_convolution(student: Callable) -> Verdict:
    """:func:`true_convolution_check` run on ``student``."""
    return true_convolution_check().verify(student)


def check_true_convolution(student: Callable) -> None:
    report(verify_true_convolution(student))


def _pool_cases(slide_result: str) -> list[Case]:
    return [
        Case(f"the slide's 4x4 input, 2x2 stride 2 (-> {slide_result})",
             (SLIDE_POOL_INPUT, 2, 2)),
        Case("AlexNet's overlapping 3x3 stride 2 on 7x7", (_random(40, 7, 7), 3, 2)),
        Case("a non-square 4x6 input", (_random(41, 4, 6), 2, 2)),
        Case("3x3 stride 2 on 8x8, whose last row the stride skips", (_random(42, 8, 8), 3, 2)),
        Case("a 1x1 window (F = 1)", (_random(43, 3, 3), 1, 1)),
        Case("negative values only", (-np.abs(_random(44, 4, 4)) - 1, 2, 2)),
    ]


def max_pool_check() -> Check:
    """Max pooling with any window and stride."""
    return Check("max pooling", lambda x, f, s: ops.max_pool2d(x, f, s),
                 _pool_cases("[[9, 7], [8, 6]]"), mistakes=mistakes.MAX_POOL_MISTAKES)


def verify_max_pool(student: Callable) -> Verdict:
    """:func:`max_pool_check` run on ``student``."""
    return max_pool_check().verify(student)


def avg_pool_check() -> Check:
    """Average pooling with any window and stride."""
    return Check("average pooling", lambda x, f, s: ops.avg_pool2d(x, f, s),
                 _pool_cases("[[4.25, 4.25], [4.25, 3.5]]"), mistakes=mistakes.AVG_POOL_MISTAKES)


def verify_avg_pool(student: Callable) -> Verdict:
    """:func:`avg_pool_check` run on ``student``."""
    return avg_pool_check().verify(student)


def root_mean_square(window) -> float:
    """The root-mean-square of a window: a reduction the pooling check tries (and the grader)."""
    return float(np.sqrt(np.mean(np.square(window))))


def pool_check() -> Check:
    """Pooling with any reduction: ``student(x, size, stride, reduce)``."""
    cases = [
        Case("the slide's 4x4 input, 2x2 stride 2, np.max (-> [[9, 7], [8, 6]])",
             (SLIDE_POOL_INPUT, 2, 2, np.max)),
        Case("the same with np.mean (-> [[4.25, 4.25], [4.25, 3.5]])",
             (SLIDE_POOL_INPUT, 2, 2, np.mean)),
        Case("overlapping 3x3 stride 2 on 7x7 with np.min", (_random(50, 7, 7), 3, 2, np.min)),
        Case("a non-square 4x6 input with np.median", (_random(51, 4, 6), 2, 2, np.median)),
        Case("root-mean-square pooling, a function of your window as a 2-D array",
             (_random(52, 6, 6), 3, 3, root_mean_square)),
        Case("3x3 stride 2 on 8x8 with np.max, whose last row the stride skips",
             (_random(53, 8, 8), 3, 2, np.max)),
    ]
    return Check("pooling", lambda x, f, s, reduce: ops.pool2d(x, f, s, reduce), cases,
                 mistakes=mistakes.POOL_MISTAKES)


def verify_pool(student: Callable) -> Verdict:
    """:func:`pool_check` run on ``student``."""
    return pool_check().verify(student)


def check_pool(student: Callable) -> None:
    """Notebook 02's exercise: pooling with any reduction (max, mean, min, median, ...)."""
    report(verify_pool(student))


def check_max_pool(student: Callable) -> None:
    report(verify_max_pool(student))


def check_avg_pool(student: Callable) -> None:
    report(verify_avg_pool(student))


def output_size_check() -> Check:
    """(N - F + 2P)/S + 1, and an error where the filter does not fit."""
    cases = [
        Case("the slide's 7x7 input, 3x3 filter, stride 1 (-> 5)", (7, 3, 1, 0)),
        Case("7x7, 3x3, stride 2 (-> 3)", (7, 3, 2, 0)),
        Case("7x7, 3x3, stride 3: doesn't fit (2.33)", (7, 3, 3, 0)),
        Case("32x32, 5x5, padding 2 (-> 32)", (32, 5, 1, 2)),
        Case("AlexNet's CONV1: 227, 11x11, stride 4 (-> 55)", (227, 11, 4, 0)),
        Case("a 1x1 filter", (5, 1, 1, 0)),
    ]
    return Check("output size", geometry.conv_output_size, cases, answer=as_int,
                 mistakes=mistakes.OUTPUT_SIZE_MISTAKES)


def verify_output_size(student: Callable) -> Verdict:
    """:func:`output_size_check` run on ``student``."""
    return output_size_check().verify(student)


def check_output_size(student: Callable) -> None:
    report(verify_output_size(student))


def _stack_sizes(n: int, layers) -> list[int]:
    sizes = []
    for f, stride, padding in layers:
        n = geometry.conv_output_size(n, f, stride, padding)
        sizes.append(n)
    return sizes


def stack_sizes_check() -> Check:
    """The side after every layer of a stack of (F, S, P) layers; ValueError where one does
    not fit."""
    cases = [
        Case("LeNet-5 on 32: conv 5, pool 2/2, conv 5, pool 2/2, conv 5 (-> 28, 14, 10, 5, 1)",
             (32, [(5, 1, 0), (2, 2, 0), (5, 1, 0), (2, 2, 0), (5, 1, 0)])),
        Case("AlexNet on 227: CONV1 11/4, POOL1 3/2, CONV2 5/1 pad 2, POOL2 3/2",
             (227, [(11, 4, 0), (3, 2, 0), (5, 1, 2), (3, 2, 0)])),
        Case("a VGG block on 224: 3x3 pad 1 twice, pool 2/2", (224, [(3, 1, 1), (3, 1, 1),
                                                                     (2, 2, 0)])),
        Case("7x7: 3x3 stride 1 fits, then 3x3 stride 3 on the 5x5 result doesn't",
             (7, [(3, 1, 0), (3, 3, 0)])),
        Case("no layers at all", (32, [])),
    ]
    return Check("stack of layers", _stack_sizes, cases, answer=as_int_tree,
                 mistakes=mistakes.STACK_MISTAKES)


def verify_stack_sizes(student: Callable) -> Verdict:
    """:func:`stack_sizes_check` run on ``student``."""
    return stack_sizes_check().verify(student)


def check_stack_sizes(student: Callable) -> None:
    """Notebook 03's exercise: the side after every layer of a stack."""
    report(verify_stack_sizes(student))


def same_padding_check() -> Check:
    """P = (F - 1)/2 keeps the size at stride 1 (odd F)."""
    cases = [Case(f"F = {f}", (f,)) for f in (3, 1, 5, 7, 11)]
    return Check("same padding", lambda f: geometry.padding_for("same", f), cases, answer=as_int,
                 mistakes=mistakes.SAME_PADDING_MISTAKES)


def verify_same_padding(student: Callable) -> Verdict:
    """:func:`same_padding_check` run on ``student``."""
    return same_padding_check().verify(student)


def check_same_padding(student: Callable) -> None:
    report(verify_same_padding(student))


def conv_params_check() -> Check:
    """A conv layer's parameters: (F*F*D + 1) * K."""
    cases = [
        Case("the slide's ten 5x5 filters on a 32x32x3 input (-> 760)", (5, 3, 10)),
        Case("1x1 filters on 64 channels", (1, 64, 32)),
        Case("3x3 filters on 1 channel", (3, 1, 64)),
        Case("VGG's 3x3, 256 -> 512", (3, 256, 512)),
    ]
    return Check("conv parameters", geometry.conv_params, cases, answer=as_int,
                 mistakes=mistakes.CONV_PARAMS_MISTAKES)


def verify_conv_params(student: Callable) -> Verdict:
    """:func:`conv_params_check` run on ``student``."""
    return conv_params_check().verify(student)


def check_conv_params(student: Callable) -> None:
    report(verify_conv_params(student))


def _receptive_reference(layers):
    last = geometry.receptive_fields([(f, s) for _kind, f, s in layers])[-1]
    return last.size, last.jump


def receptive_field_check() -> Check:
    """(size, jump) of one unit after ("conv" | "pool", F, S) layers: r += (F - 1) * j, j *= S."""
    cases = [
        Case("VGG's three 3x3/1 convs (-> 7, 1: as wide as one 7x7)",
             ([("conv", 3, 1)] * 3,)),
        Case("conv 3x3/2, then conv 3x3/1 (-> 7, 2)", ([("conv", 3, 2), ("conv", 3, 1)],)),
        Case("max pool 2x2/2, then conv 3x3/1 (-> 6, 2)", ([("pool", 2, 2), ("conv", 3, 1)],)),
        Case("the task's network: conv 3x3/2, conv 2x2/1, pool 2x2/1 (-> 7, 2)",
             ([("conv", 3, 2), ("conv", 2, 1), ("pool", 2, 1)],)),
        Case("AlexNet's CONV1 11x11/4, POOL1 3x3/2, CONV2 5x5/1 (-> 51, 8)",
             ([("conv", 11, 4), ("pool", 3, 2), ("conv", 5, 1)],)),
        Case("one 1x1 conv (-> 1, 1)", ([("conv", 1, 1)],)),
    ]
    return Check("receptive field", _receptive_reference, cases, answer=as_int_tree,
                 mistakes=mistakes.RECEPTIVE_FIELD_MISTAKES)


def verify_receptive_field(student: Callable) -> Verdict:
    """:func:`receptive_field_check` run on ``student``."""
    return receptive_field_check().verify(student)


def check_receptive_field(student: Callable) -> None:
    """Notebook 06's exercise: what one unit sees after a stack of windows."""
    report(verify_receptive_field(student))


__all__ = [
    "SLIDE_IMAGE", "SLIDE_KERNEL", "SLIDE_POOL_INPUT", "avg_pool_check", "check_avg_pool",
    "check_conv2d", "check_conv_params", "check_conv_volume", "check_max_pool",
    "check_output_size", "check_pool", "check_receptive_field", "check_same_padding",
    "check_stack_sizes", "check_true_convolution", "conv2d_cases", "conv2d_check",
    "conv_params_check", "conv_volume_check", "max_pool_check", "output_size_check", "pool_check",
    "receptive_field_check", "root_mean_square", "same_padding_check", "stack_sizes_check",
    "true_convolution_check", "verify_avg_pool", "verify_conv2d", "verify_conv_params",
    "verify_conv_volume", "verify_max_pool", "verify_output_size", "verify_pool",
    "verify_receptive_field", "verify_same_padding", "verify_stack_sizes",
    "verify_true_convolution",
]
