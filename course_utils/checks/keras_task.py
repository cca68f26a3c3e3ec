"""The check of notebook 07's exercise: a PyTorch ``Linear`` weight after ``nn.Flatten`` as a
Keras ``Dense`` kernel (``keras_task.dense_kernel`` is the reference). ``check_dense_kernel``
prints one line; ``verify_dense_kernel`` returns the verdict (tests).

The cases start with a dense layer that follows no feature map (a plain transpose) and then
feature maps whose channels, height and width all differ, so that a missing column reordering,
a reordering in the wrong direction, height and width swapped, and a reshape where a transpose
belongs all give other numbers. No Keras needed to check it (NumPy arrays in and out).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.checks.verdict import Case, Mistake, Verdict, report, verify
from course_utils.keras_task import dense_kernel

TRANSPOSE_HINT = ("Keras' Dense kernel is (inputs, units), PyTorch's Linear weight (units, "
                  "inputs): transpose it (.T); a reshape keeps the numbers in the wrong order")
FLATTEN_HINT = ("nn.Flatten reads the map as (c, h, w), Keras' Flatten as (h, w, c): reshape "
                "the weight to (units, c, h, w), move c last, flatten back, then transpose")


def _weight(seed: int, units: int, inputs: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((units, inputs)).round(3)


def dense_kernel_cases() -> list[Case]:
    """(weight, flattened_from): the task's two dense layers and small maps of unequal sides."""
    return [
        Case("the task's dense2: (10, 256), no feature map before it",
             (_weight(1, 10, 256), None)),
        Case("the task's dense1: (256, 4608) after Flatten of (32, 12, 12)",
             (_weight(2, 256, 32 * 12 * 12), (32, 12, 12))),
        Case("3 units after a 2x3x4 map (c=2, h=3, w=4)", (_weight(3, 3, 24), (2, 3, 4))),
        Case("one channel (1x4x5): both flatten orders agree", (_weight(4, 2, 20), (1, 4, 5))),
    ]


def _reordered(w, flattened_from, axes=(0, 2, 3, 1), read_as=None):
    """The weight's columns moved from the (c, h, w) flatten order by ``axes`` (the right ones:
    (0, 2, 3, 1), channels last), reading the columns as ``read_as`` (default (c, h, w))."""
    w = np.asarray(w)
    if flattened_from is None:
        return w
    c, h, width = flattened_from
    shape = {"chw": (c, h, width), "hwc": (h, width, c)}[read_as or "chw"]
    return w.reshape(len(w), *shape).transpose(axes).reshape(len(w), -1)


# (weight, flattened_from) -> kernel: one slip each
DENSE_KERNEL_MISTAKES = [
    Mistake(lambda w, chw: np.asarray(w).T, FLATTEN_HINT),
    Mistake(lambda w, chw: _reordered(w, chw).reshape(np.shape(w)[1], np.shape(w)[0]),
            TRANSPOSE_HINT),
    Mistake(lambda w, chw: _reordered(w, chw), TRANSPOSE_HINT),
    Mistake(lambda w, chw: _reordered(w, chw, (0, 3, 2, 1)).T,
            "the Keras order is (h, w, c): rows, then columns, then channels (not w, h, c)"),
    Mistake(lambda w, chw: _reordered(w, chw, (0, 3, 1, 2), read_as="hwc").T,
            "reorder from PyTorch's (c, h, w) to Keras' (h, w, c), not the other way round"),
]


def verify_dense_kernel(student: Callable) -> Verdict:
    """A ``Linear`` weight (and the (c, h, w) it was flattened from, or None) -> the Keras
    ``Dense`` kernel that gives the same outputs on channels-last inputs."""
    return verify("dense kernel", student, dense_kernel, dense_kernel_cases(),
                  mistakes=DENSE_KERNEL_MISTAKES)


def check_dense_kernel(student: Callable) -> None:
    """Notebook 07's exercise: the flatten order between PyTorch and Keras."""
    report(verify_dense_kernel(student))


__all__ = [
    "DENSE_KERNEL_MISTAKES", "check_dense_kernel", "dense_kernel_cases", "verify_dense_kernel",
]
