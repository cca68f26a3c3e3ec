"""The slide figures of course_utils.display.plots section 1, checked through what they draw.

Figures are inspected, not looked at: the texts in the grid cells, the colours and hatching of
the patches (zero padding, window, unreached pixels), the number of frames of a filmstrip and an
animation, and the HTML player.
"""

import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from course_utils.byhand.geometry import output_geometry
from course_utils.byhand.ops import conv2d, max_pool2d
from course_utils.display import plots, training_plots

IMAGE = [[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]]
KERNEL = [[1, 2, 3], [-4, 7, 4], [2, -5, 1]]
POOL_INPUT = [[2, 2, 7, 3], [9, 4, 6, 1], [8, 5, 2, 4], [3, 1, 2, 6]]


@pytest.fixture(autouse=True)
def headless_figures():
    backend = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    plt.close("all")
    plt.switch_backend(backend)


def cell_texts(ax) -> list[str]:
    """The numbers written in a grid, row by row."""
    positions = sorted((t.get_position()[1], t.get_position()[0], t.get_text()) for t in ax.texts)
    return [text for *_, text in positions]


def cells(ax):
    """The unit squares of a grid (not the window outline), keyed by (row, col)."""
    return {(round(p.get_y()), round(p.get_x())): p for p in ax.patches
            if p.get_width() == 1 and p.get_height() == 1 and p.get_fill()}


def outlines(ax, color: str):
    """(row, col, height, width) of the unfilled rectangles drawn in `color`."""
    return [(p.get_y(), p.get_x(), p.get_height(), p.get_width()) for p in ax.patches
            if not p.get_fill() and to_hex(p.get_edgecolor()) == to_hex(color)]


def is_padding(patch) -> bool:
    return to_hex(patch.get_facecolor()) == to_hex(plots.PAD_COLOR) and patch.get_hatch() == "//"


def test_draw_grid_writes_every_value_and_outlines_the_window():
    fig, ax = plt.subplots()
    plots.draw_grid(ax, IMAGE, window=(1, 2, 3, 3), title="input")
    assert cell_texts(ax) == [str(v) for row in IMAGE for v in row]
    assert outlines(ax, plots.WINDOW_COLOR) == [(1, 2, 3, 3)]
    assert not any(is_padding(p) for p in cells(ax).values())
    assert ax.get_title() == "input"


def test_draw_grid_marks_the_outer_rings_as_zero_padding():
    fig, ax = plt.subplots()
    padded = np.pad(np.ones((3, 3)), 2)
    plots.draw_grid(ax, padded, padding=2)
    grid = cells(ax)
    assert len(grid) == 7 * 7
    padding = {rc for rc, patch in grid.items() if is_padding(patch)}
    assert len(padding) == 7 * 7 - 3 * 3
    assert not padding & {(r, c) for r in range(2, 5) for c in range(2, 5)}


def test_draw_grid_leaves_cells_outside_shown_blank():
    fig, ax = plt.subplots()
    shown = np.array([[True, False], [False, True]])
    plots.draw_grid(ax, [[9, 7], [8, 6]], shown=shown, cell_color=plots.OUT_COLOR)
    assert cell_texts(ax) == ["9", "6"]
    filled = [rc for rc, p in cells(ax).items() if to_hex(p.get_facecolor()) ==
              to_hex(plots.OUT_COLOR)]
    assert sorted(filled) == [(0, 0), (1, 1)]


def test_sliding_figure_first_step_is_the_slides_51():
    fig = plots.sliding_figure(IMAGE, KERNEL, step=0)
    image_ax, kernel_ax, out_ax = fig.axes
    assert outlines(image_ax, plots.WINDOW_COLOR) == [(0, 0, 3, 3)]
    assert cell_texts(kernel_ax) == [str(v) for row in KERNEL for v in row]
    assert cell_texts(out_ax) == ["51"]
    assert fig._suptitle.get_text().replace("\n", " ").endswith("= 51")
    assert "2*1 + 4*2 + 9*3" in fig._suptitle.get_text()


def test_sliding_figure_last_step_shows_the_whole_feature_map():
    fig = plots.sliding_figure(IMAGE, KERNEL, step=8)
    *_, out_ax = fig.axes
    assert outlines(fig.axes[0], plots.WINDOW_COLOR) == [(2, 2, 3, 3)]
    expected = conv2d(IMAGE, KERNEL)
    assert cell_texts(out_ax) == [f"{v:g}" for v in expected.ravel()]
    assert fig._suptitle.get_text().startswith("step 9/9")


def test_sliding_figure_with_padding_draws_the_padded_input():
    fig = plots.sliding_figure(IMAGE, KERNEL, padding=1, step=0)
    image_ax, _, out_ax = fig.axes
    grid = cells(image_ax)
    assert len(grid) == 7 * 7
    assert sum(is_padding(p) for p in grid.values()) == 7 * 7 - 5 * 5
    assert "padding 1" in image_ax.get_title()
    corner = conv2d(IMAGE, KERNEL, padding=1)[0, 0]
    assert cell_texts(out_ax) == [f"{corner:g}"]


def test_sliding_figure_for_pooling_has_no_kernel_panel():
    fig = plots.sliding_figure(POOL_INPUT, pool=2, stride=2, op="max", step=1)
    input_ax, out_ax = fig.axes
    assert outlines(input_ax, plots.WINDOW_COLOR) == [(0, 2, 2, 2)]  # the window moved by 2
    assert out_ax.get_title() == "max pool 2x2"
    assert cell_texts(out_ax) == ["9", "7"]
    assert "max(7, 3, 6, 1) = 7" in fig._suptitle.get_text()


@pytest.mark.parametrize("x,kwargs,positions", [
    (IMAGE, {"kernel": KERNEL}, 9),
    (POOL_INPUT, {"pool": 2, "stride": 2}, 4),
    (np.arange(49).reshape(7, 7), {"pool": 3, "stride": 2, "op": "avg"}, 9),
    (np.arange(36).reshape(6, 6), {"kernel": np.ones((2, 2))}, 25),
])
def test_filmstrip_has_one_frame_per_output_position_up_to_nine(x, kwargs, positions):
    fig = plots.filmstrip(x, **kwargs)
    frames = min(9, positions)
    assert len(fig.axes) == 2 * frames  # the input with its window above, the output below
    titles = [ax.get_title() for ax in fig.axes[:frames]]
    assert titles == [f"step {k + 1}" for k in range(frames)]
    last_output = fig.axes[-1]
    assert len(last_output.texts) == frames  # the output fills in one cell per step


def test_filmstrip_shows_the_chosen_steps():
    fig = plots.filmstrip(IMAGE, KERNEL, steps=[0, 8])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["step 1", "step 9"]
    assert outlines(fig.axes[1], plots.WINDOW_COLOR) == [(2, 2, 3, 3)]


def frame_count(player: str) -> int:
    return len(re.findall(r"frames\[\d+\] = \"data:image/png;base64,", player))


@pytest.mark.parametrize("x,kwargs,positions", [
    (POOL_INPUT, {"pool": 2, "stride": 2}, 4),
    (IMAGE, {"kernel": KERNEL, "stride": 2}, 4),
    (IMAGE, {"kernel": KERNEL, "stride": 2, "padding": 1}, 9),
])
def test_animation_has_one_frame_per_output_position(x, kwargs, positions):
    anim = plots.sliding_animation(x, dpi=20, **kwargs)
    player = plots.animation_html(anim)
    assert frame_count(player) == positions
    assert f"new Array({positions})" in player


def test_animation_html_is_a_player_with_a_stable_id():
    def player():
        return plots.animation_html(plots.sliding_animation(POOL_INPUT, pool=2, stride=2,
                                                            dpi=20))

    first, second = player(), player()
    assert first == second  # no random element id: a re-run notebook has no diff
    assert "new Animation(frames" in first and 'aria-label="Play"' in first
    other = plots.animation_html(plots.sliding_animation(POOL_INPUT, pool=2, stride=2,
                                                         op="avg", dpi=20))
    ids = {re.search(r'id="_anim_img(\w+)"', html).group(1) for html in (first, other)}
    assert len(ids) == 2  # two different players on one page do not share an id


def test_show_sliding_displays_a_filmstrip_and_a_player(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert plots.show_sliding(POOL_INPUT, pool=2, stride=2) is None
    strip, player = shown
    assert isinstance(strip, matplotlib.figure.Figure) and len(strip.axes) == 2 * 4
    assert isinstance(player, IPython.display.HTML) and frame_count(player.data) == 4


def outlines_any(ax):
    """Every unfilled rectangle: the window outlines."""
    return [p for p in ax.patches if not p.get_fill()]


def reached_and_padding(ax):
    grid = cells(ax)
    unreached = {rc for rc, p in grid.items() if to_hex(p.get_facecolor()) == "#f4a6a6"}
    return grid, unreached, {rc for rc, p in grid.items() if is_padding(p)}


@pytest.mark.parametrize("stride,size", [(1, 5), (2, 3)])
def test_window_positions_exact_cases_reach_every_pixel(stride, size):
    fig, ax = plt.subplots()
    plots.window_positions(7, 3, stride, ax=ax)
    grid, unreached, padding = reached_and_padding(ax)
    assert len(grid) == 49 and not unreached and not padding
    assert len(outlines_any(ax)) == size  # one window outline per position along the row
    assert f"{size}x{size} output" in ax.get_title()


def test_window_positions_stride_3_does_not_fit_and_marks_the_ignored_pixels():
    fig, ax = plt.subplots()
    plots.window_positions(7, 3, 3, ax=ax)
    _, unreached, _ = reached_and_padding(ax)
    assert unreached == {(r, c) for r in range(7) for c in range(7) if r == 6 or c == 6}
    assert "doesn't fit!" in ax.get_title()
    assert output_geometry(7, 3, 3).formula in ax.get_title()
    assert [p.get_x() for p in outlines_any(ax)] == pytest.approx([0.08, 3.14])


def test_window_positions_with_padding_draws_the_zero_ring():
    ax = plots.window_positions(7, 3, 1, padding=1)
    grid, unreached, padding = reached_and_padding(ax)
    assert len(grid) == 9 * 9 and len(padding) == 9 * 9 - 7 * 7 and not unreached
    assert len(outlines_any(ax)) == 7 and "7x7 output" in ax.get_title()


def test_the_slides_pooling_example_drawn_matches_ops():
    fig = plots.sliding_figure(POOL_INPUT, pool=2, stride=2, step=3)
    assert cell_texts(fig.axes[-1]) == [f"{v:g}" for v in max_pool2d(POOL_INPUT, 2, 2).ravel()]


# --- notebook 04's architecture figures: plain numbers in --------------------------------------

def test_params_vs_memory_draws_each_layers_share_of_both():
    rows = [("INPUT", 0, 300), ("CONV1", 100, 600), ("FC", 900, 100)]
    fig = plots.plot_params_vs_memory({"net": rows})
    ax = fig.axes[0]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    assert heights == [0, 10, 90, 30, 60, 10]  # parameters %, then memory %
    assert [t.get_text() for t in ax.get_xticklabels()] == ["INPUT", "CONV1", "FC"]
    plt.close(fig)


def test_branch_costs_labels_every_bar_and_the_totals():
    fig = plots.plot_branch_costs({"1x1": (2e6, 2e6), "5x5": (8e6, 1e6)})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["2M", "2M", "8M", "1M"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["naive: 10M in all",
                                                                   "with 1x1: 3M in all"]
    plt.close(fig)


def test_block_diagrams_draw_every_layer_and_the_shortcut_only_where_asked():
    fig = plots.plot_blocks({"plain": (["conv", "ReLU"], None),
                             "residual": (["conv", "BN"], "identity x")})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("conv") == 2 and texts.count("+") == 1 and "identity x" in texts
    assert "H(x)" in texts and "ReLU(F(x) + x)" in texts
    plt.close(fig)


def test_gradient_plot_is_logarithmic():
    fig = plots.plot_gradient_by_depth([1, 2], [1e-1, 1e-3], [1.0, 2.0])
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 2
    plt.close(fig)


def test_window_positions_ends_outlines_two_windows_and_numbers_all():
    ax = plots.window_positions(7, 3, stride=1, outline="ends")
    assert [t.get_text() for t in ax.texts] == ["1", "2", "3", "4", "5"]
    assert len(outlines_any(ax)) == 2
    with pytest.raises(ValueError, match="outline"):
        plots.window_positions(7, 3, outline="some")
    plt.close("all")


def test_filmstrip_cell_size_enlarges_small_grids():
    small = plots.filmstrip(POOL_INPUT, pool=2, stride=2)
    large = plots.filmstrip(POOL_INPUT, pool=2, stride=2, cell=0.5)
    width = [f.get_size_inches()[0] * f.dpi for f in (small, large)]
    assert width[1] > 1.5 * width[0]
    assert len(plots.filmstrip(POOL_INPUT, pool=2, stride=2, steps=(0, 3), cell=0.5).axes) == 4
    plt.close("all")

# --- the programming task's result plots (these need a trained history, hence torch) ----------


@pytest.fixture(scope="module")
def mnist_small():
    import torch

    from course_utils.training import mnist

    return mnist.load_datasets(torch.device("cpu"), train_size=512, test_size=256)


def small_train(name, data, **kwargs):
    from course_utils.training import engine

    train_data, test_data = data
    kwargs = {"epochs": 2, "batch_size": 64, "progress": False, **kwargs}
    return engine.train(name, train_data, test_data, **kwargs)


def test_smooth_is_a_trailing_moving_average():
    values = np.arange(10, dtype=float)
    np.testing.assert_allclose(training_plots.smooth(values, 1), values)
    np.testing.assert_allclose(training_plots.smooth(np.full(50, 2.0), 7), 2.0)
    assert training_plots.smooth(values, 3)[5] == pytest.approx((3 + 4 + 5) / 3)
    assert training_plots.smooth(values, 3)[1] == pytest.approx(0.5)


def test_result_plots_and_table_from_a_history(mnist_small):
    import matplotlib

    matplotlib.use("Agg")
    _, history = small_train("sgd", mnist_small, epochs=1)
    histories = {"sgd": history}
    table = training_plots.results_table(histories)
    assert "SGD (lr 0.01)" in table and f"{100 * history['test_accuracy'][-1]:.2f} %" in table
    figures = [training_plots.plot_loss_curves(histories), training_plots.plot_accuracy(histories),
               training_plots.plot_confusion_matrix(history["confusion"])]
    _, test_data = mnist_small
    wrong = history["misclassified"]["index"]
    figures.append(training_plots.plot_misclassified(test_data.images[wrong, 0].numpy(),
                                            test_data.labels[wrong].numpy(),
                                            history["misclassified"]["predicted"]))
    assert len(figures[0].axes) == 2 and all(f.axes for f in figures)
    bottom = figures[0].axes[0].get_ylim()[0]  # raw single-batch lows do not squash the curves
    assert 0 < bottom <= training_plots.smooth(history["step_loss"]).min()
