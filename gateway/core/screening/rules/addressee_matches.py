"""The addressee printed on the first page (cover sheet or letter) is the entry's organisation: a
mis-pressed speed dial sends 株式会社△△'s papers to a sister section, and the blind re-entry
cannot see it (the second person types the entry's number)."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

ADDRESSEE_MISMATCH = Code(
    "addressee_mismatch", "宛名が宛先と違う", "addressee differs from the destination",
    "短縮番号の押し間違いがないかを確かめ、文書の宛名と同じ宛先を選んで送り直してください。",
    "Check for a mis-pressed speed dial, and send again to the destination the document is addressed to.")


def check(subject, tools) -> Hit | None:
    if tools.check_addressee is None or subject.screened is None or not subject.screened.readings \
            or subject.entry is None:
        return None
    reading = subject.screened.readings[0]
    found = tools.check_addressee(reading.sure_text, subject.entry.name, subject.entry.organization,
                                  confident=reading.confident)
    if found is None:
        return None
    entry = "　".join(p for p in (subject.entry.organization, subject.entry.name) if p)
    return Hit(ADDRESSEE_MISMATCH.code,
               f"文書の宛名「{found}」が、送信先の宛先表の登録 {subject.entry.slot}（{entry}）と一致しません。"
               "短縮番号の押し間違いがないか、文書と宛先のどちらが正しいかを確認してください。",
               f"the document is addressed to {found!r} but the destination is directory entry "
               f"{subject.entry.slot} ({entry})")


RULE = Rule("addressee_matches", check, "block", (ADDRESSEE_MISMATCH,), about_content=True)
