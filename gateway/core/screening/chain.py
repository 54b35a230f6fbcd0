"""The screening chain's interpreter: runs the rules of `rules.CHAIN` over a subject, each
recording pass/hit and a reason, in the manner of Mailman's chains.

A hit blocks or holds the job; a rule that raises holds it (fail closed). Every reason is
reported: after a destination rule has hit, the rules about the document still run
(`Rule.about_content`). A rule named in the policy's ``shadow`` list records what it would have
done and the job continues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.addressing import DestinationRequest
from gateway.core.screening.rule import Code, Hit, Note, Rule
from gateway.core.screening.rules import CHAIN
from gateway.core.screening.subject import DirectoryLookups, Subject, Tools
from gateway.core.states import JobState

SCREENING_ERROR = Code(
    "screening_error", "点検中のエラー", "error while checking",
    "管理者に連絡してください。原因が直るまでこのファクスは送られません。",
    "Tell an administrator. The fax is not sent until the cause is fixed.")
# For a code this release no longer gives (a job stopped by an older one).
GENERAL = Code(
    "", "", "", "原因を直して複合機から送り直してください。分からないときは所属の承認者に相談してください。",
    "Fix the cause and send the fax again from the device. If you are unsure, ask your department's approver.")
RULE_NAMES = tuple(rule.name for rule in CHAIN)
# Every code a job's reasons can carry, with its summary and advice: for the web, the API and
# the notices alike.
CODES: dict[str, Code] = {code.code: code for rule in CHAIN for code in rule.codes} | {
    SCREENING_ERROR.code: SCREENING_ERROR}


def code_of(code: str) -> Code:
    return CODES.get(code, GENERAL)


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


def error_reason(rule: str, message_en: str) -> dict:
    """The reason a job is held when screening itself failed."""
    return {"rule": rule, "code": SCREENING_ERROR.code, "action": "hold",
            "message_ja": "点検中にエラーが起きたため保留しました。管理者に連絡してください",
            "message_en": message_en}


def run_chain(subject: Subject, tools: Tools, chain: tuple[Rule, ...] = CHAIN) -> Outcome:
    records: list[RuleRecord] = []
    reasons: list[dict] = []
    destination_failed = False
    for rule in chain:
        if destination_failed and not rule.about_content:
            records.append(RuleRecord(rule.name, "skipped", "continue", None, "the destination was already refused"))
            continue
        try:
            hit = rule.check(subject, tools)
        except Exception as exc:  # fail closed: a broken rule holds the job
            records.append(RuleRecord(rule.name, "error", "hold", SCREENING_ERROR.code, f"{type(exc).__name__}"))
            reasons.append(error_reason(rule.name, f"screening rule {rule.name} failed"))
            return Outcome(JobState.BLOCKED, records, reasons)
        if hit is None or isinstance(hit, Note):
            records.append(RuleRecord(rule.name, "pass", "continue", hit and hit.code, hit.message_ja if hit else ""))
            continue
        if rule.name in tools.policy.shadow:
            records.append(RuleRecord(rule.name, "shadow", "continue", hit.code, hit.message_ja))
            continue
        records.append(RuleRecord(rule.name, "hit", rule.action, hit.code, hit.message_ja))
        destination_failed = destination_failed or not rule.about_content
        reasons.append({"rule": rule.name, "code": hit.code, "action": rule.action,
                        "message_ja": hit.message_ja, "message_en": hit.message_en})
    return Outcome(JobState.BLOCKED if reasons else JobState.AWAITING_CONFIRMATION, records, reasons)


def destination_refusal(request: DestinationRequest, lookups: DirectoryLookups) -> Hit | None:
    """The hit of a destination rule the directory can never get past, for the intake to refuse
    at RCPT (the device shows it at once); None when only screening can decide."""
    subject = Subject(request=request, document_bytes=b"", today=dt.date.today())
    for rule in CHAIN:
        if rule.refused_at_rcpt:
            hit = rule.check(subject, lookups)
            if hit is not None:
                return hit
    return None
