"""A student's feedback page: one ✓/✗ line per exercise (the failing case and the hint, as the
notebook's own check would print it), points, and what was wrong with the submission.

Every piece of text that a student could have influenced (their name, exception messages,
returned values, file names) is HTML-escaped; the page has no scripts and no external links.
"""

from __future__ import annotations

import html

__all__ = ["render"]

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
          "li{margin:.4em 0;font-family:ui-monospace,monospace;white-space:pre-wrap}"
          ".ok{color:#1a7f37}.bad{color:#cf222e}.pts{color:#555;font-family:sans-serif}")

_STATUS = {
    "graded": "Your notebook was graded.",
    "timeout": "Some of your code ran past its time limit and was stopped.",
    "memory": "Some of your code used more memory than allowed and was stopped.",
    "crashed": "Some of your code ended the grading process; the rest was graded.",
    "invalid": "A file you submitted could not be read as a notebook.",
    "empty": "No exercise was found in what you submitted.",
}


def _points(value) -> str:
    return f"{float(value):g}"


def render(row: dict) -> str:
    """The HTML page for one gradebook row (see ``grading.grade_one``)."""
    e = html.escape
    student = e(str(row.get("student", "")))
    items = []
    scores = list(row.get("scores", {}).items())
    for (name, points), line in zip(scores, row.get("lines", []), strict=False):
        css = "ok" if str(line).startswith("✓") else "bad"
        items.append(f'<li class="{css}">{e(str(line))} '
                     f'<span class="pts">[{e(name)}: {_points(points)} pt]</span></li>')
    notes = "".join(f"<li>{e(str(n))}</li>" for n in row.get("notes", []))
    status = str(row.get("status", ""))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Feedback: {student}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>Feedback for {student}</h1>\n"
        f"<p><strong>{_points(row.get('total', 0))} / {_points(row.get('max', 0))} points</strong>"
        f" &mdash; {e(_STATUS.get(status, status))}</p>\n"
        f"<ul>{''.join(items)}</ul>\n"
        + (f"<h2>About your submission</h2><ul>{notes}</ul>\n" if notes else "")
        + "<p class=\"pts\">Each exercise runs on the public cases of its check in the notebook "
          "and on hidden random cases of the same kind; all must match for its points.</p>\n"
        "</body></html>\n")
