"""The worker: screens received jobs, relays approved ones (at most one automatic send each),
expires what waited too long, and after a crash hands jobs caught mid-send to a person."""

from __future__ import annotations

import datetime as dt
import threading
import time

import phonenumbers
import structlog
from sqlalchemy import select, update

from directory.schema import DirectoryEntry
from gateway import confirmation, jobs
from gateway.addressing import parse_recipient
from gateway.models import Job, RuleResult
from gateway.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError
from gateway.screening import EntryView, Outcome, RuleRecord, Subject, Tools, run_chain
from policies.personal_data import find_personal_data

log = structlog.get_logger("faxgate.worker")
ACTOR = "system:worker"


def _view(entry: DirectoryEntry) -> EntryView:
    return EntryView(entry.id, entry.slot, entry.name, entry.organization, entry.kind, entry.status, entry.e164,
                     entry.extension, entry.last_used, entry.verified_on, entry.version)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything faxgate writes is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def binding_of(job: Job) -> confirmation.Binding:
    return confirmation.Binding(job.content_sha256, job.e164 or "", job.entry_version, job.policy_version)


def given_of(job: Job) -> list[confirmation.Given]:
    return [
        confirmation.Given(c.user_id, c.role,
                           confirmation.Binding(c.content_sha256, c.e164, c.entry_version, c.policy_version), as_utc(c.at))
        for c in job.confirmations
    ]


class Worker:
    def __init__(self, app):
        self.app = app

    # -- lookups, each in its own short transaction (document parsing must not hold the database)

    def _entry_by_slot(self, slot: int) -> EntryView | None:
        with self.app.session() as session:
            entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.slot == slot))
            return _view(entry) if entry else None

    def _entries_by_number(self, e164: str) -> list[EntryView]:
        with self.app.session() as session:
            return [_view(e) for e in session.scalars(select(DirectoryEntry).where(DirectoryEntry.e164 == e164))]

    def tools(self) -> Tools:
        return Tools(self.app.profile, self.app.policy, self._entry_by_slot, self._entries_by_number,
                     self.app.load_document, find_personal_data)

    # -- start-up

    def recover(self) -> None:
        with self.app.session() as session:
            for job in session.scalars(select(Job).where(Job.state.in_(("sending", "screening")))):
                if job.state == "sending":
                    jobs.move(session, job, "delivery_unknown", ACTOR,
                              "found mid-send at start-up: the fax server may have it; a person must check")
                else:
                    jobs.move(session, job, "received", ACTOR, "screening interrupted; screening again")

    # -- screening

    def screen_one(self) -> bool:
        with self.app.session() as session:
            candidates = jobs.due_ids(session, "received", limit=5)
        for job_id in candidates:
            with self.app.session() as session:
                if jobs.claim(session, job_id, "received", "screening", ACTOR):
                    break
        else:
            return False
        with self.app.session() as session:
            job = session.get(Job, job_id)
            recipient, document = job.recipient, jobs.document_of(session, job_id)
        try:
            request = parse_recipient(recipient, self.app.config.smtp.domain, self.app.profile)
        except Exception as exc:  # e.g. the PBX profile changed since intake: hold, never pass
            subject = Subject(request=None, document=document, today=dt.date.today())
            outcome = Outcome("blocked", [RuleRecord("destination_dialable", "error", "hold", "screening_error", str(exc))],
                              [{"rule": "destination_dialable", "code": "screening_error", "action": "hold",
                                "message_ja": "宛先を読み取れないため保留しました", "message_en": str(exc)}])
        else:
            subject = Subject(request=request, document=document, today=dt.date.today())
            outcome = run_chain(subject, self.tools())
        with self.app.session() as session:
            job = session.get(Job, job_id)
            run = 1 + max((r.run for r in job.rule_results), default=0)
            for record in outcome.records:
                job.rule_results.append(RuleResult(run=run, rule=record.rule, outcome=record.outcome,
                                                   action=record.action, code=record.code, reason=record.reason))
            job.e164, job.dial_string = subject.e164, subject.dial_string
            if subject.entry:
                job.entry_id, job.entry_version = subject.entry.id, subject.entry.version
            job.pages, job.findings, job.reasons = subject.pages, subject.findings, outcome.reasons
            job.policy_version = self.app.policy.version
            jobs.move(session, job, outcome.state, ACTOR, "; ".join(r["code"] for r in outcome.reasons),
                      rules=[f"{r.rule}:{r.outcome}" for r in outcome.records])
            notice = (outcome.state, job.submitter_email, job_id, job.e164 or job.destination_input, outcome.reasons)
        self.app.notifier.notify(*notice)
        log.info("screened", job=job_id, state=outcome.state, reasons=[r["code"] for r in outcome.reasons])
        return True

    # -- relay

    def relay_one(self) -> bool:
        now = utcnow()
        with self.app.session() as session:
            candidates = jobs.due_ids(session, "approved", limit=5, now=now)
        for job_id in candidates:
            with self.app.session() as session:
                job = session.get(Job, job_id)
                if job.state != "approved":
                    continue
                if not self._still_approved(session, job, now):
                    jobs.move(session, job, "awaiting_confirmation", ACTOR,
                              "the job, its directory entry or the policy changed after approval: confirm again")
                    continue
                if not jobs.claim(session, job_id, "approved", "sending", ACTOR):
                    continue
                request = self._request(session, session.get(Job, job_id))
            self._deliver(job_id, request)
            return True
        return False

    def _still_approved(self, session, job: Job, now: dt.datetime) -> bool:
        entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
        if entry is None or entry.version != job.entry_version or entry.status != "active":
            return False
        if job.policy_version != self.app.policy.version:
            return False
        policy = self.app.policy
        return confirmation.is_approved(given_of(job), binding_of(job), now, policy.confirmation_ttl_hours, policy.approvers)

    def _request(self, session, job: Job) -> RelayRequest:
        number = {"e164": job.e164, "national": _national(job.e164),
                  "dial_string": (job.dial_string or "").replace("-", "")}[self.app.config.relay.number_format]
        return RelayRequest(job_id=job.id, number=number, dial_string=(job.dial_string or "").replace("-", ""),
                            document=jobs.document_of(session, job.id), filename=job.filename,
                            content_type=job.content_type, sender=job.submitter_email)

    def _deliver(self, job_id: str, request: RelayRequest) -> None:
        reasons: list[dict] = []
        try:
            receipt = self.app.relay.send(request)
        except TemporaryRelayError as exc:
            state, detail = "retry", str(exc)
        except PermanentRelayError as exc:
            state, detail = "failed", str(exc)
        except DeliveryUnknownError as exc:
            state, detail = "delivery_unknown", str(exc)
        else:
            state, detail = "sent", receipt
        with self.app.session() as session:
            job = session.get(Job, job_id)
            job.attempts += 1
            policy = self.app.policy
            if state == "retry" and job.attempts >= policy.max_attempts:
                state, detail = "failed", f"gave up after {job.attempts} attempts: {detail}"
            if state == "retry":
                pause = policy.backoff_seconds[min(job.attempts - 1, len(policy.backoff_seconds) - 1)]
                job.next_attempt_at = utcnow() + dt.timedelta(seconds=pause)
                jobs.move(session, job, "approved", ACTOR, f"fax server not available, retry in {pause}s: {detail}")
            elif state == "delivery_unknown":
                jobs.move(session, job, "delivery_unknown", ACTOR, f"{detail}; a person must check with the fax server")
            elif state == "sent":
                job.sent_at, job.relay_receipt = utcnow(), detail
                jobs.move(session, job, "sent", ACTOR, detail)
                # Operational metadata: not a directory change, so approvals of other jobs stand.
                session.execute(update(DirectoryEntry).where(DirectoryEntry.id == job.entry_id)
                                .values(last_used=dt.date.today()).execution_options(synchronize_session=False))
            else:
                reasons = [{"rule": "relay", "code": "relay_failed", "action": "fail",
                            "message_ja": "ファクスサーバーが受け付けませんでした", "message_en": detail}]
                job.reasons = reasons
                jobs.move(session, job, "failed", ACTOR, detail)
            notice = (job.state, job.submitter_email, job_id, job.e164 or "", reasons)
        if notice[0] in ("sent", "failed"):
            self.app.notifier.notify(*notice)
        log.info("relayed", job=job_id, outcome=state, detail=detail)

    # -- expiry

    def expire(self) -> None:
        limit = utcnow() - dt.timedelta(hours=self.app.policy.job_ttl_hours)
        with self.app.session() as session:
            stale = session.scalars(select(Job).where(
                Job.state.in_(("awaiting_confirmation", "approved", "blocked")), Job.updated_at < limit))
            for job in stale:
                jobs.move(session, job, "expired", ACTOR, f"waited longer than {self.app.policy.job_ttl_hours} hours")

    def run(self, stop: threading.Event, idle_seconds: float = 0.5) -> None:
        self.recover()
        next_expiry = 0.0
        while not stop.is_set():
            try:
                busy = self.screen_one() | self.relay_one()
                if time.monotonic() > next_expiry:
                    self.expire()
                    next_expiry = time.monotonic() + 60
            except Exception:
                log.exception("worker_error")
                busy = False
            if not busy:
                stop.wait(idle_seconds)


def _national(e164: str | None) -> str:
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code != 81:
        return "010" + e164[1:]
    return "0" + phonenumbers.national_significant_number(parsed)
