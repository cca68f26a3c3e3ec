"""Helpers shared by the architecture tests: run a spec's PyTorch module layer by layer."""

import pytest
import torch

from course_utils.architectures.network import Network, layer_table, to_torch


def torch_shape(t: torch.Tensor) -> tuple[int, ...]:
    """NCHW tensor of one image -> the table's (H, W, D); a flat vector stays (N,)."""
    return (t.shape[2], t.shape[3], t.shape[1]) if t.dim() == 4 else tuple(t.shape[1:])


def layer_children(network: Network, model: torch.nn.Sequential) -> list[list[torch.nn.Module]]:
    """The children of ``to_torch(network)`` that each spec layer became, in order.

    A layer is one child named after its table row, or the children its ``torch_names`` name
    (a final softmax left out: the module ends in logits).
    """
    rows = layer_table(network).top
    groups = [[n for n in (layer.torch_names or (row.name,)) if n in model._modules]
              for layer, row in zip(network.layers, rows[1:], strict=True)]
    assert [n for group in groups for n in group] == list(model._modules), "order of children"
    return [[model._modules[n] for n in group] for group in groups]


def _forward_shapes(network: Network, device: str = "cpu") -> list[tuple[int, ...]]:
    """The output shape after every spec layer of to_torch's module, from a real forward."""
    with torch.device(device):
        model = to_torch(network).eval()
        h, w, d = network.input_shape
        x = torch.rand(1, d, h, w)
    shapes = [torch_shape(x)]
    with torch.no_grad():
        for children in layer_children(network, model):
            for child in children:
                x = child(x)
            shapes.append(torch_shape(x))
    return shapes


@pytest.fixture(scope="session")
def forward_shapes():
    return _forward_shapes


@pytest.fixture(scope="session")
def children_of():
    return layer_children
