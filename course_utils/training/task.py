"""The lecture's programming task: its CNN and its three optimizers, with their sources.

"Programming Tasks" slide: build the network (``networks.assignment_cnn``), train it on MNIST
for 10 epochs with Adam, ADADELTA and SGD, with categorical cross-entropy, and plot the loss
curves. The engine that trains it (``course_utils.training.engine``) trains any model; this module
says which one the task means and how the course runs it.
"""

from __future__ import annotations

import os

from torch import nn

from course_utils.architectures.network import layer_table, spatial_layers, to_torch
from course_utils.architectures.networks import assignment_cnn

# Keras' model.fit default, which the slide's Keras wording implies.
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0
QUICK_TRAIN, QUICK_TEST = 2000, 1000  # quick mode: a smoke test in seconds, not a result


def quick_mode() -> bool:
    """True under CI or ``COURSE_QUICK=1``: notebooks then train a small subset for 1 epoch."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_QUICK", "0") not in ("", "0")


# The layers whose outputs are activation maps: the module's name -> the spec's table row.
MAP_LAYERS = {"conv1": "CONV1", "conv2": "CONV2", "pool": "POOL1"}


def map_outputs() -> dict[str, str]:
    """The module whose output is each map: the last module of its spec layer (the ReLU after
    a conv, the pool itself), read from ``networks.assignment_cnn``'s ``torch_names``."""
    layers = {layer.name: layer for layer in assignment_cnn().layers}
    return {name: layers[row].torch_names[-1] for name, row in MAP_LAYERS.items()}


def feature_map_sizes() -> dict[str, int]:
    """Spatial size after each layer, from the lecture's (N - F + 2P)/S + 1 applied by the
    network's layer table (floored like every framework: the stride-2 conv on 28 pixels gives
    13.5 -> 13)."""
    table = layer_table(assignment_cnn())
    return {"input": table.top[0].shape[0]} | {
        name: table[row].shape[0] for name, row in MAP_LAYERS.items()}


def map_windows() -> dict[str, tuple[int, int, tuple[int, int]]]:
    """(F, S, (before, after)) of conv1, conv2 and the pool, read from the network's spec:
    what ``geometry.receptive_fields`` and ``geometry.receptive_box`` take."""
    windows = spatial_layers(assignment_cnn())
    return {name: windows[row] for name, row in MAP_LAYERS.items()}


def build_model() -> nn.Sequential:
    """The "Programming Tasks" CNN in PyTorch, built from its one definition
    (``networks.assignment_cnn``); the last layer emits logits (softmax lives in the loss,
    ``F.cross_entropy``, and in ``loop.predict_proba``)."""
    return to_torch(assignment_cnn())


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (the lecture's weights + biases)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = [
    "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "MAP_LAYERS", "QUICK_TEST", "QUICK_TRAIN", "build_model",
    "count_parameters", "feature_map_sizes", "map_outputs", "map_windows", "quick_mode",
]
