"""The worker: screens received jobs, relays approved ones (at most one automatic send each),
expires what waited too long, and after a crash hands jobs caught mid-send to a person."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time

import structlog
from sqlalchemy import func, select, update

from directory.dialplan import in_house_extension, national_digits
from directory.schema import DirectoryEntry
from gateway import (approvals, auditlog, confirmation, directory_lookups, incident_actions, incidents, jobs,
                     report_follower)
from gateway.jobs import as_utc, binding_of, given_of, utcnow
from gateway.addressing import parse_recipient
from gateway.cover_prepend import outgoing_document
from gateway.models import AuditCheckpoint, AuditHead, Job, Record, RuleResult
from gateway.records import ConfirmationFact, TransmissionFacts, build_record, make_checkpoint, thumbnail
from gateway.signing import SigningKeyError, expiry_warning
from gateway.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError
from gateway.screening import Outcome, RuleRecord, Subject, Tools, run_chain
from policies.pages import DocumentUnreadable
from policies.screen import load_for_screening, screen_loaded

log = structlog.get_logger("faxgate.worker")
ACTOR = "system:worker"


RECORDED_STATES = ("sent", "failed", "blocked", "rejected", "expired", "delivery_unknown")


class Worker:
    EXPIRY_WARNING_EVERY = 3600.0  # seconds between two log warnings of a signing certificate about to expire
    RECORDS_RETRY_SECONDS = 60.0  # while records cannot be signed, look again this often (no job goes without one)

    def __init__(self, app):
        self.app = app
        self.records_paused_until = 0.0
        self.report_log_seen: tuple[int, int] | None = None
        self.expiry_warned_at = float("-inf")

    def tools(self) -> Tools:
        with self.app.session() as session:
            destinations = session.execute(select(DirectoryEntry.e164, DirectoryEntry.organization)
                                           .where(DirectoryEntry.status == "active")).all()
        # Directory destinations are where faxes are meant to go, not personal data on a page.
        settings = self.app.screen_settings.with_directory(
            [e164 for e164, _ in destinations if e164], [org for _, org in destinations if org])
        # Lookups each in their own short transaction: document parsing must not hold the database.
        directory = directory_lookups.lookups(self.app)
        return Tools(self.app.profile, self.app.policy, directory.entry_by_slot, directory.entries_by_number,
                     lambda data: load_for_screening(data, settings), lambda document: screen_loaded(document, settings),
                     self.app.check_cover,
                     prepend_cover=lambda subject: outgoing_document(subject, self.app.config.coversheet,
                                                                     self.app.page_limits),
                     check_addressee=self.app.check_addressee)

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
        structlog.contextvars.bind_contextvars(job=job_id)
        started = time.monotonic()
        with self.app.session() as session:
            job = session.get(Job, job_id)
            recipient, document = job.recipient, jobs.document_of(session, job_id)
            about = dict(job_id=job_id, sender_department=job.department, sender_contact=job.submitter_email)
        try:
            request = parse_recipient(recipient, self.app.config.smtp.domain, self.app.profile)
        except Exception as exc:  # e.g. the PBX profile changed since intake: hold, never pass
            subject = Subject(request=None, document_bytes=document, today=dt.date.today(), **about)
            outcome = Outcome("blocked", [RuleRecord("destination_dialable", "error", "hold", "screening_error", str(exc))],
                              [{"rule": "destination_dialable", "code": "screening_error", "action": "hold",
                                "message_ja": "宛先を読み取れないため保留しました", "message_en": str(exc)}])
        else:
            subject = Subject(request=request, document_bytes=document, today=dt.date.today(), **about)
            outcome = run_chain(subject, self.tools())
        with self.app.session() as session:
            job = session.get(Job, job_id)
            run = 1 + max((r.run for r in job.rule_results), default=0)
            for record in outcome.records:
                job.rule_results.append(RuleResult(run=run, rule=record.rule, outcome=record.outcome,
                                                   action=record.action, code=record.code, reason=record.reason))
            if subject.cover_generated:
                jobs.replace_document(session, job, subject.document_bytes, ACTOR, "faxgate's cover sheet prepended")
            job.e164, job.dial_string = subject.e164, subject.dial_string
            if subject.entry:
                job.entry_id, job.entry_version = subject.entry.id, subject.entry.version
            job.pages, job.findings, job.reasons = subject.pages, subject.findings, outcome.reasons
            job.extra_approvers = subject.screened.extra_approvers if subject.screened else 0
            job.needs_privacy_officer = bool(subject.screened and subject.screened.needs_privacy_officer)
            job.policy_version = self.app.policy.version
            jobs.move(session, job, outcome.state, ACTOR, "; ".join(r["code"] for r in outcome.reasons),
                      rules=[f"{r.rule}:{r.outcome}" for r in outcome.records])
            notice = approvals.notice_of(session, job, self.app.policy)
        self.app.metrics.screening_seconds.observe(time.monotonic() - started)
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
                if jobs.screened_against_the_past(session, job, self.app.policy):
                    jobs.screen_again(session, job, ACTOR, "the directory entry or the policy changed after approval")
                    continue
                if not self._still_approved(session, job, now):
                    jobs.move(session, job, "awaiting_confirmation", ACTOR,
                              "a confirmation no longer counts (the job changed or it expired): confirm again")
                    continue
                if not jobs.claim(session, job_id, "approved", "sending", ACTOR):
                    continue
                structlog.contextvars.bind_contextvars(job=job_id)
                request = self._request(session, session.get(Job, job_id))
            self._deliver(job_id, request)
            return True
        return False

    def _still_approved(self, session, job: Job, now: dt.datetime) -> bool:
        entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
        if entry is None or entry.status != "active" or entry.pending_change_id:
            return False
        policy = self.app.policy
        return confirmation.is_approved(given_of(job), binding_of(job), now, policy.confirmation_ttl_hours, jobs.needs_of(job, policy))

    def _request(self, session, job: Job) -> RelayRequest:
        entry = session.get(DirectoryEntry, job.entry_id)
        # In-house: the extension, whatever number_format says (and an entry may have no outside number).
        extension = in_house_extension(entry.kind, entry.extension, job.e164, self.app.profile)
        dial_string = (extension or job.dial_string or "").replace("-", "")
        if extension:
            number = extension
        else:
            number = {"e164": job.e164, "national": national_digits(job.e164),
                      "dial_string": dial_string}[self.app.config.relay.number_format]
        return RelayRequest(job_id=job.id, number=number, dial_string=dial_string,
                            document=jobs.document_of(session, job.id), filename=job.filename,
                            content_type=job.content_type, sender=job.submitter_email)

    def _deliver(self, job_id: str, request: RelayRequest) -> None:
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
                job.reasons = [{"rule": "relay", "code": "relay_failed", "action": "fail",
                                "message_ja": "ファクスサーバーが受け付けませんでした", "message_en": detail}]
                jobs.move(session, job, "failed", ACTOR, detail)
            notice = approvals.notice_of(session, job, policy)
        self.app.metrics.relay_results.inc(state)
        if notice[0] in ("sent", "failed"):
            self.app.notifier.notify(*notice)
        log.info("relayed", job=job_id, outcome=state, detail=detail)

    # -- signed records and checkpoints

    def record_one(self) -> bool:
        """Sign the record of one job that reached a state needing one (outside any database
        transaction: loading pages and signing take time). A key problem is logged and retried
        later; it never changes a job."""
        if time.monotonic() < self.records_paused_until:
            return False
        newer = (select(Record.id).where(Record.job_id == Job.id, Record.state == Job.state,
                                         Record.created_at >= Job.updated_at).exists())
        with self.app.session() as session:
            job = session.scalars(select(Job).where(Job.state.in_(RECORDED_STATES), ~newer)
                                  .order_by(Job.updated_at).limit(1)).first()
            if job is None:
                return False
            structlog.contextvars.bind_contextvars(job=job.id)
            # The signed record is evidence of where the fax was dialled: it names the number
            # (the API hands it only to those who may see it, see gateway.api).
            facts_json = approvals.job_json(session, job, reveal_number=True)
            ended_at, state = as_utc(job.updated_at), job.state
            confirmations = [ConfirmationFact(c.user.name, c.role, as_utc(c.at), c.entered, True) for c in job.confirmations]
            document = jobs.document_of(session, job.id)
        try:
            with self.app.signing() as key:
                self._warn_if_expiring(key.certificate)
                try:
                    pages = self.app.load_document(document, "standard").pages
                    thumbnails = [thumbnail(page.image, page.dpi) for page in pages]
                except DocumentUnreadable:
                    thumbnails = []  # the record says the pages could not be read; the findings say why
                facts = TransmissionFacts.from_job_json(facts_json, ended_at, thumbnails, confirmations)
                pdf = build_record(facts, key.signer(), office=self.app.config.coversheet.office_name,
                                   timestamper=self.app.timestamper())
        except SigningKeyError as exc:  # no key, a token or TSA not answering: the job waits for its record
            log.warning("records_paused", reason=exc.message_en)
            self.records_paused_until = time.monotonic() + self.RECORDS_RETRY_SECONDS
            return False
        digest = hashlib.sha256(pdf).hexdigest()
        with self.app.session() as session:
            session.add(Record(kind="transmission", job_id=facts.job_id, state=state, pdf=pdf, sha256=digest))
            auditlog.append(session, ACTOR, "record.signed", facts.job_id, state, sha256=digest)
        return True

    def checkpoint_if_due(self) -> None:
        """Sign the audit chain's head every `checkpoint_every` events."""
        with self.app.session() as session:
            head = session.get(AuditHead, 1)
            last = session.scalar(select(func.max(AuditCheckpoint.last_id))) or 0
            if head.last_id - last < self.app.config.records.checkpoint_every:
                return
            last_id, last_hash = head.last_id, head.last_hash
        try:
            with self.app.signing() as key:
                cms = make_checkpoint(last_id, last_hash, key.signer())
        except SigningKeyError:
            return  # record_one reports the key problem
        with self.app.session() as session:
            session.add(AuditCheckpoint(last_id=last_id, last_hash=last_hash, cms=cms))

    def _warn_if_expiring(self, certificate) -> None:
        if time.monotonic() - self.expiry_warned_at < self.EXPIRY_WARNING_EVERY:
            return
        warning = expiry_warning(certificate, self.app.config.records.expiry_warning_days)
        if warning:
            log.warning("signing_certificate_expires", message=warning[1],
                        not_after=certificate.not_valid_after_utc.isoformat())
            self.expiry_warned_at = time.monotonic()

    # -- after the fax server took a job: who answered (receiver ID), deadlines of incidents

    def follow_reports(self) -> bool:
        path = self.app.config.relay.hylafax_xferfaxlog
        if not path:
            return False
        state = report_follower.file_state(path)
        if state is None or state == self.report_log_seen:
            return False  # unchanged since the last look: no database work
        with self.app.session() as session:
            reports = report_follower.read_new_reports(session, path)
            result = incidents.ingest_reports(session, reports, privacy_office=self.app.config.mail.privacy_office,
                                              profile=self.app.profile, stale_days=self.app.policy.stale_days,
                                              base_url=self.app.public_url)
        self.report_log_seen = state
        incident_actions.tell(self.app, result)
        return bool(reports)

    # -- expiry

    def screen_changed(self) -> None:
        """Jobs waiting for confirmation whose directory entry or policy changed are screened
        again at once, so nobody is asked to confirm a destination that no longer is."""
        with self.app.session() as session:
            for job in session.scalars(select(Job).where(Job.state == "awaiting_confirmation")):
                if jobs.screened_against_the_past(session, job, self.app.policy):
                    jobs.screen_again(session, job, ACTOR, "the directory entry or the policy changed")

    def expire(self) -> None:
        limit = utcnow() - dt.timedelta(hours=self.app.policy.job_ttl_hours)
        notices = []
        with self.app.session() as session:
            stale = session.scalars(select(Job).where(
                Job.state.in_(("awaiting_confirmation", "approved", "blocked")), Job.updated_at < limit))
            for job in stale:
                told_before = job.state == "blocked"  # the submitter was told it was stopped, and why
                jobs.move(session, job, "expired", ACTOR, f"waited longer than {self.app.policy.job_ttl_hours} hours")
                if not told_before:  # a fax still on its way must not be taken for sent
                    notices.append(approvals.notice_of(session, job, self.app.policy))
        for notice in notices:
            self.app.notifier.notify(*notice)

    def run(self, stop: threading.Event, wake: threading.Event, idle_seconds: float = 0.5,
            screen_only: bool = False) -> None:
        """Work until `stop`: screen, relay, sign records, expire; with `screen_only`, screen only
        (extra threads beside one full loop: a thread waits while its document's parser process
        runs, so one thread leaves CPUs idle). When idle, wait `idle_seconds` or until `wake`
        (set by the intake of the same process once a job is stored). Call `recover` first."""
        next_expiry = 0.0
        while not stop.is_set():
            busy = False
            try:
                # Each step binds the job it took to every log line it writes, this one included.
                steps = (self.screen_one,) if screen_only else (
                    self.screen_one, self.relay_one, self.record_one, self.follow_reports)
                for step in steps:
                    structlog.contextvars.clear_contextvars()
                    busy |= step()
                structlog.contextvars.clear_contextvars()
                if not screen_only and time.monotonic() > next_expiry:
                    self.screen_changed()
                    self.expire()
                    self.checkpoint_if_due()
                    incident_actions.send_reminders(self.app)
                    next_expiry = time.monotonic() + 60
            except Exception:
                log.exception("worker_error")
                busy = False
            if not busy:
                wake.wait(idle_seconds)
                wake.clear()  # before looking again: a job stored after this is seen or wakes us

