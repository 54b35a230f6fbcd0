"""Whether a page's PDF text layer can be trusted to say what the page shows.

A text layer can be absent (a scan), garbled (a font without a usable ToUnicode map gives
private-use or replacement characters), or incomplete: a form printed as text with the
applicant's details pasted in as an image, a scan with a partial OCR layer. The first two
are seen in the text; the third by comparing the page with the page drawn from its text
objects alone, ruled lines and solid bars left out, and looking for ink that is left.
"""

from __future__ import annotations

import unicodedata

from PIL import Image, ImageChops

from policies.ink import bilevel, darkest_around, rules_mask, solid_mask

# More ink than this outside the text layer's boxes (about five characters of 10 pt text at
# fine resolution) means something on the page is not in the text layer.
UNCOVERED_INK_PIXELS = 1000
GARBLED_SHARE = 0.1


def garbled(text: str) -> bool:
    letters = [c for c in text if not c.isspace()]
    if not letters:
        return False
    bad = sum(1 for c in letters if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cn"))
    return bad / len(letters) > GARBLED_SHARE


def ink_beyond_text(image: Image.Image, text_image: Image.Image | None, bw: Image.Image) -> bool:
    """Whether more than UNCOVERED_INK_PIXELS of the page's ink is not the text layer's (see
    unaccounted_ink), `bw` being the page bilevel. Most pages are answered by a bound at a
    fraction of the cost: the page's black pixels where the text objects drew nothing at all
    include every pixel unaccounted_ink counts, so when they are few, so is what it counts;
    on a form, the same pixels off its ruled lines (which unaccounted_ink leaves out too)."""
    if text_image is None:
        return unaccounted_ink(image, None, bw) > UNCOVERED_INK_PIXELS
    if bw.histogram(mask=text_image)[0] <= UNCOVERED_INK_PIXELS:  # black where the text objects left the page white
        return False
    rules = rules_mask(bw)
    if ImageChops.lighter(bw, rules).histogram(mask=text_image)[0] <= UNCOVERED_INK_PIXELS:
        return False
    return unaccounted_ink(image, text_image, bw, rules) > UNCOVERED_INK_PIXELS


def unaccounted_ink(image: Image.Image, text_image: Image.Image | None, bw: Image.Image | None = None,
                    rules: Image.Image | None = None) -> int:
    """Black pixels on the page that its text objects did not draw (`text_image`, the page
    rendered from them alone: policies.documents.render_pdf), leaving out ruled lines and solid areas. Ink
    inside a character's box counts as much as ink beside it: an image laid over the text
    layer shows what the text layer does not say. `bw`: the page bilevel, `rules`: its
    rules_mask, when already made."""
    bw = bilevel(image) if bw is None else bw
    if text_image is None:
        residue = bw.copy()
    else:
        drawn = darkest_around(text_image.convert("L"))  # anti-aliased edges: a 3×3 tolerance
        residue = ImageChops.lighter(bw, ImageChops.invert(drawn))
    residue.paste(255, mask=rules_mask(bw) if rules is None else rules)
    residue.paste(255, mask=solid_mask(image))
    return residue.histogram()[0]
