"""The GPU fast path: the plain step captured as one CUDA graph
(course_utils.training.graphed_step).

On a CPU machine: undoing the warm-up leaves the optimizer exactly where a fresh one starts, and
asking for a graph without a GPU is one clear error. On a GPU (the device run of
benchmarks/gpu_run.sh): the replayed step computes the plain step's numbers, and the graphed
path reaches the plain path's accuracy.
"""

import copy

import pytest
import torch

from course_utils import assignment
from course_utils.training import engine, fast_path, graphed_step, loop, mnist, optimizers, task

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
SPECS = [optimizers.OPTIMIZERS["adam"], optimizers.OPTIMIZERS["adadelta"],
         optimizers.OPTIMIZERS["sgd"],
         optimizers.OptimizerSpec("sgd-momentum", torch.optim.SGD, {"lr": 0.01, "momentum": 0.9},
                            "test"),
         optimizers.OptimizerSpec("rmsprop", torch.optim.RMSprop, {"lr": 1e-3}, "test")]


def batches(n, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(size, 1, 28, 28, generator=generator),
             torch.randint(0, 10, (size,), generator=generator)) for _ in range(n)]


def no_dropout_model():
    torch.manual_seed(0)
    model = task.build_model()
    model.dropout1.p = model.dropout2.p = 0.0  # the same maths on both sides, no masks
    return model


def plain_steps(model, spec, data, capturable=False):
    optimizer = spec.make(model.parameters())
    if capturable:
        graphed_step.make_capturable(optimizer)
    return [loop.train_step(model, optimizer, x, y).item() for x, y in data]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_undoing_the_warm_up_gives_a_fresh_optimizers_steps(spec):
    data = batches(4)
    expected_model = no_dropout_model()
    expected = plain_steps(expected_model, spec, data)

    model = no_dropout_model()
    optimizer = spec.make(model.parameters())
    saved = graphed_step.snapshot_parameters(model)
    for x, y in batches(3, seed=1):  # the warm-up: other data, weights and state move
        loop.train_step(model, optimizer, x, y)
    assert not torch.equal(model.dense2.weight, saved[-2])
    graphed_step.restore_parameters(model, saved)
    graphed_step.reset_optimizer_state(optimizer)
    got = [loop.train_step(model, optimizer, x, y).item() for x, y in data]

    assert got == pytest.approx(expected, rel=1e-6)
    for a, b in zip(model.parameters(), expected_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_reset_keeps_the_state_tensors_themselves():
    model = no_dropout_model()
    optimizer = optimizers.OPTIMIZERS["adam"].make(model.parameters())
    x, y = batches(1)[0]
    loop.train_step(model, optimizer, x, y)
    tensors = [v for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v)]
    graphed_step.reset_optimizer_state(optimizer)
    after = [v for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v)]
    assert all(a is b for a, b in zip(tensors, after, strict=True))
    assert all(not v.any() for v in after)


def test_make_capturable_sets_the_option_only_where_it_exists():
    model = task.build_model()
    adam = optimizers.OPTIMIZERS["adam"].make(model.parameters())
    sgd = optimizers.OPTIMIZERS["sgd"].make(model.parameters())
    graphed_step.make_capturable(adam)
    graphed_step.make_capturable(sgd)
    assert adam.param_groups[0]["capturable"] is True
    assert "capturable" not in sgd.param_groups[0]


def test_a_graph_without_a_gpu_is_one_clear_error():
    model = task.build_model()
    optimizer = optimizers.OPTIMIZERS["adam"].make(model.parameters())
    with pytest.raises(ValueError, match="capture_graph needs a CUDA device; the model is on cpu"):
        fast_path.make_train_step(model, optimizer, fast_path.CUDA_GRAPHED)


def test_cli_refuses_a_cuda_path_on_the_cpu(capsys):
    with pytest.raises(SystemExit) as stop:
        assignment.main(["--device", "cpu", "--fast-path", "graphed", "--quick"])
    assert stop.value.code == 2
    assert "--fast-path graphed needs a CUDA GPU" in capsys.readouterr().err


@needs_cuda
# Not RMSprop: its first updates, g / (0.1 |g| + eps), turn float noise in near-zero conv1
# gradients into weight differences of ~1e-4 whichever way the step runs (seen on an H100).
@pytest.mark.parametrize("spec", SPECS[:4], ids=lambda s: s.name)
def test_graphed_step_computes_the_plain_steps_numbers(spec):
    device = torch.device("cuda")
    data = [(x.to(device), y.to(device)) for x, y in batches(6)]
    data.append((data[0][0][:5], data[0][1][:5]))  # a last, smaller batch runs eagerly
    data += data[1:3]  # and the graph replays after it
    plain_model = no_dropout_model().to(device)
    # capturable Adam/RMSprop compute their bias corrections on the GPU in float32, which
    # moves near-zero updates by ~1e-4 over a few steps: compare like with like
    expected = plain_steps(plain_model, spec, data, capturable=True)

    model = no_dropout_model().to(device)
    optimizer = spec.make(model.parameters())
    step = fast_path.make_train_step(model, optimizer, fast_path.CUDA_GRAPHED)
    assert isinstance(step, graphed_step.GraphedStep)
    got = [step(x, y).item() for x, y in data]

    assert got == pytest.approx(expected, rel=1e-4, abs=1e-5)
    for a, b in zip(model.parameters(), plain_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@needs_cuda
def test_graphed_path_keeps_the_accuracy_of_the_plain_path():
    train_data, test_data = mnist.load_datasets(torch.device("cuda"))
    start = engine.initial_state(0)
    results = {}
    for name, fast in (("plain", fast_path.PLAIN), ("graphed", fast_path.CUDA_GRAPHED)):
        results[name] = engine.train("adam", train_data, test_data, epochs=2,
                                       start_state=copy.deepcopy(start), progress=False,
                                       fast=fast)[1]
    assert results["graphed"]["fast_path"] == "capture_graph"
    gap = results["graphed"]["test_accuracy"][-1] - results["plain"]["test_accuracy"][-1]
    assert abs(gap) <= 0.002
