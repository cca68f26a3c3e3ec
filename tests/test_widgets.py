"""Widgets driven programmatically: the quiz's checking logic and the conv explorer's state."""

import pytest

from course_utils.widgets import CORRECT, NOT_QUITE, check_answer, quiz


@pytest.mark.parametrize("typed", ["55x55x96", "55 x 55 x 96", "55×55×96", "[55, 55, 96]",
                                   "(55,55,96)", " 55X55X96 "])
def test_shapes_are_accepted_however_they_are_written(typed):
    assert check_answer(typed, (55, 55, 96)).correct


@pytest.mark.parametrize("typed", ["34848", "34,848", "34 848", "35K", "35k", "34.8K",
                                   "11*11*3*96", "11 x 11 x 3 x 96"])
def test_numbers_accept_separators_the_slides_rounding_and_products(typed):
    assert check_answer(typed, 34848).correct


@pytest.mark.parametrize("typed", ["36K", "34847", "3484", "34,849", "0.04M", "55x55x96"])
def test_wrong_numbers_are_rejected(typed):
    feedback = check_answer(typed, 34848)
    assert not feedback.correct and feedback.message.startswith(NOT_QUITE)


def test_wrong_order_gets_a_hint_and_wrong_sizes_do_not():
    assert "order" in check_answer("96x55x55", (55, 55, 96)).message
    assert not check_answer("55x55", (55, 55, 96)).correct
    assert "order" not in check_answer("55x55x95", (55, 55, 96)).message


def test_tolerance_for_real_numbers():
    assert check_answer("2.33", 7 / 3, tolerance=0.01).correct
    assert not check_answer("2.3", 7 / 3, tolerance=0.01).correct
    assert not check_answer("2.33", 7 / 3).correct


def test_zero_parameters_with_the_slides_exclamation_mark_and_empty_answers():
    assert check_answer("0!", 0).correct
    empty = check_answer("   ", 0)
    assert not empty.correct and "answer" in empty.message


def test_quiz_widget_shows_stable_feedback_texts():
    q = quiz("Output volume size?", (27, 27, 96), explanation="(55-3)/2+1 = 27", hint="pool")
    assert q.feedback.value == ""
    assert not q.check("27x27x95").correct
    assert NOT_QUITE in q.feedback.value and "pool" in q.feedback.value
    assert q.check("27 x 27 x 96").correct
    assert CORRECT in q.feedback.value and "(55-3)/2+1 = 27" in q.feedback.value
    assert q.check("27 x 27 x 96").correct  # same text twice still gives a verdict


def test_quiz_button_and_typing_check_the_box():
    q = quiz("Parameters?", 0)
    q.answer_box.value = "0"
    assert CORRECT in q.feedback.value
    q.answer_box.value = "1"
    q.check_button.click()
    assert NOT_QUITE in q.feedback.value
    assert "Parameters?" in repr(q)  # plain-text fallback
