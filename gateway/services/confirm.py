"""Confirming and rejecting jobs against the database: the rules of gateway.core.confirmation,
applied to stored jobs, each attempt an audit event."""

from __future__ import annotations

import hashlib
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

from directory.digits import ForeignDigitError, ascii_digits
from gateway.core import confirmation, in_house
from gateway.services import jobs, resends
from gateway.storage.tables import Job, User
from gateway.storage.uow import UnitOfWork
from gateway.services.page_views import all_pages_seen
from gateway.services.jobs import binding_of, given_of, utcnow
from policies.highlight import auto_mask
from policies.documents.model import DocumentUnreadable
from policies.settings import ScreenSettings
from gateway.core.states import JobState


@dataclass(frozen=True)
class Answer:
    status: int
    message_ja: str
    code: str | None = None  # e.g. confirmation.PAGES_NOT_VIEWED


def person_of(user: User) -> confirmation.Person:
    """An account as the rules (gateway.core.confirmation, gateway.core.access) see a person."""
    return confirmation.Person(user.id, user.role, user.department, user.privacy_officer)


def may_see_number(uow: UnitOfWork, job: Job, user_id: int | None, policy, now=None) -> bool:
    """The one answer, for every door (API, web, mail), to whether this person may see where the
    job is to be dialled: see gateway.core.confirmation.number_shown_to."""
    user = uow.users.get(user_id)
    keeps_records = user is not None and (user.role in ("admin", "auditor") or bool(user.privacy_officer))
    return confirmation.number_shown_to(user_id, job.state, given_of(job), binding_of(job), now or utcnow(),
                                        policy.confirmation_ttl_hours, keeps_records)


def cover_number_hidden(uow: UnitOfWork, job: Job, user_id: int | None, policy) -> bool:
    """Whether the page previews must black out the number on faxgate's own cover sheet (page 1)."""
    return jobs.cover_generated(job.rule_results) and not may_see_number(uow, job, user_id, policy)


def number_hider(uow: UnitOfWork, job: Job):
    """A function taking the destination's number, in any way it is written, out of a text."""
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    forms = confirmation.number_forms(job.e164, job.dial_string)
    if entry:  # the entry as it is now too: it may have changed since the job was screened
        forms |= confirmation.number_forms(entry.e164, entry.extension)
    requested = re.sub(r"\D", "", job.destination_input or "")  # a number or dial string as addressed,
    if len(requested) >= 6:  # even one that reaches nothing (a speed dial's slot is no number)
        forms.add(requested)
    return lambda text: confirmation.hide_number(text, forms)


def notice_of(uow: UnitOfWork, job: Job, policy) -> tuple:
    """The arguments of Notifier.notify for the job's submitter, as it is now: the number only
    where the submitter may see it (a "please confirm" or "stopped" mail never prints it)."""
    if may_see_number(uow, job, job.submitter_id, policy):
        destination, reasons = job.e164 or job.dial_string or job.destination_input, job.reasons or []
    else:
        entry = uow.directory.get(job.entry_id) if job.entry_id else None
        name = "宛先表にない宛先" if entry is None else "　".join(p for p in (entry.organization, entry.name) if p)
        destination = f"{name}（番号は表示しません。確認では文書か依頼の番号を入力してください）"
        reasons = _hidden(job.reasons or [], number_hider(uow, job))
    if job.route == in_house.INBOX:
        destination += "（庁内便: ファクスは送らず、宛先の課の faxgate の受信箱に届けます）"
    return job.state, job.submitter_email, job.id, destination, reasons


def _hidden(value, hide):
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, list):
        return [_hidden(item, hide) for item in value]
    if isinstance(value, dict):
        return {key: _hidden(item, hide) for key, item in value.items()}
    return value


def job_json(uow: UnitOfWork, job: Job, now=None, *, reveal_number: bool) -> dict:
    """The job as JSON. Without ``reveal_number`` (see may_see_number) nothing in it gives the
    destination's number away: the number fields are null and every text has it hidden."""
    data = _job_json(uow, job, now)
    if reveal_number:
        return data
    data = _hidden(data, number_hider(uow, job))
    data["destination"].update(e164=None, dial_string=None, requested=None)
    return data


def _job_json(uow: UnitOfWork, job: Job, now=None) -> dict:
    now = now or utcnow()
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    binding = binding_of(job)
    valid = {(g.user_id, g.role) for g in confirmation.valid_confirmations(given_of(job), binding, now, 10**6)}
    return {
        "id": job.id,
        "state": job.state,
        "pages": job.pages,
        "created_at": job.created_at.isoformat(),
        "submitter": job.submitter_email,
        "department": job.department,
        "device": job.device,
        # A device's resend after a crash (services.resends): the job it resends, and how many
        # copies of this job arrived while it was under way.
        "resend_of": job.resend_of,
        "resends_received": resends.copies_received(uow, job.id),
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
                     "received_sha256": jobs.received_sha256(uow, job)},
        "findings": job.findings,
        "reasons": job.reasons,
        "extra_approvers": job.extra_approvers,  # asked for by the screening findings
        "needs_privacy_officer": job.needs_privacy_officer,  # one approver must be a privacy officer
        "confirmations": [
            {"user": c.user.name, "role": c.role, "at": c.at.isoformat(), "valid": (c.user_id, c.role) in valid,
             "privacy_officer": c.role == "approver" and c.user.privacy_officer}
            for c in job.confirmations
        ],
        "rules": [{"run": r.run, "rule": r.rule, "outcome": r.outcome, "code": r.code, "reason": r.reason}
                  for r in job.rule_results],
        "attempts": job.attempts,
        "relay_receipt": job.relay_receipt,
        "route": job.route,  # fax | inbox (庁内便: delivered to the section's inbox, never faxed)
        "in_house": _in_house_json(uow.inbox.get(job.id)),
    }


def _in_house_json(delivery) -> dict | None:
    """Who of the destination section acknowledged the delivery, and when (for its sender)."""
    if delivery is None:
        return None
    moments = {"delivered_at": delivery.delivered_at, "acknowledged_at": delivery.acknowledged_at,
               "reminded_at": delivery.reminded_at}
    return {"department": delivery.department, "acknowledged_by": delivery.acknowledged_by,
            **{name: moment.isoformat() if moment else None for name, moment in moments.items()}}


DESTINATION_CHANGED = "destination_changed"
FOREIGN_DIGITS = "foreign_digits"


def confirm(uow: UnitOfWork, job: Job, user: User, entered: str, policy) -> Answer:
    try:
        ascii_digits(entered)
    except ForeignDigitError as exc:  # not a wrong number (it counts toward none): digits no device dials
        uow.audit.append(f"user:{user.name}", "job.confirm_attempt", job.id, exc.message_ja, status=400,
                         code=FOREIGN_DIGITS)
        return Answer(400, exc.message_ja, FOREIGN_DIGITS)
    if job.state == JobState.AWAITING_CONFIRMATION and jobs.screened_against_the_past(uow, job, policy):
        return _changed_since_screening(uow, job, user, entered)
    now = utcnow()
    binding = binding_of(job)
    needs = jobs.needs_of(job, policy)
    seen = uow.page_views.pages_seen(user.id, job.id, job.content_sha256)
    decision = confirmation.decide(
        state=job.state, submitter_id=job.submitter_id, job_department=job.department, binding=binding,
        given=given_of(job), person=person_of(user),
        number_ok=bool(job.e164 or job.dial_string) and confirmation.number_matches(entered, job.e164, job.dial_string),
        pages_seen=all_pages_seen(seen, job.pages), now=now, ttl_hours=policy.confirmation_ttl_hours, needs=needs,
        wrong_numbers=_wrong_numbers(uow, job.id, user),
    )
    uow.audit.append(f"user:{user.name}", "job.confirm_attempt", job.id, decision.message_ja,
                     status=decision.status, role=decision.as_role, code=decision.code, pages_seen=sorted(seen))
    if decision.status != 200:
        return Answer(decision.status, decision.message_ja, decision.code)
    uow.jobs.add_confirmation(
        job, user_id=user.id, role=decision.as_role, entered=entered[:64], content_sha256=binding.content_sha256,
        e164=binding.e164, entry_version=binding.entry_version, policy_version=binding.policy_version, at=now,
    )
    if confirmation.is_approved(given_of(job), binding, now, policy.confirmation_ttl_hours, needs):
        job.next_attempt_at = None
        jobs.move(uow, job, JobState.APPROVED, f"user:{user.name}", "submitter and approver confirmed the destination")
    return Answer(200, decision.message_ja)


def _wrong_numbers(uow: UnitOfWork, job_id: str, user: User) -> int:
    """How often this person re-entered a number that is not this job's destination (audited)."""
    attempts = uow.audit.data_of(job_id, "job.confirm_attempt", actor=f"user:{user.name}")
    return sum(1 for data in attempts if data.get("status") == 422)


def _changed_since_screening(uow: UnitOfWork, job: Job, user: User, entered: str) -> Answer:
    """The entry changed under a job waiting for confirmation (say an admin corrected its number):
    no confirmation of the old destination is taken. The job is screened again from the document
    as submitted; then both people confirm the new number. The old number is a mismatch."""
    jobs.screen_again(uow, job, f"user:{user.name}", "the directory entry or the policy changed: screened again")
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    is_new = entry is not None and any(confirmation.number_matches(entered, entry.e164, dial)
                                       for dial in (entry.extension, entry.source_dial))
    answer = (Answer(409, "宛先表の登録が変わったため、この送信を点検し直しています。点検が終わったら、"
                          "依頼者から順にもう一度確認してください", DESTINATION_CHANGED) if is_new else
              Answer(422, confirmation.NUMBER_MISMATCH_JA))  # the same words: no hint that it was right before
    uow.audit.append(f"user:{user.name}", "job.confirm_attempt", job.id, answer.message_ja,
                     status=answer.status, role=None, code=answer.code)
    return answer


def reject(uow: UnitOfWork, job: Job, user: User, reason: str) -> Answer:
    if job.state not in (JobState.AWAITING_CONFIRMATION, JobState.APPROVED, JobState.BLOCKED):
        return Answer(409, f"この送信は取り消せる状態ではありません（状態: {job.state}）")
    may = user.id == job.submitter_id or (user.role == "approver" and user.department == job.department) or user.role == "admin"
    if not may:
        return Answer(403, "この送信を却下する権限がありません")
    if not reason.strip():
        return Answer(422, "却下の理由を入力してください")
    jobs.move(uow, job, JobState.REJECTED, f"user:{user.name}", reason.strip()[:500])
    return Answer(200, "却下しました")


def _masked_refusal(job: Job, user: User) -> Answer | None:
    if user.id != job.submitter_id:
        return Answer(403, "黒塗り版で送り直せるのは依頼者本人だけです")
    if job.state != JobState.BLOCKED or not any(r["code"] == "personal_data" for r in job.reasons):
        return Answer(409, "個人情報のために止めた送信だけを黒塗り版に置き換えられます")
    return None


def send_masked(unit_of_work: Callable[..., AbstractContextManager[UnitOfWork]], job_id: str, user_id: int,
                settings: ScreenSettings) -> Answer:
    """Make the auto-masked version of a job blocked for personal data and put it in the job's
    place (see replace_with_masked). The pages are rendered and masked between two short
    transactions, never inside one. On success the answer's message is the new job's id."""
    with unit_of_work(read_only=True) as uow:
        job = uow.jobs.get(job_id)
        refusal = _masked_refusal(job, uow.users.get(user_id))
        if refusal:
            return refusal
        unmasked, document = [f for f in job.findings if not f["masked"]], uow.jobs.document_of(job_id)
        if document is None:  # purged: its retention period is over (gateway.services.retention)
            return Answer(409, "保存期間を過ぎて文書が削除されたため、黒塗り版を作れません")
        # faxgate's own cover sheet stays out: the new job gets one of its own when screened
        first_page = 2 if jobs.cover_generated(job.rule_results) else 1
    try:
        masked = auto_mask(document, unmasked, settings, first_page)
    except DocumentUnreadable as exc:  # fail closed: nothing replaces the stopped job
        return Answer(409, f"黒塗り版を作れませんでした: {exc.message_ja}")
    with unit_of_work() as uow:
        return replace_with_masked(uow, uow.jobs.get(job_id), uow.users.get(user_id), masked)


MASKED_IDENTITY = "auto-masked version of {original} chosen by {user}"
_MASKED_IDENTITY = re.compile(r"auto-masked version of (\S+) chosen by ")


def masked_original(job: Job) -> str | None:
    """The id of the stopped job this one is the auto-masked version of (see replace_with_masked)."""
    found = _MASKED_IDENTITY.match(job.identity_source or "")
    return found.group(1) if found else None


def masked_replacement(uow: UnitOfWork, job: Job) -> str | None:
    """The id of the auto-masked job that replaced this stopped one, if the submitter chose it."""
    if job.state != JobState.REJECTED:
        return None
    return next((data["masked_job"] for data in uow.audit.data_of(job.id, "job.rejected") if data.get("masked_job")), None)


def replace_with_masked(uow: UnitOfWork, job: Job, user: User, masked_document: bytes) -> Answer:
    """The submitter sends the auto-masked version instead of a job blocked for personal data:
    a new job (screened and confirmed like any other); the blocked one is settled as replaced."""
    refusal = _masked_refusal(job, user)  # again: the job may have changed while it was masked
    if refusal:
        return refusal
    [new_id] = jobs.create_jobs(uow, [_replacement(
        uow, job, user, masked_document, MASKED_IDENTITY, content_type="application/pdf",
        filename=f"masked-{job.filename.rsplit('.', 1)[0]}.pdf")])
    jobs.move(uow, job, JobState.REJECTED, f"user:{user.name}", f"replaced by the auto-masked job {new_id}", masked_job=new_id)
    return Answer(200, new_id)


def _replacement(uow: UnitOfWork, job: Job, user: User, document: bytes, identity: str, **fields) -> dict:
    """The new job the submitter chose in place of a stopped one: the same message, device, site,
    book and destination as asked for, with `document`; `fields`: what differs besides."""
    return dict(
        message=uow.jobs.blob(job.id).message, document=document, actor=f"user:{user.name}",
        submitter_id=job.submitter_id, submitter_email=job.submitter_email, department=job.department,
        identity_source=identity.format(original=job.id, user=user.name), device=job.device,
        site=job.site, book=job.book,
        client_address=job.client_address, envelope_from=job.envelope_from, recipient=job.recipient,
        destination_kind=job.destination_kind, destination_input=job.destination_input, subaddress=job.subaddress,
        e164=job.e164 if job.destination_kind in ("e164", "national") else None,
        content_sha256=hashlib.sha256(document).hexdigest(), size=len(document), **fields)


INBOX_IDENTITY = "in-house delivery of {original} chosen by {user}"


def inbox_replacement(uow: UnitOfWork, job: Job) -> str | None:
    """The id of the in-house delivery that replaced this stopped job, if the submitter chose it."""
    if job.state != JobState.REJECTED:
        return None
    return next((data["inbox_job"] for data in uow.audit.data_of(job.id, "job.rejected") if data.get("inbox_job")), None)


def send_by_inbox(uow: UnitOfWork, job: Job, user: User) -> Answer:
    """The submitter sends a job blocked for personal data to an in-house section by its inbox
    (庁内便) instead of masking it: a new job of the same pages, routed to the inbox, screened and
    confirmed like any other; the blocked one is settled as replaced. On success the answer's
    message is the new job's id."""
    if user is None or user.id != job.submitter_id:
        return Answer(403, "庁内便に切り替えられるのは依頼者本人だけです")
    if job.state != JobState.BLOCKED or not any(r["code"] == "personal_data" for r in job.reasons):
        return Answer(409, "個人情報のために止めた送信だけを庁内便に切り替えられます")
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    if entry is None or not entry.inbox:
        return Answer(409, "この宛先は faxgate の庁内便を受け取れません")
    blob = uow.jobs.blob(job.id)
    document = blob.submitted_document if blob.submitted_document is not None else blob.document
    if document is None:  # purged: its retention period is over (gateway.services.retention)
        return Answer(409, "保存期間を過ぎて文書が削除されたため、庁内便に切り替えられません")
    [new_id] = jobs.create_jobs(uow, [_replacement(uow, job, user, document, INBOX_IDENTITY, route=in_house.INBOX,
                                                   content_type=job.content_type, filename=job.filename)])
    jobs.move(uow, job, JobState.REJECTED, f"user:{user.name}", f"replaced by the in-house delivery {new_id}",
              inbox_job=new_id)
    return Answer(200, new_id)
