"""course_utils.display.illustrations: each picture shows the numbers it claims to show."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.byhand.ops import conv2d  # noqa: E402
from course_utils.display import illustrations  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("inputs", "weights", "bias", "expected"), [
    ((1.0, 0.5, -1.0), (0.8, -0.4, 0.3), 0.1, 0.4),  # 0.8 - 0.2 - 0.3 + 0.1
    ((1.0, 1.0), (-1.0, -1.0), 0.5, 0.0),  # negative sum: the ReLU gives 0
])
def test_the_neuron_computes_relu_of_the_weighted_sum(inputs, weights, bias, expected):
    fig, y = illustrations.neuron_figure(inputs, weights, bias)
    assert y == pytest.approx(expected)
    assert f"y = {expected:.2f}" in [t.get_text() for t in fig.axes[0].texts]


def test_the_volume_figure_shows_channel_maps_that_add_up_to_the_one_map():
    rng = np.random.default_rng(1)
    volume, one_filter = rng.random((3, 9, 9)), rng.normal(size=(3, 3, 3))
    fig = illustrations.volume_figure(volume, one_filter)
    shown = {ax.get_title(): ax.images[0].get_array() for ax in fig.axes if ax.images}
    partial = [shown[f"channel {c} alone"] for c in range(3)]
    total = shown["= the sum of the 3: ONE map"]
    assert len(shown) == 3 * 3 + 1
    np.testing.assert_allclose(total, conv2d(volume, one_filter))
    np.testing.assert_allclose(sum(partial), total)
    assert "27 products" in fig._suptitle.get_text()


def test_the_stack_draws_one_image_per_map():
    maps = np.arange(4 * 5 * 6, dtype=float).reshape(4, 5, 6)
    fig = illustrations.stack_figure(maps)
    assert len(fig.axes[0].images) == 4
    assert "5x6x4 volume" in fig.axes[0].get_title()


def test_the_shift_curves_plot_the_given_numbers():
    fig = illustrations.plot_shift_tolerance([0, 1, 2], {"raw": [1, 0.8, 0.5],
                                                         "pooled": [1, 0.9, 0.7]},
                                             examples=[("a digit", np.eye(4))])
    lines = fig.axes[-1].get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[1, 0.8, 0.5], [1, 0.9, 0.7]]
    assert len(fig.axes) == 2


@pytest.mark.parametrize(("layers", "f", "sizes"), [(3, 3, [3, 5, 7]), (2, 5, [5, 9])])
def test_stacked_windows_outline_the_receptive_field_of_each_layer(layers, f, sizes):
    fig, got = illustrations.stacked_windows_figure(layers, f)
    assert got == sizes
    outlined = sorted(int(p.get_width()) for p in fig.axes[0].patches if not p.get_fill())
    assert outlined == sizes
    assert f"sees {sizes[-1]}x{sizes[-1]}" in fig.axes[0].get_title()


def test_the_inception_figure_draws_every_branch_layer_once():
    branches = {"a": ["1x1 conv, 64"], "b": ["1x1 conv, 96", "3x3 conv, 128"],
                "c": ["1x1 conv, 16", "5x5 conv, 32"], "d": ["3x3 max pool", "1x1 conv, 32"]}
    fig = illustrations.inception_figure(branches, "input", "concatenation")
    texts = [t.get_text() for t in fig.axes[0].texts]
    for layers in branches.values():
        for label in layers:
            assert texts.count(label) == 1
    assert "input" in texts and "concatenation" in texts
