"""A page that could not be read with confidence is not clean: a person looks at it."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule
from gateway.core.screening.rules.document_readable import DOCUMENT_CODES
from policies.screen import HOLD_CODES

_SUMMARIES = {
    "ocr_unavailable": ("OCRが使えない", "OCR not available"),
    "ocr_failed": ("OCRが失敗したページ", "OCR failed on a page"),
    "ocr_timeout": ("OCRに時間がかかりすぎたページ", "OCR took too long"),
    "ocr_low_confidence": ("読み取りの確かさが足りないページ", "page read without confidence"),
    "time_limit": ("点検に時間がかかりすぎた文書", "screening took too long"),
}
_ADVICE = {
    "ocr_unavailable": ("管理者に連絡してください（OCRの設定を確認します）。",
                        "Tell an administrator (the OCR set-up needs checking)."),
}
_RESCAN_JA = "原稿をまっすぐ、濃くはっきりとスキャンし直すか、文字情報のあるPDFで送り直してください。"
_RESCAN_EN = "Scan the original again straight, dark and sharp, or send a PDF with a text layer."
HOLD = tuple(Code(code, *_SUMMARIES[code], *_ADVICE.get(code, (_RESCAN_JA, _RESCAN_EN))) for code in HOLD_CODES)


def check(subject, tools) -> Hit | None:
    if subject.screened is None:
        return None
    hold = subject.screened.hold if subject.screened.verdict == "hold" else None
    if hold:
        return Hit(hold.code, hold.message_ja, hold.message_en)
    return None


# A hold may also name why a page would not load (a policies.documents.model code, without the document_
# prefix document_readable gives): those share their advice with document_readable's.
PAGE_CODES = tuple(Code(c.code.removeprefix("document_"), c.summary_ja, c.summary_en, c.advice_ja, c.advice_en)
                   for c in DOCUMENT_CODES)
RULE = Rule("pages_legible", check, "hold", HOLD + PAGE_CODES, about_content=True)
