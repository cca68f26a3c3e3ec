"""Drive one notebook in JupyterLab through Playwright: open, run all, inspect, use widgets.

Everything goes through JupyterLab itself (`window.jupyterapp`, exposed by the test server):
the same "Run All Cells" command a student clicks, the same widget renderers. The report is
read from both the notebook model (what the kernel sent) and the DOM (what the student sees).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ERROR_MIME = "application/vnd.jupyter.error"
# What a widget looks like when the front end cannot render it: its repr (ipywidgets' or the
# text fallback of course_utils' widgets) or JupyterLab's error box.
WIDGET_AS_TEXT = ("interactive(children=", "IntSlider(", "VBox(children=", "HBox(children=",
                  "Error displaying widget", "Loading widget...",
                  "(answer in a live notebook to check it)",
                  "(move the sliders in a live notebook)",
                  "(draw a digit in a live notebook", "(draw a digit needs the anywidget")
# What a widget drawn by the widget manager contains: core ipywidgets' views carry
# .jupyter-widgets; anywidget's views (0.11) carry no such class, so course_utils' one
# anywidget, the digit canvas, is recognised by its root element's class.
WIDGET_VIEW = ".jupyter-widgets, .digit-canvas"

_OPENED = """(name) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  return !!(panel && panel.context && panel.context.path === name && panel.sessionContext
            && panel.sessionContext.session && panel.sessionContext.session.kernel
            && panel.sessionContext.session.kernel.status === 'idle'
            && panel.context.isReady);
}"""

_RUN_ALL = """() => {
  window.__courseRun = {done: false};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (ok) => { window.__courseRun = {done: true, ok: ok}; },
    (err) => { window.__courseRun = {done: true, ok: false, error: String(err)}; });
}"""

_IDLE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const busy = panel.content.widgets.some(
      (cell) => cell.model.type === 'code' && cell.promptNode
                && cell.promptNode.textContent.includes('*'));
  return !busy && panel.sessionContext.session.kernel.status === 'idle';
}"""

_REPORT = """([widgetMime, view]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const report = {index, type: model.type, source: model.sharedModel.getSource(),
                    executionCount: null, outputs: [], rendered: []};
    if (model.type !== 'code') return report;
    report.executionCount = model.executionCount;
    for (let i = 0; i < model.outputs.length; i++) {
      const output = model.outputs.get(i).toJSON();
      const data = output.data || {};
      report.outputs.push({type: output.output_type, mimes: Object.keys(data),
                           modelId: data[widgetMime] ? data[widgetMime].model_id : null,
                           error: output.output_type === 'error'
                                  ? `${output.ename}: ${output.evalue}` : null});
    }
    for (const node of cell.outputArea.node.querySelectorAll(
             ':scope > .jp-OutputArea-child > .jp-OutputArea-output')) {
      const widget = node.matches(view) || !!node.querySelector(view);
      report.rendered.push({mime: node.getAttribute('data-mime-type'), widget,
                            text: node.innerText.slice(0, 400)});
    }
    return report;
  });
}"""

_WIDGETS_SETTLED = """([widgetMime, view]) => window.jupyterapp.shell.currentWidget.content.widgets
  .filter((cell) => cell.model.type === 'code')
  .every((cell) => {
    const nodes = cell.outputArea.node.querySelectorAll(
        ':scope > .jp-OutputArea-child > .jp-OutputArea-output');
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const data = outputs.get(i).toJSON().data || {};
      if (!data[widgetMime]) continue;
      const node = nodes[i];
      if (!node) return false;
      const done = node.matches(view) || node.querySelector(view)
                   || node.innerText.includes('Error displaying widget')
                   || node.getAttribute('data-mime-type') === 'text/plain';
      if (!done) return false;
    }
    return true;
  })"""

_KERNEL = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let text = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') text += msg.content.text;
    if (msg.header.msg_type === 'error') {
      text += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
    }
  };
  await future.done;
  return text;
}"""


@dataclass
class CellReport:
    """One cell as JupyterLab holds and shows it after the run."""

    index: int
    type: str
    source: str
    execution_count: int | None
    outputs: list[dict] = field(default_factory=list)
    rendered: list[dict] = field(default_factory=list)

    @property
    def where(self) -> str:
        first = self.source.strip().splitlines()[0][:60] if self.source.strip() else ""
        return f"cell {self.index} ({first!r})"


def widget_problems(cells: list[CellReport]) -> list[str]:
    """Every widget output that the student would not see as a working widget, and every
    traceback on screen; an empty list when all is well."""
    problems = []
    for cell in cells:
        shown = [r["mime"] for r in cell.rendered]
        if ERROR_MIME in shown:
            problems.append(f"{cell.where} shows a traceback")
        widgets = [o for o in cell.outputs if WIDGET_MIME in o["mimes"]]
        as_widgets = [r for r in cell.rendered if r["widget"] and r["mime"] != "text/plain"]
        if len(as_widgets) != len(widgets):
            problems.append(f"{cell.where}: {len(widgets)} widget output(s) but "
                            f"{len(as_widgets)} rendered as widgets (shown as {shown})")
        problems += [f"{cell.where}: a widget shows as text: {r['text'][:200]!r}"
                     for r in cell.rendered if any(t in r["text"] for t in WIDGET_AS_TEXT)]
    return problems


class LabNotebook:
    """A notebook opened in JupyterLab in its own page of `context`."""

    def __init__(self, context, lab, name: str):
        self.lab, self.name = lab, name
        self.page = context.new_page()
        self.seconds: float | None = None  # how long "Run All Cells" took
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def open(self, timeout_s: float = 180) -> LabNotebook:
        self.page.goto(self.lab.notebook_url(self.name))
        self.page.wait_for_function(_OPENED, arg=self.name, timeout=timeout_s * 1000)
        self.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # room for output
        return self

    def run_all(self, timeout_s: float) -> float:
        """Run All Cells and wait until every cell has run and the kernel is idle; seconds."""
        start = time.monotonic()
        self.page.evaluate(_RUN_ALL)
        self.page.wait_for_function("() => window.__courseRun.done", timeout=timeout_s * 1000,
                                    polling=250)
        self.page.wait_for_function(_IDLE, timeout=60_000, polling=250)
        self.seconds = time.monotonic() - start
        return self.seconds

    def cells(self) -> list[CellReport]:
        return [CellReport(c["index"], c["type"], c["source"], c["executionCount"],
                           c["outputs"], c["rendered"])
                for c in self.page.evaluate(_REPORT, [WIDGET_MIME, WIDGET_VIEW])]

    def wait_for_widgets(self, timeout_s: float = 120) -> None:
        """Wait until every widget output has been rendered (as a widget or as a failure)."""
        self.page.wait_for_function(_WIDGETS_SETTLED, arg=[WIDGET_MIME, WIDGET_VIEW],
                                    timeout=timeout_s * 1000, polling=250)

    def kernel(self, code: str) -> str:
        """Run `code` in the notebook's kernel (not in a cell); its stdout as text."""
        text = self.page.evaluate(_KERNEL, code)
        if "ERROR " in text:
            raise RuntimeError(f"kernel code failed: {text}")
        return text

    def kernel_json(self, code: str):
        return json.loads(self.kernel(code).strip().splitlines()[-1])

    def screenshot(self, path, locator=None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if locator is not None:
            locator.scroll_into_view_if_needed()
        self.page.screenshot(path=str(path))

    def close(self) -> None:
        """Shut the kernel down and close the page (nothing is saved)."""
        try:
            self.page.evaluate(
                "async () => { await window.jupyterapp.shell.currentWidget.sessionContext"
                ".shutdown(); }")
        finally:
            self.page.close()
