"""The ink check's second bound, for forms (issue 18): the page's black pixels where the text
objects drew nothing, off its ruled lines, is never below the exact count either, so a form's
page is answered without the exact count when its only other ink is its rules, and exactly
when something is written or pasted beside them."""

import random

import pytest
from PIL import Image, ImageDraw

from policies.ink import bilevel
from policies.text_layer import UNCOVERED_INK_PIXELS, accounted_for, unaccounted_ink

SIZE = (600, 800)
_EXTRA = [random.Random(seed).choice(["none", "writing", "stamp", "specks", "short strokes"]) for seed in range(60)]


def _form(seed: int) -> tuple[Image.Image, Image.Image]:
    """(a form's page as drawn: text, a table's rules and maybe more; its text objects alone)."""
    rng = random.Random(seed)
    text = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(text)
    for _ in range(rng.randint(5, 40)):
        x, y = rng.randrange(20, 560), rng.randrange(20, 760)
        draw.rectangle((x, y, x + 12, y + 14), fill=0)
    page = text.copy()
    draw = ImageDraw.Draw(page)
    for _ in range(rng.randint(2, 10)):  # the table: long rules both ways
        if rng.random() < 0.5:
            y = rng.randrange(10, 790)
            draw.line((10, y, 590, y), fill=0, width=rng.choice([1, 2, 3]))
        else:
            x = rng.randrange(10, 590)
            draw.line((x, 10, x, 790), fill=0, width=rng.choice([1, 2, 3]))
    extra = _EXTRA[seed]
    if extra == "writing":  # filled in by hand over the form
        x, y = rng.randrange(20, 280), rng.randrange(20, 700)
        for row in range(rng.randint(1, 8)):
            draw.line([(x + 12 * k, y + row * 12 + (6 if k % 2 else 0)) for k in range(25)], fill=0, width=2)
    elif extra == "stamp":  # a solid seal
        x, y = rng.randrange(20, 500), rng.randrange(20, 700)
        draw.ellipse((x, y, x + 60, y + 60), fill=0)
    elif extra == "specks":
        for _ in range(rng.randint(1, 1500)):
            page.putpixel((rng.randrange(SIZE[0]), rng.randrange(SIZE[1])), 0)
    elif extra == "short strokes":  # shorter than a rule: a digit drawn as lines
        for _ in range(rng.randint(1, 60)):
            x, y = rng.randrange(20, 560), rng.randrange(20, 760)
            draw.line((x, y, x + rng.randint(5, 60), y), fill=0, width=2)
    return page, text.point(lambda v: 0 if v < 128 else 255).convert("1")  # as the parser hands it over


@pytest.mark.parametrize("seed", range(60))
def test_the_answer_on_a_form_is_the_exact_one(seed):
    page, text = _form(seed)
    bw = bilevel(page)
    exact = unaccounted_ink(page, text, bw) <= UNCOVERED_INK_PIXELS
    assert accounted_for(page, text, bw) <= exact  # it answers only where the exact count agrees
    if _EXTRA[seed] == "none":
        assert accounted_for(page, text, bw)  # a form's rules alone never need the exact count


def test_both_answers_occur():
    answers = set()
    for seed in range(60):
        page, text = _form(seed)
        answers.add(accounted_for(page, text))
    assert answers == {True, False}
