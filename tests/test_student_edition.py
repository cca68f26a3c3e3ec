"""tools/make_student_edition.py: nbgrader's solution markers become open exercises, outputs go,
and student/ is exactly what the tool makes from notebooks/."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _scripts import ROOT, load_script
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

TOOL = ROOT / "tools" / "make_student_edition.py"


@pytest.fixture(scope="module")
def tool():
    return load_script(TOOL)


def test_a_solution_becomes_an_open_exercise_at_its_indentation(tool):
    source = ("def conv2d(x, w):\n"
              "    \"\"\"The slide's loop.\"\"\"\n"
              "    ### BEGIN SOLUTION\n"
              "    out = x * w\n"
              "    return out.sum()\n"
              "    ### END SOLUTION\n"
              "\n"
              "check_conv2d(conv2d)")
    assert tool.clear_solutions(source) == (
        "def conv2d(x, w):\n"
        "    \"\"\"The slide's loop.\"\"\"\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "\n"
        "check_conv2d(conv2d)")


def test_a_written_answer_becomes_your_answer_here(tool):
    source = ("**Your answers.**\n"
              "<!-- BEGIN SOLUTION -->\n"
              "1. Stride 3 does not fit: (7 - 3)/3 + 1 = 2.33.\n"
              "<!-- END SOLUTION -->")
    assert tool.clear_solutions(source, markdown=True) == "**Your answers.**\nYOUR ANSWER HERE"
    # a code cell's markers do nothing in markdown, and the reverse
    assert tool.clear_solutions(source) == source
    assert tool.clear_solutions("### BEGIN SOLUTION", markdown=True) == "### BEGIN SOLUTION"


@pytest.mark.parametrize(("source", "message"), [
    ("### BEGIN SOLUTION\nx = 1", "BEGIN SOLUTION without ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2"),
])
def test_unbalanced_markers_are_one_clear_error(tool, source, message):
    with pytest.raises(tool.SolutionMarkerError, match=message):
        tool.clear_solutions(source, "01_x.ipynb, cell 3")


def test_outputs_widgets_and_the_badge_are_the_students(tool):
    badge = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
             "(https://colab.research.google.com/github/o/n/blob/main/notebooks/01_x.ipynb)")
    cell = new_code_cell("### BEGIN SOLUTION\nanswer = 51\n### END SOLUTION", execution_count=3,
                         outputs=[new_output("stream", name="stdout", text="51\n")])
    notebook = new_notebook(cells=[new_markdown_cell(f"# 01 · X\n{badge}\n\nIntro."), cell],
                            metadata={"widgets": {"state": {}}})
    student = tool.student_notebook(notebook, "01_x.ipynb")
    assert student.cells[1].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert "widgets" not in student.metadata
    assert "/blob/main/student/01_x.ipynb" in student.cells[0].source
    assert "Student edition" in student.cells[0].source
    assert notebook.cells[1].outputs and "answer = 51" in notebook.cells[1].source  # untouched


def test_student_folder_is_what_make_student_writes():
    done = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (ROOT / "student").glob("*.ipynb"))
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in (ROOT / "student").glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        assert not any("### BEGIN SOLUTION" in c.source for c in notebook.cells)


def test_readme_links_every_student_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "student").glob("*.ipynb")):
        assert f"(student/{path.name})" in readme, path.name
        assert f"/blob/main/student/{path.name})" in readme, path.name


NBGRADER = ROOT / ".venv" / "nbgrader"  # where `make` puts it, apart from the students' lab
COMPARE_WITH_NBGRADER = r"""
import sys
from pathlib import Path
import nbformat
from nbgrader.preprocessors import ClearOutput, ClearSolutions
sys.path.insert(0, sys.argv[1])
from make_student_edition import SOURCE, student_notebook
differ, cells, answers = [], 0, 0
for path in sorted(SOURCE.glob("[0-9][0-9]_*.ipynb")):
    ours = student_notebook(nbformat.read(path, as_version=4), path.name)
    theirs, _ = ClearSolutions(enforce_metadata=False).preprocess(
        nbformat.read(path, as_version=4), {})
    theirs, _ = ClearOutput().preprocess(theirs, {})
    for index, (mine, nbgrader_cell) in enumerate(zip(ours.cells, theirs.cells, strict=True)):
        if mine.cell_type == "code":
            cells += 1
            if (mine.source, mine.outputs) != (nbgrader_cell.source, nbgrader_cell.outputs):
                differ.append(f"{path.name} cell {index}")
        elif mine.cell_type == "markdown" and index > 0:  # cell 0 carries the student note
            answers += "YOUR ANSWER HERE" in mine.source
            if mine.source != nbgrader_cell.source:
                differ.append(f"{path.name} cell {index}")
print(cells, answers, differ)
"""


def test_student_edition_is_what_nbgrader_makes_of_our_source():
    """An instructor's nbgrader (ClearSolutions + ClearOutput) turns notebooks/ into exactly our
    student edition's code cells, so our solution edition is valid nbgrader source."""
    if not NBGRADER.is_dir():
        pytest.skip(f"nbgrader not in {NBGRADER} (make installs it there)")
    if Path(sys.prefix).resolve() != NBGRADER.parent.resolve():
        pytest.skip("nbgrader's compiled parts in .venv/nbgrader are built for .venv's Python")
    result = subprocess.run(
        [sys.executable, "-c", COMPARE_WITH_NBGRADER, str(TOOL.parent)], capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": str(NBGRADER)})
    assert result.returncode == 0, result.stderr[-2000:]
    cells, answers, differ = result.stdout.strip().rsplit("\n", 1)[-1].split(" ", 2)
    assert int(cells) > 100, result.stdout  # every notebook's code cells were compared
    assert int(answers) >= 7, result.stdout  # and the written answers: one cell per notebook
    assert differ == "[]", f"our student edition and nbgrader's differ in: {differ}"
