"""Mail notices queued durably: to a job's submitter, incident alerts, approvers' notices. Each is
written in the unit of work of the change that calls for it (so no crash or mail outage loses
one), delivered by the worker one at a time, tried again with a doubling pause while the mail
server does not take it, set aside with an alert after `[mail] notice_tries`. The web app shows
each job's notices to its submitter and their state meanwhile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from gateway.adapters.notices import SUBJECTS, NoticeUndelivered, Notifier
from gateway.storage.directory_tables import utcnow
from gateway.core.states import JobState
from gateway.storage.repositories.notices import SENT, SET_ASIDE, WITHDRAWN
from gateway.storage.uow import UnitOfWork

log = structlog.get_logger("faxgate.notices")
ACTOR = "system:notices"
SET_ASIDE_ACTION = "notice.set_aside"
HOLD = dt.timedelta(minutes=2)  # a try in progress holds its notice this long (the SMTP timeout is 10 s)
LONGEST_PAUSE = 3600


@dataclass(frozen=True)
class NoticeShown:
    kind: str
    state: str  # pending | sent | set_aside
    tries: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    created_at: dt.datetime


def queue(uow: UnitOfWork, notifier: Notifier, notice: tuple) -> None:
    """Queue `notice` (services.confirm.notice_of's tuple) to the job's submitter."""
    kind, to, job_id, destination, reasons = notice
    recipients, subject, body = notifier.compose(kind, to, job_id, destination, reasons)
    queue_mail(uow, notifier, job_id=job_id, kind=kind, to=recipients, subject=subject, body=body)


def queue_mail(uow: UnitOfWork, notifier: Notifier, *, job_id: str | None, kind: str, to: list[str],
               subject: str, body: str) -> None:
    """Queue one mail, as composed, to everyone in `to` (each once) in this unit of work. With
    no [mail] url there is nobody to mail: logged, as the web app shows the job anyway."""
    recipients = sorted({address for address in to if address})
    if not notifier.configured:
        log.info("notice_not_sent", reason="no [mail] url configured", kind=kind, job=job_id)
        return
    if recipients:
        uow.notices.add(job_id=job_id, kind=kind, recipients=recipients, subject=subject, body=body)


def deliver_one(app) -> bool:
    """Try the oldest notice that is due; False when none is."""
    with app.unit_of_work() as uow:
        notice = uow.notices.claim_due(HOLD)
        if notice is None:
            return False
        notice_id, recipients, subject, body, tries = notice.id, notice.recipients, notice.subject, notice.body, notice.tries
        if _no_longer_asked(uow, notice):
            notice.state = WITHDRAWN
            log.info("notice_withdrawn", notice=notice_id, job=notice.job_id, kind=notice.kind)
            return True
    try:
        app.notifier.deliver(recipients, subject, body)
    except NoticeUndelivered as exc:
        _failed(app, notice_id, tries, str(exc))
        return True
    with app.unit_of_work() as uow:
        notice = uow.notices.get(notice_id)
        notice.state, notice.sent_at, notice.last_error = SENT, utcnow(), ""
    log.info("notice_sent", notice=notice_id, tries=tries)
    return True


def _no_longer_asked(uow: UnitOfWork, notice) -> bool:
    """An approver's mail queued during a mail outage asks for a confirmation the job may no
    longer wait for (confirmed, rejected or expired meanwhile): it would send people to a
    fax that is done, so it is not sent."""
    if not notice.kind.startswith("approver_") or notice.job_id is None:
        return False
    job = uow.jobs.get(notice.job_id)
    return job is None or job.state != JobState.AWAITING_CONFIRMATION


def _failed(app, notice_id: int, tries: int, error: str) -> None:
    mail = app.config.mail
    with app.unit_of_work() as uow:
        notice = uow.notices.get(notice_id)
        notice.last_error = error
        if tries < mail.notice_tries:
            pause = min(mail.notice_retry_seconds * 2 ** (tries - 1), LONGEST_PAUSE)
            notice.next_attempt_at = utcnow() + dt.timedelta(seconds=pause)
            log.warning("notice_failed", notice=notice_id, job=notice.job_id, tries=tries, retry_in=pause, error=error)
            return
        notice.state = SET_ASIDE
        uow.audit.append(ACTOR, SET_ASIDE_ACTION, notice.job_id or "", f"the {notice.kind} notice failed {tries} times: {error}",
                         notice=notice_id, kind=notice.kind, tries=tries)
    log.error("notice_set_aside", notice=notice_id, tries=tries, error=error)


def of_job(uow: UnitOfWork, job_id: str) -> list[NoticeShown]:
    """The notices to the job's submitter (not the alerts and approvers' mails about it)."""
    return [NoticeShown(n.kind, n.state, n.tries, n.next_attempt_at, n.sent_at, n.created_at)
            for n in uow.notices.of_job(job_id) if n.kind in SUBJECTS]
