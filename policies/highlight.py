"""Page images for people: a page with a box around each finding (approval screens), and a
masked copy of a document with the findings blacked out (auto-masking).

Findings may be `policies.screen.Finding` objects or their JSON form (dicts with `page` and
`bbox`), as the gateway stores them. Boxes are in pixels of the screening resolution, so the
document is loaded again the same way (`load_for_screening`) with the same settings.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from PIL import ImageDraw

from policies.ink import bilevel
from policies.screen import Finding, ScreenSettings, load_for_screening

UNMASKED_COLOUR = (220, 0, 0)
MASKED_COLOUR = (0, 90, 200)
_LINE_WIDTH = {False: 5, True: 2}
# Black boxes reach this far past a finding's box: OCR boxes hug the ink, text-layer boxes
# can be a pixel short of anti-aliased edges.
MASK_PAD = 4


def _page_and_box(finding: Finding | Mapping) -> tuple[int, tuple[int, int, int, int] | None, bool]:
    if isinstance(finding, Mapping):
        bbox = finding.get("bbox")
        return int(finding["page"]), (tuple(int(v) for v in bbox) if bbox else None), bool(finding.get("masked"))
    return finding.page, finding.bbox, finding.masked


def highlight_png(data: bytes, findings: Iterable[Finding | Mapping], page: int,
                  settings: ScreenSettings | None = None) -> bytes:
    """PNG of page `page` (1-based) with a thick red box around each unmasked finding and a
    thin blue one around each masked finding. Raises DocumentUnreadable like screening,
    IndexError for a page the document does not have."""
    document = load_for_screening(data, settings)
    if not 1 <= page <= len(document.pages):
        raise IndexError(f"the document has {len(document.pages)} pages, not page {page}")
    image = document.pages[page - 1].image.convert("RGB")
    draw = ImageDraw.Draw(image)
    for finding in findings:
        number, box, masked = _page_and_box(finding)
        if number != page or box is None:
            continue
        pad = _LINE_WIDTH[masked] + 2
        draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad),
                       outline=MASKED_COLOUR if masked else UNMASKED_COLOUR, width=_LINE_WIDTH[masked])
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def auto_mask(data: bytes, findings: Iterable[Finding | Mapping], settings: ScreenSettings | None = None,
              first_page: int = 1) -> bytes:
    """A PDF of the document as the fax would carry it, with a black box burnt into the page
    image over every finding given: black and white images only (CCITT G4), no text layer,
    nothing hidden underneath. Submit it like any document: it is screened and confirmed
    again. Pages before `first_page` are left out (a cover sheet the gateway made itself)."""
    document = load_for_screening(data, settings)
    boxes: dict[int, list[tuple[int, int, int, int]]] = {}
    for finding in findings:
        number, box, _ = _page_and_box(finding)
        if box is not None:
            boxes.setdefault(number, []).append(box)
    pages = []
    for page in document.pages[first_page - 1:]:
        image = page.image.copy()
        draw = ImageDraw.Draw(image)
        for left, top, right, bottom in boxes.get(page.number, ()):
            draw.rectangle((left - MASK_PAD, top - MASK_PAD, right + MASK_PAD, bottom + MASK_PAD), fill=0)
        pages.append(bilevel(image).convert("1"))
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], dpi=document.pages[0].dpi)
    return out.getvalue()
