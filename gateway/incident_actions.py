"""The incident steps the CLI, the API, the web app, the intake and the worker share: each
runs its transaction, then tells people by mail once the facts are committed."""

from __future__ import annotations

import datetime as dt

import structlog

from gateway import incidents
from gateway.delivery_reports import DeliveryReport
from gateway.incident_drafts import JST
from gateway.models import Job

log = structlog.get_logger("faxgate.incidents")


def _tell(app, alerts: list[incidents.Alert]) -> None:
    for alert in alerts:
        app.notifier.send(alert.to, alert.subject, alert.body, incident=alert.incident_id, job=alert.job_id)


def report_wrong_send(app, job_id: str, *, actor: str, reached: str, detail: str = "",
                      learned_at: dt.datetime | None = None, may_report=None) -> tuple[int, bool]:
    """Open (or add to) the job's incident; returns (incident id, created). ``may_report`` is the
    caller's access rule, given the session and the job, raising IncidentRefused when the person
    may not."""
    with app.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise incidents.IncidentRefused(404, f"送信番号 {job_id} はありません", f"no job {job_id}")
        if may_report is not None:
            may_report(session, job)
        incident, created = incidents.open_incident(
            session, job, source="staff_report", actor=actor, profile=app.profile, stale_days=app.policy.stale_days,
            learned_at=learned_at, reached=reached, detail=detail)
        alert = incidents.staff_report_alert(session, incident, job, actor, app.config.mail.privacy_office, app.public_url)
        incident_id = incident.id
    log.warning("wrong_send_reported", job=job_id, incident=incident_id, actor=actor, created=created)
    if created:
        _tell(app, [alert])
    return incident_id, created


def ingest(app, reports: list[DeliveryReport]) -> incidents.IngestResult:
    with app.session() as session:
        result = incidents.ingest_reports(session, reports, privacy_office=app.config.mail.privacy_office,
                                          profile=app.profile, stale_days=app.policy.stale_days, base_url=app.public_url)
    tell(app, result)
    return result


def tell(app, result: incidents.IngestResult) -> None:
    """Log what the reports said and alert people (after the caller's commit)."""
    for job_id, check in result.checks:
        log.info("receiver_id_checked", job=job_id, verdict=check.verdict, csi=check.reported)
    for alert in result.opened:
        log.warning("possible_wrong_send", job=alert.job_id, incident=alert.incident_id)
    _tell(app, result.alerts)


def send_reminders(app, today: dt.date | None = None) -> int:
    today = today or dt.datetime.now(JST).date()
    with app.session() as session:
        alerts = incidents.reminders(session, app.policy, today, app.config.mail.privacy_office, app.public_url)
    _tell(app, alerts)
    return len(alerts)
