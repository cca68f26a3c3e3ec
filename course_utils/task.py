"""The lecture's programming task: its CNN and its three optimizers, with their sources.

"Programming Tasks" slide: build the network (``networks.assignment_cnn``), train it on MNIST
for 10 epochs with Adam, ADADELTA and SGD, with categorical cross-entropy, and plot the loss
curves. The engine that trains it (``course_utils.engine``) trains any model; this module says
which one the task means and how the course runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from course_utils.architectures import layer_table, to_torch
from course_utils.networks import assignment_cnn

CLASSES = 10  # MNIST's ten digits: the last layer's units

# Keras' model.fit default, which the slide's Keras wording implies.
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0
QUICK_TRAIN, QUICK_TEST = 2000, 1000  # quick mode: a smoke test in seconds, not a result


def quick_mode() -> bool:
    """True under CI or ``COURSE_QUICK=1``: notebooks then train a small subset for 1 epoch."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_QUICK", "0") not in ("", "0")


def feature_map_sizes() -> dict[str, int]:
    """Spatial size after each layer, from the lecture's (N - F + 2P)/S + 1 applied by the
    network's layer table (floored like every framework: the stride-2 conv on 28 pixels gives
    13.5 -> 13)."""
    table = layer_table(assignment_cnn())
    return {"input": table.top[0].shape[0], "conv1": table["CONV1"].shape[0],
            "conv2": table["CONV2"].shape[0], "pool": table["POOL1"].shape[0]}


def build_model() -> nn.Sequential:
    """The "Programming Tasks" CNN in PyTorch, built from its one definition
    (``networks.assignment_cnn``); the last layer emits logits (softmax lives in the loss,
    ``F.cross_entropy``, and in ``loop.predict_proba``)."""
    return to_torch(assignment_cnn())


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (the lecture's weights + biases)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _number(value: float) -> str:
    """1.0 -> '1.0', 0.01 -> '0.01', 0.001 -> '1e-3': how the sources write learning rates."""
    if value >= 0.01:
        return str(value)
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of the task, with its settings and where they come from."""

    name: str
    factory: Callable[..., torch.optim.Optimizer]
    kwargs: dict
    source: str
    origin: str = ""  # whose defaults these are, when not the paper's (shown in the label)

    @property
    def lr(self) -> float:
        return self.kwargs["lr"]

    @property
    def label(self) -> str:
        """'Adam (lr 1e-3)': the class and its learning rate, read from the settings."""
        origin = f"{self.origin} " if self.origin else ""
        return f"{self.factory.__name__} ({origin}lr {_number(self.lr)})"

    def make(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return self.factory(params, **self.kwargs)


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec for spec in [
        OptimizerSpec("adam", torch.optim.Adam, {"lr": 1e-3},
                      "Kingma & Ba 2015; the default of PyTorch and Keras"),
        OptimizerSpec("adadelta", torch.optim.Adadelta, {"lr": 1.0},
                      "Zeiler 2012 (no learning rate, i.e. 1.0); PyTorch's default"),
        OptimizerSpec("sgd", torch.optim.SGD, {"lr": 0.01},
                      "Keras' default; PyTorch has none"),
        # What students following the tf.keras docs get: lr 0.001, rho 0.95, epsilon 1e-7.
        OptimizerSpec("adadelta-keras", torch.optim.Adadelta,
                      {"lr": 1e-3, "rho": 0.95, "eps": 1e-7}, "tf.keras' default",
                      origin="tf.keras"),
    ]
}
TASK_OPTIMIZERS = ("adam", "adadelta", "sgd")


__all__ = [
    "CLASSES", "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "OPTIMIZERS", "QUICK_TEST", "QUICK_TRAIN",
    "TASK_OPTIMIZERS", "OptimizerSpec", "build_model", "count_parameters", "feature_map_sizes",
    "quick_mode",
]
