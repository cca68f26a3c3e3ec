"""Notebook 06's plumbing: hand kernels and their similarity, loading a student's saved
weights into the task's network, activation maps, weight movement and saliency."""

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.byhand import kernels
from course_utils.training import engine, inspect_network, results, task
from course_utils.training.results import WeightsFileError


class StudentNet(nn.Module):
    """Notebook 05's MyTaskNet: the slide's layers under the student's own names."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 64, 3, stride=2), nn.ReLU(),
            nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(64, 32, 2), nn.ReLU(),
            nn.MaxPool2d(2, stride=1), nn.Dropout(0.35))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(12 * 12 * 32, 256), nn.Tanh(), nn.Dropout(0.5),
            nn.Linear(256, 10))

    def forward(self, images):
        return self.classifier(self.features(images))


def test_similarity_is_a_sign_aware_cosine_after_mean_removal():
    sobel = kernels.SOBEL
    assert kernels.similarity(sobel, 3 * sobel + 5) == pytest.approx(1.0)  # scale and offset
    assert kernels.similarity(sobel, -sobel) == pytest.approx(-1.0)
    assert kernels.similarity(sobel, sobel.T) == pytest.approx(0.0)
    assert kernels.similarity(np.ones((3, 3)), sobel) == 0.0  # a flat kernel has no pattern
    with pytest.raises(ValueError, match="different sizes"):
        kernels.similarity(sobel, np.ones((2, 2)))


def test_hand_kernels_and_best_matches():
    names = list(kernels.HAND_KERNELS)
    assert np.array_equal(kernels.HAND_KERNELS["left edge (Sobel)"],
                          [[1, 0, -1], [2, 0, -2], [1, 0, -1]])  # notebook 01's `vertical`
    assert len(names) == len(set(names)) == 10
    filters = np.stack([kernels.HAND_KERNELS["top edge"] * 2, np.eye(3)])
    table = kernels.similarity_matrix(filters[:, None])
    assert table.shape == (2, 10) and np.all(np.abs(table) <= 1 + 1e-12)
    best = kernels.best_matches(filters)
    assert best[0][:2] == ("top edge", 0) and best[0][2] == pytest.approx(1.0)
    assert kernels.nearest_kernel(filters)[0] == ("top edge", pytest.approx(1.0))


def test_a_students_weights_load_by_position(tmp_path):
    student = StudentNet()
    path = tmp_path / "weights_adam.pt"
    results.save_weights(student, path)
    model, note = inspect_network.load_in_order(path)
    assert note == "tensors matched by position"
    x = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(model(x), student.eval()(x))
    results.save_weights(task.build_model(), path)
    assert inspect_network.load_in_order(path)[1] == ""
    results.save_weights(nn.Linear(3, 2), path)
    with pytest.raises(WeightsFileError, match="not the task's network"):
        inspect_network.load_in_order(path)


def test_the_students_network_starts_where_the_reference_does():
    """train_all starts MyTaskNet from initial_state(seed, MyTaskNet): the same tensors as
    the reference's initial_state(seed), so notebook 06 measures movement from there."""
    theirs = list(engine.initial_state(0, StudentNet).values())
    ours = list(engine.initial_state(0).values())
    assert all(torch.equal(a, b) for a, b in zip(theirs, ours, strict=True))


def test_movement_maps_and_saliency():
    start = engine.initial_state(0)
    model = task.build_model()
    model.load_state_dict(start)
    movement = inspect_network.weight_movement(start, model)
    assert movement == {"conv1": 0.0, "conv2": 0.0, "dense1": 0.0, "dense2": 0.0}
    with torch.no_grad():
        model.conv1.weight.mul_(3)
    assert inspect_network.weight_movement(start, model)["conv1"] == pytest.approx(2.0)
    assert inspect_network.conv1_filters(model).shape == (64, 3, 3)
    image = torch.randn(28, 28)
    maps = inspect_network.activation_maps(model, image)
    assert {k: v.shape for k, v in maps.items()} == {
        "conv1": (64, 13, 13), "conv2": (32, 13, 13), "pool": (32, 12, 12)}
    assert all(v.min() >= 0 for v in maps.values())  # after the ReLU
    assert not model.conv1._forward_hooks  # hooks removed
    images = torch.randn(3, 1, 28, 28)
    maps_of_pixels, predicted = inspect_network.saliency(model, images)
    assert maps_of_pixels.shape == (3, 28, 28) and predicted.shape == (3,)
    probabilities = inspect_network.probabilities({"a": model}, images)["a"]
    assert np.allclose(probabilities.sum(axis=1), 1) and np.array_equal(
        probabilities.argmax(axis=1), predicted)
