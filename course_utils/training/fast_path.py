"""The fast path: the same training step arranged for the hardware, the maths left alone.

``make_train_step(model, optimizer, fast)`` returns ``step(images, labels) -> loss`` for
``course_utils.training.loop.train_epoch``. Each switch of :class:`FastPath` is a speed-up measured
by ``benchmarks/train_speed.py`` (benchmarks/README.md); none changes the model, the data order
or the loss. A student reading the loop can skip this module: with no switch on, the step is
``loop.train_step`` itself.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.training.loop import EVAL_BATCH_SIZE, SYNC_EVERY, train_step
from course_utils.training.messages import plain_text

# Compiling costs seconds up front (a C++/Triton build per optimizer); below this many steps
# the plain loops finish sooner.
COMPILE_MIN_STEPS = 3000


@dataclass(frozen=True)
class FastPath:
    """How :func:`train` runs the step on a device. Each switch is a measured speed-up (README,
    *Performance*) that leaves the maths alone: the same model and data order; dropout masks
    are the plain path's except under ``integer_dropout`` and compiled dropout, which draw other
    masks of the same distribution (final accuracies checked against the plain path's)."""

    channels_last: bool = False  # NHWC: oneDNN's conv and max-pool skip their layout reorders
    compile_optimizer: bool = False  # the optimizer's ~10 passes over 1.2 M weights -> 1 loop
    compile_model: bool = False  # torch.compile forward+backward (fuses the pointwise layers)
    cuda_graphs: bool = False  # replay each step as one CUDA graph: no per-kernel launches
    # the plain eager step recorded as one CUDA graph by hand (graphed_step): no compiler, so
    # no compile time; exclusive with the compile switches
    capture_graph: bool = False
    # bfloat16 autocast for conv/matmul: faster on a CPU with AVX512-BF16, but opt-in because
    # it moved final accuracies more than the fast path may (benchmarks/README.md)
    bf16: bool = False
    # dropout masks from 31-bit random integers: the same Bernoulli(1 - p) keep-or-drop and
    # 1/(1 - p) scale, cheaper to draw than bernoulli_ on a CPU, but not the plain path's masks
    integer_dropout: bool = False
    sync_every: int = SYNC_EVERY  # host syncs per epoch; 0: only at its end
    eval_batch_size: int = EVAL_BATCH_SIZE

    def switches(self) -> list[str]:
        """The switches that are on: what changes the step itself."""
        return [name for name in WHAT_CHANGES if getattr(self, name)]

    def describe(self) -> str:
        return "+".join(self.switches()) or "plain"

    def explain(self) -> list[str]:
        """What each switch that is on changes, and what it leaves alone."""
        return [f"{name}: {WHAT_CHANGES[name]}" for name in self.switches()]


# Every switch, in the order describe() names them, and what it changes against
# loop.train_step (notebook 05 prints these).
WHAT_CHANGES = {
    "channels_last": "images and weights stored channels-last (NHWC); the same arithmetic, "
                     "summed in another order (float noise)",
    "integer_dropout": "dropout masks drawn as 31-bit integers: the same keep probability and "
                       "scale, other random masks",
    "compile_optimizer": "the optimizer's update compiled into one loop: the same equations",
    "compile_model": "forward and backward compiled by torch.compile: the same maths, fused",
    "cuda_graphs": "the compiled step replayed as CUDA graphs",
    "capture_graph": "this very step recorded once as a CUDA graph and replayed: the same "
                     "kernels, launched at once",
    "bf16": "matrix products in bfloat16 (opt-in): fewer bits, other results",
}


PLAIN = FastPath()
# The two CUDA paths, both with no host sync inside an epoch and the test set in one batch:
# torch.compile's graphs, and the eager step captured by hand, the default because it measured
# faster and has no compile time (benchmarks/README.md).
CUDA_COMPILED = FastPath(compile_optimizer=True, compile_model=True, cuda_graphs=True,
                         sync_every=0, eval_batch_size=10_000)
CUDA_GRAPHED = FastPath(capture_graph=True, sync_every=0, eval_batch_size=10_000)
# The paths a user can name (the CLI's --fast-path, benchmarks/full_task.py); "auto", the
# device's default, is resolved by fast_path_for. The CUDA ones refuse other devices.
NAMED = {"plain": PLAIN, "graphed": CUDA_GRAPHED, "compiled": CUDA_COMPILED}
CUDA_ONLY = ("graphed", "compiled")


def fast_path_for(device: torch.device | str, total_steps: int | None = None, *,
                  bf16: bool = False) -> FastPath:
    """The engine's default per device. CPU: channels_last, plus the compiled optimizer for
    runs long enough to repay its compile time. CUDA: the plain step captured as one CUDA
    graph, no host sync inside an epoch, the test set in one batch. MPS: plain."""
    device = torch.device(device)
    long_run = total_steps is None or total_steps >= COMPILE_MIN_STEPS
    if device.type == "cuda":
        return replace(CUDA_GRAPHED, bf16=bf16)
    if device.type == "cpu":
        return FastPath(channels_last=True, integer_dropout=True, compile_optimizer=long_run,
                        bf16=bf16)
    return PLAIN


# Notes torch prints while compiling that concern torch itself, not the student's code (the
# optimizer's profiler annotations are dropped; a CUDA build finds no GPU on a CPU machine).
_COMPILER_CHATTER = ("torch._dynamo.variables.ctx_manager", "torch.utils.cpp_extension")


def _quiet_compiler() -> None:
    for name in _COMPILER_CHATTER:
        logging.getLogger(name).setLevel(logging.ERROR)


def _compiled(function: Callable, what: str, **options) -> Callable:
    """``torch.compile(function)``, falling back to ``function`` itself (with a warning) where
    compiling fails, e.g. no C++ compiler or an unsupported Python; compiling happens on the
    first call."""
    _quiet_compiler()
    compiled = torch.compile(function, **options)
    state = {"ok": None}

    def call(*args):
        if state["ok"] is False:
            return function(*args)
        try:
            result = compiled(*args)
        except Exception as err:  # noqa: BLE001 - any compiler failure: run the plain code
            if state["ok"]:
                raise  # it compiled before: this is a real error, not a compiler problem
            state["ok"] = False
            warnings.warn(f"torch.compile of the {what} failed ({type(err).__name__}: "
                          f"{plain_text(err, 200)}); running it uncompiled", stacklevel=2)
            return function(*args)
        state["ok"] = True
        return result

    return call


class IntegerDropout(nn.Dropout):
    """:class:`torch.nn.Dropout` with its mask drawn as 31-bit random integers below
    (1 - p) * 2**31: the same keep probability (to 2**-31) and scale, without bernoulli_'s
    per-element floating-point draw, a measurable share of a CPU step (benchmarks/README.md)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return x * 0.0
        keep = 1.0 - self.p
        # random_() on int32 is uniform on [0, 2**31): one 32-bit draw per element
        bits = torch.empty(x.shape, dtype=torch.int32, device=x.device).random_()
        noise = (bits < round(keep * 2**31)).to(x.dtype).mul_(1.0 / keep)
        return x * noise


def _replace_dropout(model: nn.Module) -> None:
    """Every plain ``nn.Dropout`` in ``model``, at any depth, becomes an IntegerDropout."""
    for parent in list(model.modules()):
        for name, layer in parent.named_children():
            if type(layer) is nn.Dropout:
                setattr(parent, name, IntegerDropout(layer.p))


def make_train_step(model: nn.Module, optimizer: torch.optim.Optimizer,
                    fast: FastPath = PLAIN) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """:func:`train_step` arranged by ``fast``; call it right after building the optimizer
    (``channels_last`` re-lays the weights out in place). With no switch on, it is
    :func:`train_step` itself."""
    if not fast.switches():
        return functools.partial(train_step, model, optimizer)
    device = next(model.parameters()).device
    if fast.capture_graph:
        if device.type != "cuda":
            raise ValueError(f"capture_graph needs a CUDA device; the model is on {device}")
        clash = {"compile_model", "compile_optimizer", "cuda_graphs"} & set(fast.switches())
        if clash:
            raise ValueError(f"capture_graph records the eager step; drop {sorted(clash)}")
    if fast.integer_dropout:
        _replace_dropout(model)
    if fast.channels_last:
        model.to(memory_format=torch.channels_last)
        # dropout draws its mask in memory order: back to NCHW first, so the masks are the
        # plain path's (a flatten after it needs NCHW anyway)
        for layer in model.modules():
            if isinstance(layer, nn.Dropout):
                layer.register_forward_pre_hook(lambda _, args: (args[0].contiguous(),))

    def loss_of(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # no cast cache under a captured graph: its cached copies would outlive the capture
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast.bf16,
                            cache_enabled=not fast.capture_graph):
            logits = model(images)
        return F.cross_entropy(logits.float(), labels)

    if fast.capture_graph:
        from course_utils.training.graphed_step import GraphedStep

        return GraphedStep(model, optimizer, loss_of)

    if fast.compile_model:
        mode = "reduce-overhead" if fast.cuda_graphs else None
        # dynamic=False: one static graph per batch shape (the last, smaller batch gets its own)
        loss_of = _compiled(loss_of, "model", mode=mode, dynamic=False)
    update = optimizer.step
    if fast.compile_optimizer:
        update = _compiled(optimizer.step, "optimizer step")
    mark_step = getattr(torch.compiler, "cudagraph_mark_step_begin", None)

    def step(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if fast.cuda_graphs and mark_step is not None:
            mark_step()  # the graphs' outputs of the previous step may now be overwritten
        loss = loss_of(images, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        update()
        return loss.detach()

    return step


__all__ = [
    "COMPILE_MIN_STEPS", "CUDA_COMPILED", "CUDA_GRAPHED", "CUDA_ONLY", "NAMED", "PLAIN",
    "FastPath", "IntegerDropout", "WHAT_CHANGES", "fast_path_for", "make_train_step",
]
