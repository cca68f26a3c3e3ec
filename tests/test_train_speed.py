"""The engine's fast path (course_utils.training.FastPath) and benchmarks/train_speed.py.

No timing is asserted: the fast path must resolve per device, give the plain path's numbers
up to float noise, fall back cleanly where it cannot compile, and the benchmark must run and
record its rows.
"""

import csv
import importlib.util
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import training
from course_utils.data import MNISTNotFoundError, find_mnist

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "train_speed.py"
CPU = torch.device("cpu")


def have_mnist() -> bool:
    try:
        find_mnist()
    except MNISTNotFoundError:
        return False
    return True


needs_mnist = pytest.mark.skipif(not have_mnist(), reason="MNIST not available")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_speed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mnist_small():
    return training.load_datasets(CPU, train_size=640, test_size=500)


def run(data, fast, name="adadelta", epochs=1):
    train_data, test_data = data
    return training.train(name, train_data, test_data, epochs=epochs, batch_size=64,
                          progress=False, fast=fast)[1]


# --- which speed-ups a device gets ------------------------------------------------------------


def test_cpu_gets_channels_last_and_compiles_only_for_long_runs():
    short = training.fast_path_for("cpu", total_steps=training.COMPILE_MIN_STEPS - 1)
    long = training.fast_path_for("cpu", total_steps=training.COMPILE_MIN_STEPS)
    assert short.channels_last and short.integer_dropout and not short.compile_optimizer
    assert long.channels_last and long.integer_dropout and long.compile_optimizer
    assert training.fast_path_for("cpu") == long  # unknown length: a full run
    for path in (short, long):
        assert not (path.compile_model or path.cuda_graphs or path.bf16)
        assert path.sync_every == training.SYNC_EVERY
    assert long.describe() == "channels_last+integer_dropout+compile_optimizer"
    assert training.PLAIN.describe() == "plain"


def test_cuda_gets_the_captured_graph_no_syncs_inside_the_epoch_and_one_batch_evaluation():
    # resolving needs no GPU: torch.device("cuda") is only a name here
    path = training.fast_path_for(torch.device("cuda"))
    assert path == training.CUDA_GRAPHED and path.describe() == "capture_graph"
    assert not (path.compile_model or path.compile_optimizer or path.cuda_graphs)
    assert path.sync_every == 0 and path.eval_batch_size >= 10_000
    compiled = training.CUDA_COMPILED
    assert compiled.compile_model and compiled.cuda_graphs and compiled.compile_optimizer
    assert not path.bf16 and training.fast_path_for("cuda", bf16=True).bf16
    assert training.fast_path_for("mps") == training.PLAIN


@needs_mnist
def test_train_records_the_path_it_took(mnist_small):
    assert run(mnist_small, fast=False)["fast_path"] == "plain"
    # 10 steps: no compile
    assert run(mnist_small, fast=True)["fast_path"] == "channels_last+integer_dropout"


# --- same numbers as the plain path -----------------------------------------------------------


@needs_mnist
def test_channels_last_gives_the_plain_paths_losses_and_accuracy(mnist_small):
    plain = run(mnist_small, training.PLAIN, epochs=2)
    fast = run(mnist_small, replace(training.PLAIN, channels_last=True), epochs=2)
    # same data order and dropout masks; only the kernels' summation order differs
    np.testing.assert_allclose(fast["step_loss"], plain["step_loss"], rtol=1e-4)
    assert abs(fast["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002
    assert fast["step_loss"] != run(mnist_small, training.PLAIN, epochs=2, name="sgd")["step_loss"]


@needs_mnist
def test_compiled_optimizer_step_gives_the_eager_steps_numbers(mnist_small):
    plain = run(mnist_small, training.PLAIN)
    # compiles (or falls back); bernoulli_'s masks, so the plain path's numbers
    compiled = run(mnist_small, replace(training.fast_path_for(CPU), integer_dropout=False))
    assert compiled["fast_path"] == "channels_last+compile_optimizer"
    np.testing.assert_allclose(compiled["step_loss"], plain["step_loss"], rtol=1e-4)
    assert abs(compiled["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002


@pytest.mark.parametrize("p", [0.35, 0.5])
def test_integer_dropout_keeps_each_value_with_probability_1_minus_p_and_rescales(p):
    torch.manual_seed(0)
    layer = training.IntegerDropout(p)
    x = torch.rand(1_000_000) + 1.0  # no zeros: a zero output means dropped
    out = layer(x)
    kept = out != 0
    # 1e6 Bernoulli draws: the kept fraction is within 5 standard deviations of 1 - p
    assert abs(kept.float().mean().item() - (1 - p)) < 5 * (p * (1 - p) / len(x)) ** 0.5
    torch.testing.assert_close(out[kept], x[kept] / (1 - p))
    y = x.clone().requires_grad_()
    torch.manual_seed(1)
    layer(y).sum().backward()
    torch.manual_seed(1)
    torch.testing.assert_close(y.grad, layer(torch.ones_like(x)))
    assert torch.equal(layer.eval()(x), x) and torch.equal(training.IntegerDropout(0.0)(x), x)
    assert torch.equal(training.IntegerDropout(1.0)(x), torch.zeros_like(x))  # no 0 * inf


@needs_mnist
def test_integer_dropout_is_repeatable_from_the_seed_and_learns_like_bernoulli(mnist_small):
    path = replace(training.PLAIN, integer_dropout=True)
    first, again = run(mnist_small, path, epochs=2), run(mnist_small, path, epochs=2)
    assert first["fast_path"] == "integer_dropout"
    assert first["step_loss"] == again["step_loss"]  # the masks come from the seed
    plain = run(mnist_small, training.PLAIN, epochs=2)
    assert first["step_loss"] != plain["step_loss"]  # other masks...
    # ...equal in distribution: the same first loss (no update yet) and a close final loss
    assert first["step_loss"][0] == pytest.approx(plain["step_loss"][0], rel=0.1)
    assert first["train_loss"][-1] == pytest.approx(plain["train_loss"][-1], rel=0.25)


@needs_mnist
def test_bf16_autocast_learns_like_fp32(mnist_small):
    fp32 = run(mnist_small, training.PLAIN, epochs=2)
    bf16 = run(mnist_small, replace(training.PLAIN, bf16=True), epochs=2)
    assert bf16["fast_path"] == "bf16"
    assert bf16["step_loss"] != fp32["step_loss"]  # other rounding...
    # ...the same masks and data: the first loss to bf16's ~3 digits, the accuracy close
    assert bf16["step_loss"][0] == pytest.approx(fp32["step_loss"][0], rel=2e-2)
    assert abs(bf16["test_accuracy"][-1] - fp32["test_accuracy"][-1]) <= 0.02


def test_a_step_that_cannot_compile_runs_uncompiled_with_a_warning(monkeypatch):
    def broken_compile(function, **options):
        def fails(*args):
            raise RuntimeError("no C++ compiler")
        return fails

    monkeypatch.setattr(torch, "compile", broken_compile)
    torch.manual_seed(0)
    model = training.build_model()
    optimizer = training.OPTIMIZERS["sgd"].make(model.parameters())
    step = training.make_train_step(model, optimizer, replace(training.PLAIN,
                                                              compile_optimizer=True))
    before = model.dense2.weight.detach().clone()
    images, labels = torch.randn(8, 1, 28, 28), torch.arange(8)
    with pytest.warns(UserWarning, match="optimizer step failed .*no C\\+\\+ compiler"):
        loss = step(images, labels)
    assert torch.isfinite(loss) and not torch.equal(model.dense2.weight, before)
    step(images, labels)  # later steps go straight to the eager code, without a warning


def test_an_error_after_a_successful_compile_is_not_hidden(monkeypatch):
    calls = []

    def flaky_compile(function, **options):
        def compiled(*args):
            calls.append(args)
            if len(calls) > 1:
                raise ValueError("a real error")
            return function(*args)
        return compiled

    monkeypatch.setattr(torch, "compile", flaky_compile)
    call = training._compiled(lambda x: x + 1, "test")
    assert call(1) == 2
    with pytest.raises(ValueError, match="a real error"):
        call(1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the CUDA-graph path needs a GPU")
def test_compiled_cuda_path_keeps_the_accuracy_of_the_plain_path():
    device = torch.device("cuda")
    data = training.load_datasets(device)  # the whole set: seconds on a GPU
    plain = run(data, training.PLAIN, name="adam", epochs=2)
    fast = run(data, training.CUDA_COMPILED, name="adam", epochs=2)
    assert fast["fast_path"] == "compile_optimizer+compile_model+cuda_graphs"
    # compiled dropout draws other masks: equal in distribution, so compare accuracies
    assert abs(fast["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002


# --- host syncs ---------------------------------------------------------------------------------


class Bar:
    def __init__(self):
        self.updates = []

    def update(self, n):
        self.updates.append(n)

    def set_postfix(self, **kwargs):
        pass


@pytest.mark.parametrize(("sync_every", "updates"), [(0, [5]), (2, [2, 2, 1])])
def test_host_syncs_every_n_steps_or_once_per_epoch(sync_every, updates):
    torch.manual_seed(0)
    data = training.Dataset(torch.randn(40, 1, 28, 28), torch.randint(0, 10, (40,)))
    model = training.build_model()
    optimizer = training.OPTIMIZERS["sgd"].make(model.parameters())
    bar = Bar()
    losses = training.train_epoch(model, optimizer, data, 8, torch.Generator().manual_seed(0),
                                  progress=bar, sync_every=sync_every)
    assert bar.updates == updates and len(losses) == 5


def test_a_non_finite_loss_is_still_caught_when_syncing_once_per_epoch():
    data = training.Dataset(torch.full((24, 1, 28, 28), float("nan")), torch.zeros(24).long())
    model = training.build_model()
    optimizer = training.OPTIMIZERS["sgd"].make(model.parameters())
    with pytest.raises(training.NonFiniteLossError, match="epoch 1, step 1 of 3"):
        training.train_epoch(model, optimizer, data, 8, torch.Generator().manual_seed(0),
                             sync_every=0)


# --- the benchmark ------------------------------------------------------------------------------


def test_flop_count_matches_the_layer_list_by_hand(bench):
    sizes = training.feature_map_sizes()
    conv1 = sizes["conv1"] ** 2 * 64 * 3 * 3 * 1  # multiply-adds per image, forward
    conv2 = sizes["conv2"] ** 2 * 32 * 2 * 2 * 64
    dense1 = 32 * sizes["pool"] ** 2 * 256
    dense2 = 256 * 10
    forward = conv1 + conv2 + dense1 + dense2
    # backward: weight and input gradients, except conv1's input (the images need none)
    backward = conv1 + 2 * (conv2 + dense1 + dense2)
    assert bench.flops_per_image() == 2 * (forward + backward)
    assert round(bench.flops_per_image() / 1e6, 1) == 15.8  # the 15.8 MFLOP


def test_rough_cpu_peak_scales_with_threads(bench):
    name, one, bf16 = bench.cpu_name_and_peaks(1)
    assert name and one > 0 and bf16 in (one, 2 * one)
    assert bench.cpu_name_and_peaks(2)[1] == pytest.approx(2 * one)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--variants", "plain,warp"], "unknown engine variant"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
    (["--rounds", "0"], "--rounds must be >= 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_arguments_are_clear_errors(bench, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@needs_mnist
def test_quick_benchmark_runs_both_contenders_and_appends_rows(tmp_path):
    results = tmp_path / "results.csv"
    command = [sys.executable, str(BENCH), "--quick", "--steps", "2", "--rounds", "1",
               "--threads", "1", "--variants", "plain,channels_last", "--results", str(results)]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "reference (pytorch/examples)" in done.stdout and "ratio" in done.stdout
    rows = list(csv.DictReader(results.open()))
    assert [r["contender"] for r in rows] == 2 * ["reference (pytorch/examples)",
                                                  "engine plain", "engine channels_last"]
    for row in rows:
        assert row["torch"] == torch.__version__ and row["device"] == "cpu (1 thread)"
        assert float(row["images_per_s"]) > 0 and int(row["steps"]) == 2
    assert {float(r["ratio_vs_reference"]) for r in rows[::3]} == {1.0}
