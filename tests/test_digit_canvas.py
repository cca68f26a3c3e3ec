"""course_utils.display.digit_canvas: the "Draw a digit" widget, driven from Python (no browser).

The browser sends the drawing as `pixels` (GRID x GRID ink values, 0-255); setting that trait
here runs exactly what a stroke in the browser runs. tests/test_browser_canvas.py draws with
the mouse in JupyterLab.
"""

import shutil
import subprocess
import sys
import types
from unittest import mock

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.byhand.canvas_to_mnist import BLANK, to_mnist
from course_utils.display import digit_canvas
from course_utils.display.digit_canvas import (
    GRID,
    LIVE,
    NO_ANYWIDGET,
    TextOnly,
    draw_digit,
    pixels_to_canvas,
    read_digit,
)
from course_utils.training.mnist import MNIST_MEAN, MNIST_STD
from course_utils.training.task import build_model

STATIC_LIMIT = 110  # ipywidgets cuts a widget's saved text/plain here


def tiny_networks() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    small = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    conv = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 10))
    return {"linear": small, "conv": conv, "task CNN": build_model()}


def drawn(*boxes) -> list[int]:
    """A GRID x GRID drawing as the browser sends it: ink 255 inside each (rows, cols) box."""
    canvas = np.zeros((GRID, GRID), dtype=int)
    for rows, cols in boxes:
        canvas[rows, cols] = 255
    return canvas.ravel().tolist()


ONE = drawn((slice(8, 48), slice(26, 31)))
SEVEN = drawn((slice(8, 13), slice(12, 44)), (slice(8, 48), slice(38, 43)))


@pytest.fixture
def canvas():
    return draw_digit(tiny_networks())


def test_a_new_canvas_asks_for_a_digit_and_predicts_nothing(canvas):
    assert canvas.status == BLANK
    assert canvas.readings == [] and canvas.preview == [] and canvas.reading is None


def test_a_drawing_gives_each_network_ten_probabilities_summing_to_1(canvas):
    canvas.pixels = SEVEN
    assert [r["name"] for r in canvas.readings] == ["linear", "conv", "task CNN"]
    for reading in canvas.readings:
        assert len(reading["probabilities"]) == 10
        assert sum(reading["probabilities"]) == pytest.approx(1.0, abs=1e-5)
        assert reading["top"] == int(np.argmax(reading["probabilities"]))
        assert reading["p"] == pytest.approx(max(reading["probabilities"]))
    assert canvas.status == ""


def test_the_probabilities_change_when_the_drawing_changes(canvas):
    canvas.pixels = ONE
    first = {r["name"]: r["probabilities"] for r in canvas.readings}
    canvas.pixels = SEVEN
    second = {r["name"]: r["probabilities"] for r in canvas.readings}
    for name in first:
        assert not np.allclose(first[name], second[name], atol=1e-4), name


def test_the_preview_is_the_networks_28x28_input(canvas):
    canvas.pixels = SEVEN
    expected = to_mnist(pixels_to_canvas(SEVEN))
    assert len(canvas.preview) == 28 * 28
    np.testing.assert_allclose(np.array(canvas.preview).reshape(28, 28) / 255, expected,
                               atol=0.5 / 255)
    np.testing.assert_array_equal(canvas.reading.image, expected)


def test_clear_goes_back_to_the_draw_a_digit_state(canvas):
    canvas.pixels = SEVEN
    assert canvas.readings
    canvas.pixels = []  # what the Clear button sends
    assert canvas.status == BLANK and canvas.readings == [] and canvas.preview == []


def test_a_stray_click_is_not_a_prediction(canvas):
    canvas.pixels = drawn((slice(30, 32), slice(30, 32)))
    assert canvas.status == BLANK and canvas.readings == []


def test_the_networks_see_the_input_normalised_like_their_training_images():
    seen = []

    class Spy(nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            return torch.zeros(x.shape[0], 10)

    canvas = pixels_to_canvas(SEVEN)
    image = torch.from_numpy(to_mnist(canvas))
    read_digit(canvas, {"spy": Spy()})
    read_digit(canvas, {"spy": Spy()}, normalized=False)
    assert seen[0].shape == (1, 1, 28, 28)
    torch.testing.assert_close(seen[0][0, 0], (image - MNIST_MEAN) / MNIST_STD)
    torch.testing.assert_close(seen[1][0, 0], image)


def test_read_digit_switches_dropout_off():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(784, 10))
    model.train()
    canvas = pixels_to_canvas(SEVEN)
    first = read_digit(canvas, {"m": model}).probabilities["m"]
    second = read_digit(canvas, {"m": model}).probabilities["m"]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("pixels", [[], [255] * 10, [0] * (GRID * GRID)],
                         ids=["cleared", "wrong-size", "empty"])
def test_pixels_that_are_no_drawing_are_a_blank_canvas(pixels):
    assert read_digit(pixels_to_canvas(pixels), tiny_networks()) is None


def test_without_a_front_end_the_widget_is_one_line(canvas):
    data, _metadata = canvas._repr_mimebundle_()
    assert data["text/plain"] == repr(canvas) == LIVE
    assert "\n" not in LIVE and len(LIVE) < STATIC_LIMIT
    assert "application/vnd.jupyter.widget-view+json" in data


def test_without_anywidget_draw_digit_is_one_line_not_a_traceback(monkeypatch):
    digit_canvas._canvas_class.cache_clear()
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget -> ImportError
    try:
        shown = draw_digit(tiny_networks())
    finally:
        digit_canvas._canvas_class.cache_clear()
    assert isinstance(shown, TextOnly)
    assert repr(shown) == NO_ANYWIDGET and "\n" not in NO_ANYWIDGET
    assert len(NO_ANYWIDGET) < STATIC_LIMIT and "anywidget" in NO_ANYWIDGET


def test_in_colab_the_custom_widget_manager_is_enabled_and_named_in_the_output(monkeypatch):
    """Colab draws anywidget only through its custom widget manager: anywidget enables it when
    google.colab.output is loaded and names its URL in the output's metadata (Colab's own hook
    does that only for display(), not for a cell's last value)."""
    import anywidget._util

    url = "https://ssl.gstatic.com/colaboratory-static/widgets/colab-cdn-widget-manager/x.js"
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = mock.Mock()
    output._widgets = types.SimpleNamespace(_installed_url=url)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    anywidget._util.enable_custom_widget_manager_once.cache_clear()
    try:
        canvas = draw_digit(tiny_networks())
        _data, metadata = canvas._repr_mimebundle_()
    finally:
        anywidget._util.enable_custom_widget_manager_once.cache_clear()
    output.enable_custom_widget_manager.assert_called_once_with()
    view = metadata["application/vnd.jupyter.widget-view+json"]
    assert view["colab"]["custom_widget_manager"]["url"] == url


def test_draw_digit_needs_a_network():
    with pytest.raises(ValueError, match="at least one network"):
        draw_digit({})


def test_the_canvas_takes_mouse_touch_and_pen_alike():
    esm = digit_canvas.ESM_PATH.read_text(encoding="utf-8")
    for event in ("pointerdown", "pointermove", "pointerup", "pointercancel"):
        assert f'"{event}"' in esm, event
    assert "touch-action:none" in esm  # a finger draws instead of scrolling the page
    assert "export default { render }" in esm


def test_importing_the_widget_module_without_anywidget_works():
    code = ("import sys; sys.modules['anywidget'] = None; "
            "from course_utils.display.digit_canvas import draw_digit, TextOnly; import torch; "
            "shown = draw_digit({'m': torch.nn.Flatten()}); "
            "assert isinstance(shown, TextOnly), shown; print(repr(shown))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == NO_ANYWIDGET


def test_the_canvas_script_parses_as_a_module(tmp_path):
    """A syntax error in the ES module would show only in a browser, as an empty output."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed (the browser test covers the script too)")
    script = tmp_path / "canvas.mjs"
    script.write_text(digit_canvas.ESM_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
