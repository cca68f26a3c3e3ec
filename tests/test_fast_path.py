"""course_utils.training.fast_path: resolved per device, the plain path's numbers up to float noise,
a clean fallback where it cannot compile. No timing is asserted (benchmarks/ measures speed)."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from _mnist import needs_mnist
from torch import nn

from course_utils.training import engine, fast_path, loop, mnist, optimizers, task

CPU = torch.device("cpu")






@pytest.fixture(scope="module")
def mnist_small():
    return mnist.load_datasets(CPU, train_size=640, test_size=500)


def run(data, fast, name="adadelta", epochs=1):
    train_data, test_data = data
    return engine.train(name, train_data, test_data, epochs=epochs, batch_size=64,
                          progress=False, fast=fast)[1]


def test_cpu_gets_channels_last_and_compiles_only_for_long_runs():
    short = fast_path.fast_path_for("cpu", total_steps=fast_path.COMPILE_MIN_STEPS - 1)
    long = fast_path.fast_path_for("cpu", total_steps=fast_path.COMPILE_MIN_STEPS)
    assert short.channels_last and short.integer_dropout and not short.compile_optimizer
    assert long.channels_last and long.integer_dropout and long.compile_optimizer
    assert fast_path.fast_path_for("cpu") == long  # unknown length: a full run
    for path in (short, long):
        assert not (path.compile_model or path.cuda_graphs or path.bf16)
        assert path.sync_every == loop.SYNC_EVERY
    assert long.describe() == "channels_last+integer_dropout+compile_optimizer"
    assert fast_path.PLAIN.describe() == "plain"


def test_cuda_gets_the_captured_graph_no_syncs_inside_the_epoch_and_one_batch_evaluation():
    # resolving needs no GPU: torch.device("cuda") is only a name here
    path = fast_path.fast_path_for(torch.device("cuda"))
    assert path == fast_path.CUDA_GRAPHED and path.describe() == "capture_graph"
    assert not (path.compile_model or path.compile_optimizer or path.cuda_graphs)
    assert path.sync_every == 0 and path.eval_batch_size >= 10_000
    compiled = fast_path.CUDA_COMPILED
    assert compiled.compile_model and compiled.cuda_graphs and compiled.compile_optimizer
    assert not path.bf16 and fast_path.fast_path_for("cuda", bf16=True).bf16
    assert fast_path.fast_path_for("mps") == fast_path.PLAIN


@needs_mnist
def test_train_records_the_path_it_took(mnist_small):
    assert run(mnist_small, fast=False)["fast_path"] == "plain"
    # 10 steps: no compile
    assert run(mnist_small, fast=True)["fast_path"] == "channels_last+integer_dropout"


@needs_mnist
def test_channels_last_gives_the_plain_paths_losses_and_accuracy(mnist_small):
    plain = run(mnist_small, fast_path.PLAIN, epochs=2)
    fast = run(mnist_small, replace(fast_path.PLAIN, channels_last=True), epochs=2)
    # same data order and dropout masks; only the kernels' summation order differs
    np.testing.assert_allclose(fast["step_loss"], plain["step_loss"], rtol=1e-4)
    assert abs(fast["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002
    assert fast["step_loss"] != run(mnist_small, fast_path.PLAIN, epochs=2, name="sgd")["step_loss"]


@needs_mnist
def test_compiled_optimizer_step_gives_the_eager_steps_numbers(mnist_small):
    plain = run(mnist_small, fast_path.PLAIN)
    # compiles (or falls back); bernoulli_'s masks, so the plain path's numbers
    compiled = run(mnist_small, replace(fast_path.fast_path_for(CPU), integer_dropout=False))
    assert compiled["fast_path"] == "channels_last+compile_optimizer"
    np.testing.assert_allclose(compiled["step_loss"], plain["step_loss"], rtol=1e-4)
    assert abs(compiled["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002


@pytest.mark.parametrize("p", [0.35, 0.5])
def test_integer_dropout_keeps_each_value_with_probability_1_minus_p_and_rescales(p):
    torch.manual_seed(0)
    layer = fast_path.IntegerDropout(p)
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
    assert torch.equal(layer.eval()(x), x) and torch.equal(fast_path.IntegerDropout(0.0)(x), x)
    assert torch.equal(fast_path.IntegerDropout(1.0)(x), torch.zeros_like(x))  # no 0 * inf


@needs_mnist
def test_integer_dropout_is_repeatable_from_the_seed_and_learns_like_bernoulli(mnist_small):
    path = replace(fast_path.PLAIN, integer_dropout=True)
    first, again = run(mnist_small, path, epochs=2), run(mnist_small, path, epochs=2)
    assert first["fast_path"] == "integer_dropout"
    assert first["step_loss"] == again["step_loss"]  # the masks come from the seed
    plain = run(mnist_small, fast_path.PLAIN, epochs=2)
    assert first["step_loss"] != plain["step_loss"]  # other masks...
    # ...equal in distribution: the same first loss (no update yet) and a close final loss
    assert first["step_loss"][0] == pytest.approx(plain["step_loss"][0], rel=0.1)
    assert first["train_loss"][-1] == pytest.approx(plain["train_loss"][-1], rel=0.25)


@needs_mnist
def test_bf16_autocast_learns_like_fp32(mnist_small):
    fp32 = run(mnist_small, fast_path.PLAIN, epochs=2)
    bf16 = run(mnist_small, replace(fast_path.PLAIN, bf16=True), epochs=2)
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
    model = task.build_model()
    optimizer = optimizers.OPTIMIZERS["sgd"].make(model.parameters())
    step = fast_path.make_train_step(model, optimizer, replace(fast_path.PLAIN,
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
    call = fast_path._compiled(lambda x: x + 1, "test")
    assert call(1) == 2
    with pytest.raises(ValueError, match="a real error"):
        call(1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the CUDA-graph path needs a GPU")
def test_compiled_cuda_path_keeps_the_accuracy_of_the_plain_path():
    device = torch.device("cuda")
    data = mnist.load_datasets(device)  # the whole set: seconds on a GPU
    plain = run(data, fast_path.PLAIN, name="adam", epochs=2)
    fast = run(data, fast_path.CUDA_COMPILED, name="adam", epochs=2)
    assert fast["fast_path"] == "compile_optimizer+compile_model+cuda_graphs"
    # compiled dropout draws other masks: equal in distribution, so compare accuracies
    assert abs(fast["test_accuracy"][-1] - plain["test_accuracy"][-1]) <= 0.002


def test_the_cpu_fast_path_finds_dropout_layers_by_type_at_any_depth():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.3)),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(2 * 26 * 26, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    step = fast_path.make_train_step(model, optimizer, fast_path.fast_path_for("cpu", 10))
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    assert [type(m) for m in dropouts] == [fast_path.IntegerDropout] * 2
    assert [m.p for m in dropouts] == [0.3, 0.5]
    assert all(m._forward_pre_hooks for m in dropouts)  # masks drawn in NCHW order
    loss = step(torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,)))
    assert torch.isfinite(loss)
