"""Drawing on notebook 06's digit canvas (course_utils.display.digit_canvas) with the mouse, and
reading the probabilities it shows: shared by the browser tests that draw."""

from __future__ import annotations

import json

from browser.lab import UI_TIMEOUT_MS

# Every bar's probability, grouped per network, as the page shows them (data-p: 4 decimals).
_SHOWN = """(root) => Array.from(root.querySelectorAll('.digit-canvas-network')).map(
  (row) => Array.from(row.querySelectorAll('.digit-canvas-bar')).map((bar) => bar.dataset.p))"""

_CHANGED = """([root, before, networks]) => {
  const rows = Array.from(root.querySelectorAll('.digit-canvas-network'));
  if (rows.length !== networks) return false;
  const now = rows.map((row) => Array.from(row.querySelectorAll('.digit-canvas-bar'))
                                     .map((bar) => bar.dataset.p));
  return now.every((bars) => bars.length === 10) && JSON.stringify(now) !== before;
}"""


def shown(root) -> list[list[float]]:
    """The probabilities the canvas shows, one list of ten per network."""
    return [[float(p) for p in bars] for bars in root.evaluate(_SHOWN)]


def wait_for_new_probabilities(root, before: list[list[float]], what: str,
                               networks: int) -> list[list[float]]:
    """Wait until `networks` rows of ten bars show, different from `before`; what they show."""
    page = root.page
    before_json = json.dumps([[f"{p:.4f}" for p in bars] for bars in before])
    try:
        page.wait_for_function(_CHANGED, arg=[root.element_handle(), before_json, networks],
                               timeout=UI_TIMEOUT_MS)
    except Exception as exc:
        text = root.locator(".digit-canvas-results").inner_text()
        raise AssertionError(f"after {what} the probabilities did not change; shown: {text!r}"
                             ) from exc
    return shown(root)


def draw(page, pad, points, steps: int = 12) -> None:
    """One stroke through `points` (fractions of the canvas), as a mouse draws it."""
    box = pad.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=steps)
    page.mouse.up()
