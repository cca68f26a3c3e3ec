"""The checks of notebook 05's exercises: the task's network from the slide's layer list, and one
training step. Each ``check_*`` prints one line (✓ or ✗ naming the mistake); ``verify_*``
returns the verdict (tests).

The network check copies the reference weights into the student's module, parameter tensor by
parameter tensor in order, and compares outputs on the same inputs with dropout off. When they
differ it tries the usual mistakes (a softmax before ``F.cross_entropy``, the 'same' padding on
the wrong side, a missing ReLU, tanh and ReLU swapped) and names the one the student's outputs
match; a layer of the wrong size (pooling with stride 2, 'valid' for 'same') shows in the
parameter shapes first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import verdict
from course_utils.checks.isolated_call import TimeLimitExceeded, call_isolated
from course_utils.checks.verdict import (
    FAILED,
    PASSED,
    StudentFailed,
    Verdict,
    call_student,
    not_implemented,
    report,
)
from course_utils.training import loop, task

# the slide's Dropout(0.35) after pooling and Dropout(0.5) after FC1, as forward applies them
DROPOUT_PLACES = ((0.35, "the maps"), (0.5, "a vector"))
DROPOUT_RATES = tuple(p for p, _ in DROPOUT_PLACES)


def _parameter_names() -> tuple[str, ...]:
    """"conv1 weights", "conv1 biases", ...: the reference's tensors in creation order, in
    words. Built on the meta device: no memory, and no draw from the student's seeded RNG."""
    with torch.device("meta"):
        model = task.build_model()
    return tuple(name.replace(".weight", " weights").replace(".bias", " biases")
                 for name, _ in model.named_parameters())


PARAMETER_NAMES = _parameter_names()


# Each usual mistake: the reference's layers it replaces (or adds), and the hint that fixes it.
MISTAKES = {
    "softmax at the end": (
        {"softmax": lambda: nn.Softmax(dim=1)},
        "return logits: F.cross_entropy applies the softmax itself"),
    "'same' padding before instead of after": (
        {"pad2": lambda: nn.ZeroPad2d((1, 0, 1, 0))},
        "TensorFlow's 'same' for a 2x2 kernel pads 0 before and 1 after "
        "(nn.ZeroPad2d((0, 1, 0, 1)))"),
    "no ReLU after conv1": ({"relu1": nn.Identity}, "the slide's conv layers use ReLU"),
    "no ReLU after conv2": ({"relu2": nn.Identity}, "the slide's conv layers use ReLU"),
    "ReLU instead of tanh after dense1": ({"tanh": nn.ReLU}, "the slide's dense layer uses tanh"),
    "tanh instead of ReLU after the convolutions": (
        {"relu1": nn.Tanh, "relu2": nn.Tanh}, "the slide's conv layers use ReLU"),
}


def _variant(changes: dict[str, Callable[[], nn.Module]]) -> nn.Sequential:
    """The reference network with one usual mistake built in (same parameter layout)."""
    layers = dict(task.build_model().named_children())
    layers |= {name: make() for name, make in changes.items()}
    return nn.Sequential(*layers.values())


def _load_in_order(target: nn.Module, source: nn.Module) -> str | None:
    """Copy ``source``'s parameters into ``target`` in order; a mismatch is returned as text."""
    mine, theirs = list(target.parameters()), list(source.parameters())
    for index, (got, want) in enumerate(zip(mine, theirs, strict=False)):
        if got.shape != want.shape:
            what = PARAMETER_NAMES[index] if index < len(PARAMETER_NAMES) else f"#{index}"
            return (f"parameter tensor {index + 1} ({what}) has shape {tuple(got.shape)}, the "
                    f"slide's network has {tuple(want.shape)}")
    if len(mine) != len(theirs):
        return f"{len(mine)} parameter tensors, the slide's network has {len(theirs)}"
    with torch.no_grad():
        for got, want in zip(mine, theirs, strict=True):
            got.copy_(want)
    return None


def _forward(model: nn.Module, images: torch.Tensor, training: bool = False):
    """The student's forward without gradients, dropout on (``training``) or off. Called on the
    student's thread, where the no-grad mode must be set: it is per thread."""
    model.train(training)
    with torch.no_grad():
        return model(images)


def _dropout_in_forward_order(model: nn.Module, images: torch.Tensor) -> list[tuple[float, str]]:
    """(p, what it drops) of every nn.Dropout in the order forward applies them: 'the maps'
    for a 4-D input, 'a vector' for 2-D. Where a layer sits in ``__init__`` does not matter."""
    applied = []

    def record(module, inputs, _output):
        applied.append((module.p, "the maps" if inputs[0].dim() == 4 else "a vector"))

    hooks = [m.register_forward_hook(record) for m in model.modules()
             if isinstance(m, nn.Dropout)]
    try:
        call_isolated(_forward, (model, images[:2], True))
    finally:
        for hook in hooks:
            hook.remove()
    return applied


def verify_task_model(student: nn.Module | Callable[[], nn.Module]) -> Verdict:
    """The slide's layer list as a PyTorch module: parameters, layer by layer, and outputs."""
    name = "the task's network"
    try:
        model = student() if not isinstance(student, nn.Module) else copy.deepcopy(student)
    except NotImplementedError:
        return not_implemented(name)
    count = task.count_parameters(model)
    reference = task.build_model()
    expected_count = task.count_parameters(reference)
    mismatch = _load_in_order(model, reference)
    if mismatch:
        return Verdict(False, f"{FAILED} {name}: {count:,} parameters, the slide's network has "
                              f"{expected_count:,}; {mismatch}. Hint: count (F*F*D + 1)*K per "
                              "conv layer and (inputs + 1)*units per dense layer")
    images = torch.randn(16, 1, 28, 28,  # MNIST's 28x28 digits, one channel
                         generator=torch.Generator().manual_seed(0))
    try:
        rates = _dropout_in_forward_order(model, images)
        got = call_isolated(_forward, (model, images))
    except NotImplementedError:
        return not_implemented(name)
    except TimeLimitExceeded as err:
        return Verdict(False, f"{FAILED} {name}: a batch of 16 images {err} (an endless loop "
                              "in forward?)")
    except Exception as err:  # noqa: BLE001 - the student's forward, shown as theirs
        return Verdict(False, f"{FAILED} {name}: a batch of 16 images raised "
                              f"{type(err).__name__}: {err}")
    if not torch.is_tensor(got):
        return Verdict(False, f"{FAILED} {name}: forward returned {type(got).__name__}, not a "
                              "tensor of logits (is a `return` missing?)")
    if tuple(rates) != DROPOUT_PLACES:
        order = " then ".join(f"{p} on {where}" for p, where in rates) or "no nn.Dropout"
        hint = ("Keras' rate and PyTorch's p are both the fraction dropped"
                if sorted(p for p, _ in rates) != sorted(DROPOUT_RATES) else
                "Dropout(0.35) comes after the pooling (on the maps), Dropout(0.5) after "
                "dense1")
        return Verdict(False, f"{FAILED} {name}: dropout {order}; the slide's is 0.35 on the "
                              f"pooled maps then 0.5 on dense1's outputs. Hint: {hint}")
    reference.eval()
    with torch.no_grad():
        expected = reference(images)
        if got.shape != expected.shape:
            return Verdict(False, f"{FAILED} {name}: output shape {tuple(got.shape)} for 16 "
                                  f"images, expected {tuple(expected.shape)}")
        if not torch.allclose(got, expected, rtol=1e-4, atol=1e-5):
            for mistake, (changes, hint) in MISTAKES.items():
                variant = _variant(changes)
                _load_in_order(variant, reference)
                if torch.allclose(got, variant.eval()(images), rtol=1e-4, atol=1e-5):
                    return Verdict(False, f"{FAILED} {name}: {mistake}. Hint: {hint}")
            return Verdict(False, f"{FAILED} {name}: with the slide's weights its outputs "
                                  "differ from the slide's network (largest difference "
                                  f"{(got - expected).abs().max().item():.3g}). Hint: compare "
                                  "your layers one by one with the layer list")
    return Verdict(True, f"{PASSED} {name}: {count:,} parameters, dropout {list(DROPOUT_RATES)}, "
                         "and the slide's outputs with the same weights")


def check_task_model(student: nn.Module | Callable[[], nn.Module]) -> None:
    """Notebook 05's exercise: the network from the slide's layer list."""
    report(verify_task_model(student))


def yours_or_reference(student: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    """What the notebook trains: the student's network when its check passes, else the
    reference (so a notebook with the exercise still open runs to the end); says which."""
    return verdict.yours_or_reference(student, verify_task_model, task.build_model,
                                      "the network")


def verify_train_step(student: Callable) -> Verdict:
    """One training step (forward, cross-entropy on logits, zero the gradients, backward,
    update), run twice from the same weights as the reference and compared."""
    name = "train_step"
    generator = torch.Generator().manual_seed(1)
    batches = [(torch.randn(8, 1, 28, 28, generator=generator),
                torch.randint(0, 10, (8,), generator=generator)) for _ in range(2)]
    torch.manual_seed(0)
    ours, theirs = task.build_model().eval(), task.build_model().eval()
    theirs.load_state_dict(ours.state_dict())
    ours_opt = torch.optim.SGD(ours.parameters(), lr=0.1)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for step, (images, labels) in enumerate(batches, 1):
        expected = loop.train_step(ours, ours_opt, images, labels)
        with torch.no_grad():  # what a softmax before the loss would report, before the update
            softmaxed = F.cross_entropy(F.softmax(theirs(images), dim=1), labels).item()
        try:
            got = call_student(name, f"step {step}", student,
                               (theirs, theirs_opt, images, labels))
        except StudentFailed as failed:
            return failed.verdict
        got_value = float(got) if torch.is_tensor(got) or isinstance(got, float) else None
        if got_value is None or abs(got_value - expected.item()) > 1e-5:
            hint = ("use F.cross_entropy on the logits (no softmax, no nll_loss on logits)"
                    if got_value is not None else "return the loss")
            if got_value is not None and abs(got_value - softmaxed) < 1e-5:
                hint = "a softmax before F.cross_entropy applies it twice: return logits"
            return Verdict(False, f"{FAILED} {name}: step {step}: loss {got_value}, expected "
                                  f"{expected.item():.6f}. Hint: {hint}")
        moved = [not torch.allclose(a, b, atol=1e-6)
                 for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)]
        if any(moved):
            hint = ("zero the gradients before backward(): they add up across steps"
                    if step == 2 else "call loss.backward() and optimizer.step()")
            return Verdict(False, f"{FAILED} {name}: after step {step} the weights differ from "
                                  f"one plain step. Hint: {hint}")
    return Verdict(True, f"{PASSED} {name}: 2 steps give the reference's losses and weights")


def check_train_step(student: Callable) -> None:
    """Notebook 05's exercise: the training step by hand."""
    report(verify_train_step(student))


__all__ = ["DROPOUT_PLACES", "DROPOUT_RATES", "MISTAKES", "check_task_model", "check_train_step",
           "verify_task_model", "verify_train_step", "yours_or_reference"]
