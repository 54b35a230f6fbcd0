"""Every submitted page as the recipient will see it (text layer checked against the drawn page,
OCR of any ink it does not account for): unmasked personal data blocks (countermeasure 2). What
was read serves the cover-sheet and addressee rules. faxgate's own cover sheet, put in front
later, is not screened: it holds only the directory entry and the office's details."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

PERSONAL_DATA = Code(
    "personal_data", "個人情報", "personal data",
    "個人情報はファクスで送らず、郵送・手渡し・安全な共有フォルダを使ってください。"
    "どうしてもファクスが必要な場合は、個人情報を黒塗りしてから送り直してください。",
    "Do not send personal data by fax. Use mail, hand delivery or a secure shared folder; if fax is "
    "unavoidable, black out the personal data and send again.")


def check(subject, tools) -> Hit | None:
    if subject.document is None:
        return None
    subject.screened = tools.screen(subject.document)
    subject.findings = [finding.to_json() for finding in subject.screened.findings]
    if subject.screened.verdict == "block":
        ja, en = subject.screened.explanation()
        return Hit(PERSONAL_DATA.code, ja, en)
    return None


RULE = Rule("personal_data", check, "block", (PERSONAL_DATA,), about_content=True)
