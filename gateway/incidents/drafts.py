"""Drafts an officer edits and files, in Japanese: the report to the Personal Information
Protection Commission with the nine items of rule 44(1), the notice to the person with the
items rule 45 requires (44(1) items 1, 2, 4, 5 and 9), and the timeline from the audit trail.

The facts come from the job and its signed record; where only a person can know (what the
recipient did with the pages, how the persons were contacted), the draft says so with
【要記入】 rather than inventing it. What the officer wrote (the incident's narrative) always
wins over the generated text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.office_time import OFFICE_TIME
from gateway.incidents.reportability import Assessment
from policies.categories import NAMES_JA

TO_FILL = "【要記入】"

# Rule 44(1): the items of a report, in the rule's order.
REPORT_ITEMS = (
    ("summary", "概要"),
    ("items", "漏えい等が発生し、又は発生したおそれがある保有個人情報の項目"),
    ("persons", "漏えい等が発生し、又は発生したおそれがある保有個人情報に係る本人の数"),
    ("cause", "原因"),
    ("secondary_damage", "二次被害又はそのおそれの有無及びその内容"),
    ("response_to_persons", "本人への対応の実施状況"),
    ("publication", "公表の実施状況"),
    ("recurrence_prevention", "再発防止のための措置"),
    ("other", "その他参考となる事項"),
)
# Rule 45: the notice to the person carries items 1, 2, 4, 5 and 9 of rule 44(1).
NOTICE_ITEMS = ("summary", "items", "cause", "secondary_damage", "other")
KANJI_NUMBERS = "一二三四五六七八九"


@dataclass(frozen=True)
class IncidentFacts:
    incident_id: int
    job_id: str
    office: str  # the sending department or office
    sent_at: dt.datetime | None
    learned_at: dt.datetime
    source: str  # staff_report | receiver_id
    destination_name: str
    destination_organization: str
    destination_number: str
    dial_string: str
    entry_slot: int | None
    reached: str
    pages: int | None
    categories: tuple[str, ...]
    sensitive: tuple[str, ...]
    persons: int
    persons_estimate: int
    confirmed_by: tuple[str, ...]
    record_sha256: str | None
    csi_reported: str | None
    csi_expected: str | None
    recurrence: dict
    narrative: dict


def wareki(moment: dt.date | dt.datetime, with_time: bool = False) -> str:
    """A date as Japanese official documents write it (令和); times in the office's time zone."""
    if isinstance(moment, dt.datetime):
        local = moment.astimezone(OFFICE_TIME)
        day = local.date()
    else:
        local, day = None, moment
    year = day.year - 2018
    text = f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"
    if with_time and local is not None:
        text += f" {local.hour}時{local.minute:02d}分"
    return text


def _names(categories) -> str:
    return "、".join(NAMES_JA.get(c, c) for c in categories)


def generated(facts: IncidentFacts, assessment: Assessment) -> dict[str, str]:
    """The text each item gets from the facts alone."""
    destination = "".join(filter(None, [facts.destination_organization, " ", facts.destination_name])).strip()
    discovered = ("送信後、相手機の受信機ID（" + (facts.csi_reported or "名乗りなし") + "）が登録と一致しないことを faxgate が検知した"
                  if facts.source == "receiver_id" else "職員からの報告により判明した")
    summary = (
        f"{wareki(facts.sent_at, True) if facts.sent_at else TO_FILL}、{facts.office or TO_FILL}の職員が、"
        f"{destination or '宛先'}（ファクス番号 {facts.destination_number or TO_FILL}）あてにファクスで送信した文書"
        f"（{facts.pages or TO_FILL}枚）が、{facts.reached or TO_FILL}に送信された（又はそのおそれがある）。"
        f"{wareki(facts.learned_at, True)}、{discovered}。（faxgate 送信番号 {facts.job_id}）"
    )
    items = (_names(facts.categories) or "個人情報は検出されていない" + TO_FILL)
    if facts.sensitive:
        items += f"（うち要配慮個人情報: {_names(facts.sensitive)}）"
    persons = f"{facts.persons}人"
    if facts.persons != facts.persons_estimate:
        persons += f"（送信した頁の点検結果からの推計は{facts.persons_estimate}人）"
    else:
        persons += "（送信した頁の点検結果からの推計）"
    slot = f"短縮ダイヤル（登録番号{facts.entry_slot}）" if facts.entry_slot is not None else "宛先"
    cause = (f"{slot}に登録された番号を、構内交換機を経由してダイヤル「{facts.dial_string or TO_FILL}」として発信した。"
             f"送信前の確認者: {'、'.join(facts.confirmed_by) or 'なし'}。{TO_FILL}（番号が誤った経緯を記入）")
    measures = []
    if facts.recurrence.get("entry_suspended"):
        measures.append(f"当該{slot}への送信を停止し、先方に番号を確認するまで使用できないようにした。")
    audit = facts.recurrence.get("directory_audit")
    if audit:
        measures.append(f"全ての短縮ダイヤル登録を一斉点検した（指摘 {audit['findings']} 件）。")
    measures.append(TO_FILL + "（職員への周知、手順の見直し等）")
    other = [f"送信記録（電子署名付き）SHA-256: {facts.record_sha256 or 'なし'}"]
    if facts.csi_reported is not None or facts.csi_expected:
        other.append(f"相手機の受信機ID: {facts.csi_reported or '名乗りなし'}（登録上の期待値: {facts.csi_expected or 'なし'}）")
    applicable = assessment.applicable
    other.append("個人情報の保護に関する法律施行規則第43条の該当: "
                 + ("、".join(f"第{n}号" for n in applicable) if applicable else "なし"))
    return {
        "summary": summary,
        "items": items,
        "persons": persons,
        "cause": cause,
        "secondary_damage": f"{TO_FILL}（送信先による廃棄・回収の状況、二次被害のおそれの有無）",
        "response_to_persons": f"{TO_FILL}（本人への連絡・説明の状況）",
        "publication": f"{TO_FILL}（公表の有無と日付）",
        "recurrence_prevention": "".join(measures),
        "other": "\n".join(other),
    }


def _texts(facts: IncidentFacts, assessment: Assessment) -> dict[str, str]:
    texts = generated(facts, assessment)
    texts.update({k: v for k, v in facts.narrative.items() if v and v.strip()})
    return texts


def report_draft(facts: IncidentFacts, assessment: Assessment, kind: str, today: dt.date) -> str:
    """kind: preliminary (速報, rule 44(1)) or final (確報, rule 44(2))."""
    texts = _texts(facts, assessment)
    title = "速報" if kind == "preliminary" else "確報"
    due = assessment.preliminary_due if kind == "preliminary" else assessment.final_due
    lines = [
        f"個人情報保護委員会への報告（{title}）下書き",
        f"（個人情報の保護に関する法律第68条第1項、同法施行規則第44条第{1 if kind == 'preliminary' else 2}項）",
        "",
        f"作成日: {wareki(today)}　報告期限: {wareki(due)}",
        f"事態を知った日: {wareki(facts.learned_at)}　事案番号: {facts.incident_id}",
        "報告の要否（施行規則第43条）: " + ("報告対象" if assessment.reportable else "報告対象の事態に該当しない"),
    ]
    lines += [f"　第{item.number}号: {'該当' if item.applies else '非該当'}（{item.why_ja}）" for item in assessment.items]
    lines.append("")
    for number, (key, heading) in enumerate(REPORT_ITEMS):
        lines += [f"{KANJI_NUMBERS[number]}　{heading}", texts[key], ""]
    return "\n".join(lines)


def notice_draft(facts: IncidentFacts, assessment: Assessment, today: dt.date) -> str:
    """The notice to the person (rule 45), in the plain polite style of a letter."""
    texts = _texts(facts, assessment)
    headings = dict(REPORT_ITEMS)
    lines = [
        "個人情報の漏えい等に関するお知らせ（下書き）",
        "",
        f"{wareki(today)}",
        f"{facts.office or TO_FILL}",
        "",
        "このたびは、あなたの個人情報を含む書類を誤った宛先にファクスで送信した（又はそのおそれがある）ことが判明いたしました。"
        "深くおわび申し上げます。個人情報の保護に関する法律第68条第2項に基づき、次のとおりお知らせいたします。",
        "",
    ]
    for number, key in enumerate(NOTICE_ITEMS, 1):
        lines += [f"{number}　{headings[key]}", texts[key], ""]
    lines += ["お問い合わせ先: " + TO_FILL]
    return "\n".join(lines)


def timeline_text(events: list[dict]) -> str:
    lines = ["経過（faxgate 監査記録より）", ""]
    for event in events:
        moment = dt.datetime.fromisoformat(event["at"])
        lines.append(f"{wareki(moment, True)}　{event['action']}　{event['actor']}　{event.get('reason') or ''}".rstrip())
    return "\n".join(lines)
