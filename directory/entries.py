"""The directory's entries and the rules of changing them: imports, edits, suspensions for an
incident, verifications, what the devices dial and the cleaned book for them. Every function
takes a unit of work (its `directory` repository, gateway.storage.repositories.directory) and
works in its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from directory.formats.book import ExportRow
from directory.audit import AuditItem
from directory.dialplan import dial_string_for, read_dial_string
from directory.importer import Candidate, ImportPlan
from directory.profile import PbxProfile

STATUSES = ("active", "needs_review", "retired")
_TRACKED = (
    "slot", "name", "organization", "kind", "e164", "extension", "status", "review_reasons",
    "source_dial", "last_used", "number_since", "verified_on", "verified_by", "expected_csi", "inbox",
)
ROUTING = ("e164", "extension", "kind", "inbox")  # where a fax to the entry goes (inbox: its 庁内便)
INCIDENT_REASON = "incident:"  # review reason of an entry suspended because a fax to it went astray


class EntryNotFound(LookupError):
    pass


class ChangeRefused(ValueError):
    """An edit that would leave the directory in a state that must not be dialled."""


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    needs_review: list[Candidate] = field(default_factory=list)
    change: object | None = None  # the change request that waits for a second administrator
    pending: list[int] = field(default_factory=list)  # slots held until then


def snapshot(entry) -> dict:
    state = {}
    for name in _TRACKED:
        value = getattr(entry, name)
        state[name] = value.isoformat() if isinstance(value, dt.date) else value
    state["review_reasons"] = list(entry.review_reasons or [])
    return state


def record_change(uow, entry, actor: str, action: str, before: dict | None, note: str = "", request=None) -> None:
    """One history row: who changed the entry, how, from what to what it is now."""
    uow.directory.record_change(entry, actor=actor, action=action, before=before, after=snapshot(entry),
                                         note=note, request_id=request.id if request else None)


def needs_second_admin(before: dict | None, after: dict) -> bool:
    """A new entry, a new number, kind, extension or inbox, or an entry becoming usable again."""
    if before is None:
        return True
    return any(before[name] != after[name] for name in ROUTING) or before["status"] != after["status"] == "active"


def open_request(uow, origin: str, actor: str, summary: str):
    return uow.directory.open_request(origin, actor, summary)


def _refuse_if_held(entry, request) -> None:
    if entry.pending_change_id is not None and (request is None or entry.pending_change_id != request.id):
        raise ChangeRefused(
            f"登録番号 {entry.slot}（{entry.name}）は変更 #{entry.pending_change_id} の承認待ちです。"
            "先にその変更を承認または却下してください "
            f"(slot {entry.slot} has change #{entry.pending_change_id} waiting for approval)"
        )


def _hold(entry, request) -> None:
    entry.pending_change_id = request.id


def apply_import(uow, plan: ImportPlan, actor: str, source: str, *, first_install: bool = False,
                 request=None) -> ImportResult:
    """Upsert every candidate by slot in the caller's transaction; refuses a plan with errors.
    Every entry added, sent elsewhere or made usable is held for a second administrator under
    one change request (``request``, or a new one). ``first_install`` is the setup's own import
    into an empty directory: there is no administrator yet, so it is recorded as approved by it."""
    if plan.errors:
        raise ChangeRefused(f"{len(plan.errors)} row(s) have errors; nothing was imported")
    if first_install and not uow.directory.is_empty():
        raise ChangeRefused("宛先表が空ではないため、初回導入としては取り込めません "
                            "(the directory is not empty: a first-install import is refused)")
    result = ImportResult(change=request)
    existing = uow.directory.by_slots()
    for candidate in plan.candidates:
        entry = existing.get(candidate.slot)
        before = snapshot(entry) if entry else None
        if entry is None:
            entry = uow.directory.new_entry(candidate.slot)
        _assign(entry, candidate)
        after = snapshot(entry)
        if after == before:
            result.unchanged.append(candidate.slot)
        else:
            if entry.id is not None:
                _refuse_if_held(entry, result.change)
            held = needs_second_admin(before, after)
            if held:
                if result.change is None:
                    origin = "first_install" if first_install else "import"
                    result.change = open_request(uow, origin, actor, f"{source} の取り込み")
                if not first_install:
                    _hold(entry, result.change)
                result.pending.append(candidate.slot)
            record_change(uow, entry, actor, "imported", before, f"{source} line {candidate.line}",
                    result.change if held else None)
            (result.updated if before else result.created).append(candidate.slot)
        if candidate.status == "needs_review":
            result.needs_review.append(candidate)
    if first_install and result.change is not None:
        result.change.state, result.change.decided_by = "approved", actor
        result.change.decided_at = dt.datetime.now(dt.timezone.utc)
        result.change.decision_note = "初回導入（空の宛先表への設定時の取り込み）"
        result.pending = []
    uow.directory.flush()
    return result


def _assign(entry, candidate: Candidate) -> None:
    number_changed = entry.id is not None and (entry.e164 != candidate.e164 or entry.extension != candidate.extension)
    if number_changed:
        # A new destination: what was known about the old number's use and verification does not
        # carry over, nor does anything the device file reports from before the change.
        entry.last_used, entry.verified_on, entry.verified_by = None, None, None
        entry.number_since = dt.date.today()
    if number_changed or entry.kind != candidate.kind:
        entry.inbox = None  # another destination: the old section's inbox does not take its faxes
    entry.name = candidate.name
    entry.organization = candidate.organization or entry.organization or ""
    entry.kind = candidate.kind
    entry.e164 = candidate.e164
    entry.extension = candidate.extension
    entry.source_dial = candidate.dial or None
    # A retired entry is brought back only by a person, never by an import.
    entry.status = "retired" if entry.status == "retired" else candidate.status
    entry.review_reasons = list(candidate.review_reasons)
    newer = entry.last_used is None or (candidate.last_used and candidate.last_used > entry.last_used)
    if _after_number_change(entry, candidate.last_used) and newer:
        entry.last_used = candidate.last_used
    if _after_number_change(entry, candidate.verified_on):
        entry.verified_on = candidate.verified_on
        entry.verified_by = entry.verified_by or "import"


def _after_number_change(entry, day: dt.date | None) -> bool:
    return day is not None and (entry.number_since is None or day > entry.number_since)


def get_entry(uow, slot: int):
    entry = uow.directory.by_slot(slot)
    if entry is None:
        raise EntryNotFound(f"登録番号 {slot} の宛先はありません (no directory entry with slot {slot})")
    return entry


def list_entries(uow, include_retired: bool = False, search: str = "") -> list:
    return uow.directory.entries(include_retired, search)


def change_entry(uow, slot: int, actor: str, profile: PbxProfile, note: str = "", *,
                 request=None, origin: str = "set", **changes):
    """Edit one entry. A new number is given as the device would dial it, read through the profile,
    and must be clean; it is a new destination, so the old number's use and verification go.
    An edit that sends the entry elsewhere or makes it usable again holds it for a second
    administrator (``entry.pending_change_id``); retiring it and other edits apply at once."""
    entry = get_entry(uow, slot)
    before = snapshot(entry)
    dial = changes.pop("dial", None)
    if dial is not None:
        reading = read_dial_string(dial, profile)
        if reading.blocked:
            raise ChangeRefused(f"「{dial}」は登録できません: {reading.explanation}")
        entry.e164 = reading.reaches
        entry.extension = reading.extension or entry.extension
        entry.source_dial = None
        entry.review_reasons = []
        if entry.status == "needs_review":
            entry.status = "active"
    for name, value in changes.items():
        if value is not None:
            setattr(entry, name, value)
    if changes.get("inbox") is None and any(before[name] != getattr(entry, name) for name in ("e164", "extension", "kind")):
        entry.inbox = None  # another destination: the old section's inbox does not take its faxes
    if any(before[name] != getattr(entry, name) for name in ("e164", "extension")):
        entry.last_used, entry.number_since = None, dt.date.today()
        if "verified_on" not in changes or changes["verified_on"] is None:
            entry.verified_on, entry.verified_by = None, None
    if entry.status == "active" and (entry.review_reasons or not (entry.e164 or entry.extension)):
        raise ChangeRefused(
            f"登録番号 {slot} は要確認の問題が残っているため有効にできません: {', '.join(entry.review_reasons) or '番号なし'}"
        )
    if entry.status not in STATUSES:
        raise ChangeRefused(f"status must be one of {STATUSES}")
    if entry.inbox and entry.kind != "internal":
        raise ChangeRefused(f"登録番号 {slot} は庁外の宛先です。庁内便の受信箱は庁内（internal）の宛先にだけ設定できます")
    after = snapshot(entry)
    if after != before:
        _refuse_if_held(entry, request)
        if needs_second_admin(before, after) or (request is not None and entry.pending_change_id == request.id):
            request = request or open_request(uow, origin, actor, note)
            _hold(entry, request)
        else:
            request = None
        record_change(uow, entry, actor, "changed", before, note, request)
    uow.directory.flush()
    return entry


def suspend_for_incident(uow, entry, actor: str, incident_id: int) -> bool:
    """Stop every fax to an entry a fax went astray from, until its number is verified again
    with the counterpart. Returns False when it was already stopped (retired or suspended)."""
    reason = f"{INCIDENT_REASON}{incident_id}"
    if entry.status == "retired" or reason in (entry.review_reasons or []):
        return False
    before = snapshot(entry)
    entry.status = "needs_review"
    entry.review_reasons = [*(entry.review_reasons or []), reason]
    entry.verified_on, entry.verified_by = None, None
    record_change(uow, entry, actor, "suspended", before, f"誤送信事案 {incident_id} の調査のため停止")
    uow.directory.flush()
    return True


def record_verification(uow, slot: int, actor: str, on: dt.date):
    """The number was checked with the counterpart (by phone): that settles a suspension for an
    incident, since what an incident puts in doubt is the number; other review reasons stay."""
    if on > dt.date.today():  # a check that has not happened would keep the entry from going stale
        raise ChangeRefused(f"確認日 {on.isoformat()} は未来の日付です。先方に確認した日を指定してください")
    entry = get_entry(uow, slot)
    before = snapshot(entry)
    entry.verified_on, entry.verified_by = on, actor
    remaining = [r for r in entry.review_reasons or [] if not r.startswith(INCIDENT_REASON)]
    if remaining != list(entry.review_reasons or []):
        entry.review_reasons = remaining
        if not remaining and entry.status == "needs_review" and (entry.e164 or entry.extension):
            entry.status = "active"
    if snapshot(entry) != before:
        record_change(uow, entry, actor, "changed", before, "番号確認")
    uow.directory.flush()
    return entry


def effective_dial(entry, profile: PbxProfile) -> str | None:
    """What the devices dial for this entry: the imported string while it awaits review, else the
    string derived from the canonical number (or the extension for in-house destinations)."""
    if entry.status == "needs_review" and entry.source_dial:
        return entry.source_dial
    if entry.extension and (entry.kind == "internal" or not entry.e164):
        return entry.extension
    if entry.e164:
        return dial_string_for(entry.e164, profile)
    return entry.source_dial


def audit_items(uow, profile: PbxProfile) -> list[AuditItem]:
    return [
        AuditItem(
            slot=e.slot,
            name=e.name,
            dial=effective_dial(e, profile),
            kind=e.kind,
            extension=e.extension,
            last_used=e.last_used,
            verified_on=e.verified_on,
        )
        for e in list_entries(uow)
    ]


@dataclass(frozen=True)
class LeftOut:
    slot: int
    name: str
    code: str  # retired | needs_review | pending_approval | no_number
    reason: str  # Japanese, for the admin loading the book onto the devices


_LEFT_OUT_JA = {
    "retired": "廃止済み",
    "needs_review": "要確認（番号の問題が解決していない）",
    "pending_approval": "別の管理者の承認待ちの変更がある",
    "no_number": "番号も内線もない",
    "new_number_unverified": "番号が変わってから先方に確認されていない（faxgate を通さない複合機では止められない）",
}


def _unchecked_new_number(entry) -> bool:
    """A changed number neither used nor checked with the recipient since: faxgate blocks it as
    stale, but a device that dials its own book would not, so a direct book leaves it out."""
    return entry.number_since is not None and entry.last_used is None and entry.verified_on is None


def export_rows(uow, profile: PbxProfile, gateway_domain: str | None = None
                ) -> tuple[list[ExportRow], list[LeftOut]]:
    """The cleaned book for the devices: active, approved entries with dial strings derived from
    the canonical numbers (never the stored raw strings), or, for devices that send through
    faxgate (``gateway_domain``), each entry's faxgate address. Every entry left out is said,
    with why."""
    rows, left_out = [], []
    for entry in list_entries(uow, include_retired=True):
        dial = effective_dial(entry, profile)
        code = ("retired" if entry.status == "retired" else "needs_review" if entry.status != "active"
                else "pending_approval" if entry.pending_change_id is not None else "no_number" if dial is None
                else "new_number_unverified" if gateway_domain is None and _unchecked_new_number(entry) else "")
        if code:
            left_out.append(LeftOut(entry.slot, entry.name, code, _LEFT_OUT_JA[code]))
            continue
        rows.append(
            ExportRow(
                slot=entry.slot,
                name=entry.name,
                dial=dial.replace("-", ""),
                organization=entry.organization,
                kind=entry.kind,
                extension=entry.extension or "",
                last_used=entry.last_used.isoformat() if entry.last_used else "",
                verified_on=entry.verified_on.isoformat() if entry.verified_on else "",
                address=f"sd-{entry.slot}@{gateway_domain}" if gateway_domain else "",
            )
        )
    return rows, left_out
