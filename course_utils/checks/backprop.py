"""The checks of notebook 08's exercises: the numerical gradient, the conv layer's backward pass
(one channel, then a batch of volumes) and max pooling's backward pass.

Each compares the student's gradients with ``byhand.backprop`` (itself checked against
PyTorch's autograd in the tests) on the slide's image first, then on seeded cases with stride,
padding, several channels and overlapping windows, and names the wrong gradient and the case:
"✗ conv backward: stride 2 on 7x7: ...; dw wrong: first difference at ...". The known mistakes
below each bring their own hint.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.byhand import backprop
from course_utils.checks import verdict
from course_utils.checks.answers import as_array, as_arrays
from course_utils.checks.byhand import SLIDE_IMAGE, SLIDE_KERNEL, SLIDE_POOL_INPUT
from course_utils.checks.verdict import Case, Check, Mistake, Verdict, report

__all__ = [
    "CONV_BACKWARD_MISTAKES", "NUMERICAL_GRADIENT_MISTAKES", "POOL_BACKWARD_MISTAKES",
    "check_conv_backward", "check_conv_backward_single", "check_max_pool_backward",
    "check_numerical_gradient", "conv_backward_check", "conv_backward_single_check", "conv_case",
    "max_pool_backward_check", "numerical_gradient_check", "pool_case", "square_of_sum",
    "sum_of_cubes", "sum_of_squares", "verify_conv_backward", "verify_conv_backward_single",
    "verify_max_pool_backward", "verify_numerical_gradient", "wavy", "yours_or_reference",
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# --- the numerical gradient: my_numerical_gradient(f, x, h=1e-5) -> grad ---------------------

def sum_of_squares(x):
    """f(x) = sum(x²): a test function of the numerical-gradient check (gradient 2x)."""
    return float(np.sum(x ** 2))


def sum_of_cubes(x):
    """f(x) = sum(x³): a test function of the numerical-gradient check (gradient 3x²)."""
    return float(np.sum(x ** 3))


def wavy(x):
    """f(x) = sum(sin(3x) x): a test function of the numerical-gradient check."""
    return float(np.sum(np.sin(3 * x) * x))


def square_of_sum(x):
    """f(x) = (sum x)²: a test function whose gradient couples every entry."""
    return float(np.sum(x) ** 2)


def _numeric(f, x, h=1e-5, *, central=True, divide=2, restore=True):
    grad = np.zeros(np.shape(x))
    for index in np.ndindex(np.shape(x)):
        kept = x[index]
        x[index] = kept + h
        plus = f(x)
        x[index] = kept - h if central else kept
        other = f(x)
        if restore:
            x[index] = kept
        grad[index] = (plus - other) / (divide * h if central else h)
    return grad


NUMERICAL_GRADIENT_MISTAKES = [
    Mistake(lambda f, x, h=1e-5: _numeric(f, x, h, central=False),
            "use central differences (f(x + h) - f(x - h)) / 2h: their error shrinks like h^2, "
            "a forward difference's only like h"),
    Mistake(lambda f, x, h=1e-5: _numeric(f, x, h, divide=1),
            "the two points x - h and x + h are 2h apart: divide by 2h"),
    Mistake(lambda f, x, h=1e-5: _numeric(f, x, h, restore=False),
            "put x[i] back to its value after each entry, or every later entry is measured at a "
            "shifted point"),
]


def numerical_gradient_check() -> Check:
    """Central differences for every entry of x, of any shape; x restored after each entry."""
    cases = [
        Case("f(x) = sum(x**2) at x = [1, -2, 3] (-> [2, -4, 6])",
             (sum_of_squares, np.array([1.0, -2.0, 3.0]))),
        Case("f(x) = sum(x**3) on a 3x4 array (every entry, any shape)",
             (sum_of_cubes, _rng(80).normal(size=(3, 4)))),
        Case("f(x) = sum(sin(3x) * x) on a 2x2x3 array", (wavy, _rng(81).normal(size=(2, 2, 3)))),
        Case("f(x) = (sum of x)^2: every entry's derivative depends on all the others",
             (square_of_sum, _rng(82).normal(size=(2, 3)))),
    ]
    return Check("numerical gradient", backprop.numerical_gradient, cases,
                 mistakes=NUMERICAL_GRADIENT_MISTAKES)


def verify_numerical_gradient(student: Callable) -> Verdict:
    """:func:`numerical_gradient_check` run on ``student``."""
    return numerical_gradient_check().verify(student)


def check_numerical_gradient(student: Callable) -> None:
    """Notebook 08, section 1."""
    report(verify_numerical_gradient(student))


# --- the conv layer's backward pass ---------------------------------------------------------

def _conv_backward(dout, x, w, stride=1, padding=0, *, db_mean=False, use_stride=True,
                   crop=True, overwrite=False, first_image=False):
    """``backprop.conv_backward`` with one slip switched on (batch shapes)."""
    f, step = w.shape[2], stride if use_stride else 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r, c = slice(i * step, i * step + f), slice(j * step, j * step + f)
            images = slice(0, 1) if first_image else slice(None)
            part = np.tensordot(dout[images, :, i, j], xp[images, :, r, c], axes=([0], [0]))
            dw = part if overwrite else dw + part
            dxp[:, :, r, c] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if crop else dxp
    db = dout.mean(axis=(0, 2, 3)) if db_mean else dout.sum(axis=(0, 2, 3))
    return dx, dw, db


def _single(slip: dict):
    def wrong(dout, x, w, stride=1, padding=0):
        dx, dw, db = _conv_backward(dout[None, None], x[None, None], w[None, None], stride,
                                    padding, **slip)
        return dx[0, 0], dw[0, 0], float(db[0])
    return wrong


def _batch(slip: dict):
    return lambda dout, x, w, stride=1, padding=0: _conv_backward(dout, x, w, stride, padding,
                                                                  **slip)


_CONV_SLIPS = [
    ({"db_mean": True}, "db sums dout over every position (and image): one bias served them all"),
    ({"use_stride": False}, "output (i, j) came from the window at (i*S, j*S): step by the "
                            "stride when you send the gradient back"),
    ({"crop": False}, "dx has the input's shape: cut the padding off (dx_padded[..., P:-P, P:-P])"),
    ({"overwrite": True}, "every position adds to dw (+=): the same weights served all of them"),
]
CONV_BACKWARD_MISTAKES = {
    "single": [Mistake(_single(slip), hint) for slip, hint in _CONV_SLIPS],
    "batch": [Mistake(_batch(slip), hint) for slip, hint in _CONV_SLIPS] + [
        Mistake(_batch({"first_image": True}), "dw sums over every image of the batch")],
}


def conv_case(label, seed, n, c, h, w, k, f, stride, padding, single=False):
    """A seeded conv-backward case: inputs (dout, x, w, stride, padding) of the given sizes
    (``single``: one image and channel as 2-D arrays); used by the check and the grader."""
    rng = _rng(seed)
    x, weights = rng.integers(-3, 4, (n, c, h, w)).astype(float), rng.normal(size=(k, c, f, f))
    out_shape = backprop.conv_forward(x, weights, np.zeros(k), stride, padding).shape
    dout = rng.integers(-2, 3, out_shape).astype(float)
    if single:
        return Case(label, (dout[0, 0], x[0, 0], weights[0, 0], stride, padding))
    return Case(label, (dout, x, weights, stride, padding))


def conv_backward_single_check() -> Check:
    """dx, dw, db of one image and one filter: (dout, x, w, stride, padding)."""
    rng = _rng(90)
    cases = [
        Case("the slide's 5x5 image and 3x3 kernel, dout all ones",
             (np.ones((3, 3)), SLIDE_IMAGE, SLIDE_KERNEL, 1, 0)),
        Case("the slide's image, dout with a single 1 at (0, 0)",
             (np.pad([[1.0]], ((0, 2), (0, 2))), SLIDE_IMAGE, SLIDE_KERNEL, 1, 0)),
        conv_case("a non-square 6x8 image", 91, 1, 1, 6, 8, 1, 3, 1, 0, single=True),
        conv_case("stride 2 on 7x7", 92, 1, 1, 7, 7, 1, 3, 2, 0, single=True),
        conv_case("padding 1 on 5x5", 93, 1, 1, 5, 5, 1, 3, 1, 1, single=True),
        Case("a 1x1 kernel", (rng.normal(size=(4, 5)), rng.normal(size=(4, 5)),
                              rng.normal(size=(1, 1)), 1, 0)),
    ]
    return Check("conv backward (one channel)", backprop.conv_backward_single, cases,
                 answer=as_arrays("dx", "dw", "db"), parts=("dx", "dw", "db"),
                 mistakes=CONV_BACKWARD_MISTAKES["single"])


def verify_conv_backward_single(student: Callable) -> Verdict:
    """:func:`conv_backward_single_check` run on ``student``."""
    return conv_backward_single_check().verify(student)


def check_conv_backward_single(student: Callable) -> None:
    """Notebook 08, section 2."""
    report(verify_conv_backward_single(student))


def conv_backward_check() -> Check:
    """dx, dw, db of a batch of volumes and K filters: (dout, x, w, stride, padding)."""
    cases = [
        conv_case("2 images, 3 channels, 4 filters, 5x5, 3x3", 100, 2, 3, 5, 5, 4, 3, 1, 0),
        conv_case("stride 2 on 7x7", 101, 2, 2, 7, 7, 3, 3, 2, 0),
        conv_case("padding 1, non-square 6x8", 102, 3, 2, 6, 8, 2, 3, 1, 1),
        conv_case("stride 2 and padding 2, 5x5 filters on 9x7", 103, 2, 2, 9, 7, 3, 5, 2, 2),
        conv_case("one image, one channel, one filter", 104, 1, 1, 5, 5, 1, 3, 1, 0),
    ]
    return Check("conv backward", backprop.conv_backward, cases,
                 answer=as_arrays("dx", "dw", "db"), parts=("dx", "dw", "db"),
                 mistakes=CONV_BACKWARD_MISTAKES["batch"])


def verify_conv_backward(student: Callable) -> Verdict:
    """:func:`conv_backward_check` run on ``student``."""
    return conv_backward_check().verify(student)


def check_conv_backward(student: Callable) -> None:
    """Notebook 08, section 3."""
    report(verify_conv_backward(student))


# --- max pooling's backward pass ------------------------------------------------------------

def _pool_backward(dout, x, f=2, stride=2, *, everywhere=False, average=False, overwrite=False):
    dx = np.zeros(np.shape(x))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r, c = slice(i * stride, i * stride + f), slice(j * stride, j * stride + f)
            window = x[:, :, r, c]
            share = dout[:, :, i, j][:, :, None, None]
            if average:
                part = np.broadcast_to(share / (f * f), window.shape)
            elif everywhere:
                part = np.broadcast_to(share, window.shape)
            else:
                flat = window.reshape(*window.shape[:2], -1)
                part = (np.arange(flat.shape[2]) == flat.argmax(axis=2)[..., None]).reshape(
                    window.shape) * share
            if overwrite:
                dx[:, :, r, c] = np.where(part != 0, part, dx[:, :, r, c])
            else:
                dx[:, :, r, c] += part
    return dx


POOL_BACKWARD_MISTAKES = [
    Mistake(lambda dout, x, f=2, stride=2: _pool_backward(dout, x, f, stride, everywhere=True),
            "only the maximum of each window reached the output: the others get 0"),
    Mistake(lambda dout, x, f=2, stride=2: _pool_backward(dout, x, f, stride, average=True),
            "that is average pooling's backward; max pooling sends all of dout to the maximum"),
    Mistake(lambda dout, x, f=2, stride=2: _pool_backward(dout, x, f, stride, overwrite=True),
            "overlapping windows can share a maximum: add their gradients (+=), don't overwrite"),
]


def pool_case(label, seed, shape, f, stride, repeat_max=False):
    """A seeded max-pool-backward case without ties (``repeat_max``: one maximum shared by two
    overlapping windows); used by the check and the grader."""
    rng = _rng(seed)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(float)  # no ties
    if repeat_max:  # one large value in the overlap of two windows
        x[..., 2, 2] = 100.0
    rows = (shape[2] - f) // stride + 1
    cols = (shape[3] - f) // stride + 1
    return Case(label, (rng.integers(1, 5, shape[:2] + (rows, cols)).astype(float), x, f,
                        stride))


def max_pool_backward_check() -> Check:
    """dx of max pooling: (dout, x, f, stride)."""
    cases = [
        Case("the slide's 4x4 input, 2x2 stride 2, dout [[1, 2], [3, 4]]",
             (np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), SLIDE_POOL_INPUT[None, None], 2, 2)),
        pool_case("2 images, 3 channels, 2x2 stride 2 on 6x6", 110, (2, 3, 6, 6), 2, 2),
        pool_case("AlexNet's overlapping 3x3 stride 2 on 7x7", 111, (1, 2, 7, 7), 3, 2),
        pool_case("overlapping 3x3 stride 2 sharing one maximum", 112, (1, 1, 5, 5), 3, 2,
                   repeat_max=True),
        pool_case("a non-square 4x6 input", 113, (2, 1, 4, 6), 2, 2),
    ]
    return Check("max pool backward", backprop.max_pool_backward, cases, answer=as_array,
                 mistakes=POOL_BACKWARD_MISTAKES)


def verify_max_pool_backward(student: Callable) -> Verdict:
    """:func:`max_pool_backward_check` run on ``student``."""
    return max_pool_backward_check().verify(student)


def check_max_pool_backward(student: Callable) -> None:
    """Notebook 08, section 4."""
    report(verify_max_pool_backward(student))


_EXERCISES = {
    "numerical gradient": (verify_numerical_gradient, backprop.numerical_gradient),
    "conv backward (one channel)": (verify_conv_backward_single, backprop.conv_backward_single),
    "conv backward": (verify_conv_backward, backprop.conv_backward),
    "max pool backward": (verify_max_pool_backward, backprop.max_pool_backward),
}


def yours_or_reference(student: Callable, exercise: str) -> Callable:
    """The student's function once its check passes, else the reference (so the notebook runs
    to the end with the exercise still open); says which. ``exercise``: a key of the checks
    above ("conv backward", ...). Notebook 08."""
    verify_exercise, reference = _EXERCISES[exercise]
    return verdict.yours_or_reference(student, verify_exercise, reference, exercise)
