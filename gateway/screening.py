"""The screening chain: small named rules in one declarative table, each recording pass/hit and
a reason. Plain Python: lookups and the document loader are handed in.

A hit blocks or holds the job; a rule that raises holds it (fail closed). Every reason is
reported: after a hit the rules about the document still run (CONTENT_RULES). A rule named
in the policy's ``shadow`` list records what it would have done and the job continues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from directory.dialplan import dial_string_for, in_house_extension, read_dial_string
from directory.profile import PbxProfile
from gateway.addressing import DestinationRequest
from gateway.policy import Policy
from policies.pages import DocumentUnreadable


@dataclass(frozen=True)
class EntryView:
    id: int
    slot: int
    name: str
    organization: str
    kind: str
    status: str
    e164: str | None
    extension: str | None
    last_used: dt.date | None
    verified_on: dt.date | None
    version: int
    pending_change: int | None = None  # a directory change waiting for a second administrator


@dataclass(frozen=True)
class Hit:
    code: str
    message_ja: str
    message_en: str


@dataclass(frozen=True)
class Note:
    """A rule that passed but did something worth recording (e.g. prepended the cover sheet)."""

    code: str
    message_ja: str


@dataclass
class Subject:
    """What the rules look at, and what they establish about the job as they go."""

    request: DestinationRequest
    document_bytes: bytes  # the document as it will be sent (gateway.cover_prepend may change it)
    today: dt.date
    job_id: str = ""
    sender_department: str = ""
    sender_contact: str = ""  # the submitter's address, printed on faxgate's cover sheet
    e164: str | None = None
    dial_string: str | None = None
    entry: EntryView | None = None
    pages: int | None = None
    findings: list[dict] = field(default_factory=list)
    document: object | None = None  # policies.pages.Document: the pages as the recipient sees them
    screened: object | None = None  # policies.screen.ScreenResult
    cover_check: object | None = None  # gateway.coversheet.CoverCheck of the submitted first page
    cover_generated: bool = False  # faxgate's cover sheet is page 1 of document_bytes


@dataclass(frozen=True)
class Tools:
    profile: PbxProfile
    policy: Policy
    entry_by_slot: Callable[[int], EntryView | None]
    entries_by_number: Callable[[str], list[EntryView]]
    load_document: Callable[[bytes], object]  # policies.screen.load_for_screening, settings bound
    screen: Callable[[object], object]  # policies.screen.screen_loaded, settings bound
    check_cover: Callable[..., object]  # gateway.coversheet.cover_number_matches with the office bound
    # gateway.coversheet.addressee_mismatch with the office's own names bound: the addressee
    # printed on the page when it is an organisation other than the entry's, else None
    check_addressee: Callable[..., str | None] | None = None
    prepend_cover: Callable[[Subject], bytes] | None = None  # gateway.cover_prepend.outgoing_document, bound


Rule = Callable[[Subject, Tools], "Hit | Note | None"]


def destination_dialable(subject: Subject, tools: Tools) -> Hit | None:
    request = subject.request
    if request.kind == "speed_dial":
        entry = tools.entry_by_slot(request.slot)
        if entry is None or not (entry.e164 or entry.extension):
            return Hit("not_in_directory", f"短縮番号 {request.slot} は宛先表に登録されていません",
                       f"speed dial {request.slot} is not in the directory")
        subject.entry, subject.e164 = entry, entry.e164
    elif request.kind == "dial":
        reading = read_dial_string(request.dial, tools.profile)
        if reading.blocked:
            return Hit("undialable", reading.explanation, f"dial string {request.dial} must not be dialled")
        subject.e164 = reading.reaches
    else:
        subject.e164 = request.e164
    if subject.e164:
        subject.dial_string = dial_string_for(subject.e164, tools.profile)
    return None


_STATUS_ORDER = {"active": 0, "needs_review": 1, "retired": 2}


def in_directory(subject: Subject, tools: Tools) -> Hit | None:
    if subject.entry is None and subject.e164:
        entries = sorted(tools.entries_by_number(subject.e164),
                         key=lambda e: (e.pending_change is not None, _STATUS_ORDER[e.status], e.slot))
        subject.entry = entries[0] if entries else None
    if subject.entry is None:
        return Hit(
            "not_in_directory",
            "この番号は承認済みの宛先表にありません。宛先表への登録（管理者による確認）を依頼してください",
            "the number is not in the approved directory",
        )
    return None


def entry_approved(subject: Subject, tools: Tools) -> Hit | None:
    """An entry added, sent elsewhere or made usable again is not dialled until a second
    administrator approves that change."""
    if subject.entry.pending_change is not None:
        return Hit("entry_pending_approval",
                   f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は変更 #{subject.entry.pending_change} が"
                   "別の管理者の承認待ちのため使えません。承認後にもう一度送信してください",
                   "the directory entry has a change waiting for a second administrator")
    return None


def entry_reviewed(subject: Subject, tools: Tools) -> Hit | None:
    if subject.entry.status == "needs_review":
        return Hit("needs_review", f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は確認待ちのため使えません。"
                   "管理者に登録内容の確認を依頼してください", "the directory entry awaits review")
    return None


def entry_not_retired(subject: Subject, tools: Tools) -> Hit | None:
    if subject.entry.status == "retired":
        return Hit("retired", f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は廃止されています。"
                   "現在の番号を先方に確認してください", "the directory entry is retired")
    return None


def entry_not_stale(subject: Subject, tools: Tools) -> Hit | None:
    entry = subject.entry
    last = max((d for d in (entry.last_used, entry.verified_on) if d), default=None)
    if last is None or (subject.today - last).days > tools.policy.stale_days:
        since = f"{last.isoformat()} 以降" if last else "これまで"
        return Hit("stale", f"登録 {entry.slot}（{entry.name}）は{since}使用・確認されていません（基準 {tools.policy.stale_days} 日）。"
                   "番号が変わっていないか先方に確認し、管理者に確認日の記録を依頼してください",
                   f"the entry was not used or verified within {tools.policy.stale_days} days")
    return None


def internal_uses_extension(subject: Subject, tools: Tools) -> Hit | None:
    """In-house destinations are dialled by extension, never through the public network."""
    entry = subject.entry
    extension = in_house_extension(entry.kind, entry.extension, subject.e164, tools.profile)
    if extension:
        subject.dial_string = extension
    elif entry.kind == "internal":
        return Hit("internal_without_extension", f"庁内の宛先 {entry.name} に内線番号が登録されていません",
                   "in-house destination without an extension")
    if subject.e164 is None:
        subject.e164 = entry.e164
    return None


def document_readable(subject: Subject, tools: Tools) -> Hit | None:
    try:
        subject.document = tools.load_document(subject.document_bytes)
    except DocumentUnreadable as exc:
        return Hit(f"document_{exc.code}", exc.message_ja, exc.message_en)
    subject.pages = len(subject.document.pages)
    return None


def cover_sheet_number(subject: Subject, tools: Tools) -> Hit | None:
    """A submitted cover sheet that names another fax number than the one dialled blocks
    (Minato City 2022: a number copied from an old form). The first page is read as the
    screening read it: its text layer, or the OCR of a scan or fax TIFF (no second OCR)."""
    if subject.screened is None or not subject.screened.readings or not subject.e164:
        return None
    reading = subject.screened.readings[0]
    check = subject.cover_check = tools.check_cover(reading.text, subject.e164, dial_string=subject.dial_string,
                                                    confident=reading.confident)
    if check.status == "mismatch":
        return Hit("cover_number_mismatch", check.message_ja, check.message_en)
    return None


def cover_sheet_legible(subject: Subject, tools: Tools) -> Hit | None:
    """A cover sheet whose destination number could not be read with confidence is not
    taken to match: a person looks at it."""
    check = subject.cover_check
    if check is not None and check.status == "number_unreadable":
        return Hit("cover_number_unreadable", check.message_ja, check.message_en)
    return None


def addressee_matches(subject: Subject, tools: Tools) -> Hit | None:
    """The addressee printed on the first page (cover sheet or letter) is the entry's
    organisation: a mis-pressed speed dial sends 株式会社△△'s papers to a sister section,
    and the blind re-entry cannot see it (the second person types the entry's number)."""
    if tools.check_addressee is None or subject.screened is None or not subject.screened.readings \
            or subject.entry is None:
        return None
    reading = subject.screened.readings[0]
    found = tools.check_addressee(reading.sure_text, subject.entry.name, subject.entry.organization,
                                  confident=reading.confident)
    if found is None:
        return None
    entry = "　".join(p for p in (subject.entry.organization, subject.entry.name) if p)
    return Hit("addressee_mismatch",
               f"文書の宛名「{found}」が、送信先の宛先表の登録 {subject.entry.slot}（{entry}）と一致しません。"
               "短縮番号の押し間違いがないか、文書と宛先のどちらが正しいかを確認してください。",
               f"the document is addressed to {found!r} but the destination is directory entry "
               f"{subject.entry.slot} ({entry})")


def cover_wanted(mode: str, check) -> bool:
    """Whether the policy's `[coversheet] prepend` asks for faxgate's cover sheet: "when_missing"
    unless the submitted first page is a cover sheet naming the number dialled."""
    return mode == "always" or (mode == "when_missing" and getattr(check, "status", None) != "match")


def cover_sheet_prepend(subject: Subject, tools: Tools) -> Hit | Note | None:
    """faxgate's cover sheet as page 1 when the policy asks (countermeasure 4), before the pages
    are screened and confirmed: from here on the combined file is the job's document, the one
    screened, bound into every confirmation and relayed. A destination without an outside
    number (an extension only) gets none: the sheet exists to show that number."""
    if tools.prepend_cover is None or not subject.e164 or subject.document is None \
            or not cover_wanted(tools.policy.cover_prepend, subject.cover_check):
        return None
    submitted = len(subject.document.pages)
    try:
        combined = tools.prepend_cover(subject)
        document = tools.load_document(combined)
    except DocumentUnreadable as exc:
        return Hit("cover_sheet_failed", f"faxgate の送付票を文書の前に付けられませんでした。{exc.message_ja}",
                   f"faxgate's cover sheet could not be put in front of the document: {exc.message_en}")
    if len(document.pages) != submitted + 1:
        return Hit("cover_sheet_failed", "送付票を付けた文書のページ数が合いません。管理者に連絡してください。",
                   f"the document with the cover sheet has {len(document.pages)} pages, not {submitted + 1}")
    subject.document_bytes, subject.document, subject.pages = combined, document, len(document.pages)
    subject.cover_generated = True
    if subject.screened is not None:  # findings and holds name pages of the document as sent
        subject.screened = subject.screened.renumbered(1)
        subject.findings = [finding.to_json() for finding in subject.screened.findings]
    return Note("cover_sheet_generated",
                f"faxgate の送付票を1ページ目に付けました（送付票を含めて{len(document.pages)}枚）")


def personal_data(subject: Subject, tools: Tools) -> Hit | None:
    """Every submitted page as the recipient will see it (text layer checked against the drawn
    page, OCR of any ink it does not account for): unmasked personal data blocks. What was
    read serves the cover-sheet and addressee rules. faxgate's own cover sheet, put in front
    later, is not screened: it holds only the directory entry and the office's details."""
    if subject.document is None:
        return None
    subject.screened = tools.screen(subject.document)
    subject.findings = [finding.to_json() for finding in subject.screened.findings]
    if subject.screened.verdict == "block":
        ja, en = subject.screened.explanation()
        return Hit("personal_data", ja, en)
    return None


def pages_legible(subject: Subject, tools: Tools) -> Hit | None:
    """A page that could not be read with confidence is not clean: a person looks at it."""
    if subject.screened is None:
        return None
    hold = subject.screened.hold if subject.screened.verdict == "hold" else None
    if hold:
        return Hit(hold.code, hold.message_ja, hold.message_en)
    return None


# The chain: rule, and what a hit does. Order matters: later rules rely on what earlier ones found.
CHAIN: tuple[tuple[str, Rule, str], ...] = (
    ("destination_dialable", destination_dialable, "block"),
    ("in_directory", in_directory, "block"),
    ("entry_approved", entry_approved, "block"),
    ("entry_reviewed", entry_reviewed, "block"),
    ("entry_not_retired", entry_not_retired, "block"),
    ("entry_not_stale", entry_not_stale, "block"),
    ("internal_uses_extension", internal_uses_extension, "block"),
    ("document_readable", document_readable, "hold"),
    ("personal_data", personal_data, "block"),
    ("cover_sheet_number", cover_sheet_number, "block"),
    ("cover_sheet_legible", cover_sheet_legible, "hold"),
    ("addressee_matches", addressee_matches, "block"),
    ("cover_sheet_prepend", cover_sheet_prepend, "hold"),
    ("pages_legible", pages_legible, "hold"),
)
# Rules about the document: they run even after a destination rule has stopped the job, so
# the submitter learns every reason at once. Each does nothing where what it needs is missing
# (no document, no destination number, no entry). The other rules are skipped once one of
# them has hit: the destination rules rely on each other, and a job whose destination failed
# gets no cover sheet.
CONTENT_RULES = frozenset(("document_readable", "personal_data", "cover_sheet_number", "cover_sheet_legible",
                           "addressee_matches", "pages_legible"))


# The destination rules whose hit nobody can lift while the message waits: no entry in that
# slot, a number no entry has, an entry retired, a dial string that must not be dialled. An
# entry that awaits review or approval, or is stale, can become usable: those are screened.
_NEVER_ACCEPTABLE = (destination_dialable, in_directory, entry_not_retired)


@dataclass(frozen=True)
class DirectoryLookups:
    """The part of Tools the destination rules read: enough to judge a recipient before any
    document has arrived."""

    profile: PbxProfile
    entry_by_slot: Callable[[int], EntryView | None]
    entries_by_number: Callable[[str], list[EntryView]]


def destination_refusal(request: DestinationRequest, lookups: DirectoryLookups) -> Hit | None:
    """The hit of a destination rule the directory can never get past, for the intake to refuse
    at RCPT (the device shows it at once); None when only screening can decide."""
    subject = Subject(request=request, document_bytes=b"", today=dt.date.today())
    for rule in _NEVER_ACCEPTABLE:
        hit = rule(subject, lookups)
        if hit is not None:
            return hit
    return None


@dataclass(frozen=True)
class RuleRecord:
    rule: str
    outcome: str  # pass | hit | shadow | error | skipped
    action: str  # continue | block | hold
    code: str | None
    reason: str


@dataclass
class Outcome:
    state: str  # blocked | awaiting_confirmation
    records: list[RuleRecord]
    reasons: list[dict]


def run_chain(subject: Subject, tools: Tools, chain=CHAIN) -> Outcome:
    records: list[RuleRecord] = []
    reasons: list[dict] = []
    destination_failed = False
    for name, rule, action in chain:
        if destination_failed and name not in CONTENT_RULES:
            records.append(RuleRecord(name, "skipped", "continue", None, "the destination was already refused"))
            continue
        try:
            hit = rule(subject, tools)
        except Exception as exc:  # fail closed: a broken rule holds the job
            records.append(RuleRecord(name, "error", "hold", "screening_error", f"{type(exc).__name__}"))
            reasons.append({"rule": name, "code": "screening_error", "action": "hold",
                            "message_ja": "点検中にエラーが起きたため保留しました。管理者に連絡してください",
                            "message_en": f"screening rule {name} failed"})
            return Outcome("blocked", records, reasons)
        if hit is None or isinstance(hit, Note):
            records.append(RuleRecord(name, "pass", "continue", hit and hit.code, hit.message_ja if hit else ""))
            continue
        if name in tools.policy.shadow:
            records.append(RuleRecord(name, "shadow", "continue", hit.code, hit.message_ja))
            continue
        records.append(RuleRecord(name, "hit", action, hit.code, hit.message_ja))
        destination_failed = destination_failed or name not in CONTENT_RULES
        reasons.append({"rule": name, "code": hit.code, "action": action,
                        "message_ja": hit.message_ja, "message_en": hit.message_en})
    return Outcome("blocked" if reasons else "awaiting_confirmation", records, reasons)
