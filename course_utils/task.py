"""The lecture's programming task: its CNN and its three optimizers, with their sources.

"Programming Tasks" slide: build the network (``networks.assignment_cnn``), train it on MNIST
for 10 epochs with Adam, ADADELTA and SGD, with categorical cross-entropy, and plot the loss
curves. The engine that trains it (``course_utils.engine``) trains any model; this module says
which one the task means and how the course runs it.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from course_utils.architectures import layer_table, spatial_layers, to_torch
from course_utils.networks import assignment_cnn

CLASSES = 10  # MNIST's ten digits: the last layer's units

# Keras' model.fit default, which the slide's Keras wording implies.
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEED = 0
QUICK_TRAIN, QUICK_TEST = 2000, 1000  # quick mode: a smoke test in seconds, not a result


def quick_mode() -> bool:
    """True under CI or ``COURSE_QUICK=1``: notebooks then train a small subset for 1 epoch."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_QUICK", "0") not in ("", "0")


# The layers whose outputs are activation maps: the module's name -> the spec's table row.
MAP_LAYERS = {"conv1": "CONV1", "conv2": "CONV2", "pool": "POOL1"}


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
                      "Kingma & Ba 2015; PyTorch's and Keras' default learning rate"),
        OptimizerSpec("adadelta", torch.optim.Adadelta, {"lr": 1.0},
                      "PyTorch's defaults (rho 0.9, eps 1e-6); Zeiler 2012 has no learning "
                      "rate, i.e. 1.0"),
        OptimizerSpec("sgd", torch.optim.SGD, {"lr": 0.01},
                      "Keras' default; PyTorch's default is 10x smaller"),
        # What students following the tf.keras docs get: lr 0.001, rho 0.95, epsilon 1e-7.
        OptimizerSpec("adadelta-keras", torch.optim.Adadelta,
                      {"lr": 1e-3, "rho": 0.95, "eps": 1e-7}, "tf.keras' default",
                      origin="tf.keras"),
    ]
}
TASK_OPTIMIZERS = ("adam", "adadelta", "sgd")

# The settings each source states, in PyTorch's names (lr, betas, rho, eps). PyTorch's own are
# not written here: torch_defaults reads them from the installed library.
PAPER_SETTINGS = {
    "Adam": ("Kingma & Ba 2015, Algorithm 1", {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}),
    "Adadelta": ("Zeiler 2012, Section 4.1 (MNIST)", {"lr": 1.0, "rho": 0.95, "eps": 1e-6}),
    "SGD": ("Robbins & Monro 1951: no default step size", {}),
}
KERAS_DEFAULTS = {  # keras.io/api/optimizers (Keras 3; tf.keras 2 has the same)
    "Adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7},
    "Adadelta": {"lr": 1e-3, "rho": 0.95, "eps": 1e-7},
    "SGD": {"lr": 0.01},
}
SETTING_NAMES = ("lr", "betas", "rho", "eps")


def torch_defaults(factory: Callable[..., torch.optim.Optimizer]) -> dict:
    """The defaults of an optimizer class as the installed PyTorch declares them."""
    parameters = inspect.signature(factory).parameters
    return {name: parameters[name].default for name in SETTING_NAMES if name in parameters
            and parameters[name].default is not inspect.Parameter.empty}


def settings_table(names: Iterable[str] = ("Adam", "Adadelta", "SGD")) -> str:
    """The paper's, PyTorch's (installed) and Keras' settings side by side, one line each."""
    rows = []
    for name in names:
        settings = (PAPER_SETTINGS[name][1], torch_defaults(getattr(torch.optim, name)),
                    KERAS_DEFAULTS[name])
        rows.append([name] + [", ".join(f"{k} {_value(v)}" for k, v in d.items()) or "(none)"
                              for d in settings])
    header = ["", "paper", f"PyTorch {torch.__version__.split('+')[0]}", "Keras"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = ["  ".join(f"{cell:{w}}" for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


def _value(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    return _number(value) if isinstance(value, float) and value < 0.01 else str(value)


__all__ = [
    "CLASSES", "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "KERAS_DEFAULTS", "MAP_LAYERS", "OPTIMIZERS",
    "PAPER_SETTINGS", "QUICK_TEST", "QUICK_TRAIN", "settings_table", "torch_defaults",
    "TASK_OPTIMIZERS", "OptimizerSpec", "build_model", "count_parameters", "feature_map_sizes",
    "map_windows", "quick_mode",
]
