"""A cover sheet whose destination number could not be read with confidence is not taken to
match: a person looks at it."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

COVER_NUMBER_UNREADABLE = Code(
    "cover_number_unreadable", "送付票の番号が読み取れない", "number on the cover sheet cannot be read",
    "送付票の番号をはっきり印字し（手書きなら大きく）、送り直してください。",
    "Print the number on the cover sheet clearly (large, if handwritten) and send again.")


def check(subject, tools) -> Hit | None:
    cover = subject.cover_check
    if cover is not None and cover.status == "number_unreadable":
        return Hit(COVER_NUMBER_UNREADABLE.code, cover.message_ja, cover.message_en)
    return None


RULE = Rule("cover_sheet_legible", check, "hold", (COVER_NUMBER_UNREADABLE,), about_content=True)
