"""Every submitted page as the recipient will see it (text layer checked against the drawn page,
OCR of any ink it does not account for): unmasked personal data blocks (countermeasure 2),
unless the destination is an in-house section with an inbox and the job goes there instead of
being faxed (庁内便, gateway.core.in_house; countermeasure 3). What was read serves the
cover-sheet and addressee rules. faxgate's own cover sheet, put in front later, is not
screened: it holds only the directory entry and the office's details."""

from __future__ import annotations

from gateway.core import in_house
from gateway.core.screening.rule import Code, Hit, Note, Rule

PERSONAL_DATA = Code(
    "personal_data", "個人情報", "personal data",
    "個人情報はファクスで送らず、郵送・手渡し・安全な共有フォルダを使ってください。"
    "どうしてもファクスが必要な場合は、個人情報を黒塗りしてから送り直してください。",
    "Do not send personal data by fax. Use mail, hand delivery or a secure shared folder; if fax is "
    "unavoidable, black out the personal data and send again.")
BY_INBOX = "by_inbox"  # the Note of a job that goes to the section's inbox, not by fax


def check(subject, tools) -> Hit | Note | None:
    if subject.document is None:
        return None
    subject.screened = tools.screen(subject.document)
    subject.findings = [finding.to_json() for finding in subject.screened.findings]
    inbox = subject.entry.inbox if subject.entry else None
    if inbox and not (tools.inbox_staffed and tools.inbox_staffed(inbox)):
        inbox = None  # nobody there to open it: the fax's rules apply
    subject.route = in_house.route(inbox, subject.route, tools.policy.in_house, subject.screened.verdict,
                                   (finding.category for finding in subject.screened.findings))
    if subject.route == in_house.INBOX:
        return Note(BY_INBOX, f"庁内便で{inbox}の受信箱に届けます（ファクスは送りません）")
    if subject.screened.verdict == "block":
        ja, en = subject.screened.explanation()
        if inbox:  # the way with no phone line, instead of masking
            ja += f"宛先の{inbox}は faxgate の庁内便で受け取れます。この送信の画面で「庁内便で送る」を選ぶと、ファクスを使わずに届けます。"
            en += f" {inbox} receives faxgate's in-house delivery: choose “Send by in-house delivery” on this fax's page."
        return Hit(PERSONAL_DATA.code, ja, en)
    return None


RULE = Rule("personal_data", check, "block", (PERSONAL_DATA,), about_content=True)
