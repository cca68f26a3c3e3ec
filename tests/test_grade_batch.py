"""Grading a class end to end (course_utils.grade): full marks for the solution notebooks, zero
for the open student edition, partial marks with the hint for an honest mistake, reruns that
skip the unchanged, interruptions that lose nothing, bad input in one line, the exports."""

from __future__ import annotations

import csv
import json
import os

import pytest

from course_utils.grade import BatchOptions, grade_all
from course_utils.grade.__main__ import main
from course_utils.grade.synthetic import MAX_POOL_FROM_ZERO, notebook, with_function, write

# Honest mistakes in notebooks 04 and 06, each one the checks know (and name in the hint).
WRONG_04 = {
    "my_conv_layer": ('''
def my_conv_layer(n, d_in, k, f, stride=1, padding=0):
    side = (n - f + 2 * padding) // stride + 1
    return (side, side, k), f * f * d_in * k
''', "each filter has one bias too"),
    "my_vgg_line": ('''
def my_vgg_line(side, d_in, k):
    return side * side * d_in, 3 * 3 * d_in * k
''', "memory counts the OUTPUT volume"),
    "my_branch_macs": ('''
def my_branch_macs(side, d_in, f, k, reduce=None):
    return side * side * k * f * f * (reduce or d_in)
''', "count the 1x1 conv too"),
}
WRONG_06 = ('''
def my_receptive_field(layers):
    size, jump = 1, 1
    for _kind, f, stride in layers:
        size += f - 1
        jump *= stride
    return size, jump
''', "r grows by (F - 1) * jump")


def _grades(out):
    with open(out / "grades.csv", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Solutions (one file, and a nbgrader folder with 01-04, 06 and 08), the open student
    edition, an honest mistake (02), one honest mistake per exercise of 04 and 06; graded
    once."""
    root = tmp_path_factory.mktemp("class")
    subs = root / "submitted"
    for number in ("01", "02", "03", "04", "06", "08"):
        write(subs / "ada" / "assignment1" / f"renamed_{number}.ipynb", notebook(number))
        write(subs / "bo" / f"{number}.ipynb", notebook(number, "student"))
    wrong = with_function(notebook("02"), "my_max_pool", MAX_POOL_FROM_ZERO)
    write(subs / "cy.ipynb", wrong)
    wrong_04 = notebook("04")
    for name, (source, _hint) in WRONG_04.items():
        wrong_04 = with_function(wrong_04, name, source)
    write(subs / "di" / "04.ipynb", wrong_04)
    write(subs / "di" / "06.ipynb", with_function(notebook("06"), "my_receptive_field",
                                                  WRONG_06[0]))
    out = root / "out"
    options = BatchOptions(subs, out, workers=2, timeout_s=30, seed=11)
    summary = grade_all(options)
    return options, summary, {row["student"]: row for row in _grades(out)}


def test_solutions_get_full_marks_and_columns_are_the_functions(klass):
    options, summary, rows = klass
    assert list(rows["ada"])[:3] == ["student", "my_conv2d", "my_true_convolution"]
    assert len(list(rows["ada"])) == 1 + 17 + 4
    assert rows["ada"]["total"] == rows["ada"]["max"] == "17"
    assert rows["ada"]["status"] == "graded"
    for name in ("my_conv_layer", "my_vgg_line", "my_branch_macs", "my_receptive_field"):
        assert rows["ada"][name] == "1", name


def test_open_exercises_get_zero_and_say_so(klass):
    options, _, rows = klass
    assert rows["bo"]["total"] == "0" and rows["bo"]["status"] == "graded"
    page = (options.out / "feedback" / "bo.html").read_text()
    assert "not implemented yet" in page
    assert page.count("not implemented yet") >= 17  # 04's three and 06's one included


def test_honest_mistakes_in_04_and_06_get_zero_with_their_hints(klass):
    options, _, rows = klass
    row = rows["di"]
    assert row["status"] == "graded" and row["total"] == "0"
    page = (options.out / "feedback" / "di.html").read_text()
    for name, (_source, hint) in [*WRONG_04.items(), ("my_receptive_field", WRONG_06)]:
        assert row[name] == "0", name
        assert hint in page, name


def test_honest_mistake_gets_partial_marks_with_the_case_and_hint(klass):
    options, _, rows = klass
    row = rows["cy"]
    assert row["my_max_pool"] == "0" and row["my_pool"] == "1" and row["my_conv2d"] == "0"
    page = (options.out / "feedback" / "cy.html").read_text()
    assert "inputs [[" in page and "expected [[" in page
    assert "start the maximum from the window itself, not from 0" in page


def test_rerun_skips_unchanged_and_regrade_forces(klass, tmp_path):
    options, _, rows = klass
    again = grade_all(options)
    assert again.graded == [] and sorted(again.skipped) == ["ada", "bo", "cy", "di"]
    forced = grade_all(BatchOptions(options.submissions, options.out, workers=2, seed=11,
                                    timeout_s=30, regrade=True))
    assert sorted(forced.graded) == ["ada", "bo", "cy", "di"]
    assert {r["student"]: r for r in _grades(options.out)} == rows


def test_interrupt_keeps_finished_rows_and_rerun_completes(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(5):
        write(subs / f"s{i}.ipynb", notebook("03"))
    seen = []

    def stop_after_two(row):
        seen.append(row["student"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    options = BatchOptions(subs, out, workers=1, timeout_s=20, seed=3)
    first = grade_all(options, on_row=stop_after_two)
    assert first.interrupted and len(first.graded) == 2
    assert sorted(r["student"] for r in _grades(out)) == sorted(first.graded)
    second = grade_all(options)
    assert sorted(second.skipped) == sorted(first.graded)
    students = [r["student"] for r in _grades(out)]
    assert sorted(students) == [f"s{i}" for i in range(5)]  # none lost, none twice


def test_invalid_and_empty_submissions(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "empty.ipynb").write_text("")
    (subs / "truncated.ipynb").write_text(json.dumps(notebook("03"))[:500])
    (subs / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    (subs / "text.ipynb").write_text("hello")
    (subs / "nothing").mkdir()
    write(subs / "other.ipynb", {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                 "cells": [{"cell_type": "code", "source": "x = 1",
                                            "metadata": {}, "outputs": [],
                                            "execution_count": None}]})
    write(subs / "ok.ipynb", notebook("03"))
    summary = grade_all(BatchOptions(subs, tmp_path / "out", workers=2, timeout_s=20, seed=1))
    rows = {r["student"]: r for r in _grades(tmp_path / "out")}
    for name in ("empty", "truncated", "old", "text"):
        assert rows[name]["status"] == "invalid", name
    assert rows["nothing"]["status"] == "empty" and rows["other"]["status"] == "empty"
    assert rows["ok"]["status"] == "graded" and rows["ok"]["total"] == "4"
    assert any("nothing/: no notebooks" in note for note in summary.notes)
    page = (tmp_path / "out" / "feedback" / "old.html").read_text()
    assert "nbformat 4 is needed" in page


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    subs = tmp_path / "subs"
    write(subs / "al.ipynb", notebook("03"))
    write(subs / "al" / "x.ipynb", notebook("03"))
    assert main([str(subs), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "duplicate student names:" in err and "al.ipynb" in err and "al/" in err
    assert err.count("\n") == 1


def test_cli_canvas_export_and_escaped_feedback(tmp_path, capsys):
    subs = tmp_path / "subs"
    write(subs / "<b>x.ipynb", notebook("03"))
    canvas = tmp_path / "canvas.csv"
    code = main([str(subs), "--out", str(tmp_path / "o"), "--canvas-export", str(canvas),
                 "--workers", "1", "--seed", "5", "--timeout", "20"])
    assert code == 0
    lines = canvas.read_text().splitlines()
    assert lines[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
    assert lines[2] == "<b>x,,,<b>x,,4"
    pages = list((tmp_path / "o" / "feedback").glob("*.html"))
    assert len(pages) == 1 and "&lt;b&gt;x" in pages[0].read_text()
    assert "<b>x" not in pages[0].read_text()


def test_gradescope_results(tmp_path, monkeypatch):
    write(tmp_path / "submission" / "whatever.ipynb",
          with_function(notebook("02"), "my_max_pool", MAX_POOL_FROM_ZERO))
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "grading.toml").write_text("seed = 4\n[points]\nmy_pool = 3\n")
    monkeypatch.setenv("GRADESCOPE_ROOT", str(tmp_path))
    assert main(["--gradescope", "--timeout", "20"]) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 3
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["pooling (my_pool)"]["max_score"] == 3
    assert tests["max pooling (my_max_pool)"]["status"] == "failed"
    assert set(tests["pooling (my_pool)"]) == {"name", "score", "max_score", "status", "output",
                                             "visibility"}


def test_seed_is_kept_secret_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_GRADE_SEED", raising=False)
    subs = tmp_path / "subs"
    write(subs / "a.ipynb", notebook("03"))
    options = BatchOptions(subs, tmp_path / "out", workers=1, timeout_s=20)
    grade_all(options)
    seed_file = tmp_path / "out" / ".seed"
    assert oct(os.stat(seed_file).st_mode & 0o777) == "0o600"
    assert grade_all(options).skipped == ["a"]
