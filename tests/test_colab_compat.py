"""Colab draws ipywidgets 7 with its own front end: widget features it lacks must not appear in
course_utils/ or the notebooks. A static scan (the AST of every module and every code cell;
IPython magics are translated first), so it runs everywhere, Colab lane or not.

Not supported on Colab (ipywidgets 7.7.1, googlecolab/backend-info 2026-08-19):
- `jslink` / `jsdlink`: links computed in the browser's widget manager, which Colab lacks;
  use `traitlets.link` / `observe` in the kernel instead.
- `Play`: the animation widget needs the browser-side timer; Colab does not render it.
- ipywidgets-8-only widgets and arguments (TagsInput, Stack, DatetimePicker, Tab(titles=...),
  description_allow_html=...): absent from ipywidgets 7, an error on Colab.
- `Output(layout={...})`: Colab's Output widget ignores a layout given as a dict (and older
  Colab front ends fail on it); build a `Layout(...)` or leave the layout alone.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "course_utils").rglob("*.py"))  # every subpackage
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

UNSUPPORTED_NAMES = {
    "jslink": "jslink runs in the browser's widget manager, which Colab lacks",
    "jsdlink": "jsdlink runs in the browser's widget manager, which Colab lacks",
    "Play": "Colab does not render the Play widget",
    # ipywidgets 8.0 additions (not in Colab's ipywidgets 7.7.1):
    "TagsInput": "ipywidgets 8 only", "ColorsInput": "ipywidgets 8 only",
    "FloatsInput": "ipywidgets 8 only", "IntsInput": "ipywidgets 8 only",
    "Stack": "ipywidgets 8 only", "DatetimePicker": "ipywidgets 8 only",
    "NaiveDatetimePicker": "ipywidgets 8 only", "TimePicker": "ipywidgets 8 only",
}
UNSUPPORTED_KEYWORDS = {
    "titles": "Tab/Accordion(titles=...) is ipywidgets 8 only; use set_title(i, text)",
    "description_allow_html": "ipywidgets 8 only",
}


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.what}"


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def scan_python(source: str, where: str) -> list[Finding]:
    """Every use of a widget feature Colab does not support in one piece of Python."""
    findings = []
    for node in ast.walk(ast.parse(source, filename=where)):
        names = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [alias.name.rsplit(".", 1)[-1] for alias in node.names]
        findings += [Finding(where, node.lineno, f"{name}: {UNSUPPORTED_NAMES[name]}")
                     for name in names if name in UNSUPPORTED_NAMES]
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in UNSUPPORTED_KEYWORDS:
                    findings.append(Finding(where, node.lineno, f"{keyword.arg}=: "
                                            f"{UNSUPPORTED_KEYWORDS[keyword.arg]}"))
                if (_called_name(node) == "Output" and keyword.arg == "layout"
                        and (isinstance(keyword.value, ast.Dict) or (
                            isinstance(keyword.value, ast.Call)
                            and _called_name(keyword.value) == "dict"))):
                    findings.append(Finding(where, node.lineno,
                                            "Output(layout=<dict>): Colab's Output widget "
                                            "ignores a dict layout; use Layout(...)"))
    return findings


def scan_notebook(path: Path) -> list[Finding]:
    """scan_python over every code cell, magics translated as IPython would run them."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    findings = []
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            python = TransformerManager().transform_cell(source)
            findings += scan_python(python, f"{path.name}[cell {number}]")
    return findings


@pytest.mark.parametrize("module", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_course_utils_uses_only_widget_features_colab_supports(module):
    found = scan_python(module.read_text(encoding="utf-8"), str(module.relative_to(ROOT)))
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_only_widget_features_colab_supports(notebook):
    found = scan_notebook(notebook)
    assert not found, "\n".join(map(str, found))


def test_the_scan_sees_every_file():
    assert len(SOURCES) > 5 and len(NOTEBOOKS) >= 5


# The scan must be able to fail: each planted use is found, the supported twin is not.
PLANTED = {
    "import ipywidgets as w\nw.jslink((a, 'value'), (b, 'value'))": "jslink",
    "from ipywidgets import jsdlink\n": "jsdlink",
    "import ipywidgets\nplayer = ipywidgets.Play(min=0, max=9)": "Play",
    "from ipywidgets import widgets as w\nw.TagsInput(value=['a'])": "TagsInput",
    "import ipywidgets as w\nw.Tab(children=[a, b], titles=('A', 'B'))": "titles=",
    "import ipywidgets as w\nw.HTML('<b>x</b>', description_allow_html=True)":
        "description_allow_html=",
    "import ipywidgets as w\nout = w.Output(layout={'border': '1px solid'})": "Output(layout=",
    "from ipywidgets import Output\nout = Output(layout=dict(height='9em'))": "Output(layout=",
}
SUPPORTED = [
    "import traitlets\ntraitlets.link((a, 'value'), (b, 'value'))",
    "import ipywidgets as w\nw.Output(layout=w.Layout(border='1px solid'))",
    "import ipywidgets as w\ntab = w.Tab(children=[a])\ntab.set_title(0, 'A')",
    "import ipywidgets as w\nw.HBox([w.IntSlider(3), w.Button(description='Check')])",
    "player = 'Play'  # text, not the widget",
]


@pytest.mark.parametrize("source, expected", PLANTED.items(), ids=list(PLANTED.values()))
def test_the_scan_finds_a_planted_unsupported_feature(source, expected):
    found = scan_python(source, "planted.py")
    assert [f for f in found if f.what.startswith(expected)], found


@pytest.mark.parametrize("source", SUPPORTED)
def test_the_scan_passes_supported_code(source):
    assert scan_python(source, "supported.py") == []


def test_the_scan_finds_a_planted_feature_in_a_notebook_cell_with_magics(tmp_path):
    notebook = tmp_path / "planted.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# 99 · Planted"]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["%matplotlib inline\n", "import ipywidgets as w\n",
                         "w.jsdlink((a, 'value'), (b, 'value'))"]}]
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}), encoding="utf-8")
    assert [str(f) for f in scan_notebook(notebook)] == [
        "planted.ipynb[cell 1]:3: jsdlink: jsdlink runs in the browser's widget manager, "
        "which Colab lacks"]
