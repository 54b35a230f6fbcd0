"""In-house delivery (庁内便): a job routed to an in-house section's inbox (gateway.core.in_house)
is, once approved like any fax, delivered there instead of to the fax server. The section's
staff see it, download exactly the approved bytes and acknowledge it; the sender sees who
acknowledged it and when; every view and download is in the audit trail; a delivery nobody
acknowledged is reminded to the section once. Nobody outside the section may open it: not the
sender, not an administrator (they see the job, its record and the trail, as for a fax)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from gateway.core.in_house import INBOX
from gateway.core.states import JobState
from gateway.services import jobs, notices
from gateway.services.jobs import utcnow
from gateway.storage.uow import UnitOfWork

ACTOR = "worker"
DELIVERED, REMINDER = "inbox_delivered", "inbox_reminder"  # the section's mails
IN_HOUSE_SENT, IN_HOUSE_FAILED = "delivered_in_house", "in_house_failed"  # the sender's (gateway.adapters.notices)


class NotForYou(LookupError):
    """Not a delivery to this person's section (or no such delivery): answered as not found, so
    nobody learns what another section received."""


@dataclass(frozen=True)
class Item:
    """One delivery as the receiving section sees it."""

    job_id: str
    from_department: str
    sender: str
    filename: str
    content_type: str
    pages: int | None
    sha256: str
    size: int
    delivered_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    reminded_at: dt.datetime | None


def deliver(uow: UnitOfWork, job, base_url: str, notifier) -> str:
    """Put the job (claimed for sending, in this unit of work) in its destination section's
    inbox: it is then sent, by in-house delivery, and the section's staff are told by mail where
    mail is configured (no number: there is none to dial). Returns the job's new state. Fails
    closed: an entry changed since it was confirmed sends the job back to be checked again
    (approved: the worker screens it again or asks for new confirmations); a section with
    nobody in faxgate to open it fails the job, and its sender is told."""
    entry = uow.directory.get(job.entry_id)
    department = entry.inbox if entry else None
    if (entry is None or entry.version != job.entry_version or entry.status != "active"
            or entry.pending_change_id or not department):
        jobs.move(uow, job, JobState.APPROVED, ACTOR, "the directory entry changed after confirmation: checked again")
        return JobState.APPROVED
    if not staffed(uow, department):
        job.reasons = [{"rule": "in_house", "code": "inbox_unstaffed", "action": "fail",
                        "message_ja": f"庁内便の宛先「{department}」には faxgate の利用者がいないため、届けられません",
                        "message_en": f"nobody of {department} uses faxgate: the in-house delivery has no recipient"}]
        jobs.move(uow, job, JobState.FAILED, ACTOR, f"nobody of {department} uses faxgate", route=INBOX)
        notices.queue(uow, notifier, (IN_HOUSE_FAILED, job.submitter_email, job.id, department, job.reasons))
        return JobState.FAILED
    uow.inbox.add(job.id, department)
    job.sent_at, job.relay_receipt = utcnow(), f"庁内便: {department}"
    jobs.move(uow, job, JobState.SENT, ACTOR, f"delivered to the in-house inbox of {department}",
              route=INBOX, department=department, sha256=job.content_sha256)
    uow.directory.mark_used(job.entry_id, dt.date.today())
    _tell_section(uow, notifier, job, department, DELIVERED, base_url)
    notices.queue(uow, notifier, (IN_HOUSE_SENT, job.submitter_email, job.id, department, []))
    return JobState.SENT


def staffed(uow: UnitOfWork, department: str) -> bool:
    """Whether someone active in faxgate belongs to `department` (could open its inbox)."""
    return bool(_members(uow, department))


def _members(uow: UnitOfWork, department: str) -> list:
    """The active users of `department`: those who may open its inbox (none for no department)."""
    return [u for u in uow.users.everyone() if u.active and u.department == department] if department else []


def _tell_section(uow: UnitOfWork, notifier, job, department: str, kind: str, base_url: str) -> None:
    staff = [u.email for u in _members(uow, department) if u.email]
    if not staff:
        return
    sender = job.submitter.name if job.submitter else job.submitter_email
    first = ("{d}あてに庁内便が届きました。" if kind == DELIVERED
             else "{d}あての庁内便が、まだ受領確認されていません。内容を確認し、受領を登録してください。").format(d=department)
    body = "\n".join([f"{department} の皆様", "", first, "", f"送信番号: {job.id}", f"差出人: {sender}（{job.department}）",
                      f"ページ数: {job.pages or '-'}", "", f"{base_url.rstrip('/')}/inbox/{job.id}"])
    subject = (f"【faxgate】庁内便が届きました ({job.id})" if kind == DELIVERED
               else f"【faxgate】庁内便の受領確認をお願いします ({job.id})")
    notices.queue_mail(uow, notifier, job_id=job.id, kind=kind, to=staff, subject=subject, body=body)


def items_for(uow: UnitOfWork, user) -> list[Item]:
    """What the person's section received, newest first."""
    if not user.department:
        return []
    return [_item(delivery, job) for delivery, job in uow.inbox.of_department(user.department)]


def _item(delivery, job) -> Item:
    sender = job.submitter.name if job.submitter else job.submitter_email
    return Item(job.id, job.department, sender, job.filename, job.content_type, job.pages, job.content_sha256, job.size,
                delivery.delivered_at, delivery.acknowledged_at, delivery.acknowledged_by, delivery.reminded_at)


def _theirs(uow: UnitOfWork, user, job_id: str):
    delivery = uow.inbox.get(job_id)
    if (delivery is None or user is None or not user.active or not delivery.department
            or user.department != delivery.department):
        raise NotForYou(job_id)
    return delivery, uow.jobs.get(job_id)


def view_page(uow: UnitOfWork, user, job_id: str, page: int) -> Item:
    """The delivery for a member of its section, whose page `page` they are shown (in the trail)."""
    delivery, job = _theirs(uow, user, job_id)
    uow.audit.append(f"user:{user.name}", "inbox.page_viewed", job_id, "", department=delivery.department, page=page)
    return _item(delivery, job)


def view(uow: UnitOfWork, user, job_id: str) -> Item:
    """The delivery for a member of its section; the look is in the audit trail."""
    delivery, job = _theirs(uow, user, job_id)
    uow.audit.append(f"user:{user.name}", "inbox.viewed", job_id, "", department=delivery.department)
    return _item(delivery, job)


def download(uow: UnitOfWork, user, job_id: str) -> tuple[Item, bytes | None]:
    """The approved bytes for a member of its section (None: purged at the end of its retention);
    each download is in the audit trail with the SHA-256 handed out."""
    delivery, job = _theirs(uow, user, job_id)
    document = uow.jobs.document_of(job_id)
    digest = hashlib.sha256(document).hexdigest() if document is not None else None
    uow.audit.append(f"user:{user.name}", "inbox.downloaded", job_id, "", department=delivery.department, sha256=digest)
    return _item(delivery, job), document


def acknowledge(uow: UnitOfWork, user, job_id: str) -> Item:
    """Receipt acknowledged by a member of the section; the first acknowledgement stands."""
    delivery, job = _theirs(uow, user, job_id)
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at, delivery.acknowledged_by = utcnow(), user.name
        uow.audit.append(f"user:{user.name}", "inbox.acknowledged", job_id, "", department=delivery.department)
    return _item(delivery, job)


def remind(app, now: dt.datetime) -> int:
    """Once per delivery: the section is reminded of what it has not acknowledged after
    `[in_house] inbox_remind_hours`."""
    before = now - dt.timedelta(hours=app.policy.in_house.remind_hours)
    reminded = 0
    with app.unit_of_work() as uow:
        for delivery in uow.inbox.unacknowledged_before(before):
            delivery.reminded_at = now
            job = uow.jobs.get(delivery.job_id)
            _tell_section(uow, app.notifier, job, delivery.department, REMINDER, app.public_url)
            uow.audit.append(ACTOR, "inbox.reminded", delivery.job_id, "", department=delivery.department)
            reminded += 1
    return reminded
