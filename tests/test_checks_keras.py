"""course_utils.checks.keras_task: notebook 07's exercise accepts the reference and a student's own
correct answer, and rejects the plausible wrong ones with the hint that names the mistake.
NumPy only: runs without Keras."""


import numpy as np
import pytest

from course_utils import keras_task
from course_utils.checks import keras_task as checks_keras


def by_index(w, flattened_from):
    """A correct answer written with explicit indices instead of reshapes."""
    w = np.asarray(w)
    if flattened_from is None:
        return w.T
    c, h, width = flattened_from
    kernel = np.empty((w.shape[1], w.shape[0]))
    for ci in range(c):
        for hi in range(h):
            for wi in range(width):
                kernel[(hi * width + wi) * c + ci] = w[:, (ci * h + hi) * width + wi]
    return kernel


def transpose_only(w, flattened_from):
    return np.asarray(w).T


def reshape_not_transpose(w, flattened_from):
    w = np.asarray(w)
    if flattened_from is not None:
        c, h, width = flattened_from
        w = w.reshape(len(w), c, h, width).transpose(0, 2, 3, 1).reshape(len(w), -1)
    return w.reshape(w.shape[1], w.shape[0])


def height_width_swapped(w, flattened_from):
    w = np.asarray(w)
    if flattened_from is not None:
        c, h, width = flattened_from
        w = w.reshape(len(w), c, h, width).transpose(0, 3, 2, 1).reshape(len(w), -1)
    return w.T


def permuted_the_other_way(w, flattened_from):
    w = np.asarray(w)
    if flattened_from is not None:
        c, h, width = flattened_from
        w = w.reshape(len(w), h, width, c).transpose(0, 3, 1, 2).reshape(len(w), -1)
    return w.T


def no_final_transpose(w, flattened_from):
    return keras_task.dense_kernel(w, flattened_from).T


@pytest.mark.parametrize("answer", [keras_task.dense_kernel, by_index])
def test_correct_answers_pass(answer):
    verdict = checks_keras.verify_dense_kernel(answer)
    assert verdict.passed
    assert verdict.line == ("✓ dense kernel: 4 cases match, the task's dense2: (10, 256), no "
                            "feature map before it included")


@pytest.mark.parametrize(("wrong", "case", "hint"), [
    (transpose_only, "the task's dense1", "nn.Flatten reads the map as (c, h, w)"),
    (reshape_not_transpose, "the task's dense2", "transpose it (.T)"),
    (height_width_swapped, "the task's dense1", "rows, then columns, then channels (not w, h"),
    (permuted_the_other_way, "the task's dense1", "not the other way round"),
    (no_final_transpose, "the task's dense2", "transpose it (.T)"),
])
def test_plausible_wrong_answers_fail_naming_the_case_and_the_mistake(wrong, case, hint):
    verdict = checks_keras.verify_dense_kernel(wrong)
    assert not verdict.passed
    assert verdict.line.startswith(f"✗ dense kernel: {case}") and hint in verdict.line
    assert "\n" not in verdict.line


def test_an_open_exercise_is_one_line():
    def open_exercise(w, flattened_from):
        raise NotImplementedError()

    verdict = checks_keras.verify_dense_kernel(open_exercise)
    assert verdict.line.startswith("✗ dense kernel: not implemented yet")


def test_check_prints_exactly_one_line(capsys):
    assert checks_keras.check_dense_kernel(by_index) is None
    assert capsys.readouterr().out.count("\n") == 1
