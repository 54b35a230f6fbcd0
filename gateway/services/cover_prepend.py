"""faxgate's own cover sheet (送付票) in front of a fax, when the policy asks for it
(`[coversheet] prepend`, see gateway.core.screening.rules.cover_sheet_prepend).

The sheet is drawn from the directory entry and the job (gateway.core.coversheet: destination,
its number in large type, sender, page count including the sheet, date, job id and the
verification code of the document as submitted) and joined to the submitted bytes by
policies.documents.prepend: a PDF gets the sheet as its first page, a fax TIFF a first page rendered at
fine fax resolution. The joined file becomes the job's document before the personal-data
screening and the confirmations, so the bytes people confirm are the bytes relayed; the
message as received stays untouched in JobBlob.message.
"""

from __future__ import annotations

import hashlib

from PIL import Image

from gateway.services.cover_sheet import CoverSheet, render_cover_sheet
from gateway.records.config import CoverSheetConfig
from gateway.core.screening import Subject
from policies.documents.load import load_document
from policies.documents.model import PageLimits
from policies.documents.prepend import prepend_pdf_page, prepend_tiff_page

def cover_sheet(subject: Subject) -> CoverSheet:
    """The sheet for a screened subject (destination and entry established, document loaded)."""
    entry = subject.entry
    return CoverSheet(
        job_id=subject.job_id, destination_e164=subject.e164, dial_string=subject.dial_string,
        destination_name=entry.name if entry else "", destination_organization=entry.organization if entry else "",
        sender_department=subject.sender_department, sender_name="", sender_contact=subject.sender_contact,
        document_pages=len(subject.document.pages), content_sha256=hashlib.sha256(subject.document_bytes).hexdigest(),
        date=subject.today,
    )


def outgoing_document(subject: Subject, template: CoverSheetConfig, limits: PageLimits) -> bytes:
    """The submitted document with faxgate's cover sheet as page 1. Raises DocumentUnreadable."""
    pdf = render_cover_sheet(cover_sheet(subject), template)
    if subject.document.kind == "pdf":
        return prepend_pdf_page(subject.document_bytes, pdf, limits)
    page = load_document(pdf, limits, "fine").pages[0]
    image = _widened(page.bilevel(), subject.document.pages[0].width)
    return prepend_tiff_page(subject.document_bytes, image, page.dpi)


def _widened(page: Image.Image, width: int) -> Image.Image:
    """The sheet as wide as the fax's first page when that is wider (1728 dots is the fax
    norm, A4 at 204 dpi is 1687): centred, white either side."""
    if width <= page.width:
        return page
    wide = Image.new("1", (width, page.height), 1)
    wide.paste(page, ((width - page.width) // 2, 0))
    return wide
