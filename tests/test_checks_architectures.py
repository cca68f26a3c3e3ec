"""Notebook 04's exercise checks: a correct answer passes, each plausible wrong one is rejected
with a message that names the failing case, and the references agree with the notebook's
numbers (AlexNet's CONV1, VGG16's listing, inception 3a's branches)."""


import pytest

from course_utils.checks import architectures as ca


def conv_layer(n, d_in, k, f, stride=1, padding=0):
    """A student's correct answer, written from the conv-layer summary slide."""
    side = (n - f + 2 * padding) // stride + 1
    return (side, side, k), (f * f * d_in + 1) * k


def conv_weights_only(n, d_in, k, f, stride=1, padding=0):
    shape, _ = conv_layer(n, d_in, k, f, stride, padding)
    return shape, f * f * d_in * k


def conv_no_plus_one(n, d_in, k, f, stride=1, padding=0):
    side = (n - f + 2 * padding) // stride
    return (side, side, k), (f * f * d_in + 1) * k


def conv_pad_once(n, d_in, k, f, stride=1, padding=0):
    return conv_layer(n - padding, d_in, k, f, stride, 0)


def conv_no_depth(n, d_in, k, f, stride=1, padding=0):
    shape, _ = conv_layer(n, d_in, k, f, stride, padding)
    return shape, (f * f + 1) * k


def conv_depth_in(n, d_in, k, f, stride=1, padding=0):
    (side, _, _), params = conv_layer(n, d_in, k, f, stride, padding)
    return (side, side, d_in), params


def conv_hard_coded(n, d_in, k, f, stride=1, padding=0):
    return (55, 55, 96), 34_944


def vgg_line(side, d_in, k):
    return side * side * k, 3 * 3 * d_in * k


def vgg_input_memory(side, d_in, k):
    return side * side * d_in, 3 * 3 * d_in * k


def vgg_with_biases(side, d_in, k):
    return side * side * k, 3 * 3 * d_in * k + k


def vgg_bytes(side, d_in, k):
    return 4 * side * side * k, 3 * 3 * d_in * k


def vgg_square_k(side, d_in, k):
    return side * side * k, 3 * 3 * k * k


def vgg_hard_coded(side, d_in, k):
    return 3_211_264, 1_728


def branch(side, d_in, f, k, reduce=None):
    if reduce is None:
        return side * side * f * f * d_in * k
    return side * side * (d_in * reduce + f * f * reduce * k)


def branch_no_reduce_cost(side, d_in, f, k, reduce=None):
    maps = d_in if reduce is None else reduce
    return side * side * f * f * maps * k


def branch_ignores_reduce(side, d_in, f, k, reduce=None):
    return side * side * f * f * d_in * k + (side * side * d_in * reduce if reduce else 0)


def branch_per_pixel(side, d_in, f, k, reduce=None):
    return branch(1, d_in, f, k, reduce)


def branch_f_not_squared(side, d_in, f, k, reduce=None):
    maps = d_in if reduce is None else reduce
    return side * side * (f * maps * k + (d_in * reduce if reduce else 0))


def branch_hard_coded(side, d_in, f, k, reduce=None):
    return 120_422_400 if reduce is None else 12_443_648


def test_references_agree_with_the_slides():
    assert ca.reference_conv_layer(227, 3, 96, 11, 4) == ((55, 55, 96), 34_944)
    assert ca.reference_vgg_line(224, 3, 64) == (3_211_264, 1_728)
    assert ca.reference_vgg_line(14, 512, 512) == (100_352, 2_359_296)
    naive = ca.reference_branch_macs(28, 192, 5, 32)
    reduced = ca.reference_branch_macs(28, 192, 5, 32, reduce=16)
    assert (naive, reduced) == (28 * 28 * 25 * 192 * 32, 28 * 28 * (192 * 16 + 25 * 16 * 32))
    assert round(naive / reduced, 1) == 9.7  # notebook 04's "cuts the 5x5 branch 9.7x"


@pytest.mark.parametrize(("verify", "correct", "name", "count"), [
    (ca.verify_conv_layer, conv_layer, "conv layer", 6),
    (ca.verify_vgg_line, vgg_line, "VGG16 line", 6),
    (ca.verify_branch_macs, branch, "inception branch", 7),
])
def test_a_correct_answer_and_the_reference_pass(verify, correct, name, count):
    for answer in (correct, getattr(ca, "reference_" + verify.__name__.removeprefix("verify_"))):
        verdict = verify(answer)
        assert verdict.passed, verdict.line
        assert verdict.line.startswith(f"✓ {name}: {count} cases match, ")


@pytest.mark.parametrize(("verify", "wrong", "case"), [
    (ca.verify_conv_layer, conv_weights_only, "AlexNet's CONV1"),
    (ca.verify_conv_layer, conv_no_plus_one, "AlexNet's CONV1"),
    (ca.verify_conv_layer, conv_pad_once, "a VGG conv"),
    (ca.verify_conv_layer, conv_no_depth, "AlexNet's CONV1"),
    (ca.verify_conv_layer, conv_depth_in, "AlexNet's CONV1"),
    (ca.verify_conv_layer, conv_hard_coded, "ZFNet's CONV1"),
    (ca.verify_vgg_line, vgg_input_memory, "VGG16's first CONV3-64"),
    (ca.verify_vgg_line, vgg_with_biases, "VGG16's first CONV3-64"),
    (ca.verify_vgg_line, vgg_bytes, "VGG16's first CONV3-64"),
    (ca.verify_vgg_line, vgg_square_k, "VGG16's first CONV3-64"),
    (ca.verify_vgg_line, vgg_hard_coded, "the second CONV3-64"),
    (ca.verify_branch_macs, branch_no_reduce_cost, "5x5 branch with a 1x1 down to 16"),
    (ca.verify_branch_macs, branch_ignores_reduce, "5x5 branch with a 1x1 down to 16"),
    (ca.verify_branch_macs, branch_per_pixel, "5x5 branch without 1x1"),
    (ca.verify_branch_macs, branch_f_not_squared, "5x5 branch without 1x1"),
    (ca.verify_branch_macs, branch_hard_coded, "3x3 branch with a 1x1 down to 96"),
])
def test_a_wrong_answer_is_rejected_naming_the_case(verify, wrong, case):
    verdict = verify(wrong)
    assert not verdict.passed
    assert verdict.line.startswith("✗ ")
    assert case in verdict.line and "expected" in verdict.line, verdict.line
    assert "\n" not in verdict.line


def test_hard_coded_slide_answers_fail_on_the_seeded_cases_too():
    """An answer right on every named layer but wrong elsewhere fails on the seeded case."""
    named = {c.args + tuple(c.kwargs.values()) for c in ca.conv_layer_cases()[:-1]}

    def only_named(*args):
        return conv_layer(*args) if args in named else ((1, 1, 1), 1)

    verdict = ca.verify_conv_layer(only_named)
    assert not verdict.passed and "seeded" in verdict.line


def test_an_open_exercise_and_a_crash_are_one_line(capsys):
    def open_exercise(*args, **kwargs):
        raise NotImplementedError()

    def crash(side, d_in, f, k, reduce=None):
        return side * reduce  # None on the naive branch

    ca.check_branch_macs(open_exercise)
    assert capsys.readouterr().out == ("✗ inception branch: not implemented yet (replace "
                                       "`raise NotImplementedError()` with your code)\n")
    verdict = ca.verify_branch_macs(crash)
    assert not verdict.passed and "TypeError" in verdict.line
    assert "your line" in verdict.line and "side * reduce" in verdict.line
