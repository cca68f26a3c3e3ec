"""The PyTorch modules of the composite layers in ``course_utils.architectures.network``.

Kept apart so that the table arithmetic imports no torch: ``architectures`` imports this module
only when a spec is turned into an ``nn.Module``.
"""

from __future__ import annotations

import torch
from torch import nn


class ConcatBlock(nn.Module):
    """GoogLeNet's inception module: branches on the same input, concatenated along channels.

    forward: x (batch, C, H, W) -> (batch, C_1 + C_2 + ..., H, W).
    The GoogLeNet slide's 'Inception module'; notebook 04 (``to_torch`` of a ``Concat``).
    """

    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class ResidualBlock(nn.Module):
    """ResNet's block, act(body(x) + shortcut(x)): with a zero body it passes x >= 0 through.

    forward: x (batch, C, H, W) -> body(x)'s shape (batch, C2, H2, W2).
    The ResNet slides (skip connections); notebook 04, the ResNet section (the zero block).
    """

    def __init__(self, body, shortcut, act):
        super().__init__()
        self.body, self.shortcut, self.act = body, shortcut, act

    def forward(self, x):
        return self.act(self.body(x) + self.shortcut(x))


__all__ = [
    "ConcatBlock", "ResidualBlock",
]
