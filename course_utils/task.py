"""The lecture's programming task: its CNN and its three optimizers, with their sources.

"Programming Tasks" slide: build the network below, train it on MNIST for 10 epochs with Adam,
ADADELTA and SGD, with categorical cross-entropy, and plot the loss curves. The engine that
trains it (``course_utils.engine``) trains any model; this module says which one the task
means and how the course runs it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from course_utils.geometry import output_geometry, padding_pair

# The slide's layer list; the notebook and the tests check the model against these numbers.
INPUT_SIZE = 28
CONV1 = dict(filters=64, kernel=3, stride=2, padding="valid")
CONV2 = dict(filters=32, kernel=2, stride=1, padding="same")
POOL = dict(size=2, stride=1)
DROPOUT1, DENSE_UNITS, DROPOUT2, CLASSES = 0.35, 256, 0.5, 10

# Keras' model.fit default, which the slide's Keras wording implies.
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0
QUICK_TRAIN, QUICK_TEST = 2000, 1000  # quick mode: a smoke test in seconds, not a result


def quick_mode() -> bool:
    """True under CI or ``COURSE_QUICK=1``: notebooks then train a small subset for 1 epoch."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_QUICK", "0") not in ("", "0")


def feature_map_sizes(n: int = INPUT_SIZE) -> dict[str, int]:
    """Spatial size after each layer, from the lecture's (N - F + 2P)/S + 1 (floored like
    every framework: the stride-2 conv on 28 pixels gives 13.5 -> 13)."""
    conv1 = output_geometry(n, CONV1["kernel"], CONV1["stride"], 0).size
    conv2 = conv1  # 'same' at stride 1 keeps the size by definition
    pool = output_geometry(conv2, POOL["size"], POOL["stride"], 0).size
    return {"input": n, "conv1": conv1, "conv2": conv2, "pool": pool}


def build_model() -> nn.Sequential:
    """The "Programming Tasks" CNN in PyTorch; the last layer emits logits (softmax lives in
    the loss, ``F.cross_entropy``, and in ``engine.predict_proba``)."""
    before, after = padding_pair(CONV2["padding"], CONV2["kernel"])
    flat = CONV2["filters"] * feature_map_sizes()["pool"] ** 2
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, CONV1["filters"], CONV1["kernel"], stride=CONV1["stride"])),
        ("relu1", nn.ReLU()),
        # TF's 'same' for the 2x2 kernel written out (0 before, 1 after): the zero-padded copy
        # that padding="same" makes (with a warning) for even kernels, made visible
        ("pad2", nn.ZeroPad2d((before, after, before, after))),
        ("conv2", nn.Conv2d(CONV1["filters"], CONV2["filters"], CONV2["kernel"])),
        ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(POOL["size"], stride=POOL["stride"])),
        ("dropout1", nn.Dropout(DROPOUT1)),
        ("flatten", nn.Flatten()),
        ("dense1", nn.Linear(flat, DENSE_UNITS)),
        ("tanh", nn.Tanh()),
        ("dropout2", nn.Dropout(DROPOUT2)),
        ("dense2", nn.Linear(DENSE_UNITS, CLASSES)),
    ]))


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
    "CLASSES", "CONV1", "CONV2", "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "DENSE_UNITS", "DROPOUT1",
    "DROPOUT2", "INPUT_SIZE", "OPTIMIZERS", "POOL", "QUICK_TEST", "QUICK_TRAIN",
    "TASK_OPTIMIZERS", "OptimizerSpec", "build_model", "count_parameters", "feature_map_sizes",
    "quick_mode",
]
