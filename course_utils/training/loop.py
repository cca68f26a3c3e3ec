"""The training loop of the programming task, written once for any model: the part to read.

One mini-batch step (forward, cross-entropy on logits, backward, update), one epoch over a data
set held on the device in a seeded order, and the evaluation on the test set. Everything here
is the plain PyTorch loop notebook 05 writes by hand; ``course_utils.training.engine`` runs it per
optimizer and ``course_utils.training.fast_path`` arranges the same step for the hardware.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.training.mnist import CLASSES, Dataset

EVAL_BATCH_SIZE = 1000  # no gradients: large batches only cost memory
SYNC_EVERY = 100  # steps between host syncs (finite-loss check, progress-bar loss)


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training cannot recover from that."""


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer,
               images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One mini-batch: forward, cross-entropy on logits, backward, update. Returns the loss
    as a device tensor (no host sync)."""
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _first_non_finite(losses: torch.Tensor) -> int | None:
    bad = (~torch.isfinite(losses)).nonzero()
    return int(bad[0]) if len(bad) else None


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, data: Dataset,
                batch_size: int, generator: torch.Generator, *, name: str = "",
                epoch: int = 1, progress=None, step_fn: Callable | None = None,
                sync_every: int = SYNC_EVERY) -> torch.Tensor:
    """One pass over ``data`` in a fresh seeded order; returns the per-step losses (on device).

    The host syncs only every ``sync_every`` steps (0: once, at the end of the epoch), to stop
    on a non-finite loss and to show the running loss; everything else stays on the device.
    ``step_fn(images, labels)`` replaces :func:`train_step` (the fast path's compiled step).
    """
    step_fn = step_fn or functools.partial(train_step, model, optimizer)
    model.train()
    order = torch.randperm(len(data), generator=generator).to(data.images.device)
    steps = math.ceil(len(data) / batch_size)
    sync_every = sync_every or steps
    losses = torch.empty(steps, device=data.images.device)
    checked = 0
    for step in range(steps):
        index = order[step * batch_size:(step + 1) * batch_size]
        losses[step] = step_fn(data.images[index], data.labels[index])
        if step + 1 - checked == sync_every or step + 1 == steps:
            recent = losses[checked:step + 1]
            bad = _first_non_finite(recent)
            if bad is not None:
                raise NonFiniteLossError(
                    f"{name}: the loss became {recent[bad].item()} at epoch {epoch}, step "
                    f"{checked + bad + 1} of {steps}; lower the learning rate and rerun")
            if progress is not None:
                progress.update(step + 1 - checked)
                progress.set_postfix(epoch=epoch, loss=f"{recent.mean().item():.4f}")
            checked = step + 1
    return losses


def train(model: nn.Module, optimizer: torch.optim.Optimizer, data: Dataset, epochs: int,
          batch_size: int, generator: torch.Generator) -> list[float]:
    """``epochs`` passes of :func:`train_step` over ``data``, each in a fresh order drawn from
    ``generator``; the loss of every step, in order. Notebook 05's exercise ``my_train`` (the
    reference that stands in while the exercise is open)."""
    losses = []
    for epoch in range(1, epochs + 1):
        losses += train_epoch(model, optimizer, data, batch_size, generator, epoch=epoch).tolist()
    return losses


def train_epoch_with(train_function: Callable, model: nn.Module,
                     optimizer: torch.optim.Optimizer, data: Dataset, batch_size: int,
                     generator: torch.Generator, *, name: str = "", epoch: int = 1) -> list[float]:
    """One epoch of a function with :func:`train`'s signature (the student's ``my_train``),
    called for one epoch; its step losses as floats, after checking there is one finite loss per
    step (a wrong answer is one clear error, not a broken history)."""
    steps = math.ceil(len(data) / batch_size)
    returned = train_function(model, optimizer, data, 1, batch_size, generator)
    what = getattr(train_function, "__name__", "the training function")
    try:
        losses = [float(value) for value in returned]
    except (TypeError, ValueError):
        raise TypeError(f"{what} returned {type(returned).__name__}, not the list of its "
                        "step losses") from None
    if len(losses) != steps:
        raise ValueError(f"{what} returned {len(losses)} losses for one epoch of {steps} steps")
    bad = _first_non_finite(torch.tensor(losses))
    if bad is not None:
        raise NonFiniteLossError(
            f"{name}: the loss became {losses[bad]} at epoch {epoch}, step {bad + 1} of "
            f"{steps}; lower the learning rate and rerun")
    return losses


@torch.inference_mode()
def evaluate(model: nn.Module, data: Dataset,
             batch_size: int = EVAL_BATCH_SIZE) -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and the predicted class of every image (dropout off)."""
    model.eval()
    total = torch.zeros((), device=data.images.device)
    predictions = []
    for start in range(0, len(data), batch_size):
        logits = model(data.images[start:start + batch_size])
        labels = data.labels[start:start + batch_size]
        total += F.cross_entropy(logits, labels, reduction="sum")
        predictions.append(logits.argmax(dim=1))
    predicted = torch.cat(predictions)
    accuracy = (predicted == data.labels).float().mean()
    return total.item() / len(data), accuracy.item(), predicted


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor,
                     classes: int = CLASSES) -> list[list[int]]:
    """Counts [true digit][predicted digit]."""
    flat = torch.bincount(labels * classes + predicted, minlength=classes * classes)
    return flat.view(classes, classes).tolist()


@torch.inference_mode()
def predict_proba(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The slide's final softmax layer, applied only when probabilities are wanted."""
    model.eval()
    return F.softmax(model(images), dim=1)


__all__ = [
    "EVAL_BATCH_SIZE", "SYNC_EVERY", "NonFiniteLossError", "confusion_matrix", "evaluate",
    "predict_proba", "train", "train_epoch", "train_epoch_with", "train_step",
]
