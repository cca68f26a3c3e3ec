"""A small CNN written with notebook 08's layers, trained in NumPy with plain SGD.

conv 3x3 (1 -> 8 maps, padding 1) -> ReLU -> max pool 2x2/2 -> fully connected (8*14*14 -> 10)
-> softmax cross-entropy. ``train`` takes the conv and pooling backward passes as arguments,
so notebook 08 trains it with the student's own. Everything float64, so that PyTorch, given the
same weights and batches (``training.byhand_twin``), follows the same curve.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.byhand import backprop

__all__ = ["CHANNELS", "accuracy", "batch_order", "forward_backward", "init_params", "train"]

CHANNELS = 8  # conv maps: small enough for seconds per epoch on one CPU core


def init_params(seed: int = 0, channels: int = CHANNELS) -> dict[str, np.ndarray]:
    """He-normal conv weights (std sqrt(2 / fan_in)), small fully connected weights, zero
    biases: conv_w (K, 1, 3, 3), conv_b (K,), fc_w (K*14*14, 10), fc_b (10,).
    Notebook 08, section 5."""
    rng = np.random.default_rng(seed)
    fan_fc = channels * 14 * 14
    return {"conv_w": rng.normal(0, np.sqrt(2 / 9), (channels, 1, 3, 3)),
            "conv_b": np.zeros(channels),
            # a tenth of the usual scale: the first predictions are near uniform (loss ~ ln 10)
            "fc_w": rng.normal(0, 0.1 * np.sqrt(1 / fan_fc), (fan_fc, 10)),
            "fc_b": np.zeros(10)}


def _forward(params, images):
    conv = backprop.conv_forward(images, params["conv_w"], params["conv_b"], 1, 1)
    relu = backprop.relu_forward(conv)
    pooled = backprop.max_pool_forward(relu, 2, 2)
    flat = pooled.reshape(len(images), -1)
    return conv, relu, pooled, flat, backprop.linear_forward(flat, params["fc_w"], params["fc_b"])


def forward_backward(params: dict, images: np.ndarray, labels: np.ndarray,
                     conv_backward: Callable = backprop.conv_backward,
                     pool_backward: Callable = backprop.max_pool_backward):
    """The loss of one batch and its gradient for every parameter, layer by layer backwards.

    images (N, 1, 28, 28), labels (N,) -> (loss: float, grads: dict like ``params``).
    Notebook 08, section 5.
    """
    conv, relu, pooled, flat, logits = _forward(params, images)
    loss, dlogits = backprop.softmax_cross_entropy(logits, labels)
    dflat, dfc_w, dfc_b = backprop.linear_backward(dlogits, flat, params["fc_w"])
    drelu = pool_backward(dflat.reshape(pooled.shape), relu, 2, 2)
    dconv = backprop.relu_backward(drelu, conv)
    _, dconv_w, dconv_b = conv_backward(dconv, images, params["conv_w"], 1, 1)
    return loss, {"conv_w": dconv_w, "conv_b": dconv_b, "fc_w": dfc_w, "fc_b": dfc_b}


def batch_order(n: int, epochs: int, batch_size: int, seed: int = 0) -> list[np.ndarray]:
    """The image indices of every mini-batch, a fresh seeded shuffle per epoch: a list of
    int arrays. Notebook 08, section 5 (PyTorch's twin reads the same batches)."""
    rng = np.random.default_rng(seed)
    return [order[start:start + batch_size] for _ in range(epochs)
            for order in [rng.permutation(n)] for start in range(0, n, batch_size)]


def train(params: dict, images: np.ndarray, labels: np.ndarray, *, epochs: int = 1,
          batch_size: int = 50, lr: float = 0.01, seed: int = 0,
          conv_backward: Callable = backprop.conv_backward,
          pool_backward: Callable = backprop.max_pool_backward, progress=None) -> list[float]:
    """Plain SGD (w -= lr * dw) on ``params`` in place; the loss of every step.

    ``progress``: called with (step, steps, loss) after each step (a progress bar).
    Notebook 08, section 5.
    """
    batches = batch_order(len(images), epochs, batch_size, seed)
    losses = []
    for step, index in enumerate(batches, 1):
        loss, grads = forward_backward(params, images[index], labels[index], conv_backward,
                                       pool_backward)
        for name, grad in grads.items():
            params[name] -= lr * grad
        losses.append(loss)
        if progress is not None:
            progress(step, len(batches), loss)
    return losses


def accuracy(params: dict, images: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of ``images`` whose largest logit is the label. Notebook 08, section 5."""
    return float((_forward(params, images)[-1].argmax(axis=1) == labels).mean())
