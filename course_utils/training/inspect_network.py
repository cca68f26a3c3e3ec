"""What the task's trained networks learned (notebook 06): their weights, activation maps,
receptive fields probed by gradients, and why a digit was misread.

The trained weights come from ``results/`` (``make assignment`` or notebook 05); when a run is
missing, ``trained_networks`` trains quick ones with the engine so the notebook still runs.
Everything returned is NumPy, for ``course_utils.display.plots_learned``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from course_utils.training import engine, results, task
from course_utils.training.loop import evaluate, predict_proba
from course_utils.training.mnist import Dataset
from course_utils.training.optimizers import OPTIMIZERS, TASK_OPTIMIZERS
from course_utils.training.task import QUICK_TEST, QUICK_TRAIN, build_model

# The activation maps of each layer are taken after its ReLU (what the next layer reads).
MAP_OUTPUTS = task.map_outputs()  # {"conv1": "relu1", "conv2": "relu2", "pool": "pool"}


def load_in_order(path: str | os.PathLike) -> tuple[nn.Module, str]:
    """The task's network with saved weights in eval mode, and a note on how they were matched.

    Notebook 05 trains the student's ``MyTaskNet``, whose tensors carry the student's names
    (``features.0.weight``); the reference's are ``conv1.weight``, .... Both create the same
    tensors in the same order (notebook 05's check), so ``results.load_state`` matches them by
    position when the names differ and every shape agrees.
    """
    model, note = results.load_state(build_model(), path, by_position=True,
                                     what="the task's network")
    return model.eval(), note


def trained_networks(results_dir: str | os.PathLike | None = None,
                     train_data: Dataset | None = None, test_data: Dataset | None = None
                     ) -> tuple[dict[str, nn.Module], dict, str]:
    """The three optimizers' networks in eval mode, keyed by label; their histories; one line
    saying where they come from.

    From ``results_dir`` (default ``results/``) when it holds all three; else a quick run of the
    engine (``QUICK_TRAIN`` images, 1 epoch, into ``results/quick``; needs the datasets).
    """
    folder = Path(results_dir) if results_dir is not None else results.default_results_dir()
    if results.has_runs(folder, TASK_OPTIMIZERS):
        source = f"the full run in {os.path.relpath(folder)}"
    else:
        quick = results.default_results_dir(quick=True)
        print(f"no trained weights in {os.path.relpath(folder)} (`make assignment` writes them):"
              f" training quick networks ({QUICK_TRAIN:,} images, 1 epoch) instead")
        engine.train_all(TASK_OPTIMIZERS, train_data.subset(QUICK_TRAIN),
                         test_data.subset(QUICK_TEST), epochs=1, out_dir=quick,
                         progress=False, reuse_finished=True)
        folder, source = quick, f"a quick run in {os.path.relpath(quick)}"
    networks, histories, notes = {}, {}, set()
    for name in TASK_OPTIMIZERS:
        label = OPTIMIZERS[name].label
        networks[label], note = load_in_order(results.weights_path(folder, name))
        histories[label] = results.load_history(results.history_path(folder, name))
        notes.add(note)
    trainer = next(iter(histories.values()))
    line = (f"networks: {source}, {trainer['epochs_done']} epoch(s) of {trainer['model']}"
            + "".join(f" ({n})" for n in sorted(notes) if n))
    return networks, histories, line


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Accuracy on ``data`` with dropout off (``loop.evaluate``)."""
    return evaluate(model.eval(), data)[1]


def layer_weights(model_or_state) -> dict[str, torch.Tensor]:
    """Each layer's weight tensor by layer name (conv1, conv2, dense1, dense2)."""
    state = model_or_state.state_dict() if isinstance(model_or_state, nn.Module) \
        else model_or_state
    return {k.removesuffix(".weight"): v.detach().cpu() for k, v in state.items()
            if k.endswith(".weight")}


def weight_movement(initial: dict, trained: nn.Module) -> dict[str, float]:
    """How far training moved each layer: ||W - W0|| / ||W0|| (0: unchanged; 1: moved as far
    as the initial weights are from zero)."""
    start, end = layer_weights(initial), layer_weights(trained)
    return {name: float((end[name] - w0).norm() / w0.norm()) for name, w0 in start.items()}


def conv1_filters(model_or_state) -> np.ndarray:
    """conv1's filters as a (64, 3, 3) array: the depth is 1 (gray digits)."""
    return layer_weights(model_or_state)["conv1"][:, 0].numpy()


def activation_maps(model: nn.Module, image: torch.Tensor) -> dict[str, np.ndarray]:
    """The activation maps (C, H, W) of one image after conv1, conv2 and the pool, caught by
    forward hooks on ``MAP_OUTPUTS`` in eval mode."""
    maps, hooks = {}, []
    for name, child in MAP_OUTPUTS.items():
        def keep(_module, _input, output, name=name):
            maps[name] = output[0].detach().cpu().numpy()
        hooks.append(getattr(model, child).register_forward_hook(keep))
    try:
        with torch.no_grad():
            model.eval()(image.reshape(1, 1, *image.shape[-2:]))
    finally:
        for hook in hooks:
            hook.remove()
    return maps


def influence(model: nn.Module, layer: str, unit: tuple[int, int, int],
              image: torch.Tensor) -> np.ndarray:
    """|d unit / d input| for one unit (channel, row, column) of a layer's output (a child's
    name): the input pixels that can change it, the receptive field as a gradient sees it."""
    x = image.detach().reshape(1, 1, *image.shape[-2:]).clone().requires_grad_(True)
    caught = {}
    hook = getattr(model, layer).register_forward_hook(
        lambda _m, _i, output: caught.setdefault("out", output))
    try:
        model.eval()(x)
    finally:
        hook.remove()
    channel, row, column = unit
    caught["out"][0, channel, row, column].backward()
    return x.grad[0, 0].abs().numpy()


def saliency(model: nn.Module, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """|d logit of the predicted digit / d pixel| for each image (N, H, W), and the predictions.

    Large where changing a pixel changes the network's answer most."""
    x = images.detach().clone().requires_grad_(True)
    logits = model.eval()(x)
    predicted = logits.argmax(dim=1)
    logits.gather(1, predicted[:, None]).sum().backward()  # images do not interact in eval
    return x.grad[:, 0].abs().numpy(), predicted.numpy()


@torch.no_grad()
def probabilities(networks: dict[str, nn.Module], images: torch.Tensor) -> dict[str, np.ndarray]:
    """Each network's softmax over the ten digits, (N, 10) per label."""
    return {label: predict_proba(model, images).numpy() for label, model in networks.items()}


def misread(networks: dict[str, nn.Module], data: Dataset, count: int = 4) -> np.ndarray:
    """Indices of ``count`` test digits that the most networks misread (ties: first in the
    test set)."""
    wrong = sum((p.argmax(axis=1) != data.labels.numpy()).astype(int)
                for p in probabilities(networks, data.images).values())
    order = np.argsort(-wrong, kind="stable")
    return order[:count][wrong[order[:count]] > 0]


__all__ = ["MAP_OUTPUTS", "accuracy", "activation_maps", "conv1_filters", "influence",
           "layer_weights", "load_in_order", "misread", "probabilities", "saliency",
           "trained_networks", "weight_movement"]
