"""Approvers told: when a job waits for an approver's confirmation (after its submitter's), every
approver who may give it (gateway.core.access.awaits: the department's approvers, only privacy
officers when only theirs is missing) gets a mail with a link to the confirmation, once; and once
more, a reminder, when the job is close to expiring. The web app always shows the same jobs
(the header's count and the list "確認待ち", gateway.services.queues.waiting_for).

The mail never carries the number, nor anything that may hold it (the recipient address, the
file name, the destination's name as typed): the approver re-enters the number blind from the
document, and a mail is read on any screen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from gateway.core import access
from gateway.core.office_time import office_clock
from gateway.core.states import JobState
from gateway.services.confirm import person_of
from gateway.services import notices
from gateway.services.jobs import binding_of, given_of, needs_of

log = structlog.get_logger("faxgate.approver_notices")
WAITING, REMINDER = "waiting", "reminder"
REMIND_AT = 0.75  # of the job's time to live: the reminder goes when a quarter is left


@dataclass(frozen=True)
class Notice:
    kind: str
    job_id: str
    user_id: int
    to: str
    subject: str
    body: str


def due(uow, now: dt.datetime, policy, base_url: str) -> list[Notice]:
    """The notices owed now and not yet given."""
    waiting = uow.jobs.in_states((JobState.AWAITING_CONFIRMATION,))
    if not waiting:
        return []
    given = uow.approver_notices.given([job.id for job in waiting])
    approvers = [u for u in uow.users.everyone() if u.active and u.role == "approver"]
    ttl = dt.timedelta(hours=policy.job_ttl_hours)
    owed = []
    for job in waiting:
        updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=dt.timezone.utc)
        expires = updated + ttl
        kind = REMINDER if now >= updated + ttl * REMIND_AT else WAITING
        for user in approvers:
            if (job.id, user.id, kind) in given or not access.awaits(
                    person_of(user), state=job.state, submitter_id=job.submitter_id, department=job.department,
                    given=given_of(job), binding=binding_of(job), now=now, ttl_hours=policy.confirmation_ttl_hours,
                    needs=needs_of(job, policy)):
                continue
            owed.append(_notice(kind, job, user, expires, base_url))
    return owed


def _notice(kind: str, job, user, expires: dt.datetime, base_url: str) -> Notice:
    submitter = job.submitter.name if job.submitter else job.submitter_email
    link = f"{base_url.rstrip('/')}/jobs/{job.id}/confirm/pages/1"
    subject = (f"【faxgate】確認をお願いします ({job.id})" if kind == WAITING
               else f"【faxgate】確認の期限が近づいています ({job.id})")
    lines = [f"{user.name} 様", ""]
    lines.append("次のファクスが、あなたの確認を待っています。" if kind == WAITING
                 else "次のファクスが、まだあなたの確認を待っています。期限を過ぎると送信されません。")
    lines += ["", f"送信番号: {job.id}", f"依頼者: {submitter}（{job.department}）", f"ページ数: {job.pages or '-'}",
              f"確認の期限: {office_clock(expires)}（日本時間）", "",
              "宛先番号はこのメールには書いていません。画面で全ページを見てから、",
              "文書や依頼書にある番号を入力して確認してください（報告第371号の誤送信防止）。", "", link]
    return Notice(kind, job.id, user.id, user.email, subject, "\n".join(lines))


def tell(app, now: dt.datetime) -> int:
    """Give the notices owed now; returns how many. Each is claimed (its row is unique per job,
    person and kind, so two workers never give it twice) and its mail queued in one transaction
    (gateway.services.notices): a mail outage delays it, never loses it; the web app lists the job
    meanwhile."""
    with app.unit_of_work(read_only=True) as uow:
        owed = due(uow, now, app.policy, app.public_url)
    told = 0
    for notice in owed:
        with app.unit_of_work() as uow:
            if not uow.approver_notices.claim(notice.job_id, notice.user_id, notice.kind, app.notifier.configured):
                continue  # another worker gave it
            notices.queue_mail(uow, app.notifier, job_id=notice.job_id, kind=f"approver_{notice.kind}",
                               to=[notice.to], subject=notice.subject, body=notice.body)
        log.info("approver_told", job=notice.job_id, user=notice.user_id, kind=notice.kind)
        told += 1
    return told
