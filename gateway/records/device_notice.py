"""The printable A4 notice posted beside each MFD (Report No. 371, countermeasure 6), in
Japanese: how to send through faxgate, what it checks before anything is dialled, and whom to
call. Drawn from `NoticeFacts` (made from the configuration and the policy by
gateway.services.device_notice), with IPAex Gothic embedded (gateway.records.pdfdraw)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.records.pdfdraw import Box, Drawing, Line, wrap

LEFT, RIGHT = 18.0, 192.0


@dataclass(frozen=True)
class NoticeFacts:
    office_name: str
    domain: str  # faxgate's SMTP domain: sd-<slot>@domain
    web_url: str  # the web app, where a PC uploads and people confirm
    outside_line: str  # the PBX's outside-line code ("" for a direct line)
    approvers: int  # approvers needed beside the submitter
    ttl_hours: float  # how long a job waits for its confirmations
    phone: str  # whom to call (the office's phone)
    privacy_office: str  # the privacy office's mail address(es), if configured


def draw_notice(facts: NoticeFacts) -> bytes:
    drawing = Drawing()
    y = 24.0
    drawing.add(Box(LEFT - 4, 12, RIGHT + 4, 34, fill=230))
    drawing.text(LEFT, y, "ファクスは faxgate を通して送ります", 22, bold=True)
    drawing.text(LEFT, y + 7, f"{facts.office_name or 'この職場'}　複合機をお使いの皆さんへ", 11)
    y = 46.0

    def heading(text: str) -> None:
        nonlocal y
        drawing.add(Line(LEFT, y + 2, RIGHT, y + 2, width=1.2))
        drawing.text(LEFT, y, text, 15, bold=True)
        y += 10

    def para(text: str, size: float = 11.5, indent: float = 0.0) -> None:
        nonlocal y
        for line in wrap(text, size, RIGHT - LEFT - indent):
            drawing.text(LEFT + indent, y, line, size)
            y += size * 0.5
        y += 1.5

    heading("1. 送り方")
    para("・複合機では宛先表（登録番号）から宛先を選び、番号を直接押さないでください。")
    para(f"・メール送信の宛先は  sd-登録番号@{facts.domain}  です（例: sd-12@{facts.domain}）。", indent=0)
    para(f"・パソコンからは  {facts.web_url}/send  で文書（PDF・TIFF）を選び、宛先を宛先表から探して送ります。")
    y += 2
    heading("2. 送る前に faxgate が確かめること")
    checks = [
        "宛先が承認済みの宛先表にあり、使われている番号であること（ない番号はその場で断ります）",
        f"ダイヤルが正しく相手に届くこと（外線発信番号「{facts.outside_line}」の付け忘れ、桁の余り・不足）"
        if facts.outside_line else "ダイヤルが正しく相手に届くこと（桁の余り・不足、ダイヤルしてはいけない番号）",
        "文書に個人情報がないこと（あれば止めて、黒塗り版での送り直しを案内します）",
        "送付票の番号・宛名が宛先と一致すること",
        f"依頼者と承認者{facts.approvers}名が、全ページを見てから宛先番号を入力し直して確認すること",
    ]
    for check in checks:
        para(f"・{check}")
    para(f"確認がそろわないまま {facts.ttl_hours:g} 時間たった送信は送られません。確認を待つ承認者にはメールと画面でお知らせします。")
    y += 2
    heading("3. 確認のしかた")
    para("画面の番号を写さず、手元の原稿や依頼書に書かれたファクス番号を入力してください。"
         "短縮ダイヤルの外線発信番号の付け忘れで、個人情報のファクスが別の会社に届いた事故がありました（報告第371号）。")
    y += 2
    heading("4. 困ったとき・誤送信に気付いたとき")
    para("止められた理由と対処方法は、メールと画面（止めた送信）で確認できます。")
    para("誤送信に気付いたら、すぐ画面の「誤送信を報告する」から報告し、上司に伝えてください。")
    contacts = [c for c in (facts.office_name and f"連絡先: {facts.office_name}",
                            facts.phone and f"電話 {facts.phone}",
                            facts.privacy_office and f"個人情報保護の窓口: {facts.privacy_office}") if c]
    if contacts:
        drawing.add(Box(LEFT - 2, y - 5, RIGHT + 2, y + 4.5 + 6.5 * (len(contacts) - 1), line=1.0))
        for contact in contacts:
            drawing.text(LEFT + 2, y + 1, contact, 13, bold=True)
            y += 6.5
    drawing.text(LEFT, 285, "この掲示は faxgate の設定から作られています（faxgate notice print）。", 8)
    return drawing.to_pdf()
