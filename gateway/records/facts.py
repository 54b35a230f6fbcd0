"""The facts a transmission record states: the job, its destination, its document, each confirmation, the
screening and the relay result, as plain data (also embedded in the signed PDF as `record.json`)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, fields

from PIL import Image, ImageDraw

THUMBNAIL_WIDTH = 360  # px: the page is recognisable in the record; details stay in the job's bytes


@dataclass(frozen=True)
class ConfirmationFact:
    user: str
    role: str  # submitter | approver
    at: dt.datetime
    entered: str  # the number as the person re-entered it
    matched: bool


@dataclass(frozen=True)
class TransmissionFacts:
    job_id: str
    state: str
    submitter: str
    department: str
    device: str
    received_at: dt.datetime
    ended_at: dt.datetime
    requested: str  # the recipient address as submitted
    destination_name: str
    destination_organization: str
    entry_slot: int | None
    entry_version: int | None
    e164: str | None
    dial_string: str | None
    content_sha256: str
    filename: str
    size: int
    pages: int | None
    findings: tuple[dict, ...] = ()
    rules: tuple[dict, ...] = ()  # {"run", "rule", "outcome", "code", "reason"}
    reasons: tuple[dict, ...] = ()  # {"rule", "code", "action", "message_ja", ...}
    confirmations: tuple[ConfirmationFact, ...] = ()
    relay_result: str | None = None
    attempts: int = 0
    received_sha256: str | None = None  # the document as submitted, when faxgate prepended its cover sheet
    route: str = "fax"  # fax | inbox: delivered to an in-house section's inbox (庁内便), never faxed
    thumbnails: tuple[Image.Image, ...] = field(default=(), compare=False)  # square pixels: see thumbnail()


    def to_json(self) -> dict:
        """Everything but the thumbnails (which asdict would deep-copy), as plain JSON values."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "thumbnails"}
        data["confirmations"] = [asdict(c) for c in self.confirmations]
        data["kind"] = "faxgate.transmission-record/1"
        return json.loads(json.dumps(data, default=iso_default, ensure_ascii=False))


def iso_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


SCREENING_DPI = (204, 196)  # findings' boxes are in page pixels at this resolution (fine)
MASK_PAD_MM = 1.5  # around each box: a glyph's edge must not show beside it


def masked(image: Image.Image, dpi: tuple[int, int], boxes: list) -> Image.Image:
    """The page with every box (a finding's bbox, at SCREENING_DPI) filled black: the record's
    thumbnail then shows where personal data was, never the data."""
    if not boxes:
        return image
    sx, sy = dpi[0] / SCREENING_DPI[0], dpi[1] / SCREENING_DPI[1]
    pad_x, pad_y = MASK_PAD_MM * dpi[0] / 25.4, MASK_PAD_MM * dpi[1] / 25.4
    image = image.convert("L")  # a copy, whatever the mode it came in
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in boxes:
        draw.rectangle([left * sx - pad_x, top * sy - pad_y, right * sx + pad_x, bottom * sy + pad_y], fill=0)
    return image


def thumbnail(image: Image.Image, dpi: tuple[int, int] = (204, 196)) -> Image.Image:
    """A page image (as policies.documents.load renders it, `dpi` = page.dpi) made small with square
    pixels: standard-resolution pages are half as tall in pixels as they are on paper."""
    height = round(image.height * dpi[0] / dpi[1] * THUMBNAIL_WIDTH / image.width)
    return image.convert("L").resize((THUMBNAIL_WIDTH, max(1, height)), Image.Resampling.BOX)
