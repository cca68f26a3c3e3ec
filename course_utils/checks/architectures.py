"""The checks of notebook 04's exercises: a conv layer's output and parameters (AlexNet's
CONV1), one line of the VGG16 listing (memory and weights), and the multiply-adds of an
inception branch with and without its 1x1 bottleneck. Each ``check_*`` prints one line; each
``verify_*`` returns the verdict (tests).

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
from course_utils.checks.verdict import Case, Verdict, report, verify


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
             (227, 3, 96, 11, 4, 0),
             "side (N - F + 2P)/S + 1, depth K; (F*F*D1 + 1)*K parameters (one bias per filter)"),
        Case("ZFNet's CONV1: 96 7x7 filters, stride 2", (227, 3, 96, 7, 2, 0),
             "use the stride S and the filter size F you are given"),
        Case("a VGG conv: 3x3, pad 1 on 56x56x128, 256 filters", (56, 128, 256, 3, 1, 1),
             "padding adds 2P to N; each filter spans all D1 input maps"),
        Case("11x11 stride 4 with padding 2 on 227x227x3, 64 filters", (227, 3, 64, 11, 4, 2),
             "padding adds 2P, not P"),
        Case("a 1x1 conv on 28x28x192, 64 filters", (28, 192, 64, 1, 1, 0)),
        Case(f"seeded: {f}x{f} stride {stride} pad 1 on {n}x{n}x{d_in}, {k} filters",
             (n, d_in, k, f, stride, padding)),
    ]


def verify_conv_layer(student: Callable) -> Verdict:
    """AlexNet's CONV1 questions: output volume and parameters, for any conv layer."""
    return verify("conv layer", student, reference_conv_layer, conv_layer_cases(),
                  same=_same_nested)


def check_conv_layer(student: Callable) -> None:
    """Notebook 04's first exercise: AlexNet's CONV1 (55x55x96, 34,944 parameters) and others."""
    report(verify_conv_layer(student))


def vgg_line_cases() -> list[Case]:
    """(side, d_in, k) of a CONV3-K line."""
    rng = _seeded(16)
    side, d_in, k = int(rng.integers(9, 60)), int(rng.integers(5, 300)), int(rng.integers(5, 300))
    return [
        Case("VGG16's first CONV3-64 on 224x224x3 (-> 3.2M memory, 1,728 params)", (224, 3, 64),
             "memory counts the OUTPUT volume (3x3 pad 1 keeps the side, depth K); params "
             "(3*3*D1)*K weights, no biases, as the slide counts"),
        Case("the second CONV3-64 on 224x224x64", (224, 64, 64)),
        Case("CONV3-128 on 112x112x64", (112, 64, 128),
             "the input depth D1 and the number of filters K differ here"),
        Case("CONV3-512 on 28x28x256", (28, 256, 512)),
        Case("CONV3-512 on 14x14x512", (14, 512, 512)),
        Case(f"seeded: CONV3-{k} on {side}x{side}x{d_in}", (side, d_in, k),
             "values, not bytes: one number per activation"),
    ]


def verify_vgg_line(student: Callable) -> Verdict:
    """One line of the VGG16 listing: (memory in activation values, weights)."""
    return verify("VGG16 line", student, reference_vgg_line, vgg_line_cases(), same=_same_nested)


def check_vgg_line(student: Callable) -> None:
    report(verify_vgg_line(student))


def branch_cases() -> list[Case]:
    """(side, d_in, f, k) and optionally reduce=r."""
    rng = _seeded(2014)
    side, d_in = int(rng.integers(5, 30)), int(rng.integers(100, 900))
    k, r = int(rng.integers(20, 300)), int(rng.integers(8, 100))
    return [
        Case("inception 3a's 5x5 branch without 1x1 (-> 120,422,400)", (28, 192, 5, 32),
             "each of the side*side*K outputs costs F*F*D1 multiply-adds"),
        Case("inception 3a's 5x5 branch with a 1x1 down to 16", (28, 192, 5, 32),
             "count the 1x1 conv too: side*side*r*D1, then the 5x5 sees only r maps",
             {"reduce": 16}),
        Case("inception 3a's 3x3 branch with a 1x1 down to 96", (28, 192, 3, 128),
             "F*F multiply-adds per input map, not F", {"reduce": 96}),
        Case("inception 4a's 3x3 branch on 14x14x480, 1x1 down to 96", (14, 480, 3, 208),
             kwargs={"reduce": 96}),
        Case("inception 5b's 5x5 branch on 7x7x832 without 1x1", (7, 832, 5, 128)),
        Case("a 1x1 branch (F = 1) on 28x28x192", (28, 192, 1, 64)),
        Case(f"seeded: {side}x{side}x{d_in}, 3x3 with {k} filters, 1x1 down to {r}",
             (side, d_in, 3, k), "the output side is the input side ('same' padding)",
             {"reduce": r}),
    ]


def verify_branch_macs(student: Callable) -> Verdict:
    """An inception branch's multiply-adds, with and without the 1x1 bottleneck."""
    return verify("inception branch", student, reference_branch_macs, branch_cases())


def check_branch_macs(student: Callable) -> None:
    report(verify_branch_macs(student))


def _same_nested(got, expected) -> bool:
    """Tuples of ints (and tuples of ints) compared as plain numbers: (55, 55, 96) == [55, ...]."""
    def plain(value):
        if isinstance(value, list | tuple | np.ndarray):
            return tuple(plain(v) for v in value)
        try:
            return int(value) if float(value).is_integer() else float(value)
        except (TypeError, ValueError):
            return value
    if isinstance(expected, BaseException):
        return isinstance(got, BaseException)
    return plain(got) == plain(expected)


__all__ = [
    "branch_cases", "check_branch_macs", "check_conv_layer", "check_vgg_line",
    "conv_layer_cases", "reference_branch_macs", "reference_conv_layer", "reference_vgg_line",
    "verify_branch_macs", "verify_conv_layer", "verify_vgg_line", "vgg_line_cases",
]
