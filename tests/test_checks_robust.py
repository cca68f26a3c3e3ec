"""The checkers against the answers that should never pass: every known mistake gets exactly its
hint, a result of the wrong type is a ✗ (not a crash), rigged objects and frame peeking gain
nothing, a mutated input changes nothing, an endless loop is a ✗ within the time limit."""

import sys
import threading
import time

import numpy as np
import pytest
import torch

from course_utils.byhand import geometry, ops
from course_utils.checks import architectures as arch_checks
from course_utils.checks import byhand
from course_utils.checks import keras_task as keras_checks
from course_utils.checks import mistakes_byhand as mistakes
from course_utils.checks.answers import as_array, as_int, describe, first_difference
from course_utils.checks.verdict import Case, verify

CHECKS = {
    "conv2d": (byhand.verify_conv2d, mistakes.CONV2D_MISTAKES),
    "conv volume": (byhand.verify_conv_volume, mistakes.CONV_VOLUME_MISTAKES),
    "true convolution": (byhand.verify_true_convolution, mistakes.TRUE_CONVOLUTION_MISTAKES),
    "max pool": (byhand.verify_max_pool, mistakes.MAX_POOL_MISTAKES),
    "avg pool": (byhand.verify_avg_pool, mistakes.AVG_POOL_MISTAKES),
    "any pool": (byhand.verify_pool, mistakes.POOL_MISTAKES),
    "stack sizes": (byhand.verify_stack_sizes, mistakes.STACK_MISTAKES),
    "output size": (byhand.verify_output_size, mistakes.OUTPUT_SIZE_MISTAKES),
    "same padding": (byhand.verify_same_padding, mistakes.SAME_PADDING_MISTAKES),
    "conv params": (byhand.verify_conv_params, mistakes.CONV_PARAMS_MISTAKES),
    "receptive field": (byhand.verify_receptive_field, mistakes.RECEPTIVE_FIELD_MISTAKES),
    "conv layer": (arch_checks.verify_conv_layer, arch_checks.CONV_LAYER_MISTAKES),
    "VGG line": (arch_checks.verify_vgg_line, arch_checks.VGG_LINE_MISTAKES),
    "inception branch": (arch_checks.verify_branch_macs, arch_checks.BRANCH_MISTAKES),
    "dense kernel": (keras_checks.verify_dense_kernel, keras_checks.DENSE_KERNEL_MISTAKES),
}
EVERY_MISTAKE = [pytest.param(check, mistake, id=f"{name}-{i}")
                 for name, (check, found) in CHECKS.items() for i, mistake in enumerate(found)]


@pytest.mark.parametrize(("check", "mistake"), EVERY_MISTAKE)
def test_every_known_mistake_is_rejected_with_exactly_its_hint(check, mistake):
    verdict = check(mistake.wrong)
    assert not verdict.passed
    assert verdict.line.endswith(f"Hint: {mistake.hint}"), verdict.line


def max_pool_from_zero(x, f, s):
    """The issue's example: a maximum that starts from 0 fails first on the 1x1 window, and
    the hint for exactly that mistake must show there."""
    rows, cols = (x.shape[0] - f) // s + 1, (x.shape[1] - f) // s + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            best = 0
            for value in x[i * s:i * s + f, j * s:j * s + f].flat:
                best = max(best, value)
            out[i, j] = best
    return out


def test_the_hint_that_fits_shows_on_the_first_failing_case():
    line = byhand.verify_max_pool(max_pool_from_zero).line
    assert "a 1x1 window (F = 1)" in line
    assert line.endswith("Hint: start the maximum from the window itself, not from 0")
    transposed = byhand.verify_true_convolution(lambda x, w: ops.conv2d(x, w.T)).line
    assert "(a transpose is not a flip)" in transposed


def test_small_inputs_are_shown_whole_and_large_ones_by_shape_and_first_difference():
    slide = byhand.verify_conv2d(lambda x, w, s, p: np.zeros((3, 3))).line
    assert "[[2., 4., 9., 1., 4.], [2., 1., 4., 4., 6.]" in slide  # the 5x5 image, whole
    assert "[-4., 7., 4.]" in slide  # and the kernel
    assert "..." not in slide
    big = np.arange(100.0).reshape(10, 10)
    off_by_one = verify("copy", lambda x: x + np.eye(10)[::-1], lambda x: x,
                        [Case("a 10x10 input", (big,))]).line
    assert "inputs a 10x10 array;" in off_by_one
    assert "first difference at [0, 9]: expected 9.0, got 10.0 (around it: expected" in off_by_one
    wrong_on_8x8 = byhand.verify_max_pool(
        lambda x, f, s: ops.max_pool2d(x, f, s) * (1 if x.shape != (8, 8) else 2)).line
    assert "inputs an 8x8 array, 3, 2;" in wrong_on_8x8


def test_a_wide_expected_array_shows_its_shape():
    got, expected = np.zeros((2, 2)), np.zeros((5, 7))
    assert first_difference(got, expected) == "expected shape (5, 7), got shape (2, 2)"
    text = first_difference(np.ones((8, 8)), np.ones((8, 8)) + np.eye(8) * 0)
    assert text == ""
    wrong = np.ones((8, 8))
    wrong[4, 5] = 7
    text = first_difference(wrong, np.ones((8, 8)))
    assert text.startswith("first difference at [4, 5]: expected 1.0, got 7.0 (around it:")


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = None


class RiggedArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __array_ufunc__(self, *args, **kwargs):  # np.isclose, np.allclose: always "close"
        return True


def peeking(*args):
    """Walks up the caller's frames for the checker's answer or reference."""
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "reference"):
            value = frame.f_locals.get(name)
            if isinstance(value, np.ndarray):
                return value
            if callable(value):
                return value(*args)
        frame = frame.f_back
    return np.zeros((1, 1))


class PeekingArray:
    """A result whose conversion peeks at the frames above it for the expected value."""

    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals and isinstance(frame.f_locals["expected"],
                                                           np.ndarray):
                return frame.f_locals["expected"]
            frame = frame.f_back
        return np.zeros((1, 1))


@pytest.mark.parametrize("student", [
    lambda x, w, s, p: AlwaysEqual(),
    lambda x, w, s, p: np.zeros((3, 3)).view(RiggedArray),
    peeking,
    lambda x, w, s, p: PeekingArray(),
], ids=["__eq__ always True", "ndarray subclass", "frame peeking", "peeking __array__"])
def test_rigged_answers_gain_nothing(student):
    verdict = byhand.verify_conv2d(student)
    assert not verdict.passed, verdict.line


def test_a_mutated_input_does_not_change_the_expected_value():
    def zero_the_image(x, w, s, p):
        x[...] = 0  # the reference must still see the original image
        return np.zeros(((x.shape[0] + 2 * p - w.shape[0]) // s + 1,
                         (x.shape[1] + 2 * p - w.shape[1]) // s + 1))

    def compute_then_scribble(x, w, s, p):
        result = ops.conv2d(x, w, stride=s, padding=p)
        x[...], w[...] = 99, 99
        return result

    assert not byhand.verify_conv2d(zero_the_image).passed
    assert byhand.verify_conv2d(compute_then_scribble).passed
    assert byhand.SLIDE_IMAGE[0, 0] == 2  # the module's own slide image is untouched


def test_an_endless_loop_is_a_cross_within_the_time_limit():
    def endless(n, f, s, p):
        while True:
            n += 1

    before = threading.active_count()
    started = time.perf_counter()
    verdict = verify("output size", endless, geometry.conv_output_size,
                     [Case("the slide's 7x7", (7, 3, 1, 0))], answer=as_int, time_limit=0.5)
    assert time.perf_counter() - started < 5
    assert not verdict.passed and "ran longer than 0.5 s (an endless loop?)" in verdict.line
    time.sleep(0.2)
    assert threading.active_count() == before  # the worker was stopped, not left spinning


@pytest.mark.parametrize(("returned", "words"), [
    ("5", "returned the text '5'"),
    (5.0, "returned 5.0 (float)"),
    (True, "a bool"),
    (None, "is a `return` missing?"),
    (ValueError("doesn't fit"), "instead of raising it"),
    ((i for i in range(3)), "a generator"),
])
def test_an_int_answer_of_the_wrong_type_is_a_cross_that_says_so(returned, words):
    verdict = byhand.verify_output_size(lambda n, f, s, p: returned)
    assert not verdict.passed and words in verdict.line, verdict.line


@pytest.mark.parametrize(("returned", "words"), [
    ("[[1, 2], [3, 4]]", "the text"),
    ([[1, 2], [3]], "rows of different lengths"),
    (torch.zeros(3, 3, requires_grad=True), "a torch.Tensor"),
    (iter([1, 2]), "not an array of numbers"),
    (None, "is a `return` missing?"),
])
def test_an_array_answer_of_the_wrong_type_is_a_cross_not_a_crash(returned, words):
    verdict = byhand.verify_conv2d(lambda x, w, s, p: returned)
    assert not verdict.passed and words in verdict.line, verdict.line


def test_doesnt_fit_must_be_the_specific_exception_raised():
    def divides_by_zero(n, f, s, p):
        if (n - f + 2 * p) % s:
            return 1 // 0
        return (n - f + 2 * p) // s + 1

    def returns_the_error(n, f, s, p):
        if (n - f + 2 * p) % s:
            return ValueError("doesn't fit")
        return (n - f + 2 * p) // s + 1

    def raises_value_error(n, f, s, p):
        if (n - f + 2 * p) % s:
            raise ValueError("doesn't fit")
        return (n - f + 2 * p) // s + 1

    zero = byhand.verify_output_size(divides_by_zero).line
    assert "expected a ValueError, your code raised ZeroDivisionError" in zero
    assert "instead of raising it" in byhand.verify_output_size(returns_the_error).line
    assert byhand.verify_output_size(raises_value_error).passed


def test_plain_conversions():
    assert as_int(np.int64(5)) == 5 and type(as_int(np.int64(5))) is int
    assert as_array([[1, 2], [3, 4]]).dtype == float
    assert type(as_array(np.zeros(2).view(RiggedArray))) is np.ndarray
    assert describe(np.arange(4.0).reshape(2, 2)) == "[[0., 1.], [2., 3.]]"
    assert describe(np.zeros((7, 7))) == "a 7x7 array"


def test_a_generic_pool_written_by_hand_passes():
    def my_pool(x, size, stride, reduce):
        rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
        return np.array([[reduce(x[i * stride:i * stride + size, j * stride:j * stride + size])
                          for j in range(cols)] for i in range(rows)])

    verdict = byhand.verify_pool(my_pool)
    assert verdict.passed, verdict.line
    assert not byhand.verify_pool(lambda x, f, s, reduce: my_pool(x, f, f, reduce)).passed


def test_a_stack_walked_with_ones_own_output_size_passes():
    def my_stack_sizes(n, layers):
        sizes = []
        for f, s, p in layers:
            if (n - f + 2 * p) % s:
                raise ValueError("doesn't fit")
            n = (n - f + 2 * p) // s + 1
            sizes.append(n)
        return sizes

    assert byhand.verify_stack_sizes(my_stack_sizes).passed
