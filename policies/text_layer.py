"""Whether a page's PDF text layer can be trusted to say what the page shows.

A text layer can be absent (a scan), garbled (a font without a usable ToUnicode map gives
private-use or replacement characters), or incomplete: a form printed as text with the
applicant's details pasted in as an image, a scan with a partial OCR layer. The first two
are seen in the text; the third by painting every text-layer character's box white, and
ruled lines and solid bars too, and looking for ink that is left.
"""

from __future__ import annotations

import unicodedata

from PIL import Image, ImageDraw

from policies.ink import bilevel, rules_mask, solid_mask
from policies.layout import Box

# More ink than this outside the text layer's boxes (about five characters of 10 pt text at
# fine resolution) means something on the page is not in the text layer.
UNCOVERED_INK_PIXELS = 1000
GARBLED_SHARE = 0.1
_BOX_PAD = 3


def garbled(text: str) -> bool:
    letters = [c for c in text if not c.isspace()]
    if not letters:
        return False
    bad = sum(1 for c in letters if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cn"))
    return bad / len(letters) > GARBLED_SHARE


def uncovered_ink(image: Image.Image, boxes: list[Box]) -> int:
    """Black pixels on the page outside the text layer's character boxes, ruled lines and
    solid areas."""
    bw = bilevel(image)
    residue = bw.copy()
    draw = ImageDraw.Draw(residue)
    for left, top, right, bottom in boxes:
        draw.rectangle((left - _BOX_PAD, top - _BOX_PAD, right + _BOX_PAD, bottom + _BOX_PAD), fill=255)
    residue.paste(255, mask=rules_mask(bw))
    residue.paste(255, mask=solid_mask(image))
    return residue.histogram()[0]
