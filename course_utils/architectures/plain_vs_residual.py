"""The networks of ResNet's degradation experiment, small enough for MNIST on a laptop.

He et al. 2015 (arXiv 1512.03385, Section 4.1, Figure 1 and Figure 4) train plain networks of
18 and 34 layers on ImageNet (20 and 56 on CIFAR-10, Figure 1) and find the deeper one with the
higher *training* error; the same depths with identity shortcuts do not degrade. These are the
same three kinds of network for 28x28 digits: a stem of two stride-2 convs (28 -> 14 -> 7),
``blocks`` blocks of two 3x3 convs with batch norm on 7x7x``width`` maps, global average
pooling and one fully connected layer. Notebook 04 trains them (``training.degradation``).
"""

from __future__ import annotations

from torch import nn

from course_utils.architectures.torch_blocks import ResidualBlock

__all__ = ["plain_or_residual_cnn", "weight_layers"]


def _conv_bn(channels_in: int, channels_out: int, stride: int = 1) -> list[nn.Module]:
    # no conv bias: the batch norm right after it has its own shift (the paper's BN "right
    # after each convolution and before activation")
    return [nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(channels_out)]


def _block(width: int, residual: bool) -> nn.Module:
    """conv-BN-ReLU-conv-BN, then ReLU of (that + x) with a shortcut, or of that alone."""
    body = nn.Sequential(*_conv_bn(width, width), nn.ReLU(), *_conv_bn(width, width))
    if residual:
        return ResidualBlock(body, nn.Identity(), nn.ReLU())
    return nn.Sequential(body, nn.ReLU())


def plain_or_residual_cnn(blocks: int, *, residual: bool, width: int = 16,
                          classes: int = 10) -> nn.Sequential:
    """``2 * blocks + 3`` weight layers; the residual version differs only by its shortcuts.

    forward: images (batch, 1, 28, 28) -> logits (batch, classes).
    blocks: two 3x3 convs each (7x7x``width`` maps); residual: identity shortcut around each.
    Slide 'ResNet' (plain vs residual); notebook 04, "Degradation, trained".
    """
    if blocks < 0:
        raise ValueError(f"blocks must be >= 0, got {blocks}")
    return nn.Sequential(
        *_conv_bn(1, width, stride=2), nn.ReLU(),       # 28x28 -> 14x14
        *_conv_bn(width, width, stride=2), nn.ReLU(),   # 14x14 -> 7x7
        *[_block(width, residual) for _ in range(blocks)],
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))


def weight_layers(model: nn.Module) -> int:
    """How the ResNet paper counts depth: layers with weights (convs and fully connected).

    model: any nn.Module -> int. Notebook 04, "Degradation, trained" (9 and 43 layers).
    """
    return sum(isinstance(m, nn.Conv2d | nn.Linear) for m in model.modules())
