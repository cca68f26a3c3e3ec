"""ResNet's degradation experiment on MNIST: a shallow plain, a deep plain and a deep residual
network trained with the same budget (notebook 04, "Degradation, trained").

The paper's finding (He et al. 2015, arXiv 1512.03385, Section 4.1): with batch norm, the deeper
plain network reaches a *higher training error* than the shallower one, so the problem is
optimisation, not overfitting; with identity shortcuts the deeper network trains at least as
well. Each network is trained by ``engine.train`` from its own seeded initial weights, with the
paper's SGD settings (momentum 0.9, learning rate 0.1, weight decay 1e-4) and the same data order.
"""

from __future__ import annotations

import torch

from course_utils.architectures.plain_vs_residual import plain_or_residual_cnn, weight_layers
from course_utils.training.engine import train
from course_utils.training.mnist import Dataset
from course_utils.training.optimizers import OptimizerSpec

__all__ = ["FULL_RUN", "NETWORKS", "QUICK_RUN", "RESNET_SGD", "train_degradation"]

# name -> (blocks, residual); 3 blocks = 9 weight layers, 20 blocks = 43
NETWORKS = {"shallow plain": (3, False), "deep plain": (20, False), "deep residual": (20, True)}
RESNET_SGD = OptimizerSpec("sgd-resnet", torch.optim.SGD,
                           {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
                           "He et al. 2015, Section 3.4 (without the plateau schedule)",
                           origin="ResNet's")
FULL_RUN = {"train_size": None, "epochs": 3}  # all 60,000 training images
QUICK_RUN = {"train_size": 10_000, "epochs": 1}  # quick mode: the same ordering, in seconds
BATCH_SIZE = 128


def train_degradation(train_data: Dataset, test_data: Dataset, *, epochs: int,
                      batch_size: int = BATCH_SIZE, seed: int = 0,
                      progress: bool = True) -> dict[str, dict]:
    """Train the three ``NETWORKS`` with ``RESNET_SGD``; their histories by name.

    Each history is ``engine.train``'s (per-step and per-epoch training loss, test loss and
    accuracy), its ``label`` the network and its depth in weight layers.
    """
    histories = {}
    for name, (blocks, residual) in NETWORKS.items():
        def build(blocks=blocks, residual=residual):
            return plain_or_residual_cnn(blocks, residual=residual)
        build.__name__ = name.replace(" ", "_")
        with torch.device("meta"):  # counting layers draws no random weights
            layers = weight_layers(build())
        label = f"{name} ({layers} layers)"
        _, histories[name] = train(RESNET_SGD.name, train_data, test_data, model=build,
                                   epochs=epochs, batch_size=batch_size, seed=seed,
                                   progress=progress, spec=RESNET_SGD, label=label, fast=False)
    return histories
