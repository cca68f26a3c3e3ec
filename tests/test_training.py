"""The programming task's model and training engine (course_utils.training), on small subsets."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import plots, training
from course_utils.geometry import conv_params
from course_utils.training import Dataset, OptimizerSpec

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def mnist_small():
    return training.load_datasets(CPU, train_size=512, test_size=256)


def small_train(name, data, **kwargs):
    train_data, test_data = data
    kwargs = {"epochs": 2, "batch_size": 64, "progress": False, **kwargs}
    return training.train(name, train_data, test_data, **kwargs)


# --- the model -------------------------------------------------------------------------------


def test_model_has_the_lectures_parameter_count_layer_by_layer():
    model = training.build_model()
    conv1 = conv_params(3, 1, 64)
    conv2 = conv_params(2, 64, 32)
    dense1 = (32 * 12 * 12 + 1) * 256
    dense2 = (256 + 1) * 10
    assert training.count_parameters(model) == conv1 + conv2 + dense1 + dense2 == 1_191_338
    assert training.EXPECTED_PARAMETERS == 1_191_338


def test_feature_maps_have_the_sizes_of_the_layer_list():
    shapes = {}
    model = training.build_model()
    for name, module in model.named_children():
        module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, o.shape))
    out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert shapes["conv1"] == (3, 64, 13, 13)  # (28 - 3)/2 + 1 = 13.5, floored
    assert shapes["conv2"] == (3, 32, 13, 13)  # 'same' keeps 13
    assert shapes["pool"] == (3, 32, 12, 12)  # 2x2 at stride 1
    assert shapes["flatten"] == (3, 4608)
    assert training.feature_map_sizes() == {"input": 28, "conv1": 13, "conv2": 13, "pool": 12}


def test_explicit_zero_pad_equals_pytorch_padding_same_for_the_even_kernel():
    torch.manual_seed(1)
    same = nn.Conv2d(64, 32, 2, padding="same")
    x = torch.randn(2, 64, 13, 13)
    before, after = training.same_padding_tf(2)
    assert (before, after) == (0, 1)
    explicit = F.conv2d(F.pad(x, (before, after, before, after)), same.weight, same.bias)
    torch.testing.assert_close(explicit, same(x))


def test_dropout_rates_are_the_fraction_dropped():
    model = training.build_model()
    assert model.dropout1.p == 0.35 and model.dropout2.p == 0.5
    model.train()
    torch.manual_seed(0)
    out = model.dropout2(torch.ones(100_000))
    assert abs((out == 0).float().mean().item() - 0.5) < 0.01


def test_predict_proba_is_the_softmax_of_the_logits():
    model = training.build_model()
    probs = training.predict_proba(model, torch.randn(4, 1, 28, 28))
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(4))


# --- optimizers and training -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(training.OPTIMIZERS))
def test_one_step_of_every_optimizer_changes_every_weight_tensor(name, mnist_small):
    train_data, _ = mnist_small
    torch.manual_seed(0)
    model = training.build_model()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = training.OPTIMIZERS[name].make(model.parameters())
    loss = training.train_step(model, optimizer, train_data.images[:32], train_data.labels[:32])
    assert loss.requires_grad is False and math.isfinite(loss.item())
    for old, new in zip(before, model.parameters(), strict=True):
        assert not torch.equal(old, new)


def test_optimizer_settings_follow_their_sources():
    specs = training.OPTIMIZERS
    assert specs["adam"].lr == 1e-3 and specs["sgd"].lr == 0.01 and specs["adadelta"].lr == 1.0
    assert specs["adadelta-keras"].lr == 1e-3
    assert isinstance(specs["sgd"].make(training.build_model().parameters()), torch.optim.SGD)


def test_a_short_run_lowers_the_loss(mnist_small):
    _, history = small_train("adam", mnist_small)
    assert history["test_loss"][-1] < math.log(10)  # below the loss of a uniform guess
    assert history["train_loss"][1] < history["train_loss"][0]
    first, last = history["step_loss"][:4], history["step_loss"][-4:]
    assert np.mean(last) < np.mean(first)
    assert len(history["step_loss"]) == 2 * history["steps_per_epoch"] == 2 * 8
    assert history["completed"] and history["test_accuracy"][-1] > 0.5


def test_every_run_starts_from_the_given_weights(mnist_small):
    start = training.initial_state(seed=3)
    frozen = OptimizerSpec("frozen", "lr 0", torch.optim.SGD, {"lr": 0.0}, "test")
    model, _ = small_train("frozen", mnist_small, epochs=1, start_state=start, spec=frozen)
    for key, value in model.state_dict().items():
        assert torch.equal(value, start[key])
    assert not torch.equal(training.initial_state(seed=4)["conv1.weight"], start["conv1.weight"])


def test_train_all_starts_every_optimizer_from_identical_weights(mnist_small, monkeypatch):
    starts = {}
    real_train = training.train

    def recording_train(name, *args, start_state=None, **kwargs):
        starts[name] = {k: v.clone() for k, v in start_state.items()}
        return real_train(name, *args, start_state=start_state, **kwargs)

    monkeypatch.setattr(training, "train", recording_train)
    train_data, test_data = mnist_small
    training.train_all(training.TASK_OPTIMIZERS, train_data.subset(64), test_data.subset(64),
                       epochs=1, batch_size=64, seed=2, progress=False)
    assert list(starts) == list(training.TASK_OPTIMIZERS)
    expected = training.initial_state(seed=2)
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
    saved = training.load_history(training.history_path(tmp_path, "sgd"))
    assert saved["epochs_done"] == 1 and not saved["completed"]
    assert len(saved["train_loss"]) == len(saved["test_accuracy"]) == 1
    assert len(saved["step_loss"]) == saved["steps_per_epoch"]
    assert [p.name for p in tmp_path.iterdir()] == ["history_sgd.json"]  # no temp files left


def test_non_finite_loss_stops_with_optimizer_epoch_and_step(mnist_small):
    _, test_data = mnist_small
    broken = Dataset(torch.full((64, 1, 28, 28), float("nan")), torch.zeros(64, dtype=torch.long))
    with pytest.raises(training.NonFiniteLossError, match=r"SGD .*epoch 1, step 1 of 2"):
        training.train("sgd", broken, test_data, epochs=1, batch_size=32, progress=False)


def test_weights_round_trip_with_weights_only(mnist_small, tmp_path):
    model, history = small_train("sgd", mnist_small, epochs=1, out_dir=tmp_path)
    loaded = training.load_weights(training.weights_path(tmp_path, "sgd"))
    state = torch.load(training.weights_path(tmp_path, "sgd"), weights_only=True)
    assert set(state) == set(model.state_dict())
    _, test_data = mnist_small
    loss, accuracy, _ = training.evaluate(loaded, test_data)
    # the engine evaluates in its fast layout (channels_last on CPU): equal up to float noise
    assert loss == pytest.approx(history["test_loss"][-1], rel=1e-5)
    assert accuracy == history["test_accuracy"][-1]
    saved = training.load_history(training.history_path(tmp_path, "sgd"))
    assert saved["completed"] and sum(map(sum, saved["confusion"])) == len(test_data)


def test_train_all_reuses_an_identical_finished_run_only(mnist_small, tmp_path, capsys):
    train_data, test_data = mnist_small
    kwargs = {"epochs": 1, "batch_size": 128, "progress": False, "out_dir": tmp_path}
    first = training.train_all(["sgd"], train_data, test_data, **kwargs)
    again = training.train_all(["sgd"], train_data, test_data, reuse_finished=True, **kwargs)
    assert "reusing the finished run" in capsys.readouterr().out
    assert again == first
    other_seed = training.train_all(["sgd"], train_data, test_data, reuse_finished=True,
                                    seed=5, **kwargs)
    assert "reusing" not in capsys.readouterr().out
    assert other_seed["sgd"]["step_loss"] != first["sgd"]["step_loss"]


def test_confusion_matrix_counts_true_against_predicted():
    labels = torch.tensor([0, 1, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 2, 2, 2, 0])
    matrix = np.array(training.confusion_matrix(labels, predicted, classes=3))
    assert matrix.sum() == 6 and np.trace(matrix) == 4
    assert matrix[1, 2] == 1 and matrix[2, 0] == 1


def test_rejects_epochs_below_one(mnist_small):
    with pytest.raises(ValueError, match="epochs"):
        small_train("sgd", mnist_small, epochs=0)


def test_quick_mode_follows_ci_and_course_quick(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    assert not training.quick_mode()
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert not training.quick_mode()
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert training.quick_mode()
    monkeypatch.delenv("COURSE_QUICK")
    monkeypatch.setenv("CI", "true")
    assert training.quick_mode()


def test_results_dir_is_the_checkouts_and_quick_runs_go_elsewhere():
    full, quick = training.default_results_dir(), training.default_results_dir(quick=True)
    assert full.name == "results" and (full.parent / "pyproject.toml").is_file()
    assert quick == full / "quick"


# --- device ----------------------------------------------------------------------------------


def test_device_choice_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(training, "_mps_available", lambda: False)
    assert training.choose_device() == CPU
    monkeypatch.setattr(training, "_mps_available", lambda: True)
    assert training.choose_device(None).type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert training.choose_device("auto").type == "cuda"
    assert training.choose_device("cpu") == CPU


def test_unavailable_or_unknown_devices_are_clear_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(training, "_mps_available", lambda: False)
    for name in ("cuda", "cuda:1", "mps", "tpu", "banana"):
        with pytest.raises(training.DeviceUnavailableError):
            training.choose_device(name)
    assert "cpu (" in training.describe_device(CPU)
    assert training.colab_gpu_hint(CPU) is None  # not on Colab here


# --- result plots (plots.py section 2) -------------------------------------------------------


def test_smooth_is_a_trailing_moving_average():
    values = np.arange(10, dtype=float)
    np.testing.assert_allclose(plots.smooth(values, 1), values)
    np.testing.assert_allclose(plots.smooth(np.full(50, 2.0), 7), 2.0)
    assert plots.smooth(values, 3)[5] == pytest.approx((3 + 4 + 5) / 3)
    assert plots.smooth(values, 3)[1] == pytest.approx(0.5)


def test_result_plots_and_table_from_a_history(mnist_small):
    import matplotlib

    matplotlib.use("Agg")
    _, history = small_train("sgd", mnist_small, epochs=1)
    histories = {"sgd": history}
    table = plots.results_table(histories)
    assert "SGD (lr 0.01)" in table and f"{100 * history['test_accuracy'][-1]:.2f} %" in table
    figures = [plots.plot_loss_curves(histories), plots.plot_accuracy(histories),
               plots.plot_confusion_matrix(history["confusion"])]
    _, test_data = mnist_small
    wrong = history["misclassified"]["index"]
    figures.append(plots.plot_misclassified(test_data.images[wrong, 0].numpy(),
                                            test_data.labels[wrong].numpy(),
                                            history["misclassified"]["predicted"]))
    assert len(figures[0].axes) == 2 and all(f.axes for f in figures)
    bottom = figures[0].axes[0].get_ylim()[0]  # raw single-batch lows do not squash the curves
    assert 0 < bottom <= plots.smooth(history["step_loss"]).min()
