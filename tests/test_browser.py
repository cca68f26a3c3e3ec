"""Every notebook in a real JupyterLab, in a real (headless) browser.

nbval runs the kernels; this runs the front end too: the commonest failure students report is
a widget that shows as text ("interactive(children=(IntSlider...") or "Error displaying widget",
which only a browser shows. One JupyterLab server and one chromium serve the whole module; each
notebook gets "Run All Cells" in its own tab, then its quizzes are answered wrongly and rightly
and the conv-layer explorer's sliders are moved. A second server with the widget extension
disabled shows that the check catches widgets shown as text. Screenshots go to
screenshots/browser/ (ignored by git); FAILED-<test>.png shows a failing test's tab.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from browser.canvas import draw, shown, wait_for_new_probabilities
from browser.lab import CHROMIUM, UI_TIMEOUT_MS, JupyterLab, chromium
from browser.notebook import LabNotebook, widget_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = Path(os.environ.get("COURSE_NOTEBOOK_DIR", ROOT / "notebooks"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SHOTS = ROOT / "screenshots" / "browser"
RUN_TIMEOUT_S = 600  # notebook 05 trains, in quick mode
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"  # jupyterlab_widgets' front end


def _uses(notebook: Path, call: str) -> bool:
    return call in notebook.read_text(encoding="utf-8")


def _requirements_or_skip() -> None:
    """Outside CI a missing browser skips with the fix; in CI it fails (CI installs it)."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("pip install playwright (the dev extra has it)")
    if not CHROMIUM.exists():
        problems.append(f"apt-get install chromium (expected at {CHROMIUM})")
    if problems:
        message = "browser test needs: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def lab():
    _requirements_or_skip()
    if not NOTEBOOKS:
        pytest.fail(f"no notebooks in {NOTEBOOK_DIR}")
    for old in SHOTS.glob("FAILED-*.png"):
        old.unlink()  # from an earlier run; would mislead
    with JupyterLab(NOTEBOOKS, extra_env={"COURSE_QUICK": "1"}) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    with chromium() as context:
        yield context


@pytest.fixture(scope="module")
def opened(lab, browser):
    """Notebook name -> its tab after Run All Cells; tabs (and kernels) live until the end."""
    tabs: dict[str, LabNotebook] = {}

    def run(name: str) -> LabNotebook:
        if name not in tabs:
            tab = LabNotebook(browser, lab, name).open()
            tab.seconds = tab.run_all(timeout_s=RUN_TIMEOUT_S)
            tab.wait_for_widgets()
            tabs[name] = tab
        return tabs[name]

    yield run
    for tab in tabs.values():
        tab.close()


@pytest.fixture
def shot(request):
    """The test's tabs; if the test fails, FAILED-<test>.png shows its last tab as it was."""
    tabs: list[LabNotebook] = []
    failures_before = request.session.testsfailed  # counts the call phase before teardown
    yield tabs
    if request.session.testsfailed > failures_before and tabs:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        tabs[-1].screenshot(SHOTS / f"FAILED-{name}.png")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_notebook_runs_without_errors_and_widgets_render(opened, shot, notebook):
    tab = opened(notebook.name)
    shot.append(tab)
    tab.screenshot(SHOTS / f"{notebook.stem}.png")
    code = [c for c in tab.cells() if c.type == "code" and c.source.strip()]
    assert code, f"{notebook.name} has no code cells"

    not_run = [c.where for c in code if c.execution_count is None]
    errors = [f"{c.where}: {o['error']}" for c in code for o in c.outputs if o["error"]]
    assert not errors, f"{notebook.name}: error outputs:\n" + "\n".join(errors)
    assert not not_run, f"{notebook.name}: cells that did not run: {not_run}"
    problems = widget_problems(code)
    assert not problems, (f"{notebook.name}:\n" + "\n".join(problems)
                          + "\nis jupyterlab_widgets installed and matching ipywidgets?")


def test_a_widget_shown_as_text_is_caught(browser, tmp_path):
    """The check above can fail: without the widget front end, every widget is text."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(3)"),
        nbformat.v4.new_code_cell("from course_utils.display.widgets import conv_explorer, quiz\n"
                                  "conv_explorer()"),
        nbformat.v4.new_code_cell('quiz("1 + 1?", 2)'),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = tmp_path / "widgets_as_text.ipynb"
    nbformat.write(notebook, path)
    with JupyterLab([path], disabled_extensions=(WIDGET_MANAGER,)) as broken:
        tab = LabNotebook(browser, broken, path.name).open()
        try:
            tab.run_all(timeout_s=RUN_TIMEOUT_S)
            tab.wait_for_widgets()
            tab.screenshot(SHOTS / "widgets-shown-as-text.png")
            problems = widget_problems(tab.cells())
        finally:
            tab.close()
    flagged_cells = {int(re.match(r"cell (\d+)", problem).group(1)) for problem in problems}
    assert flagged_cells == {0, 1, 2}, problems
    assert sum("a widget shows as text" in problem for problem in problems) == 3, problems


QUIZ_ANSWERS = r"""
import json
import ipywidgets
from course_utils.display.widgets import Quiz
registry = getattr(ipywidgets.widgets.widget, "_instances", None) or ipywidgets.Widget.widgets
quizzes = [w for w in list(registry.values()) if isinstance(w, Quiz)]
def spelled(answer):
    if isinstance(answer, (tuple, list)):
        return " x ".join(str(a) for a in answer)
    return str(answer)
for number, q in enumerate(quizzes):
    q.add_class(f"course-test-quiz-{number}")
print(json.dumps([spelled(q.answer) for q in quizzes]))
"""


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if _uses(nb, "quiz(")],
                         ids=lambda nb: nb.name)
def test_quizzes_answer_wrong_then_right(opened, shot, notebook):
    from course_utils.display.widgets import CORRECT, NOT_QUITE

    tab = opened(notebook.name)
    shot.append(tab)
    answers = tab.kernel_json(QUIZ_ANSWERS)
    assert answers, f"{notebook.name} calls quiz() but no quiz is alive in its kernel"
    for number, right in enumerate(answers):
        box = tab.page.locator(f".course-test-quiz-{number}")
        box.wait_for(timeout=UI_TIMEOUT_MS)  # the class travels kernel -> browser
        feedback = box.locator(".quiz-feedback")
        for given, verdict in (("-1", NOT_QUITE), (right, CORRECT)):
            box.locator("input[type=text]").fill(given)
            box.get_by_role("button", name="Check").click()
            try:
                feedback.filter(has_text=verdict).wait_for(timeout=UI_TIMEOUT_MS)
            except Exception as exc:
                raise AssertionError(f"quiz {number} answered {given!r}: expected {verdict!r}, "
                                     f"shows {feedback.inner_text()!r}") from exc
            assert feedback.inner_text().startswith(verdict)
        if number == 0:
            tab.screenshot(SHOTS / f"{notebook.stem}-quiz.png", box)


EXPLORER_NOTEBOOKS = [nb for nb in NOTEBOOKS if _uses(nb, "conv_explorer(")]


def _slider(explorer, label: str):
    return explorer.locator(".widget-slider").filter(
        has=explorer.page.locator(".widget-label", has_text=re.compile(rf"^\s*{label}\s*$")))


def _set_by_typing(slider, value: int) -> None:
    """Type into the slider's readout, as a student can."""
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("Control+A")
    readout.press_sequentially(str(value))
    readout.press("Enter")
    slider.locator(f".widget-readout:text-is('{value}')").wait_for(timeout=UI_TIMEOUT_MS)


def _set_by_dragging(slider, value: int) -> None:
    """Drag the slider's handle to where `value` sits on the track."""
    handle = slider.locator(".noUi-handle")
    low, high = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    track = slider.locator(".noUi-target").bounding_box()
    start = handle.bounding_box()
    page = slider.page
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    x = track["x"] + track["width"] * (value - low) / (high - low)
    page.mouse.move(x, start["y"] + start["height"] / 2, steps=8)
    page.mouse.up()
    slider.locator(f".widget-readout:text-is('{value}')").wait_for(timeout=UI_TIMEOUT_MS)


def _drawing(explorer) -> str:
    """The explorer's drawing of the window positions (its SVG markup)."""
    return explorer.locator(".conv-explorer-drawing").inner_html()


def _shown(explorer) -> str:
    return " | ".join(explorer.locator(f".conv-explorer-{part}").inner_text()
                      for part in ("formula", "result"))


_SHOWS = """([explorer, formula, drawingBefore]) => {
  const part = (name) => explorer.querySelector('.conv-explorer-' + name);
  const text = part('formula').innerText + ' | ' + part('result').innerText;
  return new RegExp(formula).test(text) && part('drawing').innerHTML !== drawingBefore;
}"""


def _wait_until_shown(explorer, formula: str, drawing_before: str | None) -> str:
    """Wait for the formula to read `formula` (a regex) and the drawing to change."""
    try:
        explorer.page.wait_for_function(_SHOWS, arg=[explorer.element_handle(), formula,
                                                     drawing_before], timeout=UI_TIMEOUT_MS)
    except Exception as exc:
        unchanged = drawing_before == _drawing(explorer)
        raise AssertionError(f"explorer shows {_shown(explorer)!r}, expected /{formula}/"
                             + (" and a new drawing" if unchanged else "")) from exc
    return _shown(explorer)


def _formula(n, f, p, s, shown):
    """The slide's (N - F + 2P)/S + 1 with numbers, as a whitespace-tolerant regex."""
    return rf"\(\s*{n}\s*-\s*{f}\s*\+\s*2\s*\*\s*{p}\s*\)\s*/\s*{s}\s*\+\s*1\s*=\s*{shown}\b"


@pytest.mark.skipif(not EXPLORER_NOTEBOOKS, reason="no notebook calls conv_explorer() yet")
def test_conv_explorer_follows_the_slides_as_sliders_move(opened, shot):
    tab = opened(EXPLORER_NOTEBOOKS[0].name)
    shot.append(tab)
    page = tab.page
    explorer = page.locator(".conv-explorer").first
    explorer.scroll_into_view_if_needed()
    stride, padding = _slider(explorer, "stride"), _slider(explorer, "padding")
    stem = EXPLORER_NOTEBOOKS[0].stem

    # The slide's setting: 7x7 input, 3x3 filter, no padding, stride 1 -> 5x5.
    for label, value in (("N", 7), ("F", 3), ("padding", 0), ("stride", 1)):
        _set_by_typing(_slider(explorer, label), value)
    text = _wait_until_shown(explorer, _formula(7, 3, 0, 1, 5), None)
    assert re.search(r"\b5\s*[x×]\s*5\b", text) and "doesn't fit" not in text, text
    drawing = _drawing(explorer)
    assert "<svg" in drawing and "<circle" in drawing, "the explorer draws no window positions"

    # stride 2 -> 3x3, by dragging the handle.
    _set_by_dragging(stride, 2)
    text = _wait_until_shown(explorer, _formula(7, 3, 0, 2, 3), drawing)
    assert re.search(r"\b3\s*[x×]\s*3\b", text) and "doesn't fit" not in text, text
    assert _drawing(explorer).count("<circle") < drawing.count("<circle")  # fewer windows
    tab.screenshot(SHOTS / f"{stem}-explorer-stride2.png", explorer)
    drawing = _drawing(explorer)

    # stride 3 -> (7 - 3)/3 + 1 = 2.33: doesn't fit.
    _set_by_typing(stride, 3)
    text = _wait_until_shown(explorer, _formula(7, 3, 0, 3, r"2\.33"), drawing)
    assert "doesn't fit" in text, text
    tab.screenshot(SHOTS / f"{stem}-explorer-stride3.png", explorer)
    drawing = _drawing(explorer)

    # pad 1, stride 1 -> 7x7: the size is preserved.
    _set_by_typing(stride, 1)
    _set_by_dragging(padding, 1)
    text = _wait_until_shown(explorer, _formula(7, 3, 1, 1, 7), drawing)
    assert re.search(r"\b7\s*[x×]\s*7\b", text) and "doesn't fit" not in text, text
    tab.screenshot(SHOTS / f"{stem}-explorer-pad1.png", explorer)


def test_screenshot_folder_is_ignored_by_git():
    """Screenshots are artefacts of a run, never committed."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    probe = "screenshots/browser/probe.png"
    ignored = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT)
    assert ignored.returncode == 0, f"{probe} is not ignored by .gitignore"


CANVAS_NOTEBOOKS = [nb for nb in NOTEBOOKS if _uses(nb, "draw_digit(")]
A_SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]  # fractions of the canvas: top bar, stem


@pytest.mark.skipif(not CANVAS_NOTEBOOKS, reason="no notebook calls draw_digit() yet")
def test_the_notebooks_networks_read_a_seven_drawn_with_the_mouse(opened, shot):
    """Notebook 06's canvas with its own three networks: a 7 drawn with the mouse gets the three
    networks' probabilities; with the full run's weights (not the quick fallback CI trains)
    every network reads it as a 7."""
    tab = opened(CANVAS_NOTEBOOKS[0].name)
    shot.append(tab)
    networks, full_run = tab.kernel_json(
        "import json\nprint(json.dumps([len(networks), 'full run' in source]))")
    root = tab.page.locator(".digit-canvas").first
    pad = root.locator(".digit-canvas-pad")
    pad.scroll_into_view_if_needed()
    draw(tab.page, pad, A_SEVEN)
    wait_for_new_probabilities(root, [], "drawing a 7", networks)
    probabilities = _steady(root)
    tab.screenshot(SHOTS / f"{CANVAS_NOTEBOOKS[0].stem}-draw-7.png", root)
    assert len(probabilities) == networks and all(len(p) == 10 for p in probabilities)
    if full_run:
        answers = [max(range(10), key=p.__getitem__) for p in probabilities]
        assert answers == [7] * networks, f"a drawn 7 read as {answers}: {probabilities}"


def _steady(root, quiet_s: float = 1.5) -> list[list[float]]:
    """What the canvas shows once no new answer has arrived for `quiet_s` (during a stroke it
    also sends partial drawings, whose answers may arrive before the whole stroke's)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    last = shown(root)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = shown(root)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the canvas's answers kept changing: {last}")
