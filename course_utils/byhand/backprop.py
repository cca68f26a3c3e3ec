"""Backpropagation by hand (notebook 08): each layer's forward and backward pass side by side,
in NumPy, and the numerical gradient that checks them.

Shapes follow PyTorch: images (N, C, H, W), conv filters (K, C, F, F), biases (K,). Every
backward takes the upstream gradient ``dout`` (the loss's gradient with respect to the layer's
output, same shape as the output) and the forward's inputs, and returns the loss's gradient
with respect to each input: the chain rule, one layer at a time. The sizes come from
``geometry.output_geometry`` (floored, as frameworks do). PyTorch's autograd cross-checks every
function here in tests/test_backprop.py and in notebook 08.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.byhand.geometry import output_geometry

__all__ = [
    "conv_backward", "conv_backward_single", "conv_forward", "linear_backward",
    "linear_forward", "max_pool_backward", "max_pool_forward", "numerical_gradient",
    "relu_backward", "relu_forward", "softmax_cross_entropy",
]


def _padded(x: np.ndarray, padding: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _out_size(x: np.ndarray, f: int, stride: int, padding: int) -> tuple[int, int]:
    return (output_geometry(x.shape[2], f, stride, padding).size,
            output_geometry(x.shape[3], f, stride, padding).size)


def conv_forward(x, w, b, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The conv layer: every filter's dot product with every window, plus its bias.

    x (N, C, H, W), w (K, C, F, F), b (K,) -> out (N, K, H2, W2), H2 = (H - F + 2P)//S + 1.
    Notebook 08, section 2 (notebook 01 computes the same for one image and one filter).
    """
    f = w.shape[2]
    rows, cols = _out_size(x, f, stride, padding)
    xp = _padded(np.asarray(x, float), padding)
    out = np.empty((x.shape[0], w.shape[0], rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = xp[:, :, i * stride:i * stride + f, j * stride:j * stride + f]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv_backward(dout, x, w, stride: int = 1, padding: int = 0):
    """The conv layer's backward: each output value sent its gradient back along the products
    that made it.

    out[n, k, i, j] = sum(window(n, i, j) * w[k]) + b[k], so
    dw[k] += dout[n, k, i, j] * window(n, i, j); dx[window(n, i, j)] += dout[n, k, i, j] * w[k];
    db[k] = sum of dout[:, k].
    dout (N, K, H2, W2), x (N, C, H, W), w (K, C, F, F) -> dx (N, C, H, W), dw (K, C, F, F),
    db (K,). Notebook 08, section 3.
    """
    f = w.shape[2]
    rows, cols = dout.shape[2], dout.shape[3]
    xp = _padded(np.asarray(x, float), padding)
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    for i in range(rows):
        for j in range(cols):
            r, c = slice(i * stride, i * stride + f), slice(j * stride, j * stride + f)
            dw += np.tensordot(dout[:, :, i, j], xp[:, :, r, c], axes=([0], [0]))
            dxp[:, :, r, c] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def conv_backward_single(dout, x, w, stride: int = 1, padding: int = 0):
    """``conv_backward`` for one image and one filter, the convolution slide's case.

    dout (H2, W2), x (H, W), w (F, F) -> dx (H, W), dw (F, F), db (a float).
    Notebook 08, section 2.
    """
    dx, dw, db = conv_backward(np.asarray(dout, float)[None, None], np.asarray(x)[None, None],
                               np.asarray(w, float)[None, None], stride, padding)
    return dx[0, 0], dw[0, 0], float(db[0])


def max_pool_forward(x, f: int = 2, stride: int = 2) -> np.ndarray:
    """Max pooling: the largest value of every f x f window, per map.

    x (N, C, H, W) -> out (N, C, H2, W2). Notebook 08, section 4 (notebook 02 by hand).
    """
    rows, cols = _out_size(x, f, stride, 0)
    out = np.empty(x.shape[:2] + (rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + f,
                                j * stride:j * stride + f].max(axis=(2, 3))
    return out


def max_pool_backward(dout, x, f: int = 2, stride: int = 2) -> np.ndarray:
    """Max pooling's backward: each window's gradient goes to the position of its maximum (the
    first, on a tie), and overlapping windows add up.

    dout (N, C, H2, W2), x (N, C, H, W) -> dx (N, C, H, W). Notebook 08, section 4.
    """
    x = np.asarray(x, float)
    dx = np.zeros_like(x)
    n, c = np.indices(x.shape[:2])
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + f, j * stride:j * stride + f]
            first = window.reshape(*x.shape[:2], -1).argmax(axis=2)
            dx[n, c, i * stride + first // f, j * stride + first % f] += dout[:, :, i, j]
    return dx


def relu_forward(x) -> np.ndarray:
    """max(0, x). Any shape. Notebook 08, section 5."""
    return np.maximum(x, 0)


def relu_backward(dout, x) -> np.ndarray:
    """The gradient passes where the input was positive. Any shape. Notebook 08, section 5."""
    return dout * (x > 0)


def linear_forward(x, w, b) -> np.ndarray:
    """A fully connected layer: x (N, D), w (D, M), b (M,) -> (N, M). Notebook 08, section 5."""
    return x @ w + b


def linear_backward(dout, x, w):
    """dout (N, M), x (N, D), w (D, M) -> dx (N, D), dw (D, M), db (M,). Notebook 08,
    section 5."""
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of the softmax, and its gradient (softmax - one-hot) / N.

    logits (N, classes), labels (N,) ints -> (loss: float, dlogits (N, classes)).
    Notebook 08, section 5 (PyTorch's F.cross_entropy on logits).
    """
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp of large logits overflows
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), dlogits / n


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Central differences: (f(x + h e_i) - f(x - h e_i)) / 2h for every entry i of x.

    f: array -> float; x: any shape (changed in place during the call, restored after each
    entry) -> grad, x's shape. Its error shrinks like h^2 (forward differences: like h).
    Notebook 08, section 1.
    """
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        kept = x[index]
        x[index] = kept + h
        plus = f(x)
        x[index] = kept - h
        minus = f(x)
        x[index] = kept
        grad[index] = (plus - minus) / (2 * h)
    return grad
