"""Widget text that survives a static render.

GitHub, nbviewer and untrusted notebooks cannot run widgets: they show each widget output's saved
``text/plain`` (ipywidgets cuts it at 110 characters and appends "…") or draw the widget from the
state saved in the notebook's metadata. Every such text in the committed notebooks must be shorter
than 110 characters, so that a reader sees it whole.
"""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest

from course_utils.display.widgets import STATIC_LIMIT

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
TEXT_KEYS = ("description", "placeholder", "tooltip")
TEXT_VALUE_MODELS = {"LabelModel", "TextModel", "TextareaModel", "HTMLModel", "HTMLMathModel"}


def _state(notebook: dict) -> dict:
    return notebook["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})


def _visible(value: str) -> str:
    """What an HTML widget shows as text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))


def widget_texts(notebook: dict) -> list[tuple[str, str]]:
    """(where, text) for every widget text a static render shows."""
    texts = []
    for number, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if VIEW in data:
                texts.append((f"cell {number} text/plain", "".join(data.get("text/plain", ""))))
    for model_id, model in _state(notebook).items():
        state = model.get("state", {})
        where = f"widget state {model_id[:8]} {model.get('model_name')}"
        texts += [(f"{where}.{key}", state[key]) for key in TEXT_KEYS
                  if isinstance(state.get(key), str)]
        value = state.get("value")
        if (model.get("model_name") in TEXT_VALUE_MODELS and isinstance(value, str)
                and "<svg" not in value):  # a drawing, not text
            texts.append((f"{where}.value", _visible(value)))
    return texts


def too_long(notebook: dict) -> list[tuple[str, str]]:
    return [(where, text) for where, text in widget_texts(notebook)
            if len(text) >= STATIC_LIMIT or text.endswith("…")]


by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


@by_name
def test_every_saved_widget_text_is_shown_whole(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert too_long(notebook) == []


@by_name
def test_every_widget_view_has_its_saved_state(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    state = _state(notebook)
    views = [output["data"][VIEW]["model_id"] for cell in notebook["cells"]
             for output in cell.get("outputs", []) if VIEW in output.get("data", {})]
    assert all(model_id in state for model_id in views)


def test_a_planted_long_text_is_caught():
    path = ROOT / "notebooks" / "03_spatial_arithmetic.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert any("text/plain" in where for where, _ in widget_texts(notebook))
    planted = copy.deepcopy(notebook)
    cut = "Q: " + "a question much longer than a static render shows " * 3
    view = next(output for cell in planted["cells"] for output in cell.get("outputs", [])
                if VIEW in output.get("data", {}))
    view["data"]["text/plain"] = [cut[:STATIC_LIMIT] + "…"]
    model = next(m for m in _state(planted).values() if m["model_name"] == "IntSliderModel")
    model["state"]["description"] = "x" * STATIC_LIMIT
    found = too_long(planted)
    assert [where.split()[-1] for where, _ in found] == ["text/plain", "IntSliderModel.description"]
