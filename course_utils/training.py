"""The lecture's programming task: its MNIST CNN and the engine that trains it per optimizer.

Everything the task needs and nothing the slides don't: the model (exactly the layer list of
the "Programming Tasks" slide), device choice, the optimizers with their sourced settings, a
training loop that keeps the whole data set on the device, and history/weight files that
survive an interrupted run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import sys
import tempfile
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.geometry import output_geometry

# The slide's layer list; the notebook and the tests check the model against these numbers.
INPUT_SIZE = 28
CONV1 = dict(filters=64, kernel=3, stride=2, padding="valid")
CONV2 = dict(filters=32, kernel=2, stride=1, padding="same")
POOL = dict(size=2, stride=1)
DROPOUT1, DENSE_UNITS, DROPOUT2, CLASSES = 0.35, 256, 0.5, 10
EXPECTED_PARAMETERS = 1_191_338

# Keras' model.fit default; SGD at lr 0.01 needs the 1,875 steps/epoch it gives to reach ~98 %.
DEFAULT_BATCH_SIZE = 32
EVAL_BATCH_SIZE = 1000  # no gradients: large batches only cost memory
DEFAULT_SEED = 0
SYNC_EVERY = 100  # steps between host syncs (finite-loss check, progress-bar loss)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


def feature_map_sizes(n: int = INPUT_SIZE) -> dict[str, int]:
    """Spatial size after each layer, from the lecture's (N - F + 2P)/S + 1 (floored like
    every framework: the stride-2 conv on 28 pixels gives 13.5 -> 13)."""
    conv1 = output_geometry(n, CONV1["kernel"], CONV1["stride"], 0).size
    conv2 = conv1  # 'same' at stride 1 keeps the size by definition
    pool = output_geometry(conv2, POOL["size"], POOL["stride"], 0).size
    return {"input": n, "conv1": conv1, "conv2": conv2, "pool": pool}


def same_padding_tf(kernel: int) -> tuple[int, int]:
    """TensorFlow's 'same' at stride 1: F-1 zeros in all, the odd one goes after (0/1 for F=2)."""
    total = kernel - 1
    return total // 2, total - total // 2


def build_model() -> nn.Sequential:
    """The "Programming Tasks" CNN in PyTorch; the last layer emits logits (softmax lives in
    the loss, ``F.cross_entropy``, and in :func:`predict_proba`)."""
    before, after = same_padding_tf(CONV2["kernel"])
    flat = CONV2["filters"] * feature_map_sizes()["pool"] ** 2
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, CONV1["filters"], CONV1["kernel"], stride=CONV1["stride"])),
        ("relu1", nn.ReLU()),
        # TF's 'same' for the 2x2 kernel written out (0 before, 1 after): the zero-padded copy
        # that padding="same" makes (with a warning) for even kernels, made visible
        ("pad2", nn.ZeroPad2d((before, after, before, after))),
        ("conv2", nn.Conv2d(CONV1["filters"], CONV2["filters"], CONV2["kernel"])),
        ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(POOL["size"], stride=POOL["stride"])),
        ("dropout1", nn.Dropout(DROPOUT1)),
        ("flatten", nn.Flatten()),
        ("dense1", nn.Linear(flat, DENSE_UNITS)),
        ("tanh", nn.Tanh()),
        ("dropout2", nn.Dropout(DROPOUT2)),
        ("dense2", nn.Linear(DENSE_UNITS, CLASSES)),
    ]))


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (the lecture's weights + biases)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def initial_state(seed: int = DEFAULT_SEED) -> dict[str, torch.Tensor]:
    """PyTorch's default initialisation drawn from ``seed``: every optimizer starts here."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@torch.inference_mode()
def predict_proba(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The slide's final softmax layer, applied only when probabilities are wanted."""
    model.eval()
    return F.softmax(model(images), dim=1)


def quick_mode() -> bool:
    """True under CI or ``COURSE_QUICK=1``: notebooks then train a small subset for 1 epoch."""
    return bool(os.environ.get("CI")) or os.environ.get("COURSE_QUICK", "0") not in ("", "0")


def default_results_dir(quick: bool = False) -> Path:
    """``results/`` of the repository checkout (where ``make assignment`` writes), else of the
    working directory (Colab); quick runs go to ``results/quick`` and never overwrite a full
    run."""
    repo = Path(__file__).resolve().parents[1]
    base = repo / "results" if (repo / "pyproject.toml").is_file() else Path("results")
    return base / "quick" if quick else base


# ---------------------------------------------------------------------------------------------
# Device
# ---------------------------------------------------------------------------------------------


class DeviceUnavailableError(ValueError):
    """The requested device does not exist on this machine."""


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def choose_device(requested: str | None = None) -> torch.device:
    """CUDA, then Apple's MPS, then CPU; ``requested`` ('cpu', 'cuda', 'cuda:1', 'mps')
    overrides and must exist."""
    if requested in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise DeviceUnavailableError(
            f"unknown device {requested!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceUnavailableError("device 'cuda' requested but no CUDA GPU is available")
        if device.index is not None and device.index >= count:
            raise DeviceUnavailableError(f"device {requested!r} requested; only {count} GPU(s)")
    elif device.type == "mps" and not _mps_available():
        raise DeviceUnavailableError("device 'mps' requested but Apple's MPS is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceUnavailableError(f"unsupported device {requested!r}; use cpu, cuda or mps")
    return device


def describe_device(device: torch.device) -> str:
    """A one-line name for results tables: 'cuda (NVIDIA H100)', 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    return device.type


def colab_gpu_hint(device: torch.device) -> str | None:
    """On Colab without a GPU, how to get one (the full run takes minutes there instead of a
    quarter of an hour: README, Performance)."""
    if "google.colab" in sys.modules and device.type == "cpu":
        return ("Colab is running on CPU: Runtime > Change runtime type > T4 GPU, "
                "then Runtime > Run all.")
    return None


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of the task, with its settings and where they come from."""

    name: str
    label: str
    factory: Callable[..., torch.optim.Optimizer]
    kwargs: dict
    source: str

    @property
    def lr(self) -> float:
        return self.kwargs["lr"]

    def make(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return self.factory(params, **self.kwargs)


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec for spec in [
        OptimizerSpec("adam", "Adam (lr 1e-3)", torch.optim.Adam, {"lr": 1e-3},
                      "Kingma & Ba 2015; the default of PyTorch and Keras"),
        OptimizerSpec("adadelta", "Adadelta (lr 1.0)", torch.optim.Adadelta, {"lr": 1.0},
                      "Zeiler 2012 (no learning rate, i.e. 1.0); PyTorch's default"),
        OptimizerSpec("sgd", "SGD (lr 0.01)", torch.optim.SGD, {"lr": 0.01},
                      "Keras' default; PyTorch has none"),
        # What students following the tf.keras docs get: lr 0.001, rho 0.95, epsilon 1e-7.
        OptimizerSpec("adadelta-keras", "Adadelta (tf.keras lr 1e-3)", torch.optim.Adadelta,
                      {"lr": 1e-3, "rho": 0.95, "eps": 1e-7}, "tf.keras' default"),
    ]
}
TASK_OPTIMIZERS = ("adam", "adadelta", "sgd")


# ---------------------------------------------------------------------------------------------
# Training engine
# ---------------------------------------------------------------------------------------------


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training cannot recover from that."""


@dataclass
class Dataset:
    """Images normalised once and labels, both resident on one device."""

    images: torch.Tensor  # float32 [N,1,28,28]
    labels: torch.Tensor  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None) -> Dataset:
        return self if n is None or n >= len(self) else Dataset(self.images[:n], self.labels[:n])


def load_datasets(device: torch.device, train_size: int | None = None,
                  test_size: int | None = None, root=None) -> tuple[Dataset, Dataset]:
    """MNIST train/test on ``device``, normalised once (optionally the first n images)."""
    from course_utils.data import load_mnist_for_model

    train = Dataset(*load_mnist_for_model(train=True, root=root, device=device))
    test = Dataset(*load_mnist_for_model(train=False, root=root, device=device))
    return train.subset(train_size), test.subset(test_size)


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


# ---------------------------------------------------------------------------------------------
# Fast path: the same step, arranged for the hardware (measured by benchmarks/train_speed.py)
# ---------------------------------------------------------------------------------------------

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
    # bfloat16 autocast for conv/matmul: 1.4x faster on a CPU with AVX512-BF16, but opt-in:
    # on the full task (seed 0) it ended 0.24/0.27 points below the FP32 fast path (Adam,
    # Adadelta), outside the 0.2 the fast path may move results
    bf16: bool = False
    # dropout masks from 31-bit random integers: the same Bernoulli(1 - p) keep-or-drop and
    # 1/(1 - p) scale, drawn ~4x faster than bernoulli_ on a CPU, but not the plain path's masks
    integer_dropout: bool = False
    sync_every: int = SYNC_EVERY  # host syncs per epoch; 0: only at its end
    eval_batch_size: int = EVAL_BATCH_SIZE

    def switches(self) -> list[str]:
        """The switches that are on: what changes the step itself."""
        return [name for name in ("channels_last", "integer_dropout", "compile_optimizer",
                                  "compile_model", "cuda_graphs", "capture_graph", "bf16")
                if getattr(self, name)]

    def describe(self) -> str:
        return "+".join(self.switches()) or "plain"


PLAIN = FastPath()
# The two CUDA paths, both with no host sync inside an epoch and the test set in one batch:
# torch.compile's graphs, and the eager step captured by hand, the default because it measured
# faster and has no compile time (README, Performance).
CUDA_COMPILED = FastPath(compile_optimizer=True, compile_model=True, cuda_graphs=True,
                         sync_every=0, eval_batch_size=10_000)
CUDA_GRAPHED = FastPath(capture_graph=True, sync_every=0, eval_batch_size=10_000)


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
                          f"{str(err).strip()[:200]}); running it uncompiled", stacklevel=2)
            return function(*args)
        state["ok"] = True
        return result

    return call


class IntegerDropout(nn.Dropout):
    """:class:`torch.nn.Dropout` with its mask drawn as 31-bit random integers below
    (1 - p) * 2**31: the same keep probability (to 2**-31) and scale, without bernoulli_'s
    per-element floating-point draw (~3.5 of a CPU step's ~25 ms at batch 64)."""

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
        for name, layer in model.named_children():
            if type(layer) is nn.Dropout:
                setattr(model, name, IntegerDropout(layer.p))
    if fast.channels_last:
        model.to(memory_format=torch.channels_last)
        # dropout draws its mask in memory order: back to NCHW first, so the masks are the
        # plain path's (the flatten after it needs NCHW anyway)
        model.dropout1.register_forward_pre_hook(lambda _, args: (args[0].contiguous(),))

    def loss_of(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # no cast cache under a captured graph: its cached copies would outlive the capture
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=fast.bf16,
                            cache_enabled=not fast.capture_graph):
            logits = model(images)
        return F.cross_entropy(logits.float(), labels)

    if fast.capture_graph:
        from course_utils.graphed_step import GraphedStep

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


def write_json_atomic(path: str | os.PathLike, data: dict) -> None:
    """Write a temporary file beside ``path`` and rename it: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=1)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a results file is for everyone
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def history_path(out_dir: str | os.PathLike, name: str) -> Path:
    return Path(out_dir) / f"history_{name}.json"


def weights_path(out_dir: str | os.PathLike, name: str) -> Path:
    return Path(out_dir) / f"weights_{name}.pt"


def load_history(path: str | os.PathLike) -> dict:
    """A history written by :func:`train`, complete or cut short by an interruption."""
    return json.loads(Path(path).read_text())


def save_weights(model: nn.Module, path: str | os.PathLike) -> None:
    """The trained weights as a plain state_dict (loadable with ``weights_only=True``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_name(f".{path.name}.part")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_weights(path: str | os.PathLike, device: torch.device | str = "cpu") -> nn.Sequential:
    """Rebuild the task's model from saved weights; ``weights_only`` runs no pickled code."""
    model = build_model()
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device)


def _progress_bar(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=True,
                disable=bool(os.environ.get("CI")), mininterval=1.0)


def train(name: str, train_data: Dataset, test_data: Dataset, *, epochs: int = 10,
          batch_size: int = DEFAULT_BATCH_SIZE, seed: int = DEFAULT_SEED,
          start_state: dict | None = None, out_dir: str | os.PathLike | None = None,
          on_epoch_end: Callable[[dict], None] | None = None, progress: bool = True,
          spec: OptimizerSpec | None = None,
          fast: bool | FastPath = True) -> tuple[nn.Module, dict]:
    """Train the task's model with optimizer ``name`` and return ``(model, history)``.

    ``start_state`` (default :func:`initial_state` of ``seed``) is where every optimizer
    starts. The data order and dropout masks come from ``seed`` too, so a CPU run is
    repeatable. With ``out_dir``, the history JSON is rewritten after every epoch and the final
    weights are saved next to it. ``fast``: the device's :func:`fast_path_for` (True), the
    plain :func:`train_step` (False), or a given :class:`FastPath`.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    spec = spec or OPTIMIZERS[name]
    device = train_data.images.device
    torch.manual_seed(seed)  # dropout masks
    generator = torch.Generator().manual_seed(seed)  # data order, independent of dropout
    model = build_model().to(device)
    model.load_state_dict(start_state if start_state is not None else initial_state(seed))
    optimizer = spec.make(model.parameters())
    steps = math.ceil(len(train_data) / batch_size)
    if not isinstance(fast, FastPath):
        fast = fast_path_for(device, epochs * steps) if fast else PLAIN
    step_fn = make_train_step(model, optimizer, fast)

    history = {
        "optimizer": spec.name, "label": spec.label, "settings": spec.kwargs,
        "source": spec.source, "device": describe_device(device), "batch_size": batch_size,
        "seed": seed, "epochs_planned": epochs, "train_size": len(train_data),
        "test_size": len(test_data), "steps_per_epoch": steps, "epochs_done": 0,
        "step_loss": [], "train_loss": [], "test_loss": [], "test_accuracy": [],
        "epoch_time_s": [], "wall_time_s": 0.0, "images_per_s": None, "completed": False,
        "fast_path": fast.describe(),
    }
    bar = _progress_bar(epochs * steps, spec.label) if progress else None
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            losses = train_epoch(model, optimizer, train_data, batch_size, generator,
                                 name=spec.label, epoch=epoch, progress=bar,
                                 step_fn=step_fn, sync_every=fast.sync_every)
            step_losses = losses.tolist()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - started
            test_loss, test_accuracy, predicted = evaluate(model, test_data, fast.eval_batch_size)
            # the epoch's train loss as Keras reports it: mean of its mini-batch losses
            history["step_loss"] += step_losses
            history["train_loss"].append(sum(step_losses) / len(step_losses))
            history["test_loss"].append(test_loss)
            history["test_accuracy"].append(test_accuracy)
            history["epoch_time_s"].append(seconds)
            history["epochs_done"] = epoch
            history["wall_time_s"] = sum(history["epoch_time_s"])
            history["images_per_s"] = epoch * len(train_data) / history["wall_time_s"]
            if epoch == epochs:
                wrong = (predicted != test_data.labels).nonzero().flatten()
                history["completed"] = True
                history["confusion"] = confusion_matrix(test_data.labels, predicted)
                history["misclassified"] = {"index": wrong.tolist(),
                                            "predicted": predicted[wrong].tolist()}
            if out_dir is not None:
                write_json_atomic(history_path(out_dir, spec.name), history)
            if on_epoch_end is not None:
                on_epoch_end(history)
    finally:
        if bar is not None:
            bar.close()
    if out_dir is not None:
        save_weights(model, weights_path(out_dir, spec.name))
    return model, history


def finished_history(out_dir: str | os.PathLike, name: str, train_data: Dataset,
                     test_data: Dataset, epochs: int, batch_size: int, seed: int) -> dict | None:
    """The completed history of this exact run (same optimizer settings, data sizes, epochs,
    batch size and seed) if ``out_dir`` holds one with its weights; else None."""
    path = history_path(out_dir, name)
    if not path.is_file() or not weights_path(out_dir, name).is_file():
        return None
    history = load_history(path)
    wanted = {"settings": OPTIMIZERS[name].kwargs, "train_size": len(train_data),
              "test_size": len(test_data), "epochs_planned": epochs, "batch_size": batch_size,
              "seed": seed, "completed": True}
    return history if all(history.get(k) == v for k, v in wanted.items()) else None


def train_all(optimizers: Iterable[str], train_data: Dataset, test_data: Dataset, *,
              epochs: int = 10, batch_size: int = DEFAULT_BATCH_SIZE, seed: int = DEFAULT_SEED,
              out_dir: str | os.PathLike | None = None, progress: bool = True,
              reuse_finished: bool = False, fast: bool | FastPath = True) -> dict[str, dict]:
    """The task: one run per optimizer, all from the SAME initial weights; their histories.

    With ``reuse_finished``, an optimizer whose identical run already completed in ``out_dir``
    is loaded instead of retrained (a notebook restarted after a disconnect loses nothing).
    """
    start = initial_state(seed)
    histories = {}
    for name in optimizers:
        if reuse_finished and out_dir is not None:
            done = finished_history(out_dir, name, train_data, test_data, epochs, batch_size,
                                    seed)
            if done is not None:
                print(f"{done['label']}: reusing the finished run in "
                      f"{history_path(out_dir, name)} (same settings and seed)")
                histories[name] = done
                continue
        _, histories[name] = train(name, train_data, test_data, epochs=epochs,
                                   batch_size=batch_size, seed=seed, start_state=start,
                                   out_dir=out_dir, progress=progress, fast=fast)
    return histories


__all__ = [
    "CLASSES", "COMPILE_MIN_STEPS", "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "EXPECTED_PARAMETERS",
    "OPTIMIZERS", "TASK_OPTIMIZERS", "Dataset", "DeviceUnavailableError", "NonFiniteLossError",
    "OptimizerSpec", "build_model", "choose_device", "colab_gpu_hint", "confusion_matrix",
    "count_parameters", "default_results_dir", "describe_device", "evaluate", "FastPath",
    "fast_path_for", "CUDA_COMPILED", "CUDA_GRAPHED", "feature_map_sizes", "finished_history",
    "history_path", "initial_state",
    "IntegerDropout", "load_datasets", "load_history", "load_weights", "make_train_step", "PLAIN",
    "predict_proba", "quick_mode", "same_padding_tf", "save_weights", "train", "train_all",
    "train_epoch", "train_step", "weights_path", "write_json_atomic",
]
