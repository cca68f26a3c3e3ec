"""The notebooks read as lessons: nbval's markers are cell tags, not comments in the code a
student reads; every notebook ends with open questions whose model answers the student edition
hides."""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT = sorted((ROOT / "student").glob("[0-9][0-9]_*.ipynb"))
NBVAL_TAGS = {"nbval-check-output", "nbval-ignore-output", "nbval-skip",
              "nbval-raises-exception"}

by_name = pytest.mark.parametrize("notebook", NOTEBOOKS + STUDENT,
                                  ids=[f"{p.parent.name}/{p.name}" for p in NOTEBOOKS + STUDENT])


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


@by_name
def test_no_nbval_comment_in_the_code_a_student_reads(notebook):
    marked = [i for i, c in enumerate(cells(notebook))
              if c["cell_type"] == "code" and "NBVAL" in "".join(c["source"]).upper()]
    assert not marked, f"{notebook.name}: cells {marked} carry NBVAL comments; use cell tags"


@by_name
def test_nbval_tags_are_ones_nbval_reads(notebook):
    unknown = {tag for c in cells(notebook) for tag in c.get("metadata", {}).get("tags", [])
               if tag.startswith("nbval") and tag not in NBVAL_TAGS}
    assert not unknown, f"{notebook.name}: nbval ignores the tags {sorted(unknown)}"


def test_output_checks_survived_the_move_to_tags():
    checked = sum("nbval-check-output" in c.get("metadata", {}).get("tags", [])
                  for nb in NOTEBOOKS for c in cells(nb))
    assert checked >= 80, f"only {checked} cells have their printed facts checked by nbval"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_ends_with_open_questions_and_hidden_model_answers(notebook):
    text = ["".join(c["source"]) for c in cells(notebook) if c["cell_type"] == "markdown"]
    questions = next((i for i, t in enumerate(text) if t.startswith("## Open questions")), None)
    assert questions is not None, f"{notebook.name}: no '## Open questions' section"
    numbered = [line for line in text[questions].splitlines() if line[:2] in
                {f"{n}." for n in range(1, 10)}]
    assert 3 <= len(numbered) <= 5, f"{notebook.name}: {len(numbered)} questions, want 3-5"
    answers = "\n".join(text[questions + 1:])
    assert "<!-- BEGIN SOLUTION -->" in answers and "<!-- END SOLUTION -->" in answers, \
        f"{notebook.name}: the model answers after the questions are not marked as a solution"
    student = ROOT / "student" / notebook.name
    hidden = "\n".join("".join(c["source"]) for c in cells(student)
                       if c["cell_type"] == "markdown")
    assert "YOUR ANSWER HERE" in hidden and "BEGIN SOLUTION" not in hidden


def _answers(number: str) -> str:
    notebook = next(p for p in NOTEBOOKS if p.name.startswith(number))
    texts = ["".join(c["source"]) for c in cells(notebook) if c["cell_type"] == "markdown"]
    return "\n".join(t for t in texts if "<!-- BEGIN SOLUTION -->" in t)


def test_the_numbers_in_the_model_answers_are_computed():
    """Every number a model answer states comes out of the package here, as the slides' do."""
    import math

    import numpy as np

    from course_utils.architectures import networks
    from course_utils.architectures.network import layer_table
    from course_utils.byhand import geometry, ops

    image = np.array([[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3],
                      [2, 3, 4, 8, 5]])
    kernel = np.array([[1, 2, 3], [-4, 7, 4], [2, -5, 1]])
    flipped = ops.conv2d(image, ops.flip_kernel(kernel)).astype(int).tolist()
    grid = np.array([[2, 2, 7, 3], [9, 4, 6, 1], [8, 5, 2, 4], [3, 1, 2, 6]])
    shifted = np.hstack([np.zeros((4, 1), int), grid[:, :-1]])
    vgg = layer_table(networks.vgg("D"))
    with pytest.raises(geometry.GeometryError, match="54.25"):
        geometry.conv_output_size(224, 11, 4)
    steps = math.ceil(60_000 / 32)
    task_windows = [(3, 2, (0, 0)), (2, 1, (0, 1)), (2, 1, (0, 0)), (2, 2, (0, 0))]
    one_more_pool = geometry.receptive_fields(task_windows)[-1]
    from course_utils.byhand import backprop

    routed = int(np.count_nonzero(backprop.max_pool_backward(np.ones((1, 1, 2, 2)),
                                                             grid[None, None], 2, 2)))
    stated = {
        "01": [f"28 - 3 + 1 = {geometry.conv_output_size(28, 3)}", str(flipped),
               f"**{flipped[0][0]}**"],
        "02": [str(ops.max_pool2d(shifted, 2).astype(int).tolist()).replace("5", "**5**"),
               f"(55 - 3)/2 + 1 = {geometry.conv_output_size(55, 3, 2)}"],
        "03": [f"= {geometry.conv_output_size(7, 3, 3, 1)}, a 3x3",
               f"{64 * 64 * 10:,}", f"{3 * 32 * 32 * 10_240:,}"],
        "04": [f"{vgg['FC1'].weights:,}", f"about {round(100 * vgg['FC1'].weights / vgg.params)} %",
               f"(227 - 11)/4 + 1 = {geometry.conv_output_size(227, 11, 4)}"],
        "05": [f"{steps:,} steps", f"{steps * 10 * 3:,} updates",
               f"({math.ceil(10_000 / 256)} instead of {math.ceil(10_000 / 32)} on 10,000"],
        "06": [f"= {one_more_pool.size}$ pixels", f"= {one_more_pool.jump}$"],
        "08": [f"{routed} of the 16 pixels"],
    }
    for number, values in stated.items():
        missing = [v for v in values if v not in _answers(number)]
        assert not missing, f"notebook {number}'s model answers lack the computed {missing}"


def _code(notebook: Path) -> list[dict]:
    return [c for c in cells(notebook) if c["cell_type"] == "code"]


# what a check cell may hold: assertions, the values they compare, loops and conditions around them
CHECK_STATEMENTS = (ast.Assert, ast.Assign, ast.For, ast.If, ast.FunctionDef, ast.Return)


def _is_check(cell: dict) -> bool:
    return "verify" in cell.get("metadata", {}).get("tags", [])


@by_name
def test_the_checks_of_a_lesson_sit_in_collapsed_cells_of_assertions(notebook):
    import ast

    checks = [c for c in _code(notebook) if _is_check(c)]
    assert checks, f"{notebook.name} has no check cells"
    for cell in checks:
        source = "".join(cell["source"])
        assert source.startswith("#@title Checks"), source[:60]  # Colab shows only the title
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), "JupyterLab: collapsed"
        # a check computes and asserts, nothing else: no output, nothing a lesson relies on
        statements = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.stmt)]
        assert any(isinstance(n, ast.Assert) for n in statements), source
        assert all(isinstance(n, CHECK_STATEMENTS) for n in statements), source


@by_name
def test_no_reading_cell_ends_in_an_assertion(notebook):
    import ast

    ends = []
    for index, cell in enumerate(_code(notebook)):
        source = "".join(cell["source"])
        if _is_check(cell) or "BEGIN SOLUTION" in source or source.lstrip().startswith("%"):
            continue
        try:
            body = ast.parse(source).body
        except SyntaxError:  # the Colab setup cell's %pip
            continue
        if body and isinstance(body[-1], ast.Assert):
            ends.append(index)
    assert not ends, f"{notebook.name}: code cells {ends} end in an assert; move it to a check cell"


def test_nothing_before_the_network_exercise_shows_the_reference_network():
    """The PyTorch listing of the task's network is the exercise's answer: in notebook 05 no
    cell before MyTaskNet's check prints the reference module, its summary or its layer table."""
    notebook = next(p for p in NOTEBOOKS if p.name.startswith("05"))
    sources = ["".join(c["source"]) for c in _code(notebook)]
    check = next(i for i, s in enumerate(sources) if "check_task_model(MyTaskNet)" in s)
    shows_answer = ("build_model()", "torchinfo.summary", "assignment_cnn()")
    early = [s for s in sources[:check] if any(word in s for word in shows_answer)]
    assert not early, early


def test_nothing_before_the_keras_exercise_shows_the_slide_model():
    """The Keras layer list is notebook 07's exercise: no cell before my_keras_model's check
    builds or summarises the reference model, and the student edition holds no layer of it."""
    for folder in (NOTEBOOKS, STUDENT):
        notebook = next(p for p in folder if p.name.startswith("07"))
        sources = ["".join(c["source"]) for c in _code(notebook)]
        check = next(i for i, s in enumerate(sources)
                     if "check_keras_model(my_keras_model)" in s)
        early = [s for s in sources[:check] if "build_keras_model()" in s or "summary()" in s]
        assert not early, early
        if folder is STUDENT:
            assert not any("layers.Conv2D" in s for s in sources[:check])
