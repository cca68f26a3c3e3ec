"""Draw a digit with the mouse in JupyterLab (headless chromium) and watch the answers change.

A throwaway notebook builds three small seeded networks (the task's CNN among them) and shows
``draw_digit(networks)``; after "Run All Cells" the test checks the blank "draw a digit" state,
draws a 7 with mouse events (down, moves in steps, up) on the canvas, waits for the three
networks' probabilities, adds a second stroke and waits for them to change again, then clears
the canvas. Screenshots go to screenshots/browser/ (ignored by git).
"""

from __future__ import annotations

import time

import nbformat
import numpy as np
import pytest
from browser.canvas import draw, shown, wait_for_new_probabilities
from browser.lab import UI_TIMEOUT_MS, JupyterLab, chromium
from browser.notebook import LabNotebook, widget_problems
from test_browser import SHOTS, _requirements_or_skip

from course_utils.byhand.canvas_to_mnist import BLANK

NETWORKS = 3
RUN_TIMEOUT_S = 300

SETUP = """\
import torch
from torch import nn

from course_utils.display.digit_canvas import draw_digit
from course_utils.training.task import build_model

torch.manual_seed(0)
linear = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
with torch.no_grad():
    linear[1].weight.mul_(10)  # untrained answers hover at 10 %; scaled up they take sides
conv = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                     nn.Linear(4 * 6 * 6, 10))
networks = {"linear": linear, "conv": conv, "task CNN": build_model()}"""

SHOW = "canvas = draw_digit(networks)\ncanvas"


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    _requirements_or_skip()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP),
                                               nbformat.v4.new_code_cell(SHOW)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = tmp_path_factory.mktemp("canvas") / "draw_a_digit.ipynb"
    nbformat.write(notebook, path)
    with JupyterLab([path]) as lab, chromium() as browser:
        page = LabNotebook(browser, lab, path.name).open()
        try:
            page.run_all(timeout_s=RUN_TIMEOUT_S)
            page.wait_for_widgets()
            yield page
        finally:
            page.close()


def _settled(tab, root) -> list[list[float]]:
    """The probabilities once the page shows what the kernel computed for the whole stroke
    (during a stroke the canvas also sends partial drawings, whose answers may arrive first)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while True:
        kernel = tab.kernel_json("import json\nprint(json.dumps([[round(p, 4) for p in r["
                                 "'probabilities']] for r in canvas.readings]))")
        on_page = shown(root)
        if (np.shape(kernel) == np.shape(on_page) == (NETWORKS, 10)
                and np.allclose(kernel, on_page, atol=1.5e-4)):
            return on_page
        if time.monotonic() > deadline:
            raise AssertionError(f"the page shows {on_page}, the kernel computed {kernel}")
        time.sleep(0.25)


def test_the_canvas_renders_as_a_widget_and_starts_blank(tab):
    cells = tab.cells()
    assert not widget_problems(cells), widget_problems(cells)
    root = tab.page.locator(".digit-canvas").first
    root.wait_for(timeout=UI_TIMEOUT_MS)
    assert root.locator(".digit-canvas-blank").inner_text() == BLANK
    assert root.locator(".digit-canvas-bar").count() == 0  # no prediction without a digit


def test_drawing_with_the_mouse_shows_and_then_changes_the_probabilities(tab):
    page = tab.page
    root = page.locator(".digit-canvas").first
    pad = root.locator(".digit-canvas-pad")
    pad.scroll_into_view_if_needed()

    draw(page, pad, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a 7
    wait_for_new_probabilities(root, [], "drawing a 7", NETWORKS)
    first = _settled(tab, root)
    assert len(first) == NETWORKS and all(len(bars) == 10 for bars in first)
    for bars in first:
        assert sum(bars) == pytest.approx(1.0, abs=10 * 5e-5)  # ten values rounded to 1e-4
    assert root.locator(".digit-canvas-blank").count() == 0
    tab.screenshot(SHOTS / "draw-a-digit-7.png", root)

    draw(page, pad, [(0.3, 0.5), (0.7, 0.5)])  # a crossbar: now a continental 7
    wait_for_new_probabilities(root, first, "a second stroke", NETWORKS)
    second = _settled(tab, root)
    assert not np.allclose(second, first, atol=1e-4)
    tab.screenshot(SHOTS / "draw-a-digit-7-crossed.png", root)


def test_clear_goes_back_to_draw_a_digit(tab):
    root = tab.page.locator(".digit-canvas").first
    root.locator(".digit-canvas-clear").click()
    root.locator(".digit-canvas-blank").wait_for(timeout=UI_TIMEOUT_MS)
    assert root.locator(".digit-canvas-blank").inner_text() == BLANK
    assert root.locator(".digit-canvas-bar").count() == 0
    assert tab.kernel_json("print(canvas.readings)") == []
