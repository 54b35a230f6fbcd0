"""A submitted cover sheet that names another fax number than the one dialled blocks (Minato City
2022: a number copied from an old form). The first page is read as the screening read it: its
text layer, or the OCR of a scan or fax TIFF (no second OCR)."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

COVER_NUMBER_MISMATCH = Code(
    "cover_number_mismatch", "送付票の番号が宛先と違う", "number on the cover sheet differs from the destination",
    "送付票の番号と送信先のどちらが正しいかを確かめ、正しい宛先で送り直してください。",
    "Check whether the cover sheet or the destination is right, and send again to the right one.")


def check(subject, tools) -> Hit | None:
    if subject.screened is None or not subject.screened.readings or not subject.e164:
        return None
    reading = subject.screened.readings[0]
    cover = subject.cover_check = tools.check_cover(reading.text, subject.e164, dial_string=subject.dial_string,
                                                    confident=reading.confident)
    if cover.status == "mismatch":
        return Hit(COVER_NUMBER_MISMATCH.code, cover.message_ja, cover.message_en)
    return None


RULE = Rule("cover_sheet_number", check, "block", (COVER_NUMBER_MISMATCH,), about_content=True)
