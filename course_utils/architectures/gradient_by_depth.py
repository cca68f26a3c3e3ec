"""Why ResNet adds shortcuts (notebook 04): the gradient that reaches the first layer of a deep
stack of tanh layers, with and without identity shortcuts."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["INITS", "first_layer_gradient", "gradient_by_depth"]


INITS = ("default", "xavier")


def first_layer_gradient(depth: int, *, residual: bool, width: int = 32, batch: int = 64,
                         seed: int = 0, init: str = "default") -> float:
    """Norm of the loss gradient reaching the FIRST layer's weights of ``depth`` tanh blocks.

    Each block is ``tanh(Linear(h))`` with PyTorch's default init (``init="default"``) or
    Glorot & Bengio's ("xavier": normal, variance 2/(n_in + n_out) times tanh's gain 5/3
    squared, zero biases), which keeps the signal's scale through tanh layers; the plain stack
    feeds it on
    (``h = block(h)``), the residual stack adds it to its input (``h = h + block(h)``), so the
    gradient has the shortcut's identity path back to layer 1. Same seed, same weights, same data.

    depth, width, batch, seed: ints (data: (batch, width) inputs and targets) -> float, the
    norm of the first layer's (width, width) weight gradient.
    Slide 'ResNet: Two reasons to use skip connection' ("alternate shortcut path for
    gradient"); notebook 04, the ResNet section.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = [nn.Linear(width, width) for _ in range(depth)]
        if init == "xavier":
            for layer in layers:
                nn.init.xavier_normal_(layer.weight, gain=nn.init.calculate_gain("tanh"))
                nn.init.zeros_(layer.bias)
    x = torch.randn(batch, width, generator=gen)
    target = torch.randn(batch, width, generator=gen)
    h = x
    for layer in layers:
        out = torch.tanh(layer(h))
        h = h + out if residual else out
    loss = nn.functional.mse_loss(h, target)
    loss.backward()
    return layers[0].weight.grad.norm().item()


def gradient_by_depth(depths, **kwargs) -> dict[str, list[float]]:
    """``first_layer_gradient`` for each depth, plain and residual: ``{"plain": [...], ...}``.

    depths: sequence of ints -> {"plain": list[float], "residual": list[float]}, len(depths) each.
    Notebook 04, the ResNet section's plot; slide 'ResNet: Two reasons to use skip connection'.
    """
    return {kind: [first_layer_gradient(d, residual=kind == "residual", **kwargs) for d in depths]
            for kind in ("plain", "residual")}
