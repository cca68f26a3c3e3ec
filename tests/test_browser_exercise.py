"""A student's exercise, end to end, in a real JupyterLab in a headless browser.

The student edition (student/) is opened as a student opens it, "Run All Cells" runs with every
exercise still open, then a solution is typed into the exercise cell's editor and the check
cell below it is run with Shift+Enter, as a student does: a correct solution shows the check's
"✓" line, a wrong one its "✗" line naming the failing case. nbval proves the checkers' words;
this proves the round trip through JupyterLab's editor, kernel and output area.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser.lab import UI_TIMEOUT_MS, JupyterLab, chromium
from browser.notebook import LabNotebook
from test_browser import SHOTS, _requirements_or_skip

ROOT = Path(__file__).resolve().parents[1]
STUDENT_NOTEBOOK = ROOT / "student" / "02_pooling.ipynb"
EXERCISE = "def my_max_pool"
RUN_TIMEOUT_S = 300

# What a student types: the body of my_max_pool, right, then with the stride forgotten (each
# window starts one pixel after the last), which still gives the slide's [[9, 7], [8, 6]]
# only if the check stopped at the slide's example.
HEADER = ('def my_max_pool(x, size, stride):\n'
          '    """Max pooling of a 2-D array: the maximum of every size x size window, '
          'stride apart."""\n')
RIGHT = HEADER + """    x = np.asarray(x, dtype=float)
    rows = (x.shape[0] - size) // stride + 1
    cols = (x.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out
"""
STRIDE_IS_SIZE = HEADER + """    x = np.asarray(x, dtype=float)
    rows, cols = x.shape[0] // size, x.shape[1] // size
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
    return out
"""

_CELL_INDEX = """(start) => window.jupyterapp.shell.currentWidget.content.widgets
  .findIndex((cell) => cell.model.sharedModel.getSource().startsWith(start))"""

_SOURCE = """(index) => window.jupyterapp.shell.currentWidget.content.widgets[index]
  .model.sharedModel.getSource()"""


@pytest.fixture(scope="module")
def student_tab():
    _requirements_or_skip()
    assert STUDENT_NOTEBOOK.exists(), f"{STUDENT_NOTEBOOK} missing: run make student"
    with JupyterLab([STUDENT_NOTEBOOK], extra_env={"COURSE_QUICK": "1"}) as lab, \
            chromium() as browser:
        tab = LabNotebook(browser, lab, STUDENT_NOTEBOOK.name).open()
        try:
            tab.run_all(timeout_s=RUN_TIMEOUT_S)
            yield tab
        finally:
            tab.close()


def _cell(tab: LabNotebook, index: int):
    return tab.page.locator(".jp-Notebook .jp-Cell").nth(index)


def _type_into(tab: LabNotebook, index: int, text: str) -> None:
    """Replace the cell's text through its editor: click, select all, type."""
    editor = _cell(tab, index).locator(".cm-content")
    editor.click()
    tab.page.keyboard.press("Control+A")
    # insert_text enters the text as one input (like a paste), so the editor's auto-indent
    # and bracket closing cannot rewrite what was typed.
    tab.page.keyboard.insert_text(text)
    shown = tab.page.evaluate(_SOURCE, index)
    assert shown.strip() == text.strip(), f"the editor holds {shown!r}"


def _run_exercise_and_check(tab: LabNotebook, index: int) -> str:
    """Shift+Enter on the exercise cell, then on its check cell; the check's output line."""
    check = _cell(tab, index + 1)
    before = check.locator(".jp-InputArea-prompt").inner_text()
    _cell(tab, index).locator(".cm-content").click()
    tab.page.keyboard.press("Shift+Enter")  # runs the exercise, selects the check cell
    tab.page.keyboard.press("Shift+Enter")  # runs the check
    prompt = check.locator(".jp-InputArea-prompt")
    tab.page.wait_for_function(
        "([node, before]) => /\\[\\d+\\]/.test(node.innerText) && node.innerText !== before",
        arg=[prompt.element_handle(), before], timeout=UI_TIMEOUT_MS)
    output = check.locator(".jp-OutputArea-output").first
    output.wait_for(timeout=UI_TIMEOUT_MS)
    return output.inner_text().strip()


def test_student_edition_opens_with_the_exercise_open(student_tab):
    tab = student_tab
    index = tab.page.evaluate(_CELL_INDEX, EXERCISE)
    assert index >= 0, f"{STUDENT_NOTEBOOK.name} has no cell starting {EXERCISE!r}"
    assert "raise NotImplementedError()" in tab.page.evaluate(_SOURCE, index)
    shown = _cell(tab, index + 1).locator(".jp-OutputArea-output").first.inner_text()
    assert shown.startswith("✗") and "not implemented yet" in shown, shown
    errors = [o["error"] for c in tab.cells() for o in c.outputs if o["error"]]
    assert not errors, f"Run All Cells with the exercises open raised: {errors}"


@pytest.mark.parametrize(("typed", "verdict", "names"), [
    (RIGHT, "✓", r"\d+ cases match"),
    (STRIDE_IS_SIZE, "✗", r"stride|overlapping|expected .* got"),
], ids=["correct", "stride-forgotten"])
def test_typed_solution_gets_its_verdict(student_tab, typed, verdict, names):
    tab = student_tab
    index = tab.page.evaluate(_CELL_INDEX, EXERCISE)
    _type_into(tab, index, typed)
    line = _run_exercise_and_check(tab, index)
    tab.screenshot(SHOTS / f"student-02-{'right' if verdict == '✓' else 'wrong'}.png",
                   _cell(tab, index + 1))
    assert line.startswith(verdict), f"typed solution shows {line!r}, expected {verdict}"
    assert "\n" not in line, f"the check prints more than one line: {line!r}"
    assert re.search(names, line), f"{line!r} does not name the case"
    if verdict == "✗":
        assert "expected" in line and "got" in line, line
