"""Notebook 08's checks: correct backward passes written the way a student would pass; every
known mistake (at least three per exercise) fails with exactly its hint; the wrong gradient and
the case are named."""

import numpy as np
import pytest

from course_utils.byhand import backprop
from course_utils.checks import backprop as checks

MISTAKE_LISTS = {
    "numerical gradient": (checks.verify_numerical_gradient, checks.NUMERICAL_GRADIENT_MISTAKES),
    "conv single": (checks.verify_conv_backward_single, checks.CONV_BACKWARD_MISTAKES["single"]),
    "conv batch": (checks.verify_conv_backward, checks.CONV_BACKWARD_MISTAKES["batch"]),
    "max pool": (checks.verify_max_pool_backward, checks.POOL_BACKWARD_MISTAKES),
}


@pytest.mark.parametrize(("check", "mistake"), [
    pytest.param(check, m, id=f"{name}-{i}") for name, (check, found) in MISTAKE_LISTS.items()
    for i, m in enumerate(found)])
def test_every_wrong_backward_pass_gets_exactly_its_hint(check, mistake):
    verdict = check(mistake.wrong)
    assert not verdict.passed and verdict.line.endswith(f"Hint: {mistake.hint}"), verdict.line


@pytest.mark.parametrize("name", list(MISTAKE_LISTS))
def test_at_least_three_wrong_implementations_per_exercise(name):
    assert len(MISTAKE_LISTS[name][1]) >= 3


def student_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def student_conv_backward_single(dout, x, w, stride=1, padding=0):
    xp = np.pad(x, padding)
    dxp, dw = np.zeros_like(xp, dtype=float), np.zeros_like(w, dtype=float)
    f = w.shape[0]
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = xp[i * stride:i * stride + f, j * stride:j * stride + f]
            dw += dout[i, j] * window
            dxp[i * stride:i * stride + f, j * stride:j * stride + f] += dout[i, j] * w
    dx = dxp[padding:padding + x.shape[0], padding:padding + x.shape[1]]
    return dx, dw, dout.sum()


def student_conv_backward(dout, x, w, stride=1, padding=0):
    n, k = dout.shape[:2]
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(k)
    for image in range(n):
        for f in range(k):
            for c in range(x.shape[1]):
                ddx, ddw, ddb = student_conv_backward_single(dout[image, f], x[image, c],
                                                             w[f, c], stride, padding)
                dx[image, c] += ddx
                dw[f, c] += ddw
            db[f] += dout[image, f].sum()
    return dx, dw, db


def student_max_pool_backward(dout, x, f=2, stride=2):
    dx = np.zeros(x.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * stride:i * stride + f, j * stride:j * stride + f]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]
    return dx


@pytest.mark.parametrize(("check", "student"), [
    (checks.verify_numerical_gradient, student_numerical_gradient),
    (checks.verify_numerical_gradient, backprop.numerical_gradient),
    (checks.verify_conv_backward_single, student_conv_backward_single),
    (checks.verify_conv_backward_single, backprop.conv_backward_single),
    (checks.verify_conv_backward, student_conv_backward),
    (checks.verify_conv_backward, backprop.conv_backward),
    (checks.verify_max_pool_backward, student_max_pool_backward),
    (checks.verify_max_pool_backward, backprop.max_pool_backward),
])
def test_correct_backward_passes_written_by_hand_pass(check, student):
    verdict = check(student)
    assert verdict.passed, verdict.line


def test_the_failing_gradient_and_the_case_are_named():
    def dw_ignores_stride(dout, x, w, stride=1, padding=0):
        dx, _, db = backprop.conv_backward(dout, x, w, stride, padding)
        _, dw, _ = backprop.conv_backward(dout, x, w, 1, padding) if stride == 1 else (
            None, np.zeros(w.shape), None)
        return dx, dw, db

    line = checks.verify_conv_backward(dw_ignores_stride).line
    assert line.startswith("✗ conv backward: stride 2 on 7x7: inputs") and "; dw wrong: " in line
    open_exercise = checks.verify_max_pool_backward(lambda *a: (_ for _ in ()).throw(
        NotImplementedError()))
    assert "not implemented yet" in open_exercise.line
