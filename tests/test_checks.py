"""The exercise checks: the reference passes, and each plausible wrong answer is rejected with a
message that names the failing case; an open exercise and a crash are one line too."""

import numpy as np
import pytest

from course_utils.byhand import geometry, ops
from course_utils.checks import byhand as byhand
from course_utils.checks import verdict as checks


def loop_conv(x, w, stride=1, padding=0):
    """A student's correct loop, written the way notebook 01 teaches it."""
    x = np.pad(np.asarray(x, float), padding)
    fh, fw = w.shape
    rows = (x.shape[0] - fh) // stride + 1
    cols = (x.shape[1] - fw) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(x[i * stride:i * stride + fh, j * stride:j * stride + fw] * w)
    return out


def no_stride(x, w, stride=1, padding=0):
    return loop_conv(x, w, 1, padding)


def no_padding(x, w, stride=1, padding=0):
    return loop_conv(x, w, stride, 0)


def square_only(x, w, stride=1, padding=0):
    x = np.pad(np.asarray(x, float), padding)
    f, n = w.shape[0], x.shape[0]
    size = (n - f) // stride + 1
    return np.array([[np.sum(x[i * stride:i * stride + f, j * stride:j * stride + f] * w)
                      for j in range(size)] for i in range(size)])


def ceil_size(x, w, stride=1, padding=0):
    x = np.pad(np.asarray(x, float), padding)
    f = w.shape[0]
    rows, cols = (-(-(x.shape[0] - f) // stride) + 1, -(-(x.shape[1] - f) // stride) + 1)
    x = np.pad(x, ((0, f), (0, f)))
    return np.array([[np.sum(x[i * stride:i * stride + f, j * stride:j * stride + f] * w)
                      for j in range(cols)] for i in range(rows)])


def flipped(x, w, stride=1, padding=0):
    return loop_conv(x, w[::-1, ::-1], stride, padding)


def test_the_reference_and_a_correct_loop_pass():
    verdict = byhand.verify_conv2d(loop_conv)
    assert verdict.passed
    assert verdict.line == ("✓ conv2d: 7 cases match, the slide's 5x5 image and 3x3 kernel "
                            "(51 at the top left) included")


@pytest.mark.parametrize(("wrong", "case"), [
    (no_stride, "stride 2 on 7x7"),
    (no_padding, "padding 1"),
    (square_only, "a non-square 6x8 image"),
    (ceil_size, "stride 2 on 8x8, whose last row the stride skips"),
    (flipped, "the slide's 5x5 image"),
])
def test_wrong_convolutions_are_named_by_their_first_failing_case(wrong, case):
    verdict = byhand.verify_conv2d(wrong)
    assert not verdict.passed
    assert verdict.line.startswith(f"✗ conv2d: {case}")
    assert "expected" in verdict.line and "got" in verdict.line and "\n" not in verdict.line


def test_an_open_exercise_is_not_implemented_yet(capsys):
    def open_exercise(x, w, stride=1, padding=0):
        # YOUR CODE HERE
        raise NotImplementedError()

    byhand.check_conv2d(open_exercise)
    assert capsys.readouterr().out == (
        "✗ conv2d: not implemented yet (replace `raise NotImplementedError()` with your code)\n")


def test_a_crash_shows_the_students_own_line():
    def crashes(x, w, stride=1, padding=0):
        out = np.zeros((3, 3))
        out[5, 5] = 1  # the student's bug
        return out

    line = byhand.verify_conv2d(crashes).line
    assert line.startswith("✗ conv2d: on the slide's 5x5 image")
    assert "IndexError" in line and "out[5, 5] = 1  # the student's bug" in line
    assert "checks.py" not in line


def volume_loop(x, w, stride=1, padding=0):
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    return sum(loop_conv(x[c], w[c], stride) for c in range(x.shape[0]))


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda x, w, s=1, p=0: loop_conv(x[0], w[0], s, p), "a 3-channel 7x7 volume"),
    (lambda x, w, s=1, p=0: volume_loop(np.pad(x, ((1, 1), (0, 0), (0, 0))) if p else x,
                                        np.pad(w, ((1, 1), (0, 0), (0, 0))) if p else w, s, 0),
     "5 channels, stride 2, padding 1"),
    (lambda x, w, s=1, p=0: volume_loop(x, w[::-1], s, p), "a 3-channel 7x7 volume"),
])
def test_wrong_volume_convolutions_are_rejected(wrong, case):
    assert byhand.verify_conv_volume(volume_loop).passed
    verdict = byhand.verify_conv_volume(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ conv over a volume: {case}")


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda x, w: loop_conv(x, w), "the slide's image and kernel"),
    (lambda x, w: loop_conv(x, w.T), "the slide's image and kernel"),
    (lambda x, w: loop_conv(x, w[::-1]), "the slide's image and kernel"),
])
def test_a_convolution_without_the_full_flip_is_rejected(wrong, case):
    assert byhand.verify_true_convolution(lambda x, w: loop_conv(x, w[::-1, ::-1])).passed
    verdict = byhand.verify_true_convolution(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ true convolution: {case}")


def loop_pool(x, f, s, reduce=np.max):
    rows, cols = (x.shape[0] - f) // s + 1, (x.shape[1] - f) // s + 1
    return np.array([[reduce(x[i * s:i * s + f, j * s:j * s + f]) for j in range(cols)]
                     for i in range(rows)])


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda x, f, s: loop_pool(x, f, f), "AlexNet's overlapping 3x3 stride 2"),
    (lambda x, f, s: np.maximum(loop_pool(x, f, s), 0), "a 1x1 window (F = 1)"),
    (lambda x, f, s: loop_pool(x, f, s, np.mean), "the slide's 4x4 input"),
    (lambda x, f, s: loop_pool(x[:, :x.shape[0]], f, s), "a non-square 4x6 input"),
])
def test_wrong_max_pools_are_rejected(wrong, case):
    assert byhand.verify_max_pool(loop_pool).passed
    verdict = byhand.verify_max_pool(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ max pooling: {case}")


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda x, f, s: loop_pool(x, f, s, np.max), "the slide's 4x4 input"),
    (lambda x, f, s: loop_pool(x, f, s, np.sum), "the slide's 4x4 input"),
    (lambda x, f, s: loop_pool(x, f, f, np.mean), "AlexNet's overlapping 3x3 stride 2"),
])
def test_wrong_average_pools_are_rejected(wrong, case):
    assert byhand.verify_avg_pool(lambda x, f, s: loop_pool(x, f, s, np.mean)).passed
    verdict = byhand.verify_avg_pool(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ average pooling: {case}")


def right_size(n, f, s, p):
    if (n - f + 2 * p) % s:
        raise ValueError("doesn't fit")
    return (n - f + 2 * p) // s + 1


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda n, f, s, p: (n - f + 2 * p) // s + 1, "7x7, 3x3, stride 3: doesn't fit"),
    (lambda n, f, s, p: right_size(n, f, s, p // 2) if p else right_size(n, f, s, 0),
     "32x32, 5x5, padding 2"),
    (lambda n, f, s, p: (n - f + 2 * p) / s + 1, "the slide's 7x7 input"),  # 5.0, a float
    (lambda n, f, s, p: (n - f) // s, "the slide's 7x7 input"),
])
def test_wrong_output_sizes_are_rejected(wrong, case):
    assert byhand.verify_output_size(right_size).passed
    verdict = byhand.verify_output_size(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ output size: {case}")
    if "doesn't fit" in case:
        assert "expected a ValueError to be raised" in verdict.line


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda f: f // 2 + 1, "F = 3"), (lambda f: f - 1, "F = 3"), (lambda f: (f - 1) / 2 + 0.5,
                                                                   "F = 3"),
])
def test_wrong_same_paddings_are_rejected(wrong, case):
    assert byhand.verify_same_padding(lambda f: (f - 1) // 2).passed
    verdict = byhand.verify_same_padding(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ same padding: {case}")


@pytest.mark.parametrize(("wrong", "case"), [
    (lambda f, d, k: f * f * d * k, "the slide's ten 5x5 filters"),
    (lambda f, d, k: (f * f + 1) * k, "the slide's ten 5x5 filters"),
    (lambda f, d, k: (f * f * d + 1) * k if d > 1 else f * f * k, "3x3 filters on 1 channel"),
])
def test_wrong_parameter_counts_are_rejected(wrong, case):
    assert byhand.verify_conv_params(lambda f, d, k: (f * f * d + 1) * k).passed
    verdict = byhand.verify_conv_params(wrong)
    assert not verdict.passed and verdict.line.startswith(f"✗ conv parameters: {case}")


def test_the_references_pass_their_own_checks():
    assert byhand.verify_conv2d(lambda x, w, s, p: ops.conv2d(x, w, stride=s, padding=p)).passed
    assert byhand.verify_output_size(geometry.conv_output_size).passed
    assert byhand.verify_conv_params(geometry.conv_params).passed


def test_short_keeps_a_verdict_on_one_line():
    text = checks.short(np.arange(400.0).reshape(20, 20))
    assert "\n" not in text and len(text) <= 70 and text.endswith("...")
