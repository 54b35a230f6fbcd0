"""Wrong sends: opening an incident from a job (reported by staff, or raised by a receiver-ID
check), the facts taken from the job and its signed record, the office's judgements, the
rule 43 assessment and the recurrence measures. Runs in the caller's unit of work; mail goes out
after the commit (`Alert`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from directory.audit import audit
from directory.dialplan import display_number
from directory.entries import audit_items, suspend_for_incident
from gateway.incidents.delivery_reports import DeliveryReport
from gateway.services.books import SHARED_BOOK
from gateway.services.jobs import utcnow
from gateway.services.sites import UnknownSite, profile_of
from gateway.storage.tables import Incident, Job
from gateway.storage.uow import UnitOfWork
from gateway.incidents.receiver_id import CsiCheck, check_receiver
from gateway.core.office_time import OFFICE_TIME
from gateway.incidents.drafts import IncidentFacts, notice_draft, report_draft, timeline_text, wareki
from gateway.incidents.reportability import Assessment, Exposure, assess, reminders_due
from policies.categories import NAMES_JA
from gateway.core.states import JobState

# A wrong send can only have happened once the fax server had the job.
REPORTABLE_STATES = frozenset({JobState.SENT, JobState.DELIVERY_UNKNOWN})
OPEN_STATES = ("draft", "open")
NARRATIVE_KEYS = ("summary", "items", "persons", "cause", "secondary_damage", "response_to_persons",
                  "publication", "recurrence_prevention", "other")


class IncidentRefused(ValueError):
    def __init__(self, status: int, message_ja: str, message_en: str):
        super().__init__(message_en)
        self.status, self.message_ja, self.message_en = status, message_ja, message_en


@dataclass
class Alert:
    """Who must hear of a possible wrong send, and what."""

    incident_id: int | None  # None: a notice about the job, no incident
    job_id: str
    to: list[str]
    subject: str
    body: str


@dataclass
class IngestResult:
    stored: int = 0
    unmatched: int = 0
    checks: list[tuple[str, CsiCheck]] = field(default_factory=list)  # (job id, check)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def opened(self) -> list[Alert]:
        """Alerts of incidents this ingestion opened."""
        return [alert for alert in self.alerts if alert.incident_id is not None]


def people_to_tell(job: Job, privacy_office: str) -> list[str]:
    """The submitter, everyone who confirmed the job, and the privacy office."""
    confirmed = [c.user.email for c in job.confirmations]
    office = [a.strip() for a in privacy_office.split(",") if a.strip()]
    return sorted({job.submitter_email, *confirmed, *office} - {""})


def open_incident(
    uow: UnitOfWork,
    job: Job,
    *,
    source: str,
    actor: str,
    profile,
    stale_days: int,
    learned_at: dt.datetime | None = None,
    reached: str = "",
    detail: str = "",
    check: CsiCheck | None = None,
) -> tuple[Incident, bool]:
    """The job's open incident, or a new one; returns (incident, created). A new incident
    suspends the directory entry and attaches an audit of the whole directory."""
    if job.state not in REPORTABLE_STATES:
        raise IncidentRefused(409, f"この送信（状態: {job.state}）はファクスサーバーに渡っていないため、誤送信の報告はできません",
                              f"job is {job.state}: it never reached the fax server, so it cannot have gone astray")
    existing = uow.incidents.open_for_job(job.id, OPEN_STATES)
    if existing is not None:
        if source == "staff_report" and existing.state == "draft":
            existing.state = "open"  # a person confirms what the check suspected
            existing.reached = reached or existing.reached
        if detail:
            existing.detail = "\n".join(filter(None, [existing.detail, detail]))
        uow.audit.append(actor, "incident.reported_again", job.id, detail, incident=existing.id, source=source)
        return existing, False
    exposure = Exposure.from_findings(job.findings or [])
    record = uow.records.latest_for_job(job.id)
    entry = uow.directory.get(job.entry_id)
    incident = uow.incidents.add(
        job_id=job.id, state="draft" if source == "receiver_id" else "open", source=source, opened_by=actor,
        learned_at=learned_at or utcnow(), reached=reached, detail=detail,
        csi_reported=check.reported if check else None, csi_expected=check.expected if check else None,
        record_sha256=record.sha256 if record else None,
        categories=sorted(exposure.categories), sensitive=sorted(exposure.sensitive),
        persons_estimate=exposure.persons_estimate, persons=exposure.persons_estimate,
        malicious=False, narrative={}, recurrence={}, closed_reason="",
    )
    # Recurrence prevention starts at once: no more faxes to this entry until its number is
    # verified with the counterpart, and every other entry audited for the same fault (No. 371).
    suspended = suspend_for_incident(uow, entry, actor, incident.id) if entry is not None else False
    # The book the job was dialled from, read with its site's PBX (a city's other books have their own audit).
    try:
        reading = profile_of(uow, job.site, profile)
    except UnknownSite:  # a site since removed: the incident is opened all the same
        reading = profile
    findings = audit(audit_items(uow.in_book(job.book or SHARED_BOOK), reading), reading, dt.date.today(), stale_days)
    by_code: dict[str, int] = {}
    for finding in findings:
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    incident.recurrence = {
        "entry_slot": entry.slot if entry else None, "entry_suspended": suspended,
        "directory_audit": {"at": utcnow().isoformat(), "book": job.book or SHARED_BOOK, "site": job.site,
                            "findings": len(findings), "by_code": by_code,
                            "items": [f.to_json() for f in findings[:200]]},
    }
    uow.audit.append(actor, "incident.opened", job.id, detail or reached, incident=incident.id, source=source,
                     categories=incident.categories, persons=incident.persons,
                     csi=check.verdict if check else None, entry_suspended=suspended)
    return incident, True


def assessment_of(incident: Incident, policy, today: dt.date | None = None) -> Assessment:
    exposure = Exposure(frozenset(incident.categories), frozenset(incident.sensitive), incident.persons_estimate)
    return assess(
        exposure, persons=incident.persons, malicious=incident.malicious, financial_risk=incident.financial_risk,
        ordinance_categories=policy.ordinance_sensitive, learned_on=_local_date(incident.learned_at),
        preliminary_due=incident.preliminary_due, preliminary_days=policy.preliminary_days, today=today,
        preliminary_done=incident.preliminary_filed_on is not None, final_done=incident.final_filed_on is not None,
    )


def _local_date(moment: dt.datetime) -> dt.date:
    """The office's calendar day (Japan Standard Time): deadlines count in office days."""
    return moment.astimezone(OFFICE_TIME).date()


EDITABLE = {"persons", "malicious", "financial_risk", "preliminary_due", "preliminary_filed_on", "final_filed_on",
            "learned_at", "reached"}


def update_incident(uow: UnitOfWork, incident: Incident, actor: str, *, narrative: dict | None = None,
                    state: str | None = None, reason: str = "", **changes) -> None:
    """The office's judgements and texts; every change is in the audit trail."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise IncidentRefused(422, f"変更できない項目です: {', '.join(sorted(unknown))}", f"not editable: {sorted(unknown)}")
    if "persons" in changes and (not isinstance(changes["persons"], int) or changes["persons"] < 0):
        raise IncidentRefused(422, "本人の数は0以上の整数で入力してください", "persons must be a whole number, 0 or more")
    before = {name: _plain(getattr(incident, name)) for name in changes}
    for name, value in changes.items():
        setattr(incident, name, value)
    if narrative:
        wrong = set(narrative) - set(NARRATIVE_KEYS)
        if wrong:
            raise IncidentRefused(422, f"報告の項目名が違います: {', '.join(sorted(wrong))}", f"unknown items: {sorted(wrong)}")
        incident.narrative = {**incident.narrative, **{k: str(v) for k, v in narrative.items()}}
    if state is not None:
        if state not in ("open", "dismissed", "closed") or incident.state in ("dismissed", "closed"):
            raise IncidentRefused(409, f"状態を「{state}」にはできません（現在: {incident.state}）",
                                  f"cannot move an incident from {incident.state} to {state}")
        if state in ("dismissed", "closed") and not reason.strip():
            raise IncidentRefused(422, "理由を書いてください", "a reason is required")
        incident.state, incident.closed_reason = state, reason.strip()
    uow.audit.append(actor, "incident.updated", incident.job_id, reason, incident=incident.id,
                               before=before, after={name: _plain(getattr(incident, name)) for name in changes},
                               narrative=sorted(narrative or {}), state=state)


def _plain(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def ingest_reports(uow: UnitOfWork, reports: list[DeliveryReport], *, privacy_office: str, profile,
                   stale_days: int, base_url: str) -> IngestResult:
    """Store each report against its job and check the receiver ID; a doubtful one opens a
    draft incident and tells the people concerned. A report for no known job is kept too."""
    result = IngestResult()
    for report in reports:
        job = _job_of(uow, report)
        if job is None:
            uow.incidents.add_delivery_report(source=report.source, outcome=report.outcome, receipt=report.receipt,
                                              csi=report.csi, verdict="unmatched", reason=report.reason)
            result.unmatched += 1
            continue
        entry = uow.directory.get(job.entry_id)
        check = check_receiver(report.csi, entry.expected_csi if entry else None, job.e164) \
            if report.outcome == "delivered" else None
        uow.incidents.add_delivery_report(job_id=job.id, source=report.source, outcome=report.outcome,
                                          receipt=report.receipt, csi=report.csi,
                                          verdict=check.verdict if check else report.outcome, reason=report.reason)
        result.stored += 1
        uow.audit.append("fax-server", "delivery.reported", job.id, check.explanation_ja if check else report.reason,
                         source=report.source, outcome=report.outcome, csi=report.csi,
                         verdict=check.verdict if check else None)
        if check is None:
            if report.outcome == "failed" and job.state == JobState.SENT:
                # faxgate said "sent" when the server queued it; the call itself failed later.
                result.alerts.append(Alert(None, job.id, [job.submitter_email], f"【faxgate】相手に届きませんでした ({job.id})",
                                           f"ファクスサーバーから、送信できなかったとの報告がありました: {report.reason}\n"
                                           f"送信番号: {job.id}\n必要なら送り直してください。\n\n"
                                           f"{base_url.rstrip('/')}/jobs/{job.id}"))
            continue
        result.checks.append((job.id, check))
        if check.alert and job.state in REPORTABLE_STATES:
            reached = f"受信機ID「{check.reported}」の相手" if check.reported else "受信機IDを名乗らない相手"
            incident, created = open_incident(
                uow, job, source="receiver_id", actor="faxgate", profile=profile, stale_days=stale_days,
                learned_at=utcnow(), reached=reached, detail=check.explanation_ja, check=check)
            if created:
                result.alerts.append(_alert(uow, incident, job, check, privacy_office, base_url))
    return result


def _job_of(uow: UnitOfWork, report: DeliveryReport) -> Job | None:
    if report.job_id:
        return uow.jobs.get(report.job_id)
    if report.receipt:
        # The HylaFAX relay keeps the server's job id as the receipt.
        return uow.jobs.by_relay_receipt(report.receipt)
    return None


def _alert(uow: UnitOfWork, incident: Incident, job: Job, check: CsiCheck, privacy_office: str, base_url: str) -> Alert:
    entry = uow.directory.get(job.entry_id)
    categories = "、".join(NAMES_JA.get(c, c) for c in incident.categories) or "見つかっていません"
    body = "\n".join([
        "送信したファクスが別の相手に届いたおそれがあります。至急確認してください。",
        "",
        f"送信番号: {job.id}",
        f"宛先: {entry.name if entry else ''} {entry.organization if entry else ''} {display_number(job.e164) or ''}",
        f"照合結果: {check.explanation_ja}",
        f"送信した個人情報の種類: {categories}",
        f"事案番号: {incident.id}（下書き）",
        "",
        "この宛先への送信は、先方に番号を確認するまで止めています（登録を要確認にしました）。",
        "誤送信であれば、事案ページで報告書と本人への通知の下書きを確認してください。",
        "",
        f"{base_url.rstrip('/')}/incidents/{incident.id}",
    ])
    return Alert(incident.id, job.id, people_to_tell(job, privacy_office),
                 f"【faxgate】誤送信のおそれ ({job.id})", body)


def staff_report_alert(incident: Incident, job: Job, reporter: str, privacy_office: str,
                       base_url: str) -> Alert:
    body = "\n".join([
        f"{reporter} さんから、送信したファクスが誤った相手に届いたとの報告がありました。",
        "",
        f"送信番号: {job.id}",
        f"届いた先: {incident.reached or '（不明）'}",
        f"事案番号: {incident.id}",
        "",
        "報告期限と下書きは事案ページにあります。",
        f"{base_url.rstrip('/')}/incidents/{incident.id}",
    ])
    return Alert(incident.id, job.id, people_to_tell(job, privacy_office), f"【faxgate】誤送信の報告 ({job.id})", body)


def timeline(uow: UnitOfWork, incident: Incident) -> list[dict]:
    """What happened to the job and the incident, in order, from the audit trail."""
    events = uow.audit.about(incident.job_id)
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "reason": e.reason} for e in events]


def incident_json(incident: Incident, policy, today: dt.date | None = None) -> dict:
    assessment = assessment_of(incident, policy, today)
    return {
        "id": incident.id, "job_id": incident.job_id, "state": incident.state, "source": incident.source,
        "opened_at": incident.opened_at.isoformat(), "opened_by": incident.opened_by,
        "learned_at": incident.learned_at.isoformat(), "reached": incident.reached, "detail": incident.detail,
        "receiver_id": {"reported": incident.csi_reported, "expected": incident.csi_expected},
        "record_sha256": incident.record_sha256,
        "categories": incident.categories, "sensitive": incident.sensitive,
        "persons_estimate": incident.persons_estimate, "persons": incident.persons,
        "malicious": incident.malicious, "financial_risk": incident.financial_risk,
        "reportable": assessment.reportable,
        "rule43": [{"item": i.number, "applies": i.applies, "why": i.why_ja} for i in assessment.items],
        "deadlines": {"preliminary": assessment.preliminary_due.isoformat(), "final": assessment.final_due.isoformat(),
                      "preliminary_filed_on": _plain(incident.preliminary_filed_on),
                      "final_filed_on": _plain(incident.final_filed_on), "overdue": list(assessment.overdue)},
        "recurrence": incident.recurrence, "narrative": incident.narrative, "closed_reason": incident.closed_reason,
    }


def facts_of(uow: UnitOfWork, incident: Incident) -> IncidentFacts:
    job = uow.jobs.get(incident.job_id)
    entry = uow.directory.get(job.entry_id)
    confirmed = [c.user.name for c in job.confirmations]
    return IncidentFacts(
        incident_id=incident.id, job_id=job.id, office=job.department, sent_at=job.sent_at,
        learned_at=incident.learned_at, source=incident.source,
        destination_name=entry.name if entry else "", destination_organization=entry.organization if entry else "",
        destination_number=display_number(job.e164) or "", dial_string=job.dial_string or "",
        entry_slot=entry.slot if entry else None, reached=incident.reached, pages=job.pages,
        categories=tuple(incident.categories), sensitive=tuple(incident.sensitive), persons=incident.persons,
        persons_estimate=incident.persons_estimate, confirmed_by=tuple(dict.fromkeys(confirmed)),
        record_sha256=incident.record_sha256, csi_reported=incident.csi_reported, csi_expected=incident.csi_expected,
        recurrence=incident.recurrence, narrative=incident.narrative,
    )


def draft(uow: UnitOfWork, incident: Incident, policy, which: str, today: dt.date | None = None) -> str:
    """which: preliminary | final | notice | timeline."""
    today = today or dt.datetime.now(OFFICE_TIME).date()
    if which == "timeline":
        return timeline_text(timeline(uow, incident))
    facts, assessment = facts_of(uow, incident), assessment_of(incident, policy, today)
    if which == "notice":
        return notice_draft(facts, assessment, today)
    if which in ("preliminary", "final"):
        return report_draft(facts, assessment, which, today)
    raise IncidentRefused(404, f"下書きの種類が違います: {which}", f"no such draft: {which}")


def reminders(uow: UnitOfWork, policy, today: dt.date, privacy_office: str, base_url: str) -> list[Alert]:
    """Reports coming due (or overdue) and not yet filed: one reminder per incident per day."""
    alerts = []
    for incident in uow.incidents.in_states(OPEN_STATES):
        if incident.reminded_on == today:
            continue
        assessment = assessment_of(incident, policy, today)
        due = reminders_due(assessment, today, preliminary_done=incident.preliminary_filed_on is not None,
                            final_done=incident.final_filed_on is not None, warn_days=policy.reminder_days)
        if not due:
            continue
        incident.reminded_on = today
        office = [a.strip() for a in privacy_office.split(",") if a.strip()]
        lines = [f"事案番号 {incident.id}（送信番号 {incident.job_id}）の報告期限が近づいています。", ""]
        lines += [f"・{'速報' if kind == 'preliminary' else '確報'}: {wareki(date)}"
                  + ("（期限を過ぎています）" if date < today else "") for kind, date in due]
        lines += ["", f"{base_url.rstrip('/')}/incidents/{incident.id}"]
        alerts.append(Alert(incident.id, incident.job_id, office, f"【faxgate】報告期限のお知らせ（事案 {incident.id}）",
                            "\n".join(lines)))
    return alerts
