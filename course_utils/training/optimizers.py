"""The task's three optimizers (Adam, Adadelta, SGD) with their settings and where each comes
from: the paper, the installed PyTorch and Keras (notebook 05, "Programming Tasks" slide)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from course_utils.architectures.table import text_table

__all__ = [
    "KERAS_DEFAULTS", "OPTIMIZERS", "PAPER_SETTINGS", "SETTING_NAMES", "TASK_OPTIMIZERS",
    "OptimizerSpec", "settings_table", "torch_defaults",
]


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
    return text_table([header, *rows])


def _value(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    return _number(value) if isinstance(value, float) and value < 0.01 else str(value)
