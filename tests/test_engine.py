"""course_utils.training.engine: training any model per optimizer from one set of weights, histories
that survive interruptions, weights, reuse of finished runs; on small subsets."""

import math
import os

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.training import engine, loop, mnist, optimizers, results, task
from course_utils.training.mnist import Dataset
from course_utils.training.optimizers import OptimizerSpec

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_small():
    return mnist.load_datasets(CPU, train_size=512, test_size=256)


def small_train(name, data, **kwargs):
    train_data, test_data = data
    kwargs = {"epochs": 2, "batch_size": 64, "progress": False, **kwargs}
    return engine.train(name, train_data, test_data, **kwargs)


def test_a_short_run_lowers_the_loss(mnist_small):
    _, history = small_train("adam", mnist_small)
    assert history["test_loss"][-1] < math.log(10)  # below the loss of a uniform guess
    assert history["train_loss"][1] < history["train_loss"][0]
    first, last = history["step_loss"][:4], history["step_loss"][-4:]
    assert np.mean(last) < np.mean(first)
    assert len(history["step_loss"]) == 2 * history["steps_per_epoch"] == 2 * 8
    assert history["completed"] and history["test_accuracy"][-1] > 0.5


def test_every_run_starts_from_the_given_weights(mnist_small):
    start = engine.initial_state(seed=3)
    frozen = OptimizerSpec("frozen", torch.optim.SGD, {"lr": 0.0}, "test")
    model, _ = small_train("frozen", mnist_small, epochs=1, start_state=start, spec=frozen)
    for key, value in model.state_dict().items():
        assert torch.equal(value, start[key])
    assert not torch.equal(engine.initial_state(seed=4)["conv1.weight"], start["conv1.weight"])


def test_train_all_starts_every_optimizer_from_identical_weights(mnist_small, monkeypatch):
    starts = {}
    real_train = engine.train

    def recording_train(name, *args, start_state=None, **kwargs):
        starts[name] = {k: v.clone() for k, v in start_state.items()}
        return real_train(name, *args, start_state=start_state, **kwargs)

    monkeypatch.setattr(engine, "train", recording_train)
    train_data, test_data = mnist_small
    engine.train_all(optimizers.TASK_OPTIMIZERS, train_data.subset(64), test_data.subset(64),
                       epochs=1, batch_size=64, seed=2, progress=False)
    assert list(starts) == list(optimizers.TASK_OPTIMIZERS)
    expected = engine.initial_state(seed=2)
    for state in starts.values():
        assert all(torch.equal(state[k], expected[k]) for k in expected)


def test_same_seed_on_cpu_gives_an_identical_history(mnist_small):
    _, first = small_train("adadelta", mnist_small)
    _, second = small_train("adadelta", mnist_small)
    _, other = small_train("adadelta", mnist_small, seed=1)
    for key in ("step_loss", "train_loss", "test_loss", "test_accuracy"):
        assert first[key] == second[key]
    assert first["step_loss"] != other["step_loss"]


def test_history_of_finished_epochs_survives_an_interruption(mnist_small, tmp_path):
    def interrupt_after_first_epoch(history):
        if history["epochs_done"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small_train("sgd", mnist_small, epochs=3, out_dir=tmp_path,
                    on_epoch_end=interrupt_after_first_epoch)
    saved = results.load_history(results.history_path(tmp_path, "sgd"))
    assert saved["epochs_done"] == 1 and not saved["completed"]
    assert len(saved["train_loss"]) == len(saved["test_accuracy"]) == 1
    assert len(saved["step_loss"]) == saved["steps_per_epoch"]
    assert [p.name for p in tmp_path.iterdir()] == ["history_sgd.json"]  # no temp files left


def test_non_finite_loss_stops_with_optimizer_epoch_and_step(mnist_small):
    _, test_data = mnist_small
    broken = Dataset(torch.full((64, 1, 28, 28), float("nan")), torch.zeros(64, dtype=torch.long))
    with pytest.raises(loop.NonFiniteLossError, match=r"SGD .*epoch 1, step 1 of 2"):
        engine.train("sgd", broken, test_data, epochs=1, batch_size=32, progress=False)


def test_weights_round_trip_with_weights_only(mnist_small, tmp_path):
    model, history = small_train("sgd", mnist_small, epochs=1, out_dir=tmp_path)
    loaded = engine.load_weights(results.weights_path(tmp_path, "sgd"))
    state = torch.load(results.weights_path(tmp_path, "sgd"), weights_only=True)
    assert set(state) == set(model.state_dict())
    _, test_data = mnist_small
    loss, accuracy, _ = loop.evaluate(loaded, test_data)
    # the engine evaluates in its fast layout (channels_last on CPU): equal up to float noise
    assert loss == pytest.approx(history["test_loss"][-1], rel=1e-5)
    assert accuracy == history["test_accuracy"][-1]
    saved = results.load_history(results.history_path(tmp_path, "sgd"))
    assert saved["completed"] and sum(map(sum, saved["confusion"])) == len(test_data)


def test_train_all_reuses_an_identical_finished_run_only(mnist_small, tmp_path, capsys):
    train_data, test_data = mnist_small
    kwargs = {"epochs": 1, "batch_size": 128, "progress": False, "out_dir": tmp_path}
    first = engine.train_all(["sgd"], train_data, test_data, **kwargs)
    again = engine.train_all(["sgd"], train_data, test_data, reuse_finished=True, **kwargs)
    assert "reusing the finished run" in capsys.readouterr().out
    assert again == first
    other_seed = engine.train_all(["sgd"], train_data, test_data, reuse_finished=True,
                                    seed=5, **kwargs)
    assert "reusing" not in capsys.readouterr().out
    assert other_seed["sgd"]["step_loss"] != first["sgd"]["step_loss"]


def test_rejects_epochs_below_one(mnist_small):
    with pytest.raises(ValueError, match="epochs"):
        small_train("sgd", mnist_small, epochs=0)


def test_results_dir_is_the_checkouts_and_quick_runs_go_elsewhere():
    full, quick = results.default_results_dir(), results.default_results_dir(quick=True)
    assert full.name == "results" and (full.parent / "pyproject.toml").is_file()
    assert quick == full / "quick"


# --- any model ------------------------------------------------------------------------------


class TinyNet(nn.Module):
    """Not the task network: a student's own model, with a dropout nested in a block."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 5, stride=2), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 12 * 12, 10))

    def forward(self, x):
        return self.head(self.features(x))


def test_train_all_trains_a_students_own_model_from_one_set_of_weights(mnist_small, tmp_path):
    train_data, test_data = mnist_small
    histories = engine.train_all(["adam", "adadelta"], train_data, test_data, model=TinyNet,
                                 epochs=1, batch_size=64, progress=False, out_dir=tmp_path)
    expected = engine.initial_state(0, TinyNet)
    assert set(expected) == {"features.0.weight", "features.0.bias", "head.1.weight",
                             "head.1.bias"}
    for name, history in histories.items():
        assert history["model"] == "TinyNet" and history["parameters"] == 4 * 26 + 5770
        assert history["test_accuracy"][-1] > 0.25, name  # chance is 0.1
        trained = engine.load_weights(results.weights_path(tmp_path, name), model=TinyNet)
        assert isinstance(trained, TinyNet)
        assert not torch.equal(trained.head[1].weight, expected["head.1.weight"])
    # the same weights and dropout masks before the first update: the same first loss
    first = [h["step_loss"][0] for h in histories.values()]
    assert first[0] == pytest.approx(first[1])


def test_a_module_given_to_train_all_is_copied_not_trained_in_place(mnist_small):
    train_data, test_data = mnist_small
    torch.manual_seed(1)
    model = TinyNet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    histories = engine.train_all(["sgd"], train_data.subset(128), test_data.subset(64),
                                 model=model, epochs=1, batch_size=64, progress=False)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert histories["sgd"]["model"] == "TinyNet"


def test_a_finished_run_is_reused_only_for_the_same_model(mnist_small, tmp_path, capsys):
    train_data, test_data = mnist_small
    kwargs = {"epochs": 1, "batch_size": 128, "progress": False, "out_dir": tmp_path}
    engine.train_all(["sgd"], train_data, test_data, **kwargs)  # the task network
    other = engine.train_all(["sgd"], train_data, test_data, model=TinyNet,
                             reuse_finished=True, **kwargs)
    assert "reusing" not in capsys.readouterr().out
    assert other["sgd"]["model"] == "TinyNet"
    assert engine.finished_history(tmp_path, "sgd", train_data, test_data, 1, 128, 0,
                                   model=TinyNet) is not None
    assert engine.finished_history(tmp_path, "sgd", train_data, test_data, 1, 128, 0) is None


def test_model_sources_are_checked():
    with pytest.raises(TypeError, match="must be an nn.Module or a function"):
        engine.model_factory(42)
    assert engine.model_name(None) == "build_model"
    assert engine.model_fingerprint(task.build_model()) != engine.model_fingerprint(TinyNet())


# --- results files ----------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"garbage" * 10, "a list"])
def test_a_file_that_is_not_weights_is_one_clear_error(tmp_path, content):
    path = tmp_path / "weights_adam.pt"
    if content == "a list":
        torch.save([1, 2, 3], path)
    else:
        path.write_bytes(content)
    with pytest.raises(results.WeightsFileError) as caught:
        engine.load_weights(path)
    message = str(caught.value)
    assert message.startswith(f"{path} is not a weights file of build_model saved by")
    assert "\n" not in message and caught.value.__cause__ is None


def test_weights_of_another_model_are_refused_in_one_line(tmp_path):
    path = tmp_path / "w.pt"
    results.save_weights(TinyNet(), path)
    with pytest.raises(results.WeightsFileError, match="RuntimeError"):
        engine.load_weights(path)
    assert isinstance(engine.load_weights(path, model=TinyNet), TinyNet)


def test_leftover_part_files_of_a_killed_run_are_cleaned_at_the_next_start(tmp_path):
    old = [tmp_path / ".history_adam.json.x1.part", tmp_path / ".weights_sgd.pt.x2.part"]
    fresh = tmp_path / ".history_sgd.json.x3.part"  # another run's live write
    mine = tmp_path / ".notes.part"  # not ours
    for path in [*old, fresh, mine]:
        path.write_bytes(b"half")
    for path in [*old, mine]:
        os.utime(path, (0, 0))
    assert sorted(results.remove_leftovers(tmp_path)) == sorted(old)
    assert fresh.exists() and mine.exists() and not any(p.exists() for p in old)


def test_completed_is_written_only_after_the_weights(mnist_small, tmp_path, monkeypatch):
    def disk_full(model, path):
        raise OSError("disk full")

    monkeypatch.setattr(results, "save_weights", disk_full)
    with pytest.raises(OSError, match="disk full"):
        small_train("sgd", mnist_small, epochs=1, out_dir=tmp_path)
    assert not results.history_path(tmp_path, "sgd").exists()  # no history claims a finished run


def my_train(model, optimizer, data, epochs, batch_size, generator):
    """A student's loop: notebook 05's solution."""
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator)
        for start in range(0, len(data), batch_size):
            batch = order[start:start + batch_size]
            losses.append(loop.train_step(model, optimizer, data.images[batch],
                                          data.labels[batch]).item())
    return losses


def test_a_students_loop_trains_exactly_as_the_plain_engine(mnist_small):
    """Called one epoch at a time with the engine's generator, my_train sees the same batches
    and dropout masks as the engine's plain loop: identical losses, tests and weights."""
    plain_model, plain = small_train("adam", mnist_small, fast=False)
    model, theirs = small_train("adam", mnist_small, train_function=my_train)
    assert theirs["step_loss"] == plain["step_loss"]
    assert theirs["test_accuracy"] == plain["test_accuracy"]
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), plain_model.parameters(),
                                                 strict=True))
    assert theirs["trained_by"] == engine.trained_by(my_train) != engine.ENGINE_LOOP
    assert theirs["trained_by"].startswith("my_train ") and plain["trained_by"] == "engine"


def test_a_run_is_reused_only_for_the_same_training_loop(mnist_small, tmp_path, capsys):
    train_data, test_data = mnist_small
    kwargs = {"epochs": 1, "batch_size": 128, "progress": False, "out_dir": tmp_path,
              "reuse_finished": True}
    engine.train_all(["sgd"], train_data, test_data, **kwargs)  # the engine's own loop
    theirs = engine.train_all(["sgd"], train_data, test_data, train_function=my_train, **kwargs)
    assert "reusing" not in capsys.readouterr().out
    assert theirs["sgd"]["trained_by"] == engine.trained_by(my_train)
    engine.train_all(["sgd"], train_data, test_data, train_function=my_train, **kwargs)
    assert "reusing the finished run" in capsys.readouterr().out

    def edited(model, optimizer, data, epochs, batch_size, generator):  # same name, other code
        return my_train(model, optimizer, data, epochs, batch_size, generator)[::1]

    edited.__name__ = edited.__qualname__ = "my_train"
    engine.train_all(["sgd"], train_data, test_data, train_function=edited, **kwargs)
    assert "reusing" not in capsys.readouterr().out


@pytest.mark.parametrize(("returned", "message"), [
    (lambda losses: None, "my_train returned NoneType, not the list of its step losses"),
    (lambda losses: losses[:-1], "my_train returned 3 losses for one epoch of 4 steps"),
    (lambda losses: [float("nan")] + losses[1:], "the loss became nan at epoch 1, step 1"),
])
def test_a_students_loop_that_returns_nonsense_is_one_clear_error(mnist_small, returned,
                                                                  message):
    def wrong(*args):
        return returned(my_train(*args))

    wrong.__name__ = "my_train"
    with pytest.raises((TypeError, ValueError, loop.NonFiniteLossError)) as caught:
        engine.train("sgd", *mnist_small, epochs=1, batch_size=128, progress=False,
                     train_function=wrong)
    assert message in str(caught.value)
