"""The incident steps the CLI, the API, the web app, the intake and the worker share: each
queues its alerts in the transaction that records the facts (gateway.services.notices), so an
alert waits out a mail outage and is mailed once the mail server takes it."""

from __future__ import annotations

import datetime as dt

import structlog

from gateway.incidents import service as incidents
from gateway.incidents.delivery_reports import DeliveryReport
from gateway.core.office_time import OFFICE_TIME
from gateway.services import notices

log = structlog.get_logger("faxgate.incidents")
ALERT = "incident_alert"  # the kind of the queued notice


def _queue(app, uow, alerts: list[incidents.Alert]) -> None:
    for alert in alerts:
        notices.queue_mail(uow, app.notifier, job_id=alert.job_id, kind=ALERT, to=alert.to,
                           subject=alert.subject, body=alert.body)


def report_wrong_send(app, job_id: str, *, actor: str, reached: str, detail: str = "",
                      learned_at: dt.datetime | None = None, may_report=None) -> tuple[int, bool]:
    """Open (or add to) the job's incident; returns (incident id, created). ``may_report`` is the
    caller's access rule, given the unit of work and the job, raising IncidentRefused (or the
    door's own refusal) when the person may not."""
    with app.unit_of_work() as uow:
        job = uow.jobs.get(job_id)
        if job is None:
            raise incidents.IncidentRefused(404, f"送信番号 {job_id} はありません", f"no job {job_id}")
        if may_report is not None:
            may_report(uow, job)
        incident, created = incidents.open_incident(
            uow, job, source="staff_report", actor=actor, profile=app.profile, stale_days=app.policy.stale_days,
            learned_at=learned_at, reached=reached, detail=detail)
        if created:
            _queue(app, uow, [incidents.staff_report_alert(incident, job, actor, app.config.mail.privacy_office,
                                                           app.public_url)])
        incident_id = incident.id
    log.warning("wrong_send_reported", job=job_id, incident=incident_id, actor=actor, created=created)
    return incident_id, created


def ingest(app, reports: list[DeliveryReport]) -> incidents.IngestResult:
    with app.unit_of_work() as uow:
        result = ingest_in(app, uow, reports)
    logged(result)
    return result


def ingest_in(app, uow, reports: list[DeliveryReport]) -> incidents.IngestResult:
    """Store the reports and queue the alerts they call for, in the caller's unit of work."""
    result = incidents.ingest_reports(uow, reports, privacy_office=app.config.mail.privacy_office,
                                      profile=app.profile, stale_days=app.policy.stale_days, base_url=app.public_url)
    _queue(app, uow, result.alerts)
    return result


def logged(result: incidents.IngestResult) -> None:
    """Log what the reports said (after the caller's commit)."""
    for job_id, check in result.checks:
        log.info("receiver_id_checked", job=job_id, verdict=check.verdict, csi=check.reported)
    for alert in result.opened:
        log.warning("possible_wrong_send", job=alert.job_id, incident=alert.incident_id)


def send_reminders(app, today: dt.date | None = None) -> int:
    today = today or dt.datetime.now(OFFICE_TIME).date()
    with app.unit_of_work() as uow:
        alerts = incidents.reminders(uow, app.policy, today, app.config.mail.privacy_office, app.public_url)
        _queue(app, uow, alerts)
    return len(alerts)
