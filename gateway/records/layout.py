"""How records and reports read on paper: A4 pages in Japanese, rows, tables and thumbnails flowing
over pages, drawn by gateway.records.pdfdraw."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from PIL import Image

from directory.audit import ACTIONS_JA, FINDING_CODES, LABELS_JA
from directory.dialplan import display_number
from gateway.core.coversheet import verification_code
from gateway.core.office_time import office_stamp
from gateway.core.states import JobState
from gateway.records.facts import TransmissionFacts
from gateway.records.pdfdraw import Box, Drawing, Line, Picture, Text, wrap

STATES_JA = {
    JobState.RECEIVED: "受付", JobState.SCREENING: "点検中", JobState.BLOCKED: "送信停止",
    JobState.AWAITING_CONFIRMATION: "確認待ち", JobState.APPROVED: "承認済み", JobState.SENDING: "送信中",
    JobState.SENT: "送信済み", JobState.FAILED: "送信失敗", JobState.REJECTED: "却下", JobState.EXPIRED: "期限切れ",
    JobState.DELIVERY_UNKNOWN: "送達不明（要確認）",
}


ROLES_JA = {"submitter": "送信者", "approver": "承認者"}



class Flow:
    """Text flowing down A4 pages: headings, label/value rows and tables, a new page when full."""

    LEFT, RIGHT, TOP, BOTTOM = 15.0, 195.0, 18.0, 278.0
    LABEL_WIDTH = 42.0
    PICTURE_WIDTH = 54.0

    def __init__(self):
        self.drawing = Drawing()
        self.y = self.TOP
        self.row_top = self.row_height = 0.0  # the picture row being filled
        self.drawing.new_page()

    def new_page(self) -> None:
        self.drawing.new_page()
        self.y = self.TOP

    def need(self, height: float) -> None:
        if self.y + height > self.BOTTOM:
            self.new_page()

    def title(self, text: str, subtitle: str) -> None:
        self.drawing.text(self.LEFT, self.y + 7, text, 18, bold=True)
        self.drawing.text(self.LEFT, self.y + 14, subtitle, 9)
        self.drawing.add(Line(self.LEFT, self.y + 17, self.RIGHT, self.y + 17, 1.2))
        self.y += 21

    def heading(self, text: str, keep: float = 8.0) -> None:
        """`keep`: the height of what follows that must stay on the heading's page."""
        self.need(14 + keep)
        self.y += 5
        self.drawing.text(self.LEFT, self.y + 4.5, text, 12, bold=True)
        self.drawing.add(Line(self.LEFT, self.y + 6.5, self.RIGHT, self.y + 6.5, 0.5))
        self.y += 9

    def row(self, label: str, value: str, size: float = 9.5) -> None:
        height = _line_height(size)
        lines = wrap(value or "—", size, self.RIGHT - self.LEFT - self.LABEL_WIDTH)
        self.need(height * min(len(lines), 3))
        self.drawing.text(self.LEFT, self.y + height * 0.75, label, size, bold=True)
        for line in lines:
            self.need(height)
            self.drawing.text(self.LEFT + self.LABEL_WIDTH, self.y + height * 0.75, line, size)
            self.y += height

    def paragraph(self, text: str, size: float = 9.5) -> None:
        height = _line_height(size)
        for line in wrap(text, size, self.RIGHT - self.LEFT):
            self.need(height)
            self.drawing.text(self.LEFT, self.y + height * 0.75, line, size)
            self.y += height

    def table(self, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[str]], size: float = 8.5) -> None:
        """`columns`: (title, width in mm); the last column takes what is left."""
        height = _line_height(size)
        widths = [w for _, w in columns[:-1]]
        widths.append(self.RIGHT - self.LEFT - sum(widths))

        def header() -> None:
            x = self.LEFT
            self.drawing.add(Box(self.LEFT, self.y, self.RIGHT, self.y + height + 0.6, fill=225))
            for (title, _), width in zip(columns, widths):
                self.drawing.text(x + 1, self.y + height * 0.75, title, size, bold=True)
                x += width
            self.y += height + 0.6

        self.need(height * 3)
        header()
        for row in rows:
            cells = [wrap(str(value), size, width - 2) for value, width in zip(row, widths)]
            lines = max(len(c) for c in cells)
            if self.y + lines * height > self.BOTTOM:
                self.new_page()
                header()
            x = self.LEFT
            for cell, width in zip(cells, widths):
                for n, line in enumerate(cell):
                    self.drawing.text(x + 1, self.y + height * (n + 0.75), line, size)
                x += width
            self.y += lines * height
            self.drawing.add(Line(self.LEFT, self.y + 0.2, self.RIGHT, self.y + 0.2, 0.3))
            self.y += 0.6
        self.y += 2.5

    def pictures(self, images: Sequence[Image.Image], caption: Callable[[int], str]) -> None:
        """Images in a grid, three across, each with its caption below."""
        width, gap, columns = self.PICTURE_WIDTH, 9.0, 3
        for index, image in enumerate(images):
            column = index % columns
            height = width * image.height / image.width
            if column == 0:
                self.need(height + 8)
                self.row_top, self.row_height = self.y, 0.0
            left = self.LEFT + column * (width + gap)
            self.drawing.add(Picture(image, left, self.row_top, width, height))
            self.drawing.add(Box(left, self.row_top, left + width, self.row_top + height, line=0.4))
            self.drawing.text(left, self.row_top + height + 4.5, caption(index), 8.5)
            self.row_height = max(self.row_height, height + 8)
            self.y = self.row_top + self.row_height

    def finish(self, footer: str) -> Drawing:
        total = len(self.drawing.pages)
        for number, page in enumerate(self.drawing.pages, start=1):
            text = f"{footer}　{number} / {total}"
            page.append(Line(self.LEFT, 284, self.RIGHT, 284, 0.4))
            page.append(Text(self.LEFT, 289, text, 8.5))
        return self.drawing


def _line_height(size_pt: float) -> float:
    return size_pt * 25.4 / 72 * 1.45


def number_text(e164: str | None) -> str:
    return f"{display_number(e164)}（{e164}）" if e164 else "—"


def record_pdf(facts: TransmissionFacts) -> bytes:
    """The transmission record of one ended job as it reads on paper (unsigned)."""
    flow = Flow()
    flow.title("ファクス送信記録", "faxgate が作成し電子署名した記録です。署名後に1バイトでも変更すると検証に失敗します。")
    flow.row("受付番号", facts.job_id)
    flow.row("最終状態", f"{STATES_JA.get(facts.state, facts.state)}（{facts.state}）")
    flow.row("受付日時", office_stamp(facts.received_at))
    flow.row("終了日時", office_stamp(facts.ended_at))
    if facts.e164:  # as printed on faxgate's cover sheet: bound to the document as submitted
        flow.row("照合コード", verification_code(facts.job_id, facts.e164, facts.received_sha256 or facts.content_sha256))

    flow.heading("送信者")
    flow.row("送信者", facts.submitter)
    flow.row("所属", facts.department)
    flow.row("送信元の機器", facts.device)

    flow.heading("宛先")
    entry = f"短縮 {facts.entry_slot}（登録版 {facts.entry_version}）" if facts.entry_slot is not None else "宛先表の登録なし"
    flow.row("宛先名", "　".join(p for p in (facts.destination_organization, facts.destination_name) if p))
    flow.row("宛先表", entry)
    flow.row("FAX番号", number_text(facts.e164))
    flow.row("発信ダイヤル", facts.dial_string or "—")
    flow.row("指定された宛先", facts.requested)

    flow.heading("文書")
    flow.row("ファイル名", facts.filename)
    flow.row("ページ数", f"{facts.pages}ページ" if facts.pages is not None else "不明（読み込めませんでした）")
    flow.row("大きさ", f"{facts.size:,} バイト")
    flow.row("SHA-256", facts.content_sha256)
    if facts.received_sha256:
        flow.row("送付票", "faxgate の送付票を1ページ目に付けて送信（ページ数・大きさ・SHA-256 は送付票を含む）")
        flow.row("受付時の SHA-256", facts.received_sha256)

    flow.heading("宛先番号の確認（二人確認）")
    if facts.confirmations:
        flow.table([("役割", 20), ("氏名", 32), ("日時", 44), ("入力された番号", 50), ("一致", 0)],
                   [[ROLES_JA.get(c.role, c.role), c.user, office_stamp(c.at), c.entered or "—", "一致" if c.matched else "不一致"]
                    for c in facts.confirmations])
    else:
        flow.paragraph("確認は行われていません。")

    flow.heading("点検の結果")
    if facts.reasons:
        flow.table([("規則", 38), ("処置", 16), ("理由", 0)],
                   [[r.get("rule", ""), r.get("action", ""), r.get("message_ja") or r.get("code", "")] for r in facts.reasons])
    if facts.rules:
        flow.table([("回", 8), ("規則", 42), ("結果", 16), ("コード", 36), ("内容", 0)],
                   [[r.get("run", ""), r.get("rule", ""), r.get("outcome", ""), r.get("code") or "", r.get("reason", "")]
                    for r in facts.rules])
    if facts.findings:
        flow.table([("頁", 8), ("種類", 36), ("要配慮", 14), ("マスク", 14), ("読み取り", 16), ("内容（一部伏せ字）", 0)],
                   [[f.get("page", ""), f.get("category", ""), "はい" if f.get("sensitive") else "", "済" if f.get("masked") else "なし",
                     f.get("source", ""), f.get("text", "")] for f in facts.findings])
    if not (facts.reasons or facts.rules or facts.findings):
        flow.paragraph("点検の記録はありません。")

    flow.heading("送信結果")
    if facts.route == "inbox":
        flow.row("送り方", "庁内便（faxgate の受信箱に配達。ファクスは送っていません）")
        flow.row("配達先", facts.relay_result or "—")
    else:
        flow.row("送信試行回数", str(facts.attempts))
        flow.row("ファクスサーバーの応答", facts.relay_result or "—")

    if facts.thumbnails:
        first = facts.thumbnails[0]
        flow.heading("ページの縮小画像", keep=flow.PICTURE_WIDTH * first.height / first.width + 8)
        flow.pictures(facts.thumbnails, lambda index: f"{index + 1}ページ")
    drawing = flow.finish(f"faxgate 送信記録　受付番号 {facts.job_id}")
    return drawing.to_pdf()


def audit_report_pdf(report: dict, source: str, as_of: dt.date, generated_at: dt.datetime) -> bytes:
    """The 一斉点検 report as it reads on paper (unsigned)."""
    findings = report["findings"]
    counts = Counter(f["code"] for f in findings)
    flow = Flow()
    flow.title("宛先表（短縮ダイヤル）一斉点検報告書", "faxgate が作成し電子署名した報告書です（報告第371号 再発防止策1）。")
    flow.row("作成日時", office_stamp(generated_at))
    flow.row("点検基準日", as_of.isoformat())
    flow.row("点検対象", source)
    if report.get("book"):  # whose book, and which site's PBX reads it (a multi-site city)
        flow.row("宛先表", report["book"])
    flow.row("登録件数", f"{report['entries']} 件")
    flow.row("指摘件数", f"{len(findings)} 件（登録 {len({f['slot'] for f in findings})} 件）")

    flow.heading("指摘の内訳")
    known = [c for c in FINDING_CODES if c in counts] + sorted(c for c in counts if c not in FINDING_CODES)
    if known:
        flow.table([("指摘", 48), ("件数", 14), ("対応", 0)],
                   [[LABELS_JA.get(code, code), str(counts[code]), ACTIONS_JA.get(code, "")] for code in known])
    else:
        flow.paragraph("指摘はありません。")

    if findings:
        flow.heading("指摘の一覧")
        flow.table([("短縮", 12), ("名称", 36), ("指摘", 30), ("実際の接続先", 28), ("本来の宛先", 28), ("内容", 0)],
                   [[f["slot"], f["name"], LABELS_JA.get(f["code"], f["code"]), display_number(f.get("reaches")) or "—",
                     display_number(f.get("intended")) or "—", f.get("detail", "")] for f in findings])
    drawing = flow.finish(f"faxgate 一斉点検報告書　{as_of.isoformat()}")
    return drawing.to_pdf()


def statistics_report_pdf(figures: dict, labels: dict[str, str], reasons: dict[str, str], office: str,
                          generated_at: dt.datetime) -> bytes:
    """The privacy office's report for a period (a quarter) as the city reports to its council:
    totals, then per month and per department, then the stops by reason. `figures` is
    gateway.services.statistics.Report.as_json() with its "totals"; `labels` and `reasons` name its
    counters and block codes in Japanese."""
    columns = ("received", "sent", "in_house_deliveries", "blocked", "near_misses", "confirmations_refused", "incidents")
    flow = Flow()
    flow.title("ファクス誤送信防止の実施状況報告書",
               "faxgate が集計し電子署名した報告書です（報告第371号 再発防止策の実施状況）。")
    flow.row("対象期間", f"{figures['from']} 〜 {figures['to']}")
    flow.row("作成日時", office_stamp(generated_at))
    if office:
        flow.row("作成", office)
    flow.heading("期間の合計")
    flow.table([("項目", 90), ("件数", 0)], [[labels[name], str(figures["totals"][name])] for name in labels])
    head = [("", 26)] + [(labels[name], 22) for name in columns[:-1]] + [(labels[columns[-1]], 0)]
    flow.heading("月別")
    flow.table(head, [[month] + [str(tally[name]) for name in columns] for month, tally in figures["by_month"].items()])
    flow.heading("所属別")
    flow.table(head, [[department] + [str(tally[name]) for name in columns]
                      for department, tally in figures["by_department"].items()])
    flow.heading("止めた理由別")
    if figures["blocked"]:
        flow.table([("理由", 120), ("件数", 0)],
                   [[f"{reasons.get(code, code)}（{code}）", str(count)] for code, count in figures["blocked"].items()])
    else:
        flow.paragraph("期間中に止めたファクスはありません。")
    drawing = flow.finish(f"faxgate 実施状況報告書　{figures['from']} 〜 {figures['to']}")
    return drawing.to_pdf()
