"""policies.ink.dark_fractions, which the hidden-text check uses for every character of a
text layer, gives exactly what dark_fraction gives box by box (issue 18: one crop per line)."""

import random

import pytest
from PIL import Image, ImageDraw

from policies.ink import bilevel, dark_fraction, dark_fractions


def _boxes(rng: random.Random, width: int, height: int, count: int) -> list[tuple[float, float, float, float]]:
    """Boxes anywhere (some off the image, some empty or inverted), half of them sharing the
    previous box's top and bottom, as the characters of a line do."""
    boxes = []
    for _ in range(count):
        top = rng.uniform(-5, height)
        bottom = top + rng.uniform(-2, 40)
        if boxes and rng.random() < 0.5:
            top, bottom = boxes[-1][1], boxes[-1][3]
        left = rng.uniform(-5, width)
        boxes.append((left, top, left + rng.uniform(-2, 60), bottom))
    return boxes


@pytest.mark.parametrize("seed", range(12))
def test_the_same_shares_as_box_by_box_on_noise_bilevel_or_grey(seed):
    rng = random.Random(seed)
    width, height = rng.randint(5, 900), rng.randint(5, 300)
    grey = Image.effect_noise((width, height), rng.choice([30, 80, 150]))
    page = bilevel(grey)
    boxes = _boxes(rng, width, height, 300)
    for inset in (0, 1, 2):
        expected = [dark_fraction(page, box, inset) for box in boxes]
        assert dark_fractions(page, boxes, inset) == expected
        assert dark_fractions(grey, boxes, inset) == expected  # the grey page, as the fax carries it


def test_a_masking_bar_and_a_blank_over_a_line_of_a_fax_page_width():
    page = Image.new("L", (1728, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((400, 50, 700, 90), fill=0)  # a bar over five characters
    for x in range(100, 400, 60):
        draw.text((x, 55), "A", fill=0)
    boxes = [(x, 50.0, x + 60.0, 90.0) for x in range(100, 1600, 60)]
    shares = dark_fractions(bilevel(page), boxes)
    assert shares == [dark_fraction(bilevel(page), box) for box in boxes]
    assert [share >= 0.8 for share in shares[5:10]] == [True] * 5 and max(shares[11:]) == 0.0
