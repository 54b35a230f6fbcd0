"""The document opens within the limits (size, pages, pixels, time) in its isolated parser: a
document that cannot be read with confidence is held, never sent."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule
from policies.documents.model import CODES, DocumentUnreadable

_REMAKE_JA = "元の文書から作り直し（PDFまたはTIFF、パスワードなし）、送り直してください。"
_REMAKE_EN = "Make the document again from the original (PDF or TIFF, no password) and send it again."
_SUMMARIES = {
    "not_pdf_or_tiff": ("PDFでもTIFFでもない添付ファイル", "attachment neither PDF nor TIFF"),
    "encrypted": ("パスワード付きの文書", "password-protected document"),
    "too_many_pages": ("ページ数が上限を超える文書", "too many pages"),
    "too_many_pixels": ("大きすぎるページ", "page too large"),
    "broken": ("壊れた文書", "broken document"),
    "timeout": ("読み込みに時間がかかりすぎる文書", "document took too long to read"),
    "crashed": ("読み込めなかった文書", "document could not be read"),
}
DOCUMENT_CODES = tuple(Code(f"document_{code}", *_SUMMARIES[code], _REMAKE_JA, _REMAKE_EN) for code in CODES)


def check(subject, tools) -> Hit | None:
    try:
        subject.document = tools.load_document(subject.document_bytes)
    except DocumentUnreadable as exc:
        return Hit(f"document_{exc.code}", exc.message_ja, exc.message_en)
    subject.pages = len(subject.document.pages)
    return None


RULE = Rule("document_readable", check, "hold", DOCUMENT_CODES, about_content=True)
