"""One training step recorded once as a CUDA graph and replayed: the engine's GPU fast path.

The task's network is tiny: at batch 32 each of the ~50 kernels of one step (forward,
backward, optimizer update) runs for a few microseconds on a GPU, and launching them one by
one from Python costs more than running them. ``torch.cuda.graphs`` records the plain step
(:func:`course_utils.training.loop.train_step`'s maths, no compiler) once and replays it with one
launch per step, as in PyTorch's "whole network capture" recipe (CUDA semantics, CUDA Graphs).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

WARMUP_STEPS = 3  # eager steps on a side stream before capture (cuBLAS/cuDNN set-up, autograd)


def reset_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """Zero every state tensor in place: the fresh state of Adam, Adadelta, RMSprop (their
    averages and step count start at 0) and of SGD with momentum (a zero buffer gives the first
    step's ``buf = grad``). In place, so the addresses a CUDA graph recorded stay valid."""
    for state in optimizer.state.values():
        for value in state.values():
            if torch.is_tensor(value):
                value.zero_()


def snapshot_parameters(model: nn.Module) -> list[torch.Tensor]:
    """Copies of the weights, to undo the warm-up steps with :func:`restore_parameters`."""
    return [p.detach().clone() for p in model.parameters()]


@torch.no_grad()
def restore_parameters(model: nn.Module, saved: list[torch.Tensor]) -> None:
    """Write ``saved`` back into the same parameter tensors (in place, addresses kept)."""
    for parameter, value in zip(model.parameters(), saved, strict=True):
        parameter.copy_(value)


def make_capturable(optimizer: torch.optim.Optimizer) -> None:
    """Keep the optimizer's step counters on the GPU (``capturable=True``), which a captured
    update needs; optimizers without the option (plain SGD) have no counter to move."""
    for group in optimizer.param_groups:
        if "capturable" in group:
            group["capturable"] = True


class GraphedStep:
    """``step(images, labels) -> loss`` like the plain step, replayed from one CUDA graph.

    The first call warms up on a side stream, undoes the warm-up (weights, optimizer state and
    the random-number state are put back), records one step and replays it; later calls of the
    same batch shape copy the batch into the recorded input buffers and replay. A batch of
    another shape (a last, smaller one) runs eagerly on the same weights and optimizer.
    The returned loss lives in the graph's output buffer: the next step overwrites it, so copy
    it (the engine writes it into the epoch's loss tensor at once).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 warmup_steps: int = WARMUP_STEPS):
        self.model, self.optimizer, self.loss_of = model, optimizer, loss_of
        self.warmup_steps = warmup_steps
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_images = self.static_labels = self.static_loss = None
        make_capturable(optimizer)

    def eager(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = self.loss_of(images, labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def capture(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Warm up, undo the warm-up, then record one step on ``images``' shape."""
        device = images.device
        self.static_images, self.static_labels = images.clone(), labels.clone()
        saved = snapshot_parameters(self.model)
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.random.fork_rng(devices=[device]), torch.cuda.stream(side):
            for _ in range(self.warmup_steps):
                self.eager(self.static_images, self.static_labels)
        torch.cuda.current_stream(device).wait_stream(side)
        restore_parameters(self.model, saved)
        reset_optimizer_state(self.optimizer)
        self.optimizer.zero_grad(set_to_none=True)  # the graph's backward allocates the grads
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            loss = self.loss_of(self.static_images, self.static_labels)
            loss.backward()
            self.optimizer.step()
            self.static_loss = loss.detach()

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.graph is None:
            self.capture(images, labels)
        elif images.shape != self.static_images.shape:
            return self.eager(images, labels)
        self.static_images.copy_(images)
        self.static_labels.copy_(labels)
        self.graph.replay()
        return self.static_loss


__all__ = ["GraphedStep", "WARMUP_STEPS", "make_capturable", "reset_optimizer_state",
           "restore_parameters", "snapshot_parameters"]
