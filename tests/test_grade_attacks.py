"""Every attack on the grader ends in a ✗ on the attacked exercise or in the right status, and
never costs another exercise or another student anything (course_utils.grade)."""

from __future__ import annotations

import csv

import pytest

from course_utils.grade import BatchOptions, grade_all
from course_utils.grade.sandbox import detect
from course_utils.grade.synthetic import ATTACKS, notebook, with_function, write


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class: an honest student plus one student per attack, graded in one batch."""
    root = tmp_path_factory.mktemp("attacks")
    submissions, out = root / "submissions", root / "out"
    canary = root / "canary.txt"
    canary.write_text("instructor's file")
    solution = notebook("01")
    write(submissions / "honest.ipynb", solution)
    for name, source in ATTACKS.items():
        if name in ("delete_files", "probe"):
            source = source.format(canary=str(canary), submissions=str(submissions))
        write(submissions / f"{name}.ipynb", with_function(solution, "my_conv2d", source))
    config = root / "grading.toml"
    config.write_text("seed = 7\nhidden_cases = 2\ncall_timeout = 1.0\n")
    summary = grade_all(BatchOptions(submissions, out, workers=2, timeout_s=25, memory_mb=400,
                                     config=config))
    with open(out / "grades.csv", newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    feedback = {path.stem: path.read_text() for path in (out / "feedback").glob("*.html")}
    return summary, rows, feedback, canary, submissions


def _attacked(rows, student):
    row = rows[student]
    # the two exercises the attack did not touch are still graded, and right
    assert float(row["my_true_convolution"]) == 1.0, row
    assert float(row["my_conv_volume"]) == 1.0, row
    assert float(row["my_conv2d"]) == 0.0, row
    return row


def test_every_student_has_one_row(graded):
    summary, rows, feedback, _, _ = graded
    assert sorted(rows) == sorted(["honest", *ATTACKS])
    assert sorted(summary.graded) == sorted(rows)
    assert rows["honest"]["total"] == rows["honest"]["max"] == "3"
    assert rows["honest"]["status"] == "graded"


@pytest.mark.parametrize("attack", ["stack_walk", "always_equal", "patch_checker"])
def test_tampering_with_values_gains_nothing(graded, attack):
    _, rows, feedback, _, _ = graded
    assert _attacked(rows, attack)["status"] == "graded"
    assert "✗ conv2d" in feedback[attack]


def test_always_equal_object_is_named_not_trusted(graded):
    assert "returned an Anything" in graded[2]["always_equal"]


@pytest.mark.parametrize("attack, status", [("os_exit", "crashed"), ("endless_loop", "timeout"),
                                            ("stubborn_loop", "timeout"),
                                            ("memory_bomb", "memory")])
def test_runaway_code_gets_its_status(graded, attack, status):
    _, rows, feedback, _, _ = graded
    assert _attacked(rows, attack)["status"] == status


def test_fork_bomb_is_contained(graded):
    _, rows, _, _, _ = graded
    assert _attacked(rows, "fork_bomb")["status"] in ("timeout", "crashed", "graded")


def test_garbage_on_the_result_channel_is_a_cross_not_a_crash(graded):
    _, rows, feedback, _, _ = graded
    row = _attacked(rows, "garbage_channel")
    assert row["status"] in ("graded", "crashed")


def test_deleting_files_harms_nobody(graded):
    _, rows, _, canary, submissions = graded
    assert canary.read_text() == "instructor's file"
    assert (submissions / "honest.ipynb").exists()
    assert rows["honest"]["status"] == "graded"
    row = rows["delete_files"]
    assert float(row["my_conv2d"]) == 0.0


@pytest.mark.parametrize("attack, used", [("reference_call", "course_utils.byhand.ops.conv2d"),
                                          ("torch_call", "torch")])
def test_by_hand_rule(graded, attack, used):
    _, rows, feedback, _, _ = graded
    _attacked(rows, attack)
    assert used in feedback[attack] and "by hand" in feedback[attack]


def test_probe_sees_what_isolation_claims(graded):
    _, rows, feedback, _, _ = graded
    isolation = rows["probe"]["isolation"].split("+")
    page = feedback["probe"]
    caps = detect()
    assert ("netns" in isolation) == caps.netns
    if "netns" in isolation:
        assert "network=OSError" in page or "network=TimeoutError" not in page
        assert "network=open" not in page
    if "mountns" in isolation:
        assert "honest.ipynb" not in page
    if "uid" in isolation:
        assert "uid=0 " not in page
