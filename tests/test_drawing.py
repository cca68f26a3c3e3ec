"""course_utils.byhand.canvas_to_mnist.to_mnist makes a drawing into a digit as MNIST's digits were
made.

What MNIST's digits look like is measured here on the real data, not assumed: the longer side of
the ink's bounding box is 20 pixels and the centre of mass lies within half a pixel of pixel
(14, 14).
"""


import numpy as np
import pytest
from _mnist import needs_mnist

from course_utils.byhand.canvas_to_mnist import (
    BLANK,
    BOX,
    CENTRE,
    SIZE,
    centre_of_mass,
    fit_box,
    ink_box,
    place_by_mass,
    to_mnist,
)


def bounding_box(image: np.ndarray, level: float = 0.0) -> tuple[int, int]:
    """(height, width) of the pixels above `level`."""
    rows, cols = np.flatnonzero((image > level).any(1)), np.flatnonzero((image > level).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def stroke(canvas: np.ndarray, points, width: float) -> np.ndarray:
    """Draw a polyline of the given width (a pen, as in the browser) onto `canvas` (in place)."""
    rows, cols = np.indices(canvas.shape) + 0.5
    for (r0, c0), (r1, c1) in zip(points, points[1:], strict=False):
        d = np.array([r1 - r0, c1 - c0], dtype=float)
        t = np.clip(((rows - r0) * d[0] + (cols - c0) * d[1]) / max(d @ d, 1e-9), 0, 1)
        distance = np.hypot(rows - (r0 + t * d[0]), cols - (c0 + t * d[1]))
        canvas[distance <= width / 2] = 1.0
    return canvas


@pytest.fixture(scope="module")
def mnist_test_images():
    from course_utils.training.mnist import load_mnist

    return load_mnist(train=False)[0].numpy().astype(np.float64) / 255.0


# --- what MNIST shows -------------------------------------------------------------------------

@needs_mnist
def test_mnist_digits_fill_a_20_pixel_box_and_centre_their_mass_on_pixel_14(mnist_test_images):
    images = mnist_test_images
    longer = np.array([max(bounding_box(image)) for image in images])
    assert np.mean(longer == BOX) > 0.999  # measured: 9,997 of 10,000; 3 have 19
    assert longer.max() == BOX
    mass = np.array([centre_of_mass(image) for image in images])
    assert np.abs(mass - CENTRE).max() <= 0.5 + 1e-6  # measured: 13.50 to 14.50
    assert abs(mass.mean() - CENTRE) < 0.05  # measured 13.99 (rows), 14.01 (columns)
    assert abs(mass.mean() - 13.5) > 0.4  # not the geometric centre: whole-pixel shifts


@needs_mnist
def test_an_mnist_digit_drawn_large_comes_back_as_itself(mnist_test_images):
    """A real digit scaled up 10x (a 280x280 "drawing") goes back through the recipe to the
    same 28x28 image: the recipe is MNIST's. Measured on these 500: 498 correlate above 0.95
    (the rest lose faint edge pixels below INK from their bounding box)."""
    images = mnist_test_images[:500]
    correlations = np.array([
        np.corrcoef(to_mnist(np.kron(image, np.ones((10, 10)))).ravel(), image.ravel())[0, 1]
        for image in images])
    assert np.mean(correlations > 0.95) >= 0.99
    assert np.median(correlations) > 0.999


# --- the recipe on drawings -------------------------------------------------------------------

def test_a_stroke_lands_centred_like_an_mnist_digit():
    canvas = np.zeros((280, 280))
    stroke(canvas, [(30, 40), (60, 120), (200, 110)], width=18)  # off-centre, top left
    image = to_mnist(canvas)
    assert image.shape == (SIZE, SIZE) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert max(bounding_box(image)) == BOX
    row, col = centre_of_mass(image)
    assert abs(row - CENTRE) <= 0.5 + 1e-6 and abs(col - CENTRE) <= 0.5 + 1e-6


def test_the_same_stroke_anywhere_on_the_canvas_gives_the_same_digit():
    here = stroke(np.zeros((280, 280)), [(20, 20), (120, 60)], width=16)
    there = stroke(np.zeros((280, 280)), [(150, 170), (250, 210)], width=16)
    np.testing.assert_allclose(to_mnist(here), to_mnist(there), atol=1e-6)


def test_a_tall_one_stays_tall_and_is_not_stretched_to_20_wide():
    canvas = stroke(np.zeros((280, 280)), [(40, 140), (240, 140)], width=20)  # 220 x 20
    image = to_mnist(canvas)
    height, width = bounding_box(image)
    assert height == BOX
    assert width <= 3  # 20 wide on 220 tall is 1.8 of 20; stretched it would be 20
    assert abs(centre_of_mass(image)[1] - CENTRE) <= 0.5 + 1e-6


def test_a_wide_stroke_keeps_its_aspect_ratio_too():
    canvas = np.zeros((100, 200))
    canvas[40:60, 20:180] = 1.0  # 20 x 160: aspect 1/8
    assert bounding_box(to_mnist(canvas)) == (3, BOX)  # 20 * 20/160 = 2.5 -> 3 (rounded)


def test_fit_box_anti_aliases_instead_of_dropping_pixels():
    digit = np.zeros((40, 40))
    digit[:, 19:21] = 1.0  # a 2-pixel line on 40 -> 1 pixel on 20, or grey across two
    small = fit_box(digit)
    assert small.shape == (BOX, BOX)
    assert np.isclose(small.sum(), digit.sum() / 4)  # area averaging keeps the ink
    assert 0 < small.max() <= 1


def test_uint8_and_float_canvases_agree():
    canvas = stroke(np.zeros((140, 140)), [(20, 30), (110, 90)], width=10)
    np.testing.assert_allclose(to_mnist((canvas * 255).astype(np.uint8)), to_mnist(canvas),
                               atol=1e-6)


def test_a_lopsided_digit_is_kept_whole():
    digit = np.zeros((20, 20))
    digit[:, 0] = 1.0
    digit[0, :] = 0.05  # a faint arm to the right: the mass sits at the far left
    image = place_by_mass(digit)
    assert np.isclose(image.sum(), digit.sum())  # nothing cut off at the frame


# --- blank and near-blank ---------------------------------------------------------------------

@pytest.mark.parametrize("canvas", [
    np.zeros((56, 56)),
    np.full((56, 56), 0.05),  # paper a shade off white: below INK
    np.zeros((56, 56), dtype=np.uint8),
], ids=["empty", "faint", "uint8-empty"])
def test_a_blank_canvas_gives_no_digit(canvas):
    assert ink_box(canvas) is None
    assert to_mnist(canvas) is None


def test_a_stray_click_is_not_a_digit_but_a_short_stroke_is():
    dot = np.zeros((56, 56))
    dot[30:33, 30:33] = 1.0
    assert to_mnist(dot) is None
    line = np.zeros((56, 56))
    line[10:46, 27:30] = 1.0  # a "1": narrow but tall
    assert to_mnist(line) is not None


def test_blank_says_to_draw_a_digit():
    assert BLANK.startswith("draw a digit")
    assert len(BLANK) < 110  # one line, whole in a static render


def test_a_canvas_must_be_2d():
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((28, 28, 3)))
