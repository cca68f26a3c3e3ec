"""Write the student edition (student/) from the solution edition (notebooks/).

nbgrader's conventions, so an instructor who uses nbgrader can feed our notebooks to it: in a
code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` become
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the same indentation; in a markdown
cell (a written answer, e.g. the model answers to a notebook's open questions), the lines from
``<!-- BEGIN SOLUTION -->`` to ``<!-- END SOLUTION -->`` (invisible in the rendered solution
edition) become ``YOUR ANSWER HERE`` (both what nbgrader's ClearSolutions writes); every output
and execution count is cleared and saved widget state dropped (ClearOutput); the Colab badge
opens the student copy.

    python tools/make_student_edition.py            # (re)write student/
    python tools/make_student_edition.py --check    # exit 1 when student/ is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE, TARGET = ROOT / "notebooks", ROOT / "student"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
OPEN_EXERCISE = ("# YOUR CODE HERE", "raise NotImplementedError()")
# A written answer's markers: an HTML comment, so the solution edition renders only the answer.
TEXT_BEGIN, TEXT_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
OPEN_ANSWER = ("YOUR ANSWER HERE",)
NOTE = ("*Student edition: the exercises are open; `notebooks/{name}` is the solution "
        "edition.*")


class SolutionMarkerError(ValueError):
    """A BEGIN SOLUTION without its END (or the reverse)."""


def clear_solutions(source: str, where: str = "a cell", markdown: bool = False) -> str:
    """Replace every BEGIN/END SOLUTION block by the open exercise (code) or the open answer
    (markdown), keeping its indentation."""
    begin, end = (TEXT_BEGIN, TEXT_END) if markdown else (BEGIN, END)
    stub = OPEN_ANSWER if markdown else OPEN_EXERCISE
    lines, out, inside = source.split("\n"), [], None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == begin:
            if inside is not None:
                raise SolutionMarkerError(f"{where}, line {number}: {begin} inside another")
            inside = line[:len(line) - len(line.lstrip())]
            out += [inside + text for text in stub]
        elif stripped == end:
            if inside is None:
                raise SolutionMarkerError(f"{where}, line {number}: {end} without {begin}")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise SolutionMarkerError(f"{where}: {begin} without {end}")
    return "\n".join(out)


def student_notebook(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The student edition of one notebook (a copy; the solution edition is left alone)."""
    student = nbformat.reads(nbformat.writes(notebook), as_version=4)
    student.metadata.pop("widgets", None)
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            cell.source = clear_solutions(cell.source, f"{name}, cell {index}")
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = clear_solutions(cell.source, f"{name}, cell {index}", markdown=True)
        cell.metadata.pop("execution", None)
    first = student.cells[0]
    first.source = re.sub(r"/blob/([^/]+)/notebooks/", r"/blob/\1/student/", first.source)
    lines = first.source.split("\n")
    badge = next((i for i, line in enumerate(lines) if "colab-badge" in line), 0)
    lines.insert(badge + 1, "\n" + NOTE.format(name=name))
    first.source = "\n".join(lines)
    return student


def editions() -> dict[Path, str]:
    """Every student notebook's path and its text, generated from notebooks/."""
    out = {}
    for path in sorted(SOURCE.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        out[TARGET / path.name] = nbformat.writes(student_notebook(notebook, path.name)) + "\n"
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare: exit 1 when student/ differs from what it would be")
    args = parser.parse_args(argv)
    try:
        wanted = editions()
    except SolutionMarkerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stale = [p for p, text in wanted.items() if not p.is_file() or p.read_text() != text]
    extra = sorted(set(TARGET.glob("*.ipynb")) - set(wanted))
    if args.check:
        for path in stale + extra:
            print(f"out of date: {path.relative_to(ROOT)} (run `make student`)", file=sys.stderr)
        return 1 if stale or extra else 0
    TARGET.mkdir(exist_ok=True)
    for path in stale:
        path.write_text(wanted[path])
    for path in extra:
        path.unlink()
    print(f"student/: {len(stale)} written, {len(extra)} removed, "
          f"{len(wanted) - len(stale)} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
