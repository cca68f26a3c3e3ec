"""course_utils.keras_task: the slide's Keras model is our PyTorch network weight for weight (same
outputs for random weights, several seeds), a wrong layout rule is caught, and the Keras side of
the task (loss, optimizer defaults, fit) says what notebook 07 says. Skipped without Keras; CI
installs it (the ``keras`` extra)."""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras' first import: the backend
keras = pytest.importorskip("keras", minversion="3.0")

from course_utils import keras_task  # noqa: E402
from course_utils.byhand import geometry  # noqa: E402
from course_utils.training import loop, mnist, optimizers, task  # noqa: E402

TOLERANCE = 1e-5  # float32 through the same arithmetic in another order


def torch_and_keras(seed: int):
    """Our network with PyTorch's random initialisation for ``seed``, biases randomised too
    (PyTorch's are small), and the slide's Keras model with those weights copied in."""
    torch.manual_seed(seed)
    net = task.build_model().eval()
    with torch.no_grad():
        for module in net.modules():
            if hasattr(module, "bias") and module.bias is not None:
                module.bias.normal_(0, 0.5)
    model = keras_task.build_keras_model()
    keras_task.copy_torch_weights(net, model)
    return net, model


def random_images(seed: int, n: int = 16) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 2, (n, 1, 28, 28))
                            .astype(np.float32))


def difference(net, model, images) -> float:
    return float(np.abs(keras_task.probabilities(model, images)
                        - loop.predict_proba(net, images).numpy()).max())


def test_the_slide_model_has_the_task_parameters_and_feature_maps():
    model = keras_task.build_keras_model()
    assert model.count_params() == task.count_parameters(task.build_model()) == 1_191_338
    sizes = task.feature_map_sizes()
    assert [layer.output.shape[1] for layer in model.layers[:3]] == [
        sizes["conv1"], sizes["conv2"], sizes["pool"]]
    assert model.layers[-1].get_config()["activation"] == "softmax"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_copied_weights_give_the_same_probabilities_on_random_inputs(seed):
    net, model = torch_and_keras(seed)
    images = random_images(seed + 100)
    probabilities = keras_task.probabilities(model, images)
    assert probabilities.std() > 0.01, "the outputs must vary for the comparison to mean much"
    assert difference(net, model, images) < TOLERANCE


def test_a_student_network_with_other_module_names_copies_too():
    reference = task.build_model().eval()
    student = torch.nn.Sequential(
        torch.nn.Sequential(*reference[:8]), torch.nn.Sequential(*reference[8:])).eval()
    model = keras_task.build_keras_model()
    keras_task.copy_torch_weights(student, model)
    assert difference(reference, model, random_images(7)) < TOLERANCE


WRONG_RULES = {
    "flatten order not permuted": {"dense": lambda w, chw: np.asarray(w).T},
    "flatten permuted the other way": {
        "dense": lambda w, chw: np.asarray(w).T if chw is None else
        w.reshape(len(w), chw[1], chw[2], chw[0]).transpose(0, 3, 1, 2).reshape(len(w), -1).T},
    "conv kernels reshaped, not transposed": {
        "conv": lambda w: np.asarray(w).reshape(w.shape[2], w.shape[3], w.shape[1], w.shape[0])},
    "conv kernels with height and width swapped": {
        "conv": lambda w: np.transpose(w, (3, 2, 1, 0))},
}


@pytest.mark.parametrize("rule", list(WRONG_RULES))
def test_a_wrong_layout_rule_is_detected(rule):
    net, _ = torch_and_keras(5)
    wrong = keras_task.build_keras_model()
    keras_task.copy_torch_weights(net, wrong, **WRONG_RULES[rule])
    assert difference(net, wrong, random_images(6)) > 100 * TOLERANCE


def test_a_different_network_is_refused_with_a_clear_message():
    model = keras_task.build_keras_model()
    with pytest.raises(ValueError, match="not the same network"):
        keras_task.copy_torch_weights(torch.nn.Sequential(torch.nn.Linear(3, 4)), model)
    wider = torch.nn.Sequential(torch.nn.Conv2d(1, 64, 3, stride=2), torch.nn.Conv2d(64, 32, 2),
                                torch.nn.Flatten(), torch.nn.Linear(4608, 128),
                                torch.nn.Linear(128, 10))
    with pytest.raises(ValueError, match="Keras wants"):
        keras_task.copy_torch_weights(wider, model)


def test_keras_same_padding_of_a_2x2_kernel_is_zero_before_one_after():
    for f in (2, 3, 4):
        assert keras_task.same_padding(f) == geometry.padding_pair("same", f)
    assert keras_task.same_padding(2) == (0, 1)


def test_categorical_with_one_hot_equals_sparse_with_integers_equals_pytorch():
    net, model = torch_and_keras(8)
    images, labels = random_images(9, 12), np.random.default_rng(10).integers(0, 10, 12)
    probabilities = keras_task.probabilities(model, images)
    one_hot = keras_task.one_hot(labels)
    assert np.array_equal(one_hot, keras.utils.to_categorical(labels, 10))
    categorical = keras.ops.convert_to_numpy(
        keras.losses.categorical_crossentropy(one_hot, probabilities))
    sparse = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(labels, probabilities))
    ours = F.cross_entropy(net(images), torch.from_numpy(labels), reduction="none")
    np.testing.assert_allclose(categorical, sparse, rtol=1e-5)
    np.testing.assert_allclose(categorical, ours.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["Adam", "Adadelta", "SGD"])
def test_the_installed_keras_defaults_are_the_ones_task_states(name):
    assert keras_task.keras_defaults(name) == optimizers.KERAS_DEFAULTS[name]


def test_our_settings_in_keras_are_the_pytorch_runs_settings():
    assert keras_task.our_settings_in_keras("adadelta") == {
        "learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}
    assert keras_task.our_settings_in_keras("sgd") == {"learning_rate": 0.01}
    optimizer = keras_task.keras_optimizer("adam")
    assert type(optimizer).__name__ == "Adam" and optimizer.epsilon == 1e-8


def test_fit_records_a_history_like_the_engines():
    generator = torch.Generator().manual_seed(0)
    train = mnist.Dataset(torch.randn(96, 1, 28, 28, generator=generator),
                         torch.randint(0, 10, (96,), generator=generator))
    test = mnist.Dataset(train.images[:32], train.labels[:32])
    histories = keras_task.fit_optimizers(train, test, task.build_model(), ["sgd"], epochs=2,
                                          batch_size=32, progress=False)
    h = histories["sgd"]
    assert h["epochs_done"] == 2 and h["steps_per_epoch"] == 3 and len(h["step_loss"]) == 6
    assert h["label"] == "Keras SGD (lr 0.01)" and h["backend"] == keras.backend.backend()
    # the per-step losses recovered from Keras' running means average to its epoch losses
    np.testing.assert_allclose([np.mean(h["step_loss"][:3]), np.mean(h["step_loss"][3:])],
                               h["train_loss"], rtol=1e-5)
    assert all(len(h[key]) == 2 for key in ("test_loss", "test_accuracy", "epoch_time_s"))


def test_without_keras_the_message_is_one_line_with_the_install_command(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "keras", None)
    with pytest.raises(ModuleNotFoundError) as error:
        keras_task.import_keras()
    assert str(error.value) == keras_task.INSTALL_HINT and "pip install keras" in str(error.value)
