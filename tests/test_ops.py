"""course_utils.byhand.ops by hand equals torch.nn.functional on the same inputs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.byhand.geometry import GeometryError
from course_utils.byhand.ops import avg_pool2d, conv2d, flip_kernel, max_pool2d, pad2d

IMAGE = [[2, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2], [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]]
KERNEL = [[1, 2, 3], [-4, 7, 4], [2, -5, 1]]
POOL_INPUT = [[2, 2, 7, 3], [9, 4, 6, 1], [8, 5, 2, 4], [3, 1, 2, 6]]


def torch_conv(x, w, b=None, stride=1, padding=0):
    t = torch.as_tensor(np.asarray(x, dtype=np.float64))[None]
    bias = None if b is None else torch.as_tensor(np.asarray(b, dtype=np.float64))
    out = F.conv2d(t, torch.as_tensor(np.asarray(w, dtype=np.float64)), bias, stride, padding)
    return out[0].numpy()


def test_the_slides_top_left_value_is_the_window_dot_product():
    window = np.array(IMAGE)[:3, :3]
    assert conv2d(IMAGE, KERNEL)[0, 0] == np.sum(window * np.array(KERNEL)) == 51


def test_worked_example_equals_torch_and_is_cross_correlation():
    ours = conv2d(IMAGE, KERNEL)
    assert ours.shape == (3, 3)
    np.testing.assert_array_equal(ours, torch_conv([IMAGE], [[KERNEL]])[0])
    flipped = conv2d(IMAGE, flip_kernel(KERNEL))
    assert not np.array_equal(ours, flipped)
    np.testing.assert_array_equal(flip_kernel(flip_kernel(KERNEL)), KERNEL)


def test_slide_pooling_example_and_average_pooling():
    np.testing.assert_array_equal(max_pool2d(POOL_INPUT, 2, 2), [[9, 7], [8, 6]])
    t = torch.tensor(POOL_INPUT, dtype=torch.float64)[None]
    np.testing.assert_allclose(avg_pool2d(POOL_INPUT, 2), F.avg_pool2d(t, 2)[0].numpy())


@pytest.mark.parametrize("mode,f", [("valid", 3), ("same", 3), ("same", 5), ("same", 2),
                                    ("same", 4)])
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_named_paddings_match_torch(mode, f):
    rng = np.random.default_rng(f)
    x, w = rng.normal(size=(2, 7, 6)), rng.normal(size=(3, 2, f, f))
    np.testing.assert_allclose(conv2d(x, w, padding=mode), torch_conv(x, w, padding=mode),
                               atol=1e-10)


def test_full_padding_grows_the_output_by_f_minus_1():
    x = np.ones((4, 4))
    out = conv2d(x, np.ones((3, 3)), padding="full")
    assert out.shape == (6, 6) and out[0, 0] == 1 and out[2, 2] == 9
    np.testing.assert_array_equal(pad2d(x, "full", 3)[2:-2, 2:-2], x)


def test_clear_errors_for_mismatched_depth_and_bad_padding():
    with pytest.raises(ValueError, match="depth 2 .* 3 channels"):
        conv2d(np.zeros((3, 5, 5)), np.zeros((1, 2, 3, 3)))
    with pytest.raises(GeometryError, match="padding"):
        conv2d(np.zeros((5, 5)), np.zeros((3, 3)), padding="half")
    with pytest.raises(GeometryError, match="padding"):
        pad2d(np.zeros((5, 5)), (1, -1))


def test_uneven_padding_pads_after_like_tensorflow():
    x = np.arange(9.0).reshape(3, 3)
    padded = pad2d(x, "same", 2)
    assert padded.shape == (4, 4) and not padded[-1].any() and not padded[:, -1].any()
    np.testing.assert_array_equal(pad2d(x, (0, 1)), padded)
    np.testing.assert_array_equal(conv2d(x, np.ones((2, 2)), padding="same"),
                                  conv2d(padded, np.ones((2, 2))))


@st.composite
def conv_cases(draw):
    c, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    f = draw(st.integers(1, 4))
    padding = draw(st.integers(0, f - 1))
    h = draw(st.integers(max(1, f - 2 * padding), 9))
    wd = draw(st.integers(max(1, f - 2 * padding), 9))
    stride = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    return c, k, f, padding, h, wd, stride, seed


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.booleans())
def test_conv2d_equals_torch_for_random_shapes_strides_paddings_channels(case, with_bias):
    c, k, f, padding, h, wd, stride, seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(c, h, wd)), rng.normal(size=(k, c, f, f))
    b = rng.normal(size=k) if with_bias else None
    np.testing.assert_allclose(conv2d(x, w, b, stride, padding),
                               torch_conv(x, w, b, stride, padding), atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(0, 10),
       st.integers(0, 10), st.integers(0, 2**16))
def test_pooling_equals_torch_for_random_shapes(c, size, stride, extra_h, extra_w, seed):
    x = np.random.default_rng(seed).normal(size=(c, size + extra_h, size + extra_w))
    t = torch.as_tensor(x)
    np.testing.assert_array_equal(max_pool2d(x, size, stride),
                                  F.max_pool2d(t, size, stride).numpy())
    np.testing.assert_allclose(avg_pool2d(x, size, stride),
                               F.avg_pool2d(t, size, stride).numpy(), atol=1e-12)


def test_single_filter_on_a_volume_gives_one_activation_map():
    """Lecture: a 32x32x3 image with a 5x5x3 filter -> one 28x28 activation map."""
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 32, 32)), rng.normal(size=(3, 5, 5))
    assert conv2d(x, w).shape == (28, 28)
    assert conv2d(x, np.stack([w] * 6)).shape == (6, 28, 28)


RGB = np.random.default_rng(0).random((3, 32, 32))


@pytest.mark.parametrize("call,message", [
    # issue 12: a 2-D kernel on an RGB image once gave a (3, 30, 30) array of wrong numbers
    (lambda: conv2d(RGB, np.ones((3, 3))),
     r"a 2-D 3x3 kernel on a 3-channel input is ambiguous: one filter over all channels needs "
     r"a depth-3 kernel of shape \(3, 3, 3\) .* per channel, loop over the channels .* "
     r"or use a depthwise convolution"),
    (lambda: conv2d(RGB[:2], np.ones((5, 5))), r"2-D 5x5 kernel on a 2-channel input"),
    (lambda: conv2d(RGB.transpose(1, 2, 0), np.ones((3, 3, 3))),
     r"depth 3 but the input has 32 channels.*channels-last .* x.transpose\(2, 0, 1\)"),
    (lambda: conv2d(RGB, np.ones((4, 3, 3))), r"depth 4 .* pass w of shape \(K, 3, F, F\)"),
    (lambda: conv2d(IMAGE, KERNEL, b=[1, 2]), r"one bias per filter: 1 filter\(s\), got 2"),
    (lambda: conv2d(np.ones((1, 1, 5, 5)), KERNEL), r"x must be 2-D \(H, W\) or 3-D"),
    (lambda: conv2d(IMAGE, [1, 2, 3]), r"w must be 2-D \(F, F\), 3-D .* or 4-D"),
    (lambda: conv2d(IMAGE, KERNEL, stride=0), r"the stride S must be a whole number >= 1, got 0"),
    (lambda: max_pool2d(POOL_INPUT, 0), r"the filter size F must be a whole number >= 1, got 0"),
    (lambda: max_pool2d(POOL_INPUT, 2.5), r"filter size F must be a whole number >= 1, got 2.5"),
    (lambda: avg_pool2d(POOL_INPUT, 2, True), r"stride S must be a whole number >= 1, got True"),
    (lambda: avg_pool2d(POOL_INPUT, -2), r"the filter size F must be a whole number >= 1, got -2"),
])
def test_shapes_with_no_single_meaning_are_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def test_a_2d_kernel_is_fine_where_it_has_one_meaning():
    """One channel: the kernel is that channel's filter; the two explicit readings still work."""
    one = RGB[:1]
    assert np.array_equal(conv2d(one, KERNEL), conv2d(one[0], KERNEL))
    full_depth = conv2d(RGB, np.stack([np.array(KERNEL)] * 3))  # one filter over all channels
    assert full_depth.shape == (30, 30)
    assert np.allclose(full_depth, sum(conv2d(c, KERNEL) for c in RGB))
    per_channel = np.stack([conv2d(c, KERNEL) for c in RGB])  # the depthwise reading
    assert np.allclose(per_channel, F.conv2d(torch.tensor(RGB)[None],
                                             torch.tensor(KERNEL, dtype=torch.float64)
                                             .expand(3, 1, 3, 3), groups=3)[0].numpy())
