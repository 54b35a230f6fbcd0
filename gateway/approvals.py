"""Confirming and rejecting jobs against the database: the rules of gateway.confirmation,
applied to stored jobs, each attempt an audit event."""

from __future__ import annotations

import hashlib
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from directory.schema import DirectoryEntry
from gateway import auditlog, confirmation, jobs
from gateway.models import AuditEvent, Confirmation, Job, JobBlob, User
from gateway.page_views import all_pages_seen, pages_seen
from gateway.jobs import as_utc, binding_of, given_of, utcnow
from policies.highlight import auto_mask
from policies.pages import DocumentUnreadable
from policies.settings import ScreenSettings


@dataclass(frozen=True)
class Answer:
    status: int
    message_ja: str
    code: str | None = None  # e.g. confirmation.PAGES_NOT_VIEWED


def may_see_number(job: Job, user_id: int | None, policy, now=None) -> bool:
    """The one answer, for every door (API, web, mail), to whether this person may see where the
    job is to be dialled: see gateway.confirmation.number_shown_to."""
    user = object_session(job).get(User, user_id) if user_id is not None else None
    keeps_records = user is not None and (user.role in ("admin", "auditor") or bool(user.privacy_officer))
    return confirmation.number_shown_to(user_id, job.state, given_of(job), binding_of(job), now or utcnow(),
                                        policy.confirmation_ttl_hours, keeps_records)


def cover_number_hidden(job: Job, user_id: int | None, policy) -> bool:
    """Whether the page previews must black out the number on faxgate's own cover sheet (page 1)."""
    return jobs.cover_generated(job.rule_results) and not may_see_number(job, user_id, policy)


def number_hider(session: Session, job: Job):
    """A function taking the destination's number, in any way it is written, out of a text."""
    entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
    forms = confirmation.number_forms(job.e164, job.dial_string)
    if entry:  # the entry as it is now too: it may have changed since the job was screened
        forms |= confirmation.number_forms(entry.e164, entry.extension)
    requested = re.sub(r"\D", "", job.destination_input or "")  # a number or dial string as addressed,
    if len(requested) >= 6:  # even one that reaches nothing (a speed dial's slot is no number)
        forms.add(requested)
    return lambda text: confirmation.hide_number(text, forms)


def notice_of(session: Session, job: Job, policy) -> tuple:
    """The arguments of Notifier.notify for the job's submitter, as it is now: the number only
    where the submitter may see it (a "please confirm" or "stopped" mail never prints it)."""
    if may_see_number(job, job.submitter_id, policy):
        destination, reasons = job.e164 or job.dial_string or job.destination_input, job.reasons or []
    else:
        entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
        name = "宛先表にない宛先" if entry is None else "　".join(p for p in (entry.organization, entry.name) if p)
        destination = f"{name}（番号は表示しません。確認では文書か依頼の番号を入力してください）"
        reasons = _hidden(job.reasons or [], number_hider(session, job))
    return job.state, job.submitter_email, job.id, destination, reasons


def _hidden(value, hide):
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, list):
        return [_hidden(item, hide) for item in value]
    if isinstance(value, dict):
        return {key: _hidden(item, hide) for key, item in value.items()}
    return value


def job_json(session: Session, job: Job, now=None, *, reveal_number: bool) -> dict:
    """The job as JSON. Without ``reveal_number`` (see may_see_number) nothing in it gives the
    destination's number away: the number fields are null and every text has it hidden."""
    data = _job_json(session, job, now)
    if reveal_number:
        return data
    data = _hidden(data, number_hider(session, job))
    data["destination"].update(e164=None, dial_string=None, requested=None)
    return data


def _job_json(session: Session, job: Job, now=None) -> dict:
    now = now or utcnow()
    entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
    binding = binding_of(job)
    valid = {(g.user_id, g.role) for g in confirmation.valid_confirmations(given_of(job), binding, now, 10**6)}
    return {
        "id": job.id,
        "state": job.state,
        "pages": job.pages,
        "created_at": as_utc(job.created_at).isoformat(),
        "submitter": job.submitter_email,
        "department": job.department,
        "device": job.device,
        "destination": {
            "e164": job.e164,
            "dial_string": job.dial_string,
            "entry": {"id": entry.id, "slot": entry.slot, "name": entry.name, "organization": entry.organization,
                      "status": entry.status, "version": entry.version,
                      "verified_on": entry.verified_on.isoformat() if entry.verified_on else None} if entry else None,
            "requested": job.recipient,
        },
        "document": {"sha256": job.content_sha256, "content_type": job.content_type, "filename": job.filename,
                     "size": job.size, "pages": job.pages,
                     # faxgate's cover sheet is page 1 (counted in pages); received_sha256: as submitted
                     "cover_sheet_generated": jobs.cover_generated(job.rule_results),
                     "received_sha256": jobs.received_sha256(session, job)},
        "findings": job.findings,
        "reasons": job.reasons,
        "extra_approvers": job.extra_approvers,  # asked for by the screening findings
        "needs_privacy_officer": job.needs_privacy_officer,  # one approver must be a privacy officer
        "confirmations": [
            {"user": c.user.name, "role": c.role, "at": as_utc(c.at).isoformat(), "valid": (c.user_id, c.role) in valid,
             "privacy_officer": c.role == "approver" and c.user.privacy_officer}
            for c in job.confirmations
        ],
        "rules": [{"run": r.run, "rule": r.rule, "outcome": r.outcome, "code": r.code, "reason": r.reason}
                  for r in job.rule_results],
        "attempts": job.attempts,
        "relay_receipt": job.relay_receipt,
    }


DESTINATION_CHANGED = "destination_changed"


def confirm(session: Session, job: Job, user: User, entered: str, policy) -> Answer:
    if job.state == "awaiting_confirmation" and jobs.screened_against_the_past(session, job, policy):
        return _changed_since_screening(session, job, user, entered)
    now = utcnow()
    binding = binding_of(job)
    needs = jobs.needs_of(job, policy)
    seen = pages_seen(session, user.id, job.id, job.content_sha256)
    decision = confirmation.decide(
        state=job.state, submitter_id=job.submitter_id, job_department=job.department, binding=binding,
        given=given_of(job), person=confirmation.Person(user.id, user.role, user.department, user.privacy_officer),
        number_ok=bool(job.e164 or job.dial_string) and confirmation.number_matches(entered, job.e164, job.dial_string),
        pages_seen=all_pages_seen(seen, job.pages), now=now, ttl_hours=policy.confirmation_ttl_hours, needs=needs,
        wrong_numbers=_wrong_numbers(session, job.id, user),
    )
    auditlog.append(session, f"user:{user.name}", "job.confirm_attempt", job.id, decision.message_ja,
                    status=decision.status, role=decision.as_role, code=decision.code, pages_seen=sorted(seen))
    if decision.status != 200:
        return Answer(decision.status, decision.message_ja, decision.code)
    job.confirmations.append(Confirmation(
        user_id=user.id, role=decision.as_role, entered=entered[:64], content_sha256=binding.content_sha256,
        e164=binding.e164, entry_version=binding.entry_version, policy_version=binding.policy_version, at=now,
    ))
    session.flush()
    if confirmation.is_approved(given_of(job), binding, now, policy.confirmation_ttl_hours, needs):
        job.next_attempt_at = None
        jobs.move(session, job, "approved", f"user:{user.name}", "submitter and approver confirmed the destination")
    return Answer(200, decision.message_ja)


def _wrong_numbers(session: Session, job_id: str, user: User) -> int:
    """How often this person re-entered a number that is not this job's destination (audited)."""
    attempts = session.scalars(select(AuditEvent.data).where(
        AuditEvent.subject == job_id, AuditEvent.action == "job.confirm_attempt", AuditEvent.actor == f"user:{user.name}"))
    return sum(1 for data in attempts if (data or {}).get("status") == 422)


def _changed_since_screening(session: Session, job: Job, user: User, entered: str) -> Answer:
    """The entry changed under a job waiting for confirmation (say an admin corrected its number):
    no confirmation of the old destination is taken. The job is screened again from the document
    as submitted; then both people confirm the new number. The old number is a mismatch."""
    jobs.screen_again(session, job, f"user:{user.name}", "the directory entry or the policy changed: screened again")
    entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
    is_new = entry is not None and any(confirmation.number_matches(entered, entry.e164, dial)
                                       for dial in (entry.extension, entry.source_dial))
    answer = (Answer(409, "宛先表の登録が変わったため、この送信を点検し直しています。点検が終わったら、"
                          "依頼者から順にもう一度確認してください", DESTINATION_CHANGED) if is_new else
              Answer(422, confirmation.NUMBER_MISMATCH_JA))  # the same words: no hint that it was right before
    auditlog.append(session, f"user:{user.name}", "job.confirm_attempt", job.id, answer.message_ja,
                    status=answer.status, role=None, code=answer.code)
    return answer


def reject(session: Session, job: Job, user: User, reason: str) -> Answer:
    if job.state not in ("awaiting_confirmation", "approved", "blocked"):
        return Answer(409, f"この送信は取り消せる状態ではありません（状態: {job.state}）")
    may = user.id == job.submitter_id or (user.role == "approver" and user.department == job.department) or user.role == "admin"
    if not may:
        return Answer(403, "この送信を却下する権限がありません")
    if not reason.strip():
        return Answer(422, "却下の理由を入力してください")
    jobs.move(session, job, "rejected", f"user:{user.name}", reason.strip()[:500])
    return Answer(200, "却下しました")


def _masked_refusal(job: Job, user: User) -> Answer | None:
    if user.id != job.submitter_id:
        return Answer(403, "黒塗り版で送り直せるのは依頼者本人だけです")
    if job.state != "blocked" or not any(r["code"] == "personal_data" for r in job.reasons):
        return Answer(409, "個人情報のために止めた送信だけを黒塗り版に置き換えられます")
    return None


def send_masked(unit_of_work: Callable[[], AbstractContextManager[Session]], job_id: str, user_id: int,
                settings: ScreenSettings) -> Answer:
    """Make the auto-masked version of a job blocked for personal data and put it in the job's
    place (see replace_with_masked). The pages are rendered and masked between two short
    transactions, never inside one. On success the answer's message is the new job's id."""
    with unit_of_work() as session:
        job = session.get(Job, job_id)
        refusal = _masked_refusal(job, session.get(User, user_id))
        if refusal:
            return refusal
        unmasked, document = [f for f in job.findings if not f["masked"]], jobs.document_of(session, job_id)
        # faxgate's own cover sheet stays out: the new job gets one of its own when screened
        first_page = 2 if jobs.cover_generated(job.rule_results) else 1
    try:
        masked = auto_mask(document, unmasked, settings, first_page)
    except DocumentUnreadable as exc:  # fail closed: nothing replaces the stopped job
        return Answer(409, f"黒塗り版を作れませんでした: {exc.message_ja}")
    with unit_of_work() as session:
        return replace_with_masked(session, session.get(Job, job_id), session.get(User, user_id), masked)


def replace_with_masked(session: Session, job: Job, user: User, masked_document: bytes) -> Answer:
    """The submitter sends the auto-masked version instead of a job blocked for personal data:
    a new job (screened and confirmed like any other); the blocked one is settled as replaced."""
    refusal = _masked_refusal(job, user)  # again: the job may have changed while it was masked
    if refusal:
        return refusal
    blob = session.get(JobBlob, job.id)
    [new_id] = jobs.create_jobs(session, [dict(
        message=blob.message, document=masked_document, actor=f"user:{user.name}",
        submitter_id=job.submitter_id, submitter_email=job.submitter_email, department=job.department,
        identity_source=f"auto-masked version of {job.id} chosen by {user.name}", device=job.device,
        client_address=job.client_address, envelope_from=job.envelope_from, recipient=job.recipient,
        destination_kind=job.destination_kind, destination_input=job.destination_input, subaddress=job.subaddress,
        e164=job.e164 if job.destination_kind in ("e164", "national") else None,
        content_sha256=hashlib.sha256(masked_document).hexdigest(), content_type="application/pdf",
        filename=f"masked-{job.filename.rsplit('.', 1)[0]}.pdf", size=len(masked_document),
    )])
    jobs.move(session, job, "rejected", f"user:{user.name}", f"replaced by the auto-masked job {new_id}", masked_job=new_id)
    return Answer(200, new_id)
