"""Draw a digit: a canvas whose drawing goes through MNIST's own preprocessing
(``course_utils.byhand.canvas_to_mnist.to_mnist``) into trained networks, shown beside their
probabilities.

The canvas is an anywidget (``anywidget.AnyWidget``): core ipywidgets have no drawing surface,
and anywidget runs one small ES module in every front end it supports, JupyterLab 4 and Colab
included (Colab preinstalls it). Everything the student sees (canvas, the 28x28 input, one row
of bars per network) is drawn by that one widget, not by core widgets around it, because of how
Colab shows third-party widgets: they need Colab's custom widget manager, which a widget output
asks for in its display metadata. anywidget enables that manager when it finds
``google.colab.output`` and adds the metadata to its own ``_repr_mimebundle_`` (anywidget PR #52
and #75); Colab's own hook adds it only to ``display()`` calls, not to a cell's last value
(anywidget issue #63), so a core HBox around the canvas would reach Colab without it and leave
the canvas undrawn. Where no widget front end runs (a static render, a terminal) the widget's
text is one line, LIVE; without anywidget ``draw_digit`` returns that kind of line too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from course_utils.byhand.canvas_to_mnist import BLANK, to_mnist
from course_utils.training.loop import predict_proba
from course_utils.training.mnist import MNIST_MEAN, MNIST_STD

GRID = 56  # the browser averages its 280x280 canvas into 56x56 (5x5 blocks) before sending
LIVE = "(draw a digit in a live notebook: JupyterLab or Colab)"
NO_ANYWIDGET = "(draw a digit needs the anywidget package: pip install anywidget, restart)"


@dataclass(frozen=True)
class Reading:
    """What the networks make of one drawing: the 28x28 input and each network's ten
    probabilities (digits 0-9)."""

    image: np.ndarray
    probabilities: dict[str, np.ndarray]

    def top(self, name: str) -> tuple[int, float]:
        """(digit, probability) that network `name` rates highest."""
        p = self.probabilities[name]
        return int(p.argmax()), float(p.max())


def _device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def read_digit(canvas, networks: Mapping[str, nn.Module],
               normalized: bool = True) -> Reading | None:
    """The lecture's softmax output for a drawn digit: the drawing made into MNIST's 28x28
    input (``to_mnist``), normalised like the training images (MNIST's mean and standard
    deviation, as ``data.normalize`` does) unless `normalized` is False, then each network's
    probabilities. None for a blank canvas: no digit, no prediction."""
    image = to_mnist(canvas)
    if image is None:
        return None
    x = torch.from_numpy(image)[None, None]
    if normalized:
        x = (x - MNIST_MEAN) / MNIST_STD
    probabilities = {}
    with torch.inference_mode():
        for name, model in networks.items():
            # eval mode (dropout off): the same drawing always gets the same answer
            p = predict_proba(model, x.to(_device(model)))
            probabilities[name] = p[0].float().cpu().numpy()
    return Reading(image, probabilities)


def pixels_to_canvas(pixels, grid: int = GRID) -> np.ndarray:
    """The browser's flat list of grid x grid ink values (0-255) as a 2-D canvas; an empty or
    wrongly sized list (the Clear button sends []) is a blank canvas."""
    flat = np.asarray(pixels, dtype=np.float64)
    if flat.size != grid * grid:
        return np.zeros((grid, grid))
    return np.clip(flat.reshape(grid, grid) / 255.0, 0.0, 1.0)


class TextOnly:
    """A one-line stand-in where the canvas cannot be made (anywidget missing)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


# The front end, shipped as package data (pyproject: package-data) and read once.
ESM_PATH = Path(__file__).with_name("digit_canvas.js")


@functools.cache
def _canvas_class():
    """The widget class, built on first use so that a missing anywidget is a message, not an
    ImportError at ``import course_utils.display.digit_canvas``; None without anywidget."""
    try:
        import anywidget
        import traitlets as t
    except ImportError:
        return None

    class DigitCanvas(anywidget.AnyWidget):
        """The canvas, the 28x28 input and each network's probabilities, in one widget."""

        _esm = ESM_PATH.read_text(encoding="utf-8")
        grid = t.Int(GRID).tag(sync=True)
        pixels = t.List(t.Int()).tag(sync=True)  # from the browser: grid x grid ink, 0-255
        preview = t.List(t.Int()).tag(sync=True)  # to the browser: the 28x28 input, 0-255
        readings = t.List(t.Dict()).tag(sync=True)  # name, top, p, probabilities per network
        status = t.Unicode(BLANK).tag(sync=True)

        def __init__(self, networks: Mapping[str, nn.Module], normalized: bool = True):
            super().__init__()
            self.networks, self.normalized = dict(networks), normalized
            self.reading: Reading | None = None
            self.observe(self._update, names="pixels")

        def _update(self, _change=None) -> None:
            self.reading = read_digit(pixels_to_canvas(self.pixels, self.grid), self.networks,
                                      self.normalized)
            if self.reading is None:
                self.preview, self.readings, self.status = [], [], BLANK
                return
            self.preview = [round(255 * v) for v in self.reading.image.ravel().tolist()]
            self.readings = [
                {"name": name, "top": self.reading.top(name)[0], "p": self.reading.top(name)[1],
                 "probabilities": [float(p) for p in probabilities]}
                for name, probabilities in self.reading.probabilities.items()]
            self.status = ""

        def __repr__(self) -> str:  # the text/plain fallback where widgets cannot render
            return LIVE

    return DigitCanvas


def draw_digit(networks: Mapping[str, nn.Module], normalized: bool = True):
    """Notebook 06's "Draw a digit": a canvas to draw on, the drawing as MNIST's 28x28 input
    (a 20x20 box centred by centre of mass, ``drawing.to_mnist``) and each network's ten
    probabilities beside it, updated as you draw. `networks` maps a label (e.g. the optimizer
    it was trained with) to a model taking [N, 1, 28, 28] and returning 10 logits;
    `normalized=False` for models trained on unnormalised [0, 1] pixels."""
    if not networks:
        raise ValueError("draw_digit needs at least one network, e.g. {'Adam': model}")
    canvas_class = _canvas_class()
    if canvas_class is None:
        return TextOnly(NO_ANYWIDGET)
    return canvas_class(networks, normalized)


__all__ = ["ESM_PATH", "GRID", "LIVE", "NO_ANYWIDGET", "Reading", "TextOnly", "draw_digit",
           "pixels_to_canvas", "read_digit"]
