"""The engine: train any model with each optimizer, from one set of initial weights, and keep
every finished epoch on disk.

``train(name, train_data, test_data, model=...)`` runs ``course_utils.training.loop`` for the given
epochs and returns ``(model, history)``; ``train_all`` does that for several optimizers, all
starting from the same weights, as the programming task asks. ``model`` is a module or a
function that builds one; the task's CNN (``task.build_model``) is the default. Histories are
JSON files rewritten after every epoch, so an interrupted run keeps what it finished.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn

from course_utils.training import results
from course_utils.training.devices import describe_device
from course_utils.training.fast_path import PLAIN, FastPath, fast_path_for, make_train_step
from course_utils.training.loop import confusion_matrix, evaluate, train_epoch, train_epoch_with
from course_utils.training.mnist import Dataset
from course_utils.training.optimizers import OPTIMIZERS, OptimizerSpec
from course_utils.training.task import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_SEED,
    build_model,
    count_parameters,
)

ModelSource = nn.Module | Callable[[], nn.Module] | None
ENGINE_LOOP = "engine"  # a history's ``trained_by`` when the engine's own loop trained it


def trained_by(train_function: Callable | None) -> str:
    """What a history records as its training loop: "engine", or the function's name and a
    fingerprint of its code ("my_train 3f2a9c1e"), so a run is reused only for the same code
    (an edited my_train, or another notebook's, trains again)."""
    if train_function is None:
        return ENGINE_LOOP
    name = getattr(train_function, "__qualname__", type(train_function).__qualname__)
    code = getattr(train_function, "__code__", None)
    if code is None:
        return name
    return f"{name} {hashlib.sha256(_code_bytes(code)).hexdigest()[:8]}"


def _code_bytes(code) -> bytes:
    """A function's bytecode and constants, nested code (comprehensions, inner functions)
    included by content: the same source gives the same bytes in every session."""
    parts = [code.co_code]
    for constant in code.co_consts:
        parts.append(_code_bytes(constant) if hasattr(constant, "co_code")
                     else repr(constant).encode())
    return b"\0".join(parts)


def model_factory(model: ModelSource = None) -> Callable[[], nn.Module]:
    """A function that builds a fresh copy of ``model``: the task's CNN for None, the function
    itself for a function (or class), a deep copy for a module."""
    if model is None:
        return build_model
    if isinstance(model, nn.Module):
        return lambda: copy.deepcopy(model)
    if callable(model):
        return model
    raise TypeError(f"model must be an nn.Module or a function that builds one, got {model!r}")


def model_name(model: ModelSource = None) -> str:
    """How histories name a model: the builder's or the class's name."""
    if model is None:
        return build_model.__name__
    if isinstance(model, nn.Module):
        return type(model).__name__
    return getattr(model, "__name__", type(model).__name__)


def model_fingerprint(module: nn.Module) -> str:
    """Twelve hex digits of the module's layer listing and parameter shapes: two histories
    with the same fingerprint come from the same architecture."""
    shapes = [(name, tuple(p.shape)) for name, p in module.state_dict().items()]
    return hashlib.sha256(f"{module!r}{shapes}".encode()).hexdigest()[:12]


def initial_state(seed: int = DEFAULT_SEED, model: ModelSource = None) -> dict[str, torch.Tensor]:
    """PyTorch's default initialisation of ``model`` drawn from ``seed``: every optimizer
    starts here (a module given as ``model`` keeps its own weights)."""
    if isinstance(model, nn.Module):
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = model_factory(model)()
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def training_bytes_per_image(model: ModelSource = None) -> int:
    """Memory one image costs during a training step: every layer's output (forward, float32)
    kept for the backward pass plus its gradient and room for the kernels' workspace, three
    times the lecture's per-layer activation memory (notebook 04's tables), measured here by
    a forward pass of one image through ``model``."""
    module = model_factory(model)()
    sizes = []
    hooks = [layer.register_forward_hook(lambda _m, _i, out: sizes.append(out.nbytes))
             for layer in module.modules() if not list(layer.children())]
    with torch.no_grad():
        module.eval()(torch.zeros(1, 1, 28, 28))
    for hook in hooks:
        hook.remove()
    return 3 * sum(sizes)


def free_memory_bytes(device: torch.device) -> int | None:
    """Free memory where training would run: the GPU's, else the machine's (None if unknown)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def load_weights(path: str | os.PathLike, device: torch.device | str = "cpu",
                 model: ModelSource = None) -> nn.Module:
    """Rebuild ``model`` (default: the task's CNN) from weights saved by ``train``
    (``results.load_state``: no pickled code runs; a wrong file is one clear error)."""
    module, _ = results.load_state(model_factory(model)(), path, device=device,
                                   what=model_name(model))
    return module


def progress_bar(total: int, desc: str, enabled: bool = True):
    """The training progress bar (steps), off under CI, where it would only fill the log."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=True,
                disable=not enabled or bool(os.environ.get("CI")), mininterval=1.0)


def _starting_module(model: ModelSource, start_state: dict | None, seed: int) -> nn.Module:
    """The module to train: ``model`` itself (a module) or a new one, set to ``start_state``
    (default for a new one: :func:`initial_state` of ``seed``)."""
    module = model if isinstance(model, nn.Module) else model_factory(model)()
    if start_state is None and not isinstance(model, nn.Module):
        start_state = initial_state(seed, model)
    if start_state is not None:
        module.load_state_dict(start_state)
    return module


def _finish(history: dict, module: nn.Module, predicted: torch.Tensor, labels: torch.Tensor,
            out_dir: str | os.PathLike | None) -> None:
    """After the last epoch: the confusion matrix, the misread test digits, the weights."""
    wrong = (predicted != labels).nonzero().flatten()
    history["confusion"] = confusion_matrix(labels, predicted)
    history["misclassified"] = {"index": wrong.tolist(), "predicted": predicted[wrong].tolist()}
    if out_dir is not None:  # the weights first: "completed" promises them
        results.save_weights(module, results.weights_path(out_dir, history["optimizer"]))
    history["completed"] = True


def train(name: str, train_data: Dataset, test_data: Dataset, *, model: ModelSource = None,
          epochs: int = 10, batch_size: int = DEFAULT_BATCH_SIZE, seed: int = DEFAULT_SEED,
          start_state: dict | None = None, out_dir: str | os.PathLike | None = None,
          on_epoch_end: Callable[[dict], None] | None = None, progress: bool = True,
          spec: OptimizerSpec | None = None, label: str | None = None,
          fast: bool | FastPath = True,
          train_function: Callable | None = None) -> tuple[nn.Module, dict]:
    """Train ``model`` (default: the task's CNN) with optimizer ``name``; ``(model, history)``.

    ``model`` is a module (trained in place) or a function that builds one. ``start_state``
    (default: :func:`initial_state` of ``seed``) is where every optimizer starts. The data
    order and dropout masks come from ``seed`` too, so a CPU run is repeatable. With
    ``out_dir``, the history JSON is rewritten after every epoch and the final weights are
    saved next to it. ``fast``: the device's ``fast_path_for`` (True), the plain
    ``loop.train_step`` (False), or a given ``FastPath``. ``label`` names the run in the
    progress bar and the history (default: the optimizer's label). ``train_function``: a
    function with ``loop.train``'s signature (notebook 05's ``my_train``) that trains each
    epoch instead of the engine's loop; it is called for one epoch at a time with the engine's
    generator, so the data order is the engine's and every epoch is tested and saved.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    spec = spec or OPTIMIZERS[name]
    label = label or spec.label
    device = train_data.images.device
    torch.manual_seed(seed)  # dropout masks
    generator = torch.Generator().manual_seed(seed)  # data order, independent of dropout
    module = _starting_module(model, start_state, seed).to(device)
    fingerprint = model_fingerprint(module)  # before the fast path swaps layers in
    optimizer = spec.make(module.parameters())
    steps = math.ceil(len(train_data) / batch_size)
    if train_function is not None:  # the given loop, step for step as written
        fast = PLAIN
    elif not isinstance(fast, FastPath):
        fast = fast_path_for(device, epochs * steps) if fast else PLAIN
    step_fn = make_train_step(module, optimizer, fast)

    history = results.new_history(
        spec.name, label, spec.kwargs, batch_size=batch_size, seed=seed, epochs=epochs,
        train_size=len(train_data), test_size=len(test_data), steps_per_epoch=steps,
        source=spec.source, model=model_name(model), model_fingerprint=fingerprint,
        parameters=count_parameters(module), device=describe_device(device),
        fast_path=fast.describe(), trained_by=trained_by(train_function))
    bar = progress_bar(epochs * steps, label) if progress else None
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            if train_function is None:
                step_losses = train_epoch(module, optimizer, train_data, batch_size, generator,
                                          name=label, epoch=epoch, progress=bar,
                                          step_fn=step_fn, sync_every=fast.sync_every).tolist()
            else:
                step_losses = train_epoch_with(train_function, module, optimizer, train_data,
                                               batch_size, generator, name=label, epoch=epoch)
                if bar is not None:
                    bar.update(steps)
                    bar.set_postfix(epoch=epoch, loss=f"{sum(step_losses) / steps:.4f}")
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - started
            test_loss, test_accuracy, predicted = evaluate(module, test_data,
                                                           fast.eval_batch_size)
            # the epoch's train loss as Keras reports it: mean of its mini-batch losses
            results.record_epoch(history, step_losses=step_losses,
                                 train_loss=sum(step_losses) / len(step_losses),
                                 test_loss=test_loss, test_accuracy=test_accuracy,
                                 seconds=seconds)
            if epoch == epochs:
                _finish(history, module, predicted, test_data.labels, out_dir)
            if out_dir is not None:
                results.save_history(history, out_dir)
            if on_epoch_end is not None:
                on_epoch_end(history)
    finally:
        if bar is not None:
            bar.close()
    return module, history


def finished_history(out_dir: str | os.PathLike, name: str, train_data: Dataset,
                     test_data: Dataset, epochs: int, batch_size: int, seed: int,
                     model: ModelSource = None,
                     train_function: Callable | None = None) -> dict | None:
    """The completed history of this exact run (same model, optimizer settings, data sizes,
    epochs, batch size, seed and training loop) if ``out_dir`` holds one with its weights;
    else None."""
    if not results.has_runs(out_dir, [name]):
        return None
    history = results.load_history(results.history_path(out_dir, name))
    with torch.random.fork_rng(devices=[]):
        module = model if isinstance(model, nn.Module) else model_factory(model)()
    wanted = {"settings": OPTIMIZERS[name].kwargs, "train_size": len(train_data),
              "test_size": len(test_data), "epochs_planned": epochs, "batch_size": batch_size,
              "seed": seed, "completed": True, "model_fingerprint": model_fingerprint(module),
              "parameters": count_parameters(module)}
    same_loop = history.get("trained_by", ENGINE_LOOP) == trained_by(train_function)
    return history if same_loop and all(history.get(k) == v for k, v in wanted.items()) else None


def train_all(optimizers: Iterable[str], train_data: Dataset, test_data: Dataset, *,
              model: ModelSource = None, epochs: int = 10,
              batch_size: int = DEFAULT_BATCH_SIZE, seed: int = DEFAULT_SEED,
              out_dir: str | os.PathLike | None = None, progress: bool = True,
              reuse_finished: bool = False, fast: bool | FastPath = True,
              train_function: Callable | None = None) -> dict[str, dict]:
    """The task: one run per optimizer, all from the SAME initial weights; their histories.

    ``model`` as in :func:`train` (a module is copied, never trained in place here). With
    ``reuse_finished``, an optimizer whose identical run already completed in ``out_dir`` is
    loaded instead of retrained (a notebook restarted after a disconnect loses nothing).
    ``train_function`` as in :func:`train` (a run of another loop is never reused for it).
    """
    if out_dir is not None:
        results.remove_leftovers(out_dir)
    start = initial_state(seed, model)
    histories = {}
    for optimizer in optimizers:
        if reuse_finished and out_dir is not None:
            done = finished_history(out_dir, optimizer, train_data, test_data, epochs,
                                    batch_size, seed, model, train_function)
            if done is not None:
                where = os.path.relpath(results.history_path(out_dir, optimizer))
                print(f"{done['label']}: reusing the finished run in {where} (same model, "
                      "settings and seed)")
                histories[optimizer] = done
                continue
        fresh = copy.deepcopy(model) if isinstance(model, nn.Module) else model
        _, histories[optimizer] = train(optimizer, train_data, test_data, model=fresh,
                                        epochs=epochs, batch_size=batch_size, seed=seed,
                                        start_state=start, out_dir=out_dir, progress=progress,
                                        fast=fast, train_function=train_function)
    return histories


__all__ = [
    "finished_history", "free_memory_bytes", "initial_state", "load_weights", "model_factory",
    "model_fingerprint", "model_name", "progress_bar", "train", "train_all", "trained_by",
    "training_bytes_per_image", "ENGINE_LOOP",
]
