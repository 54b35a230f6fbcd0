"""The text layer's ink check answered cheaply where it can (issue 18): the bounds (the page's
black pixels where the text objects drew nothing, then the same off the ruled lines) are never
below the exact count, so when they answer, the exact count would have answered the same: on
text-only pages, pages with ink beside or over the text, and pages whose extra ink is only
ruled lines (which the exact count leaves out)."""

import random

import pytest
from PIL import Image, ImageDraw

from policies.ink import bilevel
from policies.text_layer import UNCOVERED_INK_PIXELS, accounted_for, unaccounted_ink

SIZE = (600, 800)
_EXTRA = [random.Random(seed).choice(["none", "blob", "over", "rules", "specks"]) for seed in range(40)]


def _pages(seed: int) -> tuple[Image.Image, Image.Image]:
    """(the page as drawn, its text objects alone)."""
    rng = random.Random(seed)
    text = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(text)
    for _ in range(rng.randint(0, 40)):  # "characters": small dark boxes with grey edges
        x, y = rng.randrange(20, 560), rng.randrange(20, 760)
        draw.rectangle((x - 1, y - 1, x + 13, y + 15), fill=180)
        draw.rectangle((x, y, x + 12, y + 14), fill=0)
    page = text.copy()
    draw = ImageDraw.Draw(page)
    extra = _EXTRA[seed]
    if extra == "blob":  # handwriting pasted in beside the text
        x, y = rng.randrange(20, 280), rng.randrange(20, 700)
        for row in range(rng.randint(1, 8)):
            draw.line([(x + 12 * k, y + row * 12 + (6 if k % 2 else 0)) for k in range(25)], fill=0, width=2)
    elif extra == "over":  # an image laid over the text
        x, y = rng.randrange(20, 500), rng.randrange(20, 700)
        draw.rectangle((x, y, x + rng.randint(5, 60), y + rng.randint(5, 40)), fill=0)
    elif extra == "rules":  # a form's ruled lines: not what the check is about
        for _ in range(rng.randint(1, 6)):
            y = rng.randrange(10, 790)
            draw.line((10, y, 590, y), fill=0, width=2)
    elif extra == "specks":
        for _ in range(rng.randint(1, 400)):
            page.putpixel((rng.randrange(SIZE[0]), rng.randrange(SIZE[1])), 0)
    return page, text


@pytest.mark.parametrize("seed", range(40))
def test_the_cheap_answer_is_the_exact_one(seed):
    page, text = _pages(seed)
    exact = unaccounted_ink(page, text, bilevel(page)) <= UNCOVERED_INK_PIXELS
    assert accounted_for(page, text) <= exact  # it answers only where the exact count agrees
    assert accounted_for(page, text, bilevel(page)) == accounted_for(page, text)


def test_the_bounds_answer_the_pages_they_are_for():
    """Text alone, or text and ruled lines only: answered without the exact count."""
    answered = {_EXTRA[seed]: accounted_for(*_pages(seed)) for seed in range(40) if _EXTRA[seed] in ("none", "rules")}
    assert set(answered) == {"none", "rules"} and all(answered.values())


def test_ink_beside_the_text_is_seen_and_text_alone_is_not():
    text = Image.new("L", SIZE, 255)
    ImageDraw.Draw(text).rectangle((50, 50, 62, 64), fill=0)
    assert accounted_for(text, text)
    page = text.copy()
    draw = ImageDraw.Draw(page)
    for row in range(6):  # handwriting pasted in: short strokes, neither ruled lines nor a solid bar
        y = 200 + row * 30
        draw.line([(200 + 12 * k, y + (8 if k % 2 else 0)) for k in range(25)], fill=0, width=2)
    assert unaccounted_ink(page, text, bilevel(page)) > UNCOVERED_INK_PIXELS
    assert not accounted_for(page, text)
