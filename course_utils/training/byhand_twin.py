"""Notebook 08's cross-check: the NumPy CNN of ``byhand.numpy_cnn`` as a PyTorch module with the
same weights, trained on the same mini-batches with the same SGD, in float64.

If the by-hand backward passes are right, the two loss curves coincide (to about 1e-10): PyTorch's
autograd computes the same gradients without a line of backward code.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.byhand.numpy_cnn import batch_order

__all__ = ["torch_twin", "train_twin"]


def torch_twin(params: dict[str, np.ndarray]) -> nn.Sequential:
    """conv 3x3 pad 1 -> ReLU -> max pool 2 -> flatten -> linear, float64, ``params``' weights
    (the linear weight transposed: NumPy's is (inputs, outputs), PyTorch's (outputs, inputs))."""
    channels = len(params["conv_b"])
    model = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(channels * 14 * 14, 10)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["conv_w"]))
        model[0].bias.copy_(torch.from_numpy(params["conv_b"]))
        model[4].weight.copy_(torch.from_numpy(params["fc_w"].T))
        model[4].bias.copy_(torch.from_numpy(params["fc_b"]))
    return model


def train_twin(params: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray, *,
               epochs: int = 1, batch_size: int = 50, lr: float = 0.01,
               seed: int = 0) -> list[float]:
    """``numpy_cnn.train``'s run in PyTorch (same start, batches, SGD); the loss of every step."""
    model = torch_twin(params)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    losses = []
    for index in batch_order(len(images), epochs, batch_size, seed):
        index = torch.from_numpy(index)
        loss = F.cross_entropy(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
