"""The text layer's 3×3 tolerance is the rank filter's minimum, computed cheaply (issue 18):
the same pixels on every page size, edges included, so no screening verdict can move."""

import pytest
from PIL import Image, ImageFilter

from policies.ink import darkest_around


@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (61, 43), (1728, 2339)])
def test_darkest_around_is_the_3x3_minimum_with_edges_replicated(size):
    page = Image.effect_noise(size, 90).point(lambda v: 0 if v < 90 else (255 if v > 170 else v))
    assert darkest_around(page).tobytes() == page.filter(ImageFilter.MinFilter(3)).tobytes()


def test_a_lone_dark_pixel_grows_to_its_neighbourhood_and_no_further():
    page = Image.new("L", (9, 9), 255)
    page.putpixel((4, 4), 0)
    dark = {(x, y) for x in range(9) for y in range(9) if darkest_around(page).getpixel((x, y)) == 0}
    assert dark == {(x, y) for x in (3, 4, 5) for y in (3, 4, 5)}
