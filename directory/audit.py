"""The bulk check of every speed dial (一斉点検), over the stored directory or a raw export.

Pure: takes items and the PBX profile, returns findings. Each item's dial string is read the
way the PBX and the exchange will read it; then the book as a whole is checked for stale,
unused, unverified, duplicate and mis-press-prone entries and in-house numbers dialled outside.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from directory.dialplan import DialReading, DialStringError, display_number, extension_for, read_dial_string
from directory.profile import PbxProfile

FINDING_CODES = (
    "missing_outside_line",
    "leftover_digits",
    "incomplete",
    "emergency_or_service_number",
    "invalid_number",
    "caller_id_withheld",
    "carrier_code",
    "international",
    "should_use_extension",
    "duplicate_number",
    "similar_number",
    "stale",
    "never_used",
    "unverified",
)
_ORDER = {code: n for n, code in enumerate(FINDING_CODES)}

LABELS_JA = {
    "missing_outside_line": "外線発信番号なし",
    "leftover_digits": "余分な桁",
    "incomplete": "桁不足",
    "emergency_or_service_number": "緊急通報・特番",
    "invalid_number": "無効な番号",
    "caller_id_withheld": "発信者番号非通知",
    "carrier_code": "事業者識別番号付き",
    "international": "国際電話",
    "should_use_extension": "内線を使うべき宛先",
    "duplicate_number": "番号の重複",
    "similar_number": "類似番号（押し間違い注意）",
    "stale": "長期間未使用",
    "never_used": "使用記録なし",
    "unverified": "番号未確認",
}

ACTIONS_JA = {
    "missing_outside_line": "先方に番号を確認し、正しい番号で登録し直して全機器へ再配布する",
    "leftover_digits": "先方に番号を確認し、余分な桁を削除して登録し直す",
    "incomplete": "先方に正しい番号を確認して登録し直すか、登録を削除する",
    "emergency_or_service_number": "直ちに登録を削除し、先方に正しい番号を確認する",
    "invalid_number": "先方に正しい番号を確認して登録し直すか、登録を削除する",
    "caller_id_withheld": "非通知では受信拒否されることがあるため、184を外すか確認する",
    "carrier_code": "事業者識別番号が必要か確認する",
    "international": "国際送信が必要な宛先か確認する",
    "should_use_extension": "庁内の宛先は内線番号で登録する",
    "duplicate_number": "重複している登録を一つにまとめる",
    "similar_number": "本当に別の宛先か確認し、不要な方を削除する",
    "stale": "先方に番号が変わっていないか確認し、不要なら削除する",
    "never_used": "必要な登録か確認し、不要なら削除する",
    "unverified": "先方に電話で番号を確認し、確認日と確認者を記録する",
}


@dataclass(frozen=True)
class AuditItem:
    slot: int | str
    name: str
    dial: str | None  # what the device dials; None for an extension-only internal entry
    kind: str = "external"
    extension: str | None = None
    last_used: dt.date | None = None
    verified_on: dt.date | None = None


@dataclass(frozen=True)
class Finding:
    slot: int | str
    name: str
    code: str
    detail: str
    reaches: str | None
    intended: str | None

    def to_json(self) -> dict:
        return {
            "slot": self.slot,
            "name": self.name,
            "code": self.code,
            "detail": self.detail,
            "reaches": self.reaches,
            "intended": self.intended,
        }


def audit(items: list[AuditItem], profile: PbxProfile, as_of: dt.date, stale_days: int = 180) -> list[Finding]:
    findings: list[Finding] = []
    targets: list[tuple[AuditItem, str, DialReading | None]] = []
    for item in items:
        reading, entry_findings = _check_entry(item, profile, as_of, stale_days)
        findings.extend(entry_findings)
        target = reading and (reading.intended or reading.reaches)
        if target:
            targets.append((item, target, reading))
    findings.extend(_duplicates_and_near_misses(targets))
    findings.sort(key=lambda f: (_slot_key(f.slot), _ORDER[f.code]))
    return findings


def _slot_key(slot: int | str) -> tuple[int, str]:
    return (int(slot), "") if str(slot).isdigit() else (10**9, str(slot))


def _check_entry(item: AuditItem, profile: PbxProfile, as_of: dt.date, stale_days: int):
    found: list[Finding] = []
    reading = None
    if item.dial:
        try:
            reading = read_dial_string(item.dial, profile)
        except DialStringError as exc:
            found.append(Finding(item.slot, item.name, "invalid_number", f"{item.dial!r}: {exc}", None, None))
    reaches = reading.reaches if reading else None
    intended = reading.intended if reading else None

    def add(code: str, detail: str) -> None:
        found.append(Finding(item.slot, item.name, code, detail, reaches, intended))

    if reading:
        for problem in reading.problems:
            add(problem, f"「{item.dial}」: {_problem_detail(problem, reading)}")
        target = reading.intended or reading.reaches
        in_house = target and extension_for(target, profile)
        if in_house:
            add("should_use_extension", f"{display_number(target)} は庁内の番号です。内線 {in_house} を使ってください")
        elif item.kind == "internal" and reading.number_class != "internal":
            add("should_use_extension", "庁内の宛先が外線番号で登録されています。内線番号で登録してください")
    if item.last_used is None:
        add("never_used", "使用記録がありません")
    elif (as_of - item.last_used).days > stale_days:
        add("stale", f"最終使用 {item.last_used.isoformat()}（{(as_of - item.last_used).days}日前、基準 {stale_days}日）")
    if item.verified_on is None:
        add("unverified", "先方への番号確認の記録がありません")
    return reading, found


def _problem_detail(problem: str, reading: DialReading) -> str:
    if problem == "missing_outside_line":
        return (
            f"外線発信番号「{reading.outside_line or '(PBX)'}」が抜けています。実際の接続先 "
            f"{display_number(reading.reaches) or 'なし'}、本来の宛先 {display_number(reading.intended)}"
        )
    if problem == "leftover_digits":
        return f"余分な桁「{reading.leftover}」は無視されます（接続先 {display_number(reading.reaches) or 'なし'}）"
    if problem == "caller_id_withheld":
        return "184 で発信者番号を非通知にしています"
    if problem == "carrier_code":
        return f"事業者識別番号「{reading.carrier}」を付けています"
    if problem == "international":
        return f"国際電話です（{display_number(reading.reaches) or '接続先なし'}）"
    return reading.explanation


def _duplicates_and_near_misses(targets) -> list[Finding]:
    """Entries that dial the same number, or numbers one key-press apart (one digit, one swap)."""
    found: list[Finding] = []
    by_number: dict[str, list] = defaultdict(list)
    for item, target, reading in targets:
        by_number[target].append((item, reading))
    for number, holders in by_number.items():
        if len(holders) > 1:
            for item, reading in holders:
                others = "、".join(f"{o.slot}（{o.name}）" for o, _ in holders if o is not item)
                found.append(
                    Finding(
                        item.slot, item.name, "duplicate_number",
                        f"{display_number(number)} は登録番号 {others} と同じ番号です",
                        reading.reaches, reading.intended,
                    )
                )
    numbers = list(by_number)
    near: dict[str, set[str]] = defaultdict(set)
    wildcard: dict[str, list[str]] = defaultdict(list)
    for number in numbers:
        for i in range(1, len(number)):
            wildcard[number[:i] + "?" + number[i + 1:]].append(number)
    for group in wildcard.values():
        if len(group) > 1:
            for number in group:
                near[number].update(other for other in group if other != number)
    known = set(numbers)
    for number in numbers:
        for i in range(1, len(number) - 1):
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
            if swapped != number and swapped in known:
                near[number].add(swapped)
    for number, neighbours in near.items():
        for item, reading in by_number[number]:
            others = "、".join(
                f"{o.slot}（{o.name}、{display_number(n)}）" for n in sorted(neighbours) for o, _ in by_number[n]
            )
            found.append(
                Finding(
                    item.slot, item.name, "similar_number",
                    f"{display_number(number)} は登録番号 {others} と1桁違い・隣接入れ替えの番号です",
                    reading.reaches, reading.intended,
                )
            )
    return found
