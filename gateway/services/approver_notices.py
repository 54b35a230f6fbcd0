"""Approvers told: when a job waits for an approver's confirmation (after its submitter's), every
approver who may give it (gateway.core.access.awaits: the department's approvers, only privacy
officers when only theirs is missing) gets a mail with a link to the confirmation, once; and once
more, a reminder, when the job is close to expiring. With `[mail] approver_mail = "daily"` the
first mail is instead one a day per approver (the digest, from `approver_digest_hour` office
time) listing every job waiting for them; the reminder still goes on its own. The web app always shows the same jobs
(the header's count and the list "確認待ち", gateway.services.queues.waiting_for).

The mail never carries the number, nor anything that may hold it (the recipient address, the
file name, the destination's name as typed): the approver re-enters the number blind from the
document, and a mail is read on any screen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from gateway.core import access, in_house
from gateway.core.office_time import in_office_time, office_clock
from gateway.core.states import JobState
from gateway.services.confirm import person_of
from gateway.services import notices
from gateway.services.jobs import binding_of, given_of, needs_of

log = structlog.get_logger("faxgate.approver_notices")
WAITING, REMINDER, DIGEST = "waiting", "reminder", "digest"
REMIND_AT = 0.75  # of the job's time to live: the reminder goes when a quarter is left
NO_NUMBER = ["宛先番号はこのメールには書いていません。画面で全ページを見てから、",
             "文書や依頼書にある番号を入力して確認してください（報告第371号の誤送信防止）。"]


@dataclass(frozen=True)
class Notice:
    kind: str  # waiting | reminder | digest-YYYYMMDD (one a day, office time)
    job_ids: tuple[str, ...]
    user_id: int
    to: str
    subject: str
    body: str


def due(uow, now: dt.datetime, policy, base_url: str, mail=None) -> list[Notice]:
    """The notices owed now and not yet given (`mail`: the [mail] settings; None = a mail per job)."""
    waiting = uow.jobs.in_states((JobState.AWAITING_CONFIRMATION,))
    if not waiting:
        return []
    daily = mail is not None and mail.approver_mail == "daily"
    digest_kind = digest_of_the_day(now, mail.approver_digest_hour) if daily else None
    given = uow.approver_notices.given([job.id for job in waiting])
    approvers = [u for u in uow.users.everyone() if u.active and u.role == "approver"]
    ttl = dt.timedelta(hours=policy.job_ttl_hours)
    owed, digests = [], {}
    for job in waiting:
        updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=dt.timezone.utc)
        expires = updated + ttl
        kind = REMINDER if now >= updated + ttl * REMIND_AT else WAITING
        for user in approvers:
            if not access.awaits(
                    person_of(user), state=job.state, submitter_id=job.submitter_id, department=job.department,
                    given=given_of(job), binding=binding_of(job), now=now, ttl_hours=policy.confirmation_ttl_hours,
                    needs=needs_of(job, policy)):
                continue
            if kind == WAITING and daily:
                if digest_kind and (job.id, user.id, digest_kind) not in given:
                    digests.setdefault(user.id, (user, []))[1].append((job, expires))
            elif (job.id, user.id, kind) not in given:
                owed.append(_notice(kind, job, user, expires, base_url))
    owed += [_digest(digest_kind, user, jobs, base_url) for user, jobs in digests.values()]
    return owed


def digest_of_the_day(now: dt.datetime, hour: int) -> str | None:
    """The kind of today's digest (one a day, office time) once its hour has come, else None."""
    today = in_office_time(now)
    return f"{DIGEST}-{today:%Y%m%d}" if today.hour >= hour else None


def _about(job, expires: dt.datetime) -> list[str]:
    submitter = job.submitter.name if job.submitter else job.submitter_email
    route = ["送り方: 庁内便（ファクスは送らず、宛先の課の faxgate の受信箱に届けます）"] if job.route == in_house.INBOX else []
    return [f"送信番号: {job.id}", f"依頼者: {submitter}（{job.department}）", f"ページ数: {job.pages or '-'}",
            *route, f"確認の期限: {office_clock(expires)}（日本時間）"]


def _link(base_url: str, job) -> str:
    return f"{base_url.rstrip('/')}/jobs/{job.id}/confirm/pages/1"


def _notice(kind: str, job, user, expires: dt.datetime, base_url: str) -> Notice:
    subject = (f"【faxgate】確認をお願いします ({job.id})" if kind == WAITING
               else f"【faxgate】確認の期限が近づいています ({job.id})")
    lines = [f"{user.name} 様", ""]
    lines.append("次のファクスが、あなたの確認を待っています。" if kind == WAITING
                 else "次のファクスが、まだあなたの確認を待っています。期限を過ぎると送信されません。")
    lines += ["", *_about(job, expires), "", *NO_NUMBER, "", _link(base_url, job)]
    return Notice(kind, (job.id,), user.id, user.email, subject, "\n".join(lines))


def _digest(kind: str, user, jobs: list, base_url: str) -> Notice:
    subject = f"【faxgate】確認をお願いします（本日 {len(jobs)} 件）"
    lines = [f"{user.name} 様", "", f"次の {len(jobs)} 件のファクスが、あなたの確認を待っています。"]
    for job, expires in jobs:
        lines += ["", *_about(job, expires), _link(base_url, job)]
    lines += ["", *NO_NUMBER]
    return Notice(kind, tuple(job.id for job, _ in jobs), user.id, user.email, subject, "\n".join(lines))


class _GivenElsewhere(Exception):
    """Another worker gave part of this notice: undo this one's claims."""


def tell(app, now: dt.datetime) -> int:
    """Give the notices owed now; returns how many. Each is claimed (its row is unique per job,
    person and kind, so two workers never give it twice) and its mail queued in one transaction
    (gateway.services.notices): a mail outage delays it, never loses it; the web app lists the job
    meanwhile."""
    with app.unit_of_work(read_only=True) as uow:
        owed = due(uow, now, app.policy, app.public_url, app.config.mail)
    told = 0
    for notice in owed:
        try:
            with app.unit_of_work() as uow:
                for job_id in notice.job_ids:
                    if not uow.approver_notices.claim(job_id, notice.user_id, notice.kind, app.notifier.configured):
                        raise _GivenElsewhere
                kind = DIGEST if notice.kind.startswith(DIGEST) else notice.kind
                notices.queue_mail(uow, app.notifier, job_id=notice.job_ids[0] if len(notice.job_ids) == 1 else None,
                                   kind=f"approver_{kind}", to=[notice.to], subject=notice.subject, body=notice.body)
        except _GivenElsewhere:
            continue
        log.info("approver_told", jobs=list(notice.job_ids), user=notice.user_id, kind=notice.kind)
        told += 1
    return told
