"""The checks of notebook 04's exercises: a conv layer's output and parameters (AlexNet's
CONV1), one line of the VGG16 listing (memory and weights), and the multiply-adds of an
inception branch with and without its 1x1 bottleneck. Each ``*_check()`` is the exercise's
``Check`` (its cases, reference, answer converter and known mistakes: what the grader,
``course_utils.grade``, uses too); each ``check_*`` prints one line; each ``verify_*`` returns
the verdict (tests).

The cases start with the slide's numbers and add other networks' layers and seeded random ones
(other input sizes, strides, paddings, depths), so an answer typed in from the slide fails. The
references are the tables the notebook prints: ``architectures.layer_table`` over
``layers.Conv`` specs. Pure Python, no torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import architectures
from course_utils.architectures import layers
from course_utils.checks.answers import as_int, as_int_tree
from course_utils.checks.verdict import Case, Check, Mistake, Verdict, report


def _table(shape: tuple[int, int, int], *specs: layers.Layer):
    return architectures.layer_table(architectures.Network("exercise", shape, specs))


def reference_conv_layer(n: int, d_in: int, k: int, f: int, stride: int = 1,
                         padding: int = 0) -> tuple[tuple[int, int, int], int]:
    """A conv layer on an n x n x d_in input: (its output volume, its parameters with biases)."""
    row = _table((n, n, d_in), layers.Conv(k, f, stride=stride, padding=padding)).top[-1]
    return row.shape, row.params


def reference_vgg_line(side: int, d_in: int, k: int) -> tuple[int, int]:
    """One CONV3-K line of the VGG16 slide (3x3, stride 1, pad 1, on side x side x d_in):
    (memory: the output's activation values, params: its weights, as the slide counts)."""
    row = _table((side, side, d_in), layers.Conv(k, 3, padding=1)).top[-1]
    return row.values, row.weights


def reference_branch_macs(side: int, d_in: int, f: int, k: int, reduce: int | None = None) -> int:
    """Multiply-adds of one inception branch: k f x f filters ('same' padding) on a
    side x side x d_in input, after a 1x1 conv down to ``reduce`` maps when one is given."""
    convs = ([layers.Conv(reduce, 1)] if reduce else []) + [layers.Conv(k, f, padding=(f - 1) // 2)]
    return _table((side, side, d_in), *convs).macs


def _seeded(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def conv_layer_cases() -> list[Case]:
    """(n, d_in, k, f, stride, padding): every one fits exactly."""
    rng = _seeded(404)
    f, stride, padding = int(rng.choice([3, 5, 7])), int(rng.integers(2, 4)), 1
    side, d_in, k = int(rng.integers(6, 20)), int(rng.integers(4, 40)), int(rng.integers(5, 50))
    n = (side - 1) * stride + f - 2 * padding
    return [
        Case("AlexNet's CONV1: 96 11x11 filters, stride 4, on 227x227x3 (-> 55x55x96, 34,944)",
             (227, 3, 96, 11, 4, 0)),
        Case("ZFNet's CONV1: 96 7x7 filters, stride 2", (227, 3, 96, 7, 2, 0)),
        Case("a VGG conv: 3x3, pad 1 on 56x56x128, 256 filters", (56, 128, 256, 3, 1, 1)),
        Case("11x11 stride 4 with padding 2 on 227x227x3, 64 filters", (227, 3, 64, 11, 4, 2)),
        Case("a 1x1 conv on 28x28x192, 64 filters", (28, 192, 64, 1, 1, 0)),
        Case(f"seeded: {f}x{f} stride {stride} pad 1 on {n}x{n}x{d_in}, {k} filters",
             (n, d_in, k, f, stride, padding)),
    ]


def _side(n, f, stride, padding):
    return (n - f + 2 * padding) // stride + 1


# (n, d_in, k, f, stride, padding) -> ((side, side, k), params): one slip each
CONV_LAYER_MISTAKES = [
    Mistake(lambda n, d, k, f, s, p: ((_side(n, f, s, p),) * 2 + (k,), f * f * d * k),
            "each filter has one bias too: (F*F*D1 + 1)*K parameters"),
    Mistake(lambda n, d, k, f, s, p: ((_side(n, f, s, p),) * 2 + (k,), (f * f + 1) * k),
            "each filter spans all D1 input maps: F*F*D1 weights per filter"),
    Mistake(lambda n, d, k, f, s, p: (((n - f + p) // s + 1,) * 2 + (k,), (f * f * d + 1) * k),
            "padding adds 2P to N (P on each side), not P"),
    Mistake(lambda n, d, k, f, s, p: ((_side(n, f, s, p),) * 2 + (d,), (f * f * d + 1) * k),
            "the output depth is the number of filters K, not the input depth"),
    Mistake(lambda n, d, k, f, s, p: ((_side(n, 11, 4, p),) * 2 + (k,), (11 * 11 * d + 1) * k),
            "use the stride S and the filter size F you are given, not CONV1's 11 and 4"),
]


def conv_layer_check() -> Check:
    """AlexNet's CONV1 questions: output volume and parameters, for any conv layer."""
    return Check("conv layer", reference_conv_layer, conv_layer_cases(), answer=as_int_tree,
                 mistakes=CONV_LAYER_MISTAKES)


def verify_conv_layer(student: Callable) -> Verdict:
    """:func:`conv_layer_check` run on ``student``."""
    return conv_layer_check().verify(student)


def check_conv_layer(student: Callable) -> None:
    """Notebook 04's first exercise: AlexNet's CONV1 (55x55x96, 34,944 parameters) and others."""
    report(verify_conv_layer(student))


def vgg_line_cases() -> list[Case]:
    """(side, d_in, k) of a CONV3-K line."""
    rng = _seeded(16)
    side, d_in, k = int(rng.integers(9, 60)), int(rng.integers(5, 300)), int(rng.integers(5, 300))
    return [
        Case("VGG16's first CONV3-64 on 224x224x3 (-> 3.2M memory, 1,728 params)", (224, 3, 64)),
        Case("the second CONV3-64 on 224x224x64", (224, 64, 64)),
        Case("CONV3-128 on 112x112x64", (112, 64, 128)),
        Case("CONV3-512 on 28x28x256", (28, 256, 512)),
        Case("CONV3-512 on 14x14x512", (14, 512, 512)),
        Case(f"seeded: CONV3-{k} on {side}x{side}x{d_in}", (side, d_in, k)),
    ]


# (side, d_in, k) -> (memory, params): one slip each
VGG_LINE_MISTAKES = [
    Mistake(lambda side, d, k: (side * side * d, 9 * d * k),
            "memory counts the OUTPUT volume: side*side*K (3x3 pad 1 keeps the side)"),
    Mistake(lambda side, d, k: (side * side * k, (9 * d + 1) * k),
            "the slide counts weights only, no biases: (3*3*D1)*K"),
    Mistake(lambda side, d, k: (side * side * k, 9 * k * k),
            "each filter spans the INPUT depth D1: (3*3*D1)*K, and D1 and K differ here"),
    Mistake(lambda side, d, k: (4 * side * side * k, 9 * d * k),
            "values, not bytes: one number per activation (the slide's memory column)"),
]


def vgg_line_check() -> Check:
    """One line of the VGG16 listing: (memory in activation values, weights)."""
    return Check("VGG16 line", reference_vgg_line, vgg_line_cases(), answer=as_int_tree,
                 mistakes=VGG_LINE_MISTAKES)


def verify_vgg_line(student: Callable) -> Verdict:
    """:func:`vgg_line_check` run on ``student``."""
    return vgg_line_check().verify(student)


def check_vgg_line(student: Callable) -> None:
    report(verify_vgg_line(student))


def branch_cases() -> list[Case]:
    """(side, d_in, f, k) and optionally reduce=r."""
    rng = _seeded(2014)
    side, d_in = int(rng.integers(5, 30)), int(rng.integers(100, 900))
    k, r = int(rng.integers(20, 300)), int(rng.integers(8, 100))
    return [
        Case("inception 3a's 5x5 branch without 1x1 (-> 120,422,400)", (28, 192, 5, 32)),
        Case("inception 3a's 5x5 branch with a 1x1 down to 16", (28, 192, 5, 32),
             kwargs={"reduce": 16}),
        Case("inception 3a's 3x3 branch with a 1x1 down to 96", (28, 192, 3, 128),
             kwargs={"reduce": 96}),
        Case("inception 4a's 3x3 branch on 14x14x480, 1x1 down to 96", (14, 480, 3, 208),
             kwargs={"reduce": 96}),
        Case("inception 5b's 5x5 branch on 7x7x832 without 1x1", (7, 832, 5, 128)),
        Case("a 1x1 branch (F = 1) on 28x28x192", (28, 192, 1, 64)),
        Case(f"seeded: {side}x{side}x{d_in}, 3x3 with {k} filters, 1x1 down to {r}",
             (side, d_in, 3, k), kwargs={"reduce": r}),
    ]


def _branch(side, d, f, k, reduce=None, *, square=True, count_reduce=True, out_side=None):
    out = side if out_side is None else out_side(side, f)
    depth = reduce or d
    cost = out * out * k * (f * f if square else f) * depth
    if reduce and count_reduce:
        cost += side * side * reduce * d
    return cost


# (side, d_in, f, k, reduce=r) -> multiply-adds: one slip each
BRANCH_MISTAKES = [
    Mistake(lambda side, d, f, k, reduce=None: _branch(side, d, f, k, reduce, count_reduce=False),
            "count the 1x1 conv too: side*side*r*D1, then the FxF conv sees only r maps"),
    Mistake(lambda side, d, f, k, reduce=None: _branch(side, d, f, k, reduce, square=False),
            "F*F multiply-adds per input map and output value, not F"),
    Mistake(lambda side, d, f, k, reduce=None: side * side * k * f * f,
            "each of the side*side*K outputs costs F*F*D1 multiply-adds: D1 input maps"),
    Mistake(lambda side, d, f, k, reduce=None: _branch(side, d, f, k, reduce,
                                                       out_side=lambda n, f: n - f + 1),
            "the output side is the input side ('same' padding)"),
]


def branch_macs_check() -> Check:
    """An inception branch's multiply-adds, with and without the 1x1 bottleneck."""
    return Check("inception branch", reference_branch_macs, branch_cases(), answer=as_int,
                 mistakes=BRANCH_MISTAKES)


def verify_branch_macs(student: Callable) -> Verdict:
    """:func:`branch_macs_check` run on ``student``."""
    return branch_macs_check().verify(student)


def check_branch_macs(student: Callable) -> None:
    report(verify_branch_macs(student))


__all__ = [
    "BRANCH_MISTAKES", "CONV_LAYER_MISTAKES", "VGG_LINE_MISTAKES", "branch_cases",
    "branch_macs_check", "check_branch_macs", "check_conv_layer", "check_vgg_line",
    "conv_layer_cases", "conv_layer_check", "reference_branch_macs", "reference_conv_layer",
    "reference_vgg_line", "verify_branch_macs", "verify_conv_layer", "verify_vgg_line",
    "vgg_line_cases", "vgg_line_check",
]
