"""course_utils.byhand.geometry against the lecture's numbers and against torch's layer shapes."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.byhand.geometry import (
    GeometryError,
    conv_output_size,
    conv_params,
    output_geometry,
    padding_for,
    padding_pair,
    paddings_that_fit,
    pool_stride,
    reached,
    window_starts,
)


def test_lecture_spatial_examples():
    assert [conv_output_size(7, 3, s) for s in (1, 2)] == [(7 - 3) // s + 1 for s in (1, 2)]
    with pytest.raises(GeometryError, match=r"doesn't fit: \(7 - 3 \+ 2\*0\)/3 \+ 1 = 2.33") as e:
        conv_output_size(7, 3, 3)
    assert "floor it to 2" in str(e.value) and isinstance(e.value, ValueError)
    assert conv_output_size(7, 3, 1, 1) == 7
    assert conv_output_size(32, 5, 1, 2) == 32
    assert conv_output_size(227, 11, 4) == 55 and conv_output_size(55, 3, 2) == 27


def test_same_padding_preserves_size_and_even_f_is_asymmetric():
    assert [padding_for("same", f) for f in (3, 5, 7)] == [1, 2, 3]
    for f in (1, 3, 5, 7):
        assert conv_output_size(9, f, 1, padding_for("same", f)) == 9
    assert padding_pair("same", 2) == (0, 1) and padding_pair("same", 4) == (1, 2)
    assert padding_pair("valid", 4) == (0, 0) and padding_pair("full", 4) == (3, 3)
    assert padding_pair(2, 5) == (2, 2)
    with pytest.raises(GeometryError):
        padding_pair(-1, 3)


def test_padding_pair_takes_a_pair_and_rejects_what_is_not_a_padding():
    assert padding_pair((0, 1), 2) == (0, 1) and padding_pair((2, 2), 9) == (2, 2)
    for bad in ((1, -1), (1, 2, 3), (0.5, 0), True, "half"):
        with pytest.raises(GeometryError):
            padding_pair(bad, 3)


def test_uneven_padding_output_geometry():
    """TensorFlow's 'same' for F=2: (N - F + 0 + 1)/S + 1 keeps N at stride 1."""
    geo = output_geometry(13, 2, 1, (0, 1))
    assert (geo.size, geo.exact, geo.value) == (13, True, 13)
    assert geo.formula == "(13 - 2 + 0 + 1)/1 + 1 = 13"
    floored = output_geometry(7, 3, 3, (0, 1))
    assert (floored.size, floored.exact, floored.ignored) == (2, False, 2)
    assert floored.formula == "(7 - 3 + 0 + 1)/3 + 1 = 2.67"
    assert output_geometry(7, 3, 2, (1, 1)).formula == output_geometry(7, 3, 2, 1).formula
    with pytest.raises(GeometryError, match="larger than the 4x4 padded input"):
        output_geometry(3, 5, 1, (0, 1))


def test_reached_pixels_and_pool_stride():
    assert reached(7, 3, 3) == [True] * 6 + [False]  # stride 3 "doesn't fit": the last is lost
    assert reached(5, 1, 2) == [True, False, True, False, True]  # gaps between the windows
    assert reached(4, 2, 1, (0, 1)) == [True] * 5
    assert window_starts(4, 2, 2, (0, 1)) == [0, 2]
    assert pool_stride(2) == 2 and pool_stride(3, 2) == 2


def test_parameters_and_window_starts():
    assert conv_params(5, 3, 10) == 760 and conv_params(5, 3, 1) == 76
    assert conv_params(11, 3, 96, bias=False) == 34848
    assert window_starts(7, 3, 2) == [0, 2, 4]
    assert window_starts(7, 3, 3) == [0, 3]  # the floor: the last column is never reached


def test_whatever_fits():
    """F=5, S=2, P=? : an even N never fits (N - 5 + 2P is odd), an odd N fits any P."""
    assert paddings_that_fit(32, 5, 2) == []
    assert paddings_that_fit(33, 5, 2) == [0, 1, 2, 3, 4]
    assert paddings_that_fit(7, 3, 3) == [1]
    for n, f, s in [(33, 5, 2), (7, 3, 3), (10, 4, 3)]:
        for p in range(f):
            if p in paddings_that_fit(n, f, s):
                conv_output_size(n, f, s, p)
            else:
                with pytest.raises(GeometryError):
                    conv_output_size(n, f, s, p)


@st.composite
def settings_nfsp(draw):
    f = draw(st.integers(1, 7))
    p = draw(st.integers(0, f - 1))
    n = draw(st.integers(max(1, f - 2 * p), 20))
    return n, f, draw(st.integers(1, 4)), p


@settings(max_examples=60, deadline=None)
@given(settings_nfsp())
def test_geometry_agrees_with_torch_conv_and_pool_shapes(nfsp):
    n, f, s, p = nfsp
    x = torch.zeros(1, 1, n, n)
    conv = nn.Conv2d(1, 1, f, stride=s, padding=p)(x).shape[-1]
    geo = output_geometry(n, f, s, p)
    assert geo.size == conv and len(window_starts(n, f, s, p)) == conv
    assert sum(not hit for hit in reached(n, f, s, p)[-geo.ignored - 1:]) == geo.ignored
    if 2 * p <= f:  # torch's pooling allows padding up to half the window
        assert nn.MaxPool2d(f, stride=s, padding=p)(x).shape[-1] == geo.size
    if geo.exact:
        assert conv_output_size(n, f, s, p) == conv == geo.value
    else:
        with pytest.raises(GeometryError, match=f"floor it to {conv},"):
            conv_output_size(n, f, s, p)
        assert geo.ignored == (n - f + 2 * p) - (conv - 1) * s > 0


@pytest.mark.parametrize("call,message", [
    # issue 12: each of these once returned a number (280, -2, 5.0 ...) or a raw Python error
    (lambda: conv_params(-3, 3, 10), "the filter size F must be a whole number >= 1, got -3"),
    (lambda: conv_params(5, 0, 10), "the input depth D1 must be a whole number >= 1, got 0"),
    (lambda: conv_params(5, 3, 2.5), "number of filters K must be a whole number >= 1, got 2.5"),
    (lambda: padding_for(-2, 3), "the padding P must be a whole number >= 0, got -2"),
    (lambda: padding_for(True, 3), "the padding P must be a whole number >= 0, got True"),
    (lambda: padding_for("same", 0), "the filter size F must be a whole number >= 1, got 0"),
    (lambda: padding_pair("same", -2), "the filter size F must be a whole number >= 1, got -2"),
    (lambda: paddings_that_fit(7, 3, 0), "the stride S must be a whole number >= 1, got 0"),
    (lambda: paddings_that_fit(7, 3, 1, -1),
     "the largest padding P must be a whole number >= 0, got -1"),
    (lambda: output_geometry(7.0, 3), "the input size N must be a whole number >= 1, got 7.0"),
    (lambda: conv_output_size(True, 1), "the input size N must be a whole number >= 1, got True"),
    (lambda: conv_output_size(7, float("nan")), "F must be a whole number >= 1, got nan"),
    (lambda: conv_output_size(7, 3, float("inf")), "stride S must be a whole number >= 1, got inf"),
    (lambda: conv_output_size(None, 3), "the input size N must be a whole number >= 1, got None"),
    (lambda: conv_output_size(7, 3, 1, -1), "the padding P must be a whole number >= 0, got -1"),
    (lambda: window_starts(7, 3, 1, [1, 2, 3]), r"asymmetric padding must be \(before, after\)"),
    (lambda: pool_stride(2, 0), "the stride S must be a whole number >= 1, got 0"),
    (lambda: pool_stride(False), "the filter size F must be a whole number >= 1, got False"),
])
def test_sizes_that_are_no_sizes_are_one_line_geometry_errors(call, message):
    with pytest.raises(GeometryError, match=message) as error:
        call()
    assert "\n" not in str(error.value) and isinstance(error.value, ValueError)


def test_numpy_whole_numbers_are_sizes():
    """Sizes read from an array's shape or a slider are numpy ints: they stay valid, as ints."""
    import numpy as np

    geo = output_geometry(np.int64(7), np.int32(3), np.int64(2))
    assert geo.size == 3 and type(geo.size) is int
    assert conv_params(np.int64(5), 3, 10) == 760
