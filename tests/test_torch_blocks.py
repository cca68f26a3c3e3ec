"""course_utils.architectures.torch_blocks: the inception concat and the residual block as PyTorch
modules."""

import pytest
import torch
from torch import nn

from course_utils.architectures.torch_blocks import ConcatBlock, ResidualBlock


def test_concat_block_stacks_its_branches_along_channels():
    block = ConcatBlock([nn.Conv2d(3, 4, 1), nn.Identity(), nn.MaxPool2d(3, 1, 1)])
    x = torch.randn(2, 3, 5, 5)
    out = block(x)
    assert out.shape == (2, 4 + 3 + 3, 5, 5)
    assert torch.equal(out[:, 4:7], x)  # the identity branch sits after the conv's 4 maps


def test_residual_block_adds_the_shortcut_before_the_activation():
    body = nn.Conv2d(2, 2, 3, padding=1)
    block = ResidualBlock(body, nn.Identity(), nn.ReLU())
    x = torch.randn(1, 2, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(block(x), torch.relu(body(x) + x))
        for p in body.parameters():
            p.zero_()
        assert torch.equal(block(x.relu()), x.relu())  # zero body: x >= 0 passes unchanged


def test_the_gradient_reaching_layer_one_vanishes_without_the_shortcut():
    from course_utils.architectures.gradient_by_depth import (
        first_layer_gradient,
        gradient_by_depth,
    )

    grads = gradient_by_depth([1, 10, 30])
    assert grads["plain"][0] > grads["plain"][1] > grads["plain"][2] * 1e3  # shrinks with depth
    assert grads["residual"][2] > 1e6 * grads["plain"][2]
    assert first_layer_gradient(10, residual=True) == grads["residual"][1]  # seeded: repeatable
    state = torch.random.get_rng_state()
    first_layer_gradient(3, residual=False)
    assert torch.equal(torch.random.get_rng_state(), state)  # leaves the global RNG alone


def test_first_layer_gradient_needs_a_layer():
    import pytest

    from course_utils.architectures.gradient_by_depth import first_layer_gradient

    with pytest.raises(ValueError, match="depth"):
        first_layer_gradient(0, residual=True)


def test_xavier_init_keeps_the_plain_stacks_gradient_from_vanishing():
    """What initialisation fixes (notebook 04): with Glorot's init scaled for tanh, 30 plain
    layers still pass a gradient to layer 1; with PyTorch's default they pass almost none."""
    from course_utils.architectures.gradient_by_depth import gradient_by_depth

    default = gradient_by_depth([30])["plain"][0]
    xavier = gradient_by_depth([30], init="xavier")["plain"][0]
    assert default < 1e-6 < 1e-2 < xavier
    with pytest.raises(ValueError, match="init must be one of"):
        gradient_by_depth([3], init="he")
