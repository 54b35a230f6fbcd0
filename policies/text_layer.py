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


def accounted_for(image: Image.Image, text_image: Image.Image, bw: Image.Image | None = None) -> bool:
    """Whether bounds at a fraction of the exact count's cost show that at most
    UNCOVERED_INK_PIXELS of the page's ink is not the text layer's: the page's black pixels
    where the text objects (`text_image`, grey or bilevel) drew nothing at all include every
    pixel unaccounted_ink counts, so when they are few, so is what it counts; on a form, the
    same pixels off its ruled lines (which unaccounted_ink leaves out too). False says only
    that the exact count is needed. Run in the parser child, where both renderings are."""
    bw = bilevel(image) if bw is None else bw
    blank = text_image if text_image.mode == "1" else bilevel(text_image)  # nonzero where the text drew nothing
    if bw.histogram(mask=blank)[0] <= UNCOVERED_INK_PIXELS:
        return True
    return ImageChops.lighter(bw, rules_mask(bw)).histogram(mask=blank)[0] <= UNCOVERED_INK_PIXELS


def unaccounted_ink(image: Image.Image, text_image: Image.Image | None, bw: Image.Image | None = None) -> int:
    """Black pixels on the page that its text objects did not draw (`text_image`, the page
    rendered from them alone: policies.documents.render_pdf), leaving out ruled lines and solid areas. Ink
    inside a character's box counts as much as ink beside it: an image laid over the text
    layer shows what the text layer does not say. `bw`: the page bilevel, when already made."""
    bw = bilevel(image) if bw is None else bw
    if text_image is None:
        residue = bw.copy()
    else:
        drawn = darkest_around(text_image.convert("L"))  # anti-aliased edges: a 3×3 tolerance
        residue = ImageChops.lighter(bw, ImageChops.invert(drawn))
    residue.paste(255, mask=rules_mask(bw))
    residue.paste(255, mask=solid_mask(image))
    return residue.histogram()[0]
