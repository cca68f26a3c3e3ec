"""The checks of notebook 05's training exercises, and the task's requirements: ``my_train``
(one model, one optimizer, a number of epochs; the loss of every step) and
``my_plot_loss_curves`` (the task's figure). Each ``check_*`` prints one line; ``verify_*``
returns the verdict (tests).

``my_train`` is run on a spy: a tiny model that records, for every forward pass, which images
it saw, whether it was in training mode and the logits it gave. So the check knows the batches
the student formed (every image once per epoch, in the order the given generator draws), can
recompute each step's cross-entropy to compare with the returned losses, and replays the same
batches with the reference step to compare the final weights.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from course_utils.checks import verdict
from course_utils.checks.task import verify_task_model, verify_train_step
from course_utils.checks.verdict import (
    FAILED,
    PASSED,
    StudentFailed,
    Verdict,
    call_student,
    report,
)
from course_utils.training import engine, loop, optimizers
from course_utils.training.mnist import Dataset

# the spy's data: 10 images in batches of 4 for 2 epochs, so the last batch of an epoch is short
IMAGES, BATCH, EPOCHS, CLASSES = 10, 4, 2, 3
STEPS = EPOCHS * math.ceil(IMAGES / BATCH)
ID_SCALE = 8.0  # image i carries i / 8 in its first pixel (exact in float32): the spy reads it


class _Spy(nn.Module):
    """A linear classifier that records every forward pass: image ids, training mode, logits."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(16, CLASSES)
        self.calls: list[tuple[list[int], bool, torch.Tensor]] = []

    def forward(self, images):
        logits = self.linear(images.flatten(1))
        ids = (images[:, 0, 0, 0].detach() * ID_SCALE).round().long().tolist()
        self.calls.append((ids, self.training, logits.detach().clone()))
        return logits


def _the_courses(function) -> bool:
    """Whether ``function`` is one of the course's own (the reference handed in as the answer)."""
    return getattr(function, "__module__", "").startswith("course_utils.")


def _spy_data(device: torch.device) -> Dataset:
    """The spy's 10 images, each carrying its id, with labels; on the notebook's device (a
    student's ``.to(data.images.device)`` or ``.to(device)`` must work as in the real run)."""
    generator = torch.Generator().manual_seed(3)
    images = torch.randn(IMAGES, 1, 4, 4, generator=generator)
    images[:, 0, 0, 0] = torch.arange(IMAGES) / ID_SCALE
    labels = torch.randint(0, CLASSES, (IMAGES,), generator=generator)
    return Dataset(images.to(device), labels.to(device))


def _new_spy(device: torch.device) -> _Spy:
    """The spy with fixed weights from its own generator: the notebook's random state (CPU and
    GPU) is never touched."""
    with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws on the CPU
        spy = _Spy()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in spy.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return spy.to(device)


def _as_losses(value) -> list[float] | str:
    """The returned losses as floats, or what is wrong with them (in words). Runs on the
    student's thread: nothing the student returned runs where the checker's frames are."""
    if value is None:
        return "returned None (is a `return losses` missing?)"
    if torch.is_tensor(value):
        if value.dim() != 1:
            return f"returned a tensor of shape {tuple(value.shape)}, not one loss per step"
        value = value.detach().cpu().tolist()
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return f"returned {type(value).__name__}, not a list of losses"
    try:
        return [float(v.detach()) if torch.is_tensor(v) else float(v) for v in value]
    except (TypeError, ValueError):
        return "returned a list that holds something other than numbers"


def _order_hint(epochs: list[list[int]], expected: list[list[int]]) -> str:
    if epochs[0] == list(range(IMAGES)):
        return "shuffle: take the order from torch.randperm(len(data), generator=generator)"
    if epochs[1] == epochs[0]:
        return "draw a fresh order in every epoch (torch.randperm inside the epoch loop)"
    return ("draw the order with torch.randperm(len(data), generator=generator), the generator "
            "given, so the run repeats and the three optimizers see the same batches")


def _reading_losses(student: Callable) -> Callable:
    """``student`` whose result is read into floats on its own thread (named as the student's,
    so a message about an open exercise names the right function)."""
    @functools.wraps(student)
    def train_and_read(*args) -> list[float] | str:
        return _as_losses(student(*args))
    return train_and_read


def _run_student(student: Callable, case: str, device: torch.device):
    """The student's my_train on the spy, from the model in eval mode; (spy, start, losses)."""
    spy = _new_spy(device).eval()  # arriving in eval mode: my_train must switch training on
    start = copy.deepcopy(spy.linear.state_dict())
    optimizer = torch.optim.SGD(spy.parameters(), lr=0.5)
    losses = call_student("my_train", case, _reading_losses(student), (
        spy, optimizer, _spy_data(device), EPOCHS, BATCH, torch.Generator().manual_seed(7)))
    return spy, start, losses


def verify_train(student: Callable, device: torch.device | str = "cpu") -> Verdict:
    """``my_train(model, optimizer, data, epochs, batch_size, generator)``: every image once per
    epoch in the generator's order, one step per batch, the loss of every step returned."""
    name = "my_train"
    case = f"{EPOCHS} epochs of {IMAGES} images in batches of {BATCH}"

    def fail(what: str, hint: str) -> Verdict:
        return Verdict(False, f"{FAILED} {name}: {case}: {what}. Hint: {hint}")

    if _the_courses(student):
        return Verdict(False, f"{FAILED} {name}: that is the course's {student.__name__}, not "
                              "yours")
    try:
        spy, start, losses = _run_student(student, case, torch.device(device))
    except StudentFailed as failed:
        return failed.verdict
    data = _spy_data(torch.device(device))
    batches = [ids for ids, _, _ in spy.calls]
    if any(not training for _, training, _ in spy.calls):
        return fail("a forward pass ran in eval mode (dropout off)",
                    "call model.train() before training: the model may come in eval mode")
    per_epoch = math.ceil(IMAGES / BATCH)
    if len(batches) != STEPS:
        hint = {EPOCHS * (IMAGES // BATCH): "the last, smaller batch of each epoch is missing: "
                                            "step through range(0, len(data), batch_size)",
                per_epoch: "train for `epochs` epochs: an outer loop over the epochs"}.get(
            len(batches), f"one step per batch of at most batch_size images, {per_epoch} per "
                          "epoch")
        return fail(f"{len(batches)} forward passes, expected {STEPS}", hint)
    if any(len(ids) != min(BATCH, IMAGES - (i % per_epoch) * BATCH)
           for i, ids in enumerate(batches)):
        return fail(f"batches of {[len(ids) for ids in batches]} images",
                    "each batch holds batch_size images (the last one of an epoch the rest)")
    epochs = [sum(batches[e * per_epoch:(e + 1) * per_epoch], []) for e in range(EPOCHS)]
    if any(sorted(order) != list(range(IMAGES)) for order in epochs):
        return fail("an epoch did not visit every image exactly once",
                    "take each epoch's batches from one permutation, not from random draws")
    generator = torch.Generator().manual_seed(7)
    expected = [torch.randperm(IMAGES, generator=generator).tolist() for _ in range(EPOCHS)]
    if epochs != expected:
        return fail(f"image order {epochs}, the generator draws {expected}",
                    _order_hint(epochs, expected))
    if isinstance(losses, str):
        return fail(f"your function {losses}", "return the list of every step's loss")
    step_losses = [F.cross_entropy(logits, data.labels[ids]).item()
                   for ids, _, logits in spy.calls]
    if len(losses) != STEPS or not np.allclose(losses, step_losses, rtol=1e-5, atol=1e-6):
        hint = ("one loss per step, not per epoch: append each step's loss"
                if len(losses) == EPOCHS else
                "append every step's loss (a float: loss.item()) in the order of the steps")
        shown = [round(x, 4) for x in losses[:8]]
        return fail(f"returned {len(losses)} losses {shown}, the steps' losses are "
                    f"{[round(x, 4) for x in step_losses]}", hint)
    replay = _new_spy(torch.device(device))
    replay.linear.load_state_dict(start)
    optimizer = torch.optim.SGD(replay.parameters(), lr=0.5)
    for ids in batches:
        loop.train_step(replay, optimizer, data.images[ids], data.labels[ids])
    moved = [not torch.allclose(a, b, atol=1e-6)
             for a, b in zip(spy.parameters(), replay.parameters(), strict=True)]
    if any(moved):
        return fail("the final weights differ from the reference step run on your batches",
                    "every batch gets one training step (your my_train_step)")
    return Verdict(True, f"{PASSED} {name}: {case}: {STEPS} steps, every image once per epoch in "
                         "the generator's order, the losses and weights of the reference loop")


def check_train(student: Callable, device: torch.device | str = "cpu") -> None:
    """Notebook 05's exercise: training one model with one optimizer for some epochs, checked
    on ``device`` (the notebook's, so moving batches there works as in the real run)."""
    report(verify_train(student, device))


def _toy_histories() -> dict[str, dict]:
    """Three short runs in notebook 05's history format, each with its own losses."""
    generator = np.random.default_rng(5)
    histories = {}
    for name in optimizers.TASK_OPTIMIZERS:
        losses = np.exp(-np.linspace(0, 2, 30)) * 2.3 * generator.uniform(0.7, 1.3, 30)
        histories[name] = {
            "optimizer": name, "label": optimizers.OPTIMIZERS[name].label,
            "step_loss": losses.tolist(), "steps_per_epoch": 10, "epochs_done": 3,
            "train_loss": losses.reshape(3, 10).mean(axis=1).tolist(),
            "test_loss": (losses.reshape(3, 10).mean(axis=1) * 0.9).tolist(),
            "test_accuracy": [0.9, 0.95, 0.97]}
    return histories


def _legend_texts(fig: Figure) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    return [text.get_text() for legend in legends if legend for text in legend.get_texts()]


def _plot_problem(fig, histories: dict[str, dict]) -> tuple[str, str] | None:
    """(what is wrong, hint) for the figure ``my_plot_loss_curves`` returned, or None."""
    if not isinstance(fig, Figure):
        hint = ("return the Figure (fig, ax = plt.subplots() ... return fig)"
                if fig is not None else "return the figure: is a `return fig` missing?")
        return f"returned {type(fig).__name__}, not a matplotlib Figure", hint
    lines = [line for ax in fig.axes for line in ax.get_lines()]

    def drawn(values) -> list:
        return [line for line in lines if len(line.get_ydata()) == len(values)
                and np.allclose(np.asarray(line.get_ydata(), float), values)]

    found = {name: drawn(h["step_loss"]) for name, h in histories.items()}
    if not all(found.values()):
        shown = [histories[name]["label"] for name, hit in found.items() if hit]
        if any(drawn(h["train_loss"]) for h in histories.values()):
            hint = "plot every step's loss (history['step_loss']), not the epochs' means"
        elif shown:
            hint = "one line per optimizer in histories (is the `return` inside the loop?)"
        else:
            hint = "for each history, plot its 'step_loss' list (one value per step)"
        return f"the loss of every step is drawn for {shown or 'no optimizer'}", hint
    texts = set(_legend_texts(fig))
    missing = [h["label"] for h in histories.values() if h["label"] not in texts]
    if missing:
        hint = ("label each optimizer's line with its history['label'] and call ax.legend()"
                if texts else "call ax.legend() after plotting with label=history['label']")
        return f"the legend does not name {missing}", hint
    for name, h in histories.items():
        # its label on its own curve, or on a line of the same colour (a moving average on top)
        own = {line.get_label() for line in lines for raw in found[name]
               if line is raw or line.get_color() == raw.get_color()}
        if h["label"] not in own:
            return (f"the curve of {h['label']} is labelled {sorted(own - {''})}",
                    "label each line with the history it draws: label=h['label'] in the same "
                    "loop iteration")
    if not (_axis_named(fig, "x") and _axis_named(fig, "y")):
        return "an axis has no name", "name both axes: ax.set_xlabel('step'), ax.set_ylabel('loss')"
    return None


def _axis_named(fig: Figure, axis: str) -> bool:
    """Whether the figure names its ``axis`` ("x" or "y"): on a panel or for the whole figure."""
    on_panels = any(getattr(ax, f"get_{axis}label")() for ax in fig.axes)
    whole = getattr(fig, f"get_sup{axis}label", None)  # fig.supxlabel(...): matplotlib >= 3.10
    return on_panels or bool(whole and whole())


def verify_loss_plot(student: Callable) -> Verdict:
    """``my_plot_loss_curves(histories)``: a Figure with every step's loss of each optimizer,
    labelled in a legend, axes named. The figures it draws are closed (the check shows none)."""
    name = "my_plot_loss_curves"
    histories = _toy_histories()
    case = "3 optimizers of 30 steps each"
    if _the_courses(student):
        return Verdict(False, f"{FAILED} {name}: that is the course's {student.__name__}, not "
                              "yours")
    open_before = set(plt.get_fignums())
    try:
        fig = call_student(name, case, student, (copy.deepcopy(histories),))
    except StudentFailed as failed:
        return failed.verdict
    finally:
        for number in set(plt.get_fignums()) - open_before:
            plt.close(number)
    problem = _plot_problem(fig, histories)
    if problem:
        return Verdict(False, f"{FAILED} {name}: {case}: {problem[0]}. Hint: {problem[1]}")
    return Verdict(True, f"{PASSED} {name}: {case}: every step's loss of each, labelled in the "
                         "legend, both axes named")


def check_loss_plot(student: Callable) -> None:
    """Notebook 05's exercise: the task's loss-curve figure."""
    report(verify_loss_plot(student))


def train_function_or_reference(student: Callable,
                                 device: torch.device | str = "cpu") -> Callable:
    """What notebook 05 trains with: ``my_train`` once its check passes, else ``loop.train``."""
    return verdict.yours_or_reference(student, functools.partial(verify_train, device=device),
                                      loop.train, "the training loop")


def plot_or_reference(student: Callable, reference: Callable) -> Callable:
    """What draws notebook 05's loss curves: the student's function once its check passes,
    else ``reference`` (the course's ``display.training_plots.plot_loss_curves``)."""
    return verdict.yours_or_reference(student, verify_loss_plot, reference,
                                      "the loss-curve figure")


def requirements(histories: dict, network, train_step: Callable, train_function: Callable,
                 plot_function: Callable, loss_figure, full_epochs: int = 10,
                 quick: bool = False, device: torch.device | str = "cpu") -> list[Verdict]:
    """The programming task's requirements, each granted only for the student's own code: the
    network, the three optimizers trained by ``train_function`` for ``full_epochs`` epochs,
    the loss (checked through ``train_step``) and the loss curves drawn by ``plot_function``.
    With the exercises open every line is ✗, whatever stood in for them."""
    def line(ok: bool, text: str, why: Verdict | None = None) -> Verdict:
        detail = "" if ok or why is None or why.passed else f": {why.line[2:]}"
        return Verdict(ok, f"{PASSED if ok else FAILED} {text}{detail}")

    net, step = verify_task_model(network), verify_train_step(train_step)
    training, plot = verify_train(train_function, device), verify_loss_plot(plot_function)
    yours = getattr(train_function, "__name__", "training function")
    missing = [n for n in optimizers.TASK_OPTIMIZERS
               if histories.get(n, {}).get("trained_by") != engine.trained_by(train_function)]
    trained = training.passed and not missing
    epochs = {n: h["epochs_done"] for n, h in histories.items()}
    enough = trained and all(epochs[n] >= full_epochs for n in optimizers.TASK_OPTIMIZERS)
    figure = Path(loss_figure)
    return [
        line(net.passed, "the network as the slide specifies it", net),
        line(trained, f"Adam, Adadelta and SGD trained by your {yours}"
             + (f": {missing} not trained by it" if training.passed and missing else ""),
             training),
        line(enough, f"{full_epochs} epochs each" + ("" if enough or not trained else f": {epochs}"
             + (" (quick mode; a full run trains 10)" if quick else ""))),
        line(step.passed, "categorical cross-entropy on the logits, one plain step", step),
        line(plot.passed and figure.is_file(), f"loss curves plotted by your "
             f"{getattr(plot_function, '__name__', 'function')} ({figure.name})", plot),
    ]


def check_requirements(*args, **kwargs) -> None:
    """Notebook 05's closing cell: one line per requirement of the task."""
    for outcome in requirements(*args, **kwargs):
        print(outcome.line)


__all__ = ["check_loss_plot", "check_requirements", "check_train", "plot_or_reference",
           "requirements", "train_function_or_reference", "verify_loss_plot", "verify_train"]
