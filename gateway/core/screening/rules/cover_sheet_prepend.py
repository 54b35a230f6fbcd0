"""faxgate's cover sheet as page 1 when the policy asks (countermeasure 4), before the pages are
confirmed: from here on the combined file is the job's document, the one bound into every
confirmation and relayed. A destination without an outside number (an extension only) gets
none: the sheet exists to show that number.

A link of the chain, not a check: it needs what cover_sheet_number read of the submitted first
page (`when_missing`), and it runs before pages_legible so that every hold and finding names the
pages of the document as sent."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Note, Rule
from policies.documents.model import DocumentUnreadable

COVER_SHEET_FAILED = Code(
    "cover_sheet_failed", "送付票を付けられない", "cover sheet could not be added",
    "管理者に連絡してください。文書を作り直して送り直すと解決することがあります。",
    "Tell an administrator. Making the document again and resending it may help.")


def cover_wanted(mode: str, check) -> bool:
    """Whether the policy's `[coversheet] prepend` asks for faxgate's cover sheet: "when_missing"
    unless the submitted first page is a cover sheet naming the number dialled."""
    return mode == "always" or (mode == "when_missing" and getattr(check, "status", None) != "match")


def check(subject, tools) -> Hit | Note | None:
    if tools.prepend_cover is None or not subject.e164 or subject.document is None \
            or not cover_wanted(tools.policy.cover_prepend, subject.cover_check):
        return None
    submitted = len(subject.document.pages)
    try:
        combined = tools.prepend_cover(subject)
        document = tools.load_document(combined)
    except DocumentUnreadable as exc:
        return Hit(COVER_SHEET_FAILED.code, f"faxgate の送付票を文書の前に付けられませんでした。{exc.message_ja}",
                   f"faxgate's cover sheet could not be put in front of the document: {exc.message_en}")
    if len(document.pages) != submitted + 1:
        return Hit(COVER_SHEET_FAILED.code, "送付票を付けた文書のページ数が合いません。管理者に連絡してください。",
                   f"the document with the cover sheet has {len(document.pages)} pages, not {submitted + 1}")
    subject.document_bytes, subject.document, subject.pages = combined, document, len(document.pages)
    subject.cover_generated = True
    if subject.screened is not None:  # findings and holds name pages of the document as sent
        subject.screened = subject.screened.renumbered(1)
        subject.findings = [finding.to_json() for finding in subject.screened.findings]
    return Note("cover_sheet_generated",
                f"faxgate の送付票を1ページ目に付けました（送付票を含めて{len(document.pages)}枚）")


RULE = Rule("cover_sheet_prepend", check, "hold", (COVER_SHEET_FAILED,))
