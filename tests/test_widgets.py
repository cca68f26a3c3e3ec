"""Widgets driven programmatically: the quiz's checking logic and the conv explorer's state."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.byhand.geometry import conv_output_size, window_starts
from course_utils.display.widgets import (
    CORRECT,
    NOT_QUITE,
    STATIC_LIMIT,
    check_answer,
    conv_explorer,
    explain,
    positions_svg,
    quiz,
    static_text,
)


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


# ---------------------------------------------------------------------------------------------
# conv_explorer
# ---------------------------------------------------------------------------------------------
def test_explorer_follows_the_stride_slides():
    e = conv_explorer(n=7, f=3)
    shown = []
    for stride in (1, 2, 3):
        e.sliders["stride"].value = stride
        shown.append(e.result.value)
    assert "Output: 5 x 5 x 10" in shown[0] and "Output: 3 x 3 x 10" in shown[1]
    assert "doesn't fit!" in shown[2] and "floor it to 2 x 2" in shown[2]
    assert "(7 - 3 + 2*0)/3 + 1 = 2.33" in e.formula.value
    assert e.drawing.value.startswith("<svg") and e.drawing.value.count("<circle") == 4
    e.sliders["padding"].value = 1
    assert "Output: 3 x 3" in e.result.value and "(7 - 3 + 2*1)/3 + 1 = 3" in e.output_text


def test_explorer_parameters_and_css_hooks():
    e = conv_explorer(n=32, f=5, padding=2, d_in=3, k=10)
    assert "Output: 32 x 32 x 10" in e.result.value and "= 760" in e.params.value
    assert "conv-explorer-result" in e.result._dom_classes
    assert [s.description for s in e.sliders.values()][:4] == ["N", "F", "stride", "padding"]
    e.sliders["K"].value = 1
    assert "= 76" in e.params.value


def test_explorer_modes_set_the_padding_and_keep_the_size():
    e = conv_explorer(n=9, f=5)
    e.mode.value = "same"
    assert e.padding.value == 2 and e.padding.disabled and "Output: 9 x 9" in e.result.value
    e.f.value = 4  # even F: asymmetric (1 before, 2 after)
    assert "Output: 9 x 9" in e.result.value and "+ 1 + 2)" in e.output_text
    e.mode.value = "full"
    assert e.padding.value == 3 and "Output: 12 x 12" in e.result.value
    e.mode.value = "valid"
    assert e.padding.value == 0 and "Output: 6 x 6" in e.result.value
    e.mode.value = "custom"
    assert not e.padding.disabled


def test_explorer_ranges_follow_each_other():
    e = conv_explorer(n=7, f=5, padding=4)
    assert e.padding.max == 4
    e.f.value = 2
    assert e.padding.max == 1 and e.padding.value == 1
    e.n.value = 1
    assert e.f.max == 3 and e.f.value == 2
    e.padding.value = 0
    assert e.f.max == 1 and e.f.value == 1 and "Output: 1 x 1" in e.result.value


def test_explorer_repr_is_a_plain_text_fallback():
    text = repr(conv_explorer(n=7, f=3, stride=2))
    assert "(7 - 3 + 2*0)/2 + 1 = 3 -> output 3x3x10, 280 parameters" in text


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 32), st.integers(1, 11), st.integers(1, 5), st.integers(0, 10),
       st.integers(1, 64), st.integers(1, 128))
def test_explorer_fallback_is_never_cut_by_a_static_render(n, f, s, p, d_in, k):
    e = conv_explorer(n=n, f=min(f, n + 2 * p), stride=s, padding=min(p, f - 1), d_in=d_in, k=k)
    text = repr(e)
    assert len(text) < STATIC_LIMIT and text.startswith("Conv explorer")
    assert str(e.explanation.size or "larger") in text


def test_quiz_fallback_shows_the_whole_question_or_points_to_the_code():
    short = repr(quiz("POOL1: number of parameters?", 0))
    assert short == "Q: POOL1: number of parameters?\n(answer in a live notebook to check it)"
    long = repr(quiz("A 32x32x3 image goes through 6 filters of size 5x5x3 (stride 1, no "
                     "padding). Output volume size (W x H x D)?", (28, 28, 6)))
    assert len(long) < STATIC_LIMIT and "see the code above" in long
    with pytest.raises(ValueError, match="static text"):
        static_text("x" * 200, "y" * 110)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 32), st.integers(1, 11), st.integers(1, 5), st.integers(0, 10))
def test_explain_never_raises_and_agrees_with_geometry(n, f, s, p):
    e = explain(n, f, s, p)
    if f > n + 2 * p:
        assert e.size is None and not e.fits and "larger" in e.result
    elif e.fits:
        assert e.result.startswith(f"Output: {conv_output_size(n, f, s, p)} x")
    else:
        assert e.result.startswith("doesn't fit!")


def test_explorer_drawing_marks_what_geometry_says_no_window_reaches():
    svg = positions_svg(7, 3, 3, (0, 0))
    assert svg.count("<circle") == len(window_starts(7, 3, 3)) ** 2 == 4
    assert svg.count("#f4a6a6") == 7 * 7 - 6 * 6  # the last row and column: "doesn't fit"
    uneven = explain(13, 2, 1, "same")
    assert uneven.padding == (0, 1) and uneven.size == 13
    assert uneven.formula == ("W2 = (W1 - F + P_before + P_after)/S + 1 = "
                              "(13 - 2 + 0 + 1)/1 + 1 = 13")


# The slides' own roundings (lecture: AlexNet CONV1 "35K", the VGG16 memory column, "138M"),
# and the same rounding for the notebooks' quiz answers: each keeps two significant figures.
SLIDE_ROUNDINGS = [
    ("35K", 34_848), ("35k", 34_848), ("34.8K", 34_848), ("~35K", 34_848),
    ("150K", 224 * 224 * 3), ("3.2M", 224 * 224 * 64), ("800K", 112 * 112 * 64),
    ("1.6M", 112 * 112 * 128), ("400K", 56 * 56 * 128), ("200K", 28 * 28 * 256),
    ("100K", 14 * 14 * 512), ("25K", 7 * 7 * 512), ("138M", 138_357_544),
    ("62M", 62_378_344), ("62.4M", 62_378_344), ("~62M", 62_378_344), ("6.2e7", 62_378_344),
    ("0.76k", 760), ("7.6e2", 760), ("0.42k", 416), ("5.1e1", 51),
]


@pytest.mark.parametrize("typed,expected", SLIDE_ROUNDINGS)
def test_the_slides_rounding_is_accepted(typed, expected):
    assert check_answer(typed, expected).correct


@pytest.mark.parametrize("typed,expected", [
    # issue 12: a suffix or exponent that swallows the value was "✓ Correct"
    ("1k", 760), ("0k", 416), ("0M", 34_848), ("1e8", 62_378_344), ("1e2", 51),
    ("0.8k", 760), ("0.04M", 34_848), ("35.0K", 34_848), ("34.9K", 34_848), ("3e4", 34_848),
    # the slide's "~65M" for its AlexNet is not a rounding of the 62,378,344 it lists
    ("~65M", 62_378_344), ("60M", 62_378_344),
])
def test_a_rounding_that_swallows_the_value_is_wrong(typed, expected):
    feedback = check_answer(typed, expected)
    assert not feedback.correct and feedback.message == NOT_QUITE


@pytest.mark.parametrize("typed", [
    "1e309", "-1e309", "1e99999", "inf", "-inf", "nan", "NaN", None, 10**400, float("nan"),
    float("inf"), "9" * 5000, "١٢٣", "３４８４８", "💥", "\x00", "\n", "1e309x2", "~", "k", "1e",
    "35KK", "--5", "0x10", "1_000_000_000_000", [1, 2], {"a": 1},
])
@pytest.mark.parametrize("expected", [34_848, 2.5, (55, 55, 96), (7,), "valid", float("nan"),
                                      float("inf"), 10**400])
def test_no_input_raises_out_of_a_check(typed, expected):
    feedback = check_answer(typed, expected)
    assert isinstance(feedback.correct, bool) and "\n" not in feedback.message
    q = quiz("Q?", expected)
    assert q.check(str(typed)).correct == check_answer(str(typed), expected).correct


def test_huge_and_unicode_numbers_get_a_verdict():
    assert not check_answer("1e309", 5).correct
    assert "could not compare" in check_answer("1e99999", 5).message
    assert check_answer(str(10**40), 10**40).correct  # exact, no float rounding
    assert not check_answer(str(10**40 + 1), 10**40).correct
    assert check_answer("３４８４８", 34_848).correct  # full-width digits are digits
