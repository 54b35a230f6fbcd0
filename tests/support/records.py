"""A transmission record's facts as a sent job has them (real pages, thumbnails, two
confirmations), and the text a record PDF shows."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import pypdfium2 as pdfium

from gateway.records.facts import ConfirmationFact, TransmissionFacts, thumbnail
from policies.documents.load import load_document
from tests.support import docgen

NOW = dt.datetime.now(dt.timezone.utc)


@functools.lru_cache(maxsize=4)
def sample_document(pages: int) -> bytes:
    """One document per page count (PDFium stamps each file with its creation time)."""
    return docgen.text_pdf([[(20, 25, f"申請書 {n + 1}ページ", 16), (20, 45, "氏名 山田 太郎", 12)] for n in range(pages)])


def sample_facts(pages: int = 3) -> TransmissionFacts:
    document = sample_document(pages)
    loaded = load_document(document, resolution="standard")
    return TransmissionFacts(
        job_id="20250115-0a1b2c3d4e5f", state="sent", submitter="sato@city.example.jp", department="保健福祉課",
        device="mfd-3f", received_at=NOW - dt.timedelta(minutes=20), ended_at=NOW, requested="FAX=+81354321111@fax.example.jp",
        destination_name="子ども家庭支援係", destination_organization="世田谷区", entry_slot=1, entry_version=2,
        e164="+81354321111", dial_string="0-03-5432-1111", content_sha256=hashlib.sha256(document).hexdigest(),
        filename="申請書.pdf", size=len(document), pages=pages,
        findings=({"page": 1, "category": "氏名", "sensitive": False, "masked": True, "text": "山田 **", "bbox": None,
                   "source": "text"},),
        rules=({"run": 1, "rule": "destination_dialable", "outcome": "pass", "code": None, "reason": ""},
               {"run": 1, "rule": "personal_data", "outcome": "pass", "code": None, "reason": ""}),
        confirmations=(ConfirmationFact("sato", "submitter", NOW - dt.timedelta(minutes=10), "0354321111", True),
                       ConfirmationFact("suzuki", "approver", NOW - dt.timedelta(minutes=5), "03-5432-1111", True)),
        relay_result="250 2.0.0 Ok: queued as 4Xy", attempts=1,
        thumbnails=tuple(thumbnail(page.image, page.dpi) for page in loaded.pages),
    )


def text_of(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
