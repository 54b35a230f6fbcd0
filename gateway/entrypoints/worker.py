"""The worker: screens received jobs, relays approved ones (at most one automatic send each),
expires what waited too long, and after a crash hands jobs caught mid-send to a person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass

import structlog

from directory.dialplan import in_house_extension, national_digits
from directory.profile import PbxProfile
from gateway.services import approver_notices, audit_head, confirm as approvals, inbox, jobs, leases, notices, retention
from gateway.core import confirmation, in_house
from gateway.storage import directory_lookups
from gateway.incidents import actions as incident_actions, report_follower
from gateway.services.jobs import binding_of, given_of, utcnow
from gateway.core.addressing import parse_recipient
from gateway.services.cover_prepend import outgoing_document
from gateway.services.record_facts import transmission_facts
from gateway.services.sites import private_route_of, profile_of
from gateway.storage.repositories.directory import SHARED_BOOK
from gateway.storage.repositories.jobs import RECORD_SET_ASIDE
from gateway.storage.tables import Job
from gateway.records.facts import masked, thumbnail
from gateway.records.certify import build_record
from gateway.records.keys.base import SigningKeyError
from gateway.records.pki import expiry_warning
from gateway.adapters.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError
from gateway.core.screening import Outcome, RuleRecord, Subject, Tools, error_reason, run_chain
from policies.documents.model import DocumentUnreadable
from policies.screen import load_for_screening, screen_loaded
from gateway.core.states import JobState

log = structlog.get_logger("faxgate.worker")
ACTOR = "system:worker"


RECORDED_STATES = (JobState.SENT, JobState.FAILED, JobState.BLOCKED, JobState.REJECTED, JobState.EXPIRED,
                   JobState.DELIVERY_UNKNOWN)
SCREENING_FAILED = "screening_failed"


@dataclass
class _Failing:
    tries: int
    retry_at: float


class Backoff:
    """Items of background work that failed: each waits longer before its next try (`delays`,
    seconds, the last one repeated), so one that keeps failing never holds up the others."""

    def __init__(self, delays: tuple[float, ...]):
        self.delays = delays
        self.failing: dict[str, _Failing] = {}

    def waiting(self) -> set[str]:
        """The items not to try now."""
        now = time.monotonic()
        return {item for item, failing in self.failing.items() if failing.retry_at > now}

    def failed(self, item: str) -> int:
        """Count a failed try of `item`; returns how many it has had."""
        tries = self.failing[item].tries + 1 if item in self.failing else 1
        self.failing[item] = _Failing(tries, time.monotonic() + self.delays[min(tries - 1, len(self.delays) - 1)])
        return tries

    def forget(self, item: str) -> None:
        self.failing.pop(item, None)


class Worker:
    EXPIRY_WARNING_EVERY = 3600.0  # seconds between two log warnings of a signing certificate about to expire
    RECORDS_RETRY_SECONDS = 60.0  # while records cannot be signed, look again this often (no job goes without one)
    # A job whose record fails to build (not a key problem: something in the job itself) is
    # tried again after these pauses, then set aside with an alert after this many tries.
    RECORD_RETRY_DELAYS = (10.0, 60.0, 300.0)
    RECORD_TRIES = 3
    # The same for a job whose screening fails: then it is held (blocked), never passed.
    SCREENING_RETRY_DELAYS = (10.0, 60.0)
    SCREENING_TRIES = 3
    APPROVER_NOTICE_SECONDS = 5.0  # how soon an approver hears that a job waits for them

    def __init__(self, app):
        self.app = app
        self.records_paused_until = 0.0
        self.record_failures = Backoff(self.RECORD_RETRY_DELAYS)
        self.report_log_seen: tuple[int, int] | None = None
        self.expiry_warned_at = float("-inf")
        self.keys_reported = False
        self.next_checkpoint_look = 0.0
        self._settings_cache: tuple = (None, None)  # (directory version, screening settings)
        self._next_approver_notices = 0.0

    def tools(self, profile: PbxProfile | None = None, book: str = SHARED_BOOK) -> Tools:
        """`profile`: the PBX of the job's site (default the configured `[pbx]`); `book`: its
        device's speed-dial book (default the shared one)."""
        settings = self._settings()
        # Lookups each in their own short transaction: document parsing must not hold the database.
        directory = directory_lookups.lookups(self.app, book)
        return Tools(profile or self.app.profile, self.app.policy, directory.entry_by_slot, directory.entries_by_number,
                     lambda data: load_for_screening(data, settings), lambda document: screen_loaded(document, settings),
                     self.app.check_cover,
                     prepend_cover=lambda subject: outgoing_document(subject, self.app.config.coversheet,
                                                                     self.app.page_limits),
                     check_addressee=self.app.check_addressee, inbox_staffed=self._inbox_staffed)

    def _inbox_staffed(self, department: str) -> bool:
        with self.app.unit_of_work(read_only=True) as uow:
            return inbox.staffed(uow, department)

    def _settings(self):
        """The screening settings with the directory's destinations, which are where faxes are meant
        to go, not personal data on a page. A city's directory is large: it is read whole only
        when its version changed, not for every job."""
        with self.app.unit_of_work(read_only=True) as uow:
            version = uow.directory.version()
            if self._settings_cache[0] != version:
                destinations = uow.directory.active_destinations()
                self._settings_cache = (version, self.app.screen_settings.with_directory(
                    [e164 for e164, _ in destinations if e164], [org for _, org in destinations if org]))
        return self._settings_cache[1]

    # -- start-up

    def recover(self) -> None:
        """Take over the jobs whose holder stopped screening or sending them: only those whose
        lease ran out, never one another live process holds (it renews its leases)."""
        with self.app.unit_of_work() as uow:
            moved = leases.take_over_expired(uow, ACTOR)
        for job_id, state in moved:
            log.warning("lease_expired_taken_over", job=job_id, state=state)

    # -- screening

    def screen_one(self) -> bool:
        with self.app.unit_of_work() as uow:
            candidates = uow.jobs.due_ids(JobState.RECEIVED, limit=5, now=utcnow())
        for job_id in candidates:
            with self.app.unit_of_work() as uow:
                if jobs.claim(uow, job_id, JobState.RECEIVED, JobState.SCREENING, ACTOR, lease=self.app.lease()):
                    break
        else:
            return False
        structlog.contextvars.bind_contextvars(job=job_id)
        try:
            self._screen(job_id)
        except Exception as exc:  # something in this job: the others are screened meanwhile
            self._screening_failed(job_id, exc)
        return True

    def _screening_failed(self, job_id: str, exc: Exception) -> None:
        """Back to the queue after a pause; after SCREENING_TRIES, held (fail closed) with an alert."""
        error = f"{type(exc).__name__}: {exc}"[:300]
        log.exception("screening_failed", job=job_id)
        with self.app.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            if not leases.holds(job, self.app.lease_owner, JobState.SCREENING):
                return  # taken over after our lease ran out: screened again elsewhere
            tries = 1 + sum(1 for data in uow.audit.data_of(job_id, "job.received") if data.get("screening_failed"))
            if tries < self.SCREENING_TRIES:
                pause = self.SCREENING_RETRY_DELAYS[min(tries - 1, len(self.SCREENING_RETRY_DELAYS) - 1)]
                job.next_attempt_at = utcnow() + dt.timedelta(seconds=pause)
                jobs.move(uow, job, JobState.RECEIVED, ACTOR, f"screening failed, trying again in {pause:g}s: {error}",
                          screening_failed=True, tries=tries)
                return
            job.reasons = [{"rule": "screening", "code": SCREENING_FAILED, "action": "hold",
                            "message_ja": "チェック中の障害が繰り返されたため保留しました。管理者に連絡してください",
                            "message_en": f"screening failed {tries} times: {error}"}]
            jobs.move(uow, job, JobState.BLOCKED, ACTOR, f"screening failed {tries} times; held for a person: {error}",
                      screening_failed=True, tries=tries)
            notices.queue(uow, self.app.notifier, approvals.notice_of(uow, job, self.app.policy))
        log.error("screening_set_aside", job=job_id, tries=tries, error=error)

    def _screen(self, job_id: str) -> None:
        started = time.monotonic()
        with self.app.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            recipient, site, book, document = job.recipient, job.site, job.book, uow.jobs.document_of(job_id)
            about = dict(job_id=job_id, sender_department=job.department, sender_contact=job.submitter_email,
                         route=job.route)
        try:
            # Read with the PBX of the job's site, whatever this process's own `[pbx]` says.
            with self.app.unit_of_work(read_only=True) as uow:
                profile = profile_of(uow, site, self.app.profile)
            request = parse_recipient(recipient, self.app.config.smtp.domain, profile)
        except Exception as exc:  # e.g. the PBX profile or the site changed since intake: hold, never pass
            subject = Subject(request=None, document_bytes=document, today=dt.date.today(), **about)
            reason = error_reason("destination_dialable", str(exc)) | {"message_ja": "宛先を読み取れないため保留しました"}
            outcome = Outcome(JobState.BLOCKED, [RuleRecord("destination_dialable", "error", "hold", reason["code"], str(exc))],
                              [reason])
        else:
            subject = Subject(request=request, document_bytes=document, today=dt.date.today(), **about)
            outcome = run_chain(subject, self.tools(profile, book))
        with self.app.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            if not leases.holds(job, self.app.lease_owner, JobState.SCREENING):
                log.warning("screening_lease_lost", job=job_id)  # taken over: screened again elsewhere
                return
            run = 1 + max((r.run for r in job.rule_results), default=0)
            for record in outcome.records:
                uow.jobs.add_rule_result(job, run=run, rule=record.rule, outcome=record.outcome,
                                         action=record.action, code=record.code, reason=record.reason)
            if subject.cover_generated:
                jobs.replace_document(uow, job, subject.document_bytes, ACTOR, "faxgate's cover sheet prepended")
            job.e164, job.dial_string = subject.e164, subject.dial_string
            # Another site's own number is dialled over the private network: what is confirmed,
            # recorded and relayed is that dial string, not the public one.
            job.dial_string = private_route_of(uow, job.site, job.e164) or job.dial_string
            if subject.entry:
                job.entry_id, job.entry_version = subject.entry.id, subject.entry.version
            job.pages, job.findings, job.reasons = subject.pages, subject.findings, outcome.reasons
            job.route = subject.route if subject.entry and subject.entry.inbox else in_house.FAX
            job.extra_approvers = subject.screened.extra_approvers if subject.screened else 0
            job.needs_privacy_officer = bool(subject.screened and subject.screened.needs_privacy_officer)
            job.policy_version = self.app.policy.version
            jobs.move(uow, job, outcome.state, ACTOR, "; ".join(r["code"] for r in outcome.reasons),
                      rules=[f"{r.rule}:{r.outcome}" for r in outcome.records])
            notices.queue(uow, self.app.notifier, approvals.notice_of(uow, job, self.app.policy))
        self.app.metrics.screening_seconds.observe(time.monotonic() - started)
        log.info("screened", job=job_id, state=outcome.state, reasons=[r["code"] for r in outcome.reasons])

    # -- relay

    def relay_one(self) -> bool:
        now = utcnow()
        with self.app.unit_of_work() as uow:
            candidates = uow.jobs.due_ids(JobState.APPROVED, limit=5, now=now)
        for job_id in candidates:
            with self.app.unit_of_work() as uow:
                job = uow.jobs.get(job_id)
                if job.state != JobState.APPROVED:
                    continue
                if jobs.screened_against_the_past(uow, job, self.app.policy):
                    jobs.screen_again(uow, job, ACTOR, "the directory entry or the policy changed after approval")
                    continue
                if not self._still_approved(uow, job, now):
                    jobs.move(uow, job, JobState.AWAITING_CONFIRMATION, ACTOR,
                              "a confirmation no longer counts (the job changed or it expired): confirm again")
                    continue
                if not jobs.claim(uow, job_id, JobState.APPROVED, JobState.SENDING, ACTOR, lease=self.app.lease()):
                    continue
                structlog.contextvars.bind_contextvars(job=job_id)
                job = uow.jobs.get(job_id, fresh=True)
                if job.route == in_house.INBOX:  # 庁内便: no phone line, so delivered in the claim's own transaction
                    state = inbox.deliver(uow, job, self.app.public_url, self.app.notifier)
                    log.info("delivered_in_house", job=job_id, state=state)
                    return True
                request = self._request(uow, job)
            self._deliver(job_id, request)
            return True
        return False

    def _still_approved(self, uow, job: Job, now: dt.datetime) -> bool:
        entry = uow.directory.get(job.entry_id)
        if entry is None or entry.status != "active" or entry.pending_change_id:
            return False
        policy = self.app.policy
        return confirmation.is_approved(given_of(job), binding_of(job), now, policy.confirmation_ttl_hours, jobs.needs_of(job, policy))

    def _request(self, uow, job: Job) -> RelayRequest:
        entry = uow.directory.get(job.entry_id)
        # In-house: the extension, whatever number_format says (and an entry may have no outside number).
        extension = in_house_extension(entry.kind, entry.extension, job.e164,
                                       profile_of(uow, job.site, self.app.profile))
        # Another site's own number goes over the private network when both sites are on it.
        tie = None if extension else private_route_of(uow, job.site, job.e164)
        extension = extension or tie
        dial_string = (extension or job.dial_string or "").replace("-", "")
        if extension:
            number = extension
        else:
            number = {"e164": job.e164, "national": national_digits(job.e164),
                      "dial_string": dial_string}[self.app.config.relay.number_format]
        return RelayRequest(job_id=job.id, number=number, dial_string=dial_string,
                            document=uow.jobs.document_of(job.id), filename=job.filename,
                            content_type=job.content_type, sender=job.submitter_email)

    def _deliver(self, job_id: str, request: RelayRequest) -> None:
        try:
            receipt = self.app.relay.send(request)
        except TemporaryRelayError as exc:
            state, detail = "retry", str(exc)
        except PermanentRelayError as exc:
            state, detail = JobState.FAILED, str(exc)
        except DeliveryUnknownError as exc:
            state, detail = JobState.DELIVERY_UNKNOWN, str(exc)
        else:
            state, detail = JobState.SENT, receipt
        with self.app.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            if not leases.holds(job, self.app.lease_owner, JobState.SENDING):
                # Our lease ran out mid-send (the heartbeat could not reach the database) and the
                # job was taken over (delivery_unknown): the person who checks it learns what we saw.
                uow.audit.append(ACTOR, "job.send_outcome_after_lease", job_id, str(detail)[:500],
                                 outcome=state, state=job.state if job else None)
                log.error("send_lease_lost", job=job_id, outcome=state, detail=detail)
                return
            job.attempts += 1
            policy = self.app.policy
            if state == "retry" and job.attempts >= policy.max_attempts:
                state, detail = JobState.FAILED, f"gave up after {job.attempts} attempts: {detail}"
            if state == "retry":
                pause = policy.backoff_seconds[min(job.attempts - 1, len(policy.backoff_seconds) - 1)]
                job.next_attempt_at = utcnow() + dt.timedelta(seconds=pause)
                jobs.move(uow, job, JobState.APPROVED, ACTOR, f"fax server not available, retry in {pause}s: {detail}")
            elif state == JobState.DELIVERY_UNKNOWN:
                jobs.move(uow, job, JobState.DELIVERY_UNKNOWN, ACTOR, f"{detail}; a person must check with the fax server")
            elif state == JobState.SENT:
                job.sent_at, job.relay_receipt = utcnow(), detail
                jobs.move(uow, job, JobState.SENT, ACTOR, detail)
                uow.directory.mark_used(job.entry_id, dt.date.today())
            else:
                job.reasons = [{"rule": "relay", "code": "relay_failed", "action": "fail",
                                "message_ja": "ファクスサーバーが受け付けませんでした", "message_en": detail}]
                jobs.move(uow, job, JobState.FAILED, ACTOR, detail)
            if job.state in (JobState.SENT, JobState.FAILED):
                notices.queue(uow, self.app.notifier, approvals.notice_of(uow, job, policy))
        self.app.metrics.relay_results.inc(state)
        log.info("relayed", job=job_id, outcome=state, detail=detail)

    # -- signed records and checkpoints

    def record_one(self) -> bool:
        """Sign the record of one job that reached a state needing one (outside any database
        transaction: loading pages and signing take time). A key problem is logged and retried
        later; it never changes a job."""
        if time.monotonic() < self.records_paused_until:
            return False
        with self.app.unit_of_work() as uow:
            job = uow.jobs.next_without_record(RECORDED_STATES, skip=self.record_failures.waiting())
            if job is None:
                return False
            job_id, state = job.id, job.state
            structlog.contextvars.bind_contextvars(job=job_id)
            # The signed record is evidence of where the fax was dialled: it names the number
            # (the API hands it only to those who may see it, see gateway.entrypoints.http.api).
            facts = transmission_facts(uow, job)
            document = uow.jobs.document_of(job.id)
        try:
            with self.app.signing() as key:
                self._warn_if_expiring(key.certificate)
                try:
                    thumbnails = self._thumbnails(document, facts.findings)
                except DocumentUnreadable:
                    thumbnails = []  # the record says the pages could not be read; the findings say why
                facts = dataclasses.replace(facts, thumbnails=tuple(thumbnails))
                pdf = build_record(facts, key.signer(), office=self.app.config.coversheet.office_name,
                                   timestamper=self.app.timestamper())
        except SigningKeyError as exc:  # no key, a token or TSA not answering: the job waits for its record
            log.warning("records_paused", reason=exc.message_en)
            self.records_paused_until = time.monotonic() + self.RECORDS_RETRY_SECONDS
            return False
        except Exception as exc:  # something in this job: the other jobs' records go on meanwhile
            self._record_failed(job_id, state, exc)
            return True
        digest = hashlib.sha256(pdf).hexdigest()
        with self.app.unit_of_work() as uow:
            uow.records.add(kind="transmission", job_id=facts.job_id, state=facts.state, pdf=pdf, sha256=digest)
            uow.audit.append(ACTOR, "record.signed", facts.job_id, facts.state, sha256=digest)
        self.record_failures.forget(job_id)
        return True

    def _thumbnails(self, document: bytes, findings) -> list:
        """The record's page thumbnails: masked where personal data was found, or none at all
        (the policy's [records] thumbnails)."""
        if self.app.policy.record_thumbnails == "none":
            return []
        boxes = {}
        for finding in findings:
            if finding.get("bbox"):
                boxes.setdefault(finding.get("page"), []).append(finding["bbox"])
        return [thumbnail(masked(page.image, page.dpi, boxes.get(page.number, [])), page.dpi)
                for page in self.app.load_document(document, "standard").pages]

    def _record_failed(self, job_id: str, state: str, exc: Exception) -> None:
        tries = self.record_failures.failed(job_id)
        error = f"{type(exc).__name__}: {exc}"[:300]
        log.exception("record_failed", job=job_id, tries=tries)
        if tries < self.RECORD_TRIES:
            return
        # Set aside until the job changes state (JobRepository.next_without_record): an alert in
        # the trail (the web app's audit view), in the log, and in /readyz and /metrics.
        self.record_failures.forget(job_id)
        with self.app.unit_of_work() as uow:
            uow.audit.append(ACTOR, RECORD_SET_ASIDE, job_id, f"the signed record failed {tries} times: {error}",
                             state=state, tries=tries)
        log.error("record_set_aside", job=job_id, tries=tries, error=error)

    def checkpoint_if_due(self) -> bool:
        """Sign the audit chain's head every `checkpoint_every` events, and at the latest
        `checkpoint_seconds` after the first event no checkpoint covers, so the unsigned tail of
        the trail is short in time as well as in count; each checkpoint also goes to `head_file`."""
        records = self.app.config.records
        if time.monotonic() < self.next_checkpoint_look:
            return False
        self.next_checkpoint_look = time.monotonic() + min(60.0, records.checkpoint_seconds / 4)
        with self.app.unit_of_work(read_only=True) as uow:
            head = uow.audit.head()
            last = uow.records.last_checkpointed_id()
            if head.last_id <= last:
                return False
            if head.last_id - last < records.checkpoint_every:
                oldest = uow.audit.at_of(last + 1)
                if oldest is not None and utcnow() - oldest < dt.timedelta(seconds=records.checkpoint_seconds):
                    return False
        try:
            signed = audit_head.sign_head(self.app)
        except SigningKeyError:
            return False  # record_one reports the key problem
        if signed is not None and records.head_file:
            try:
                audit_head.append(records.head_file, signed)
            except OSError as exc:  # the checkpoint is kept in the database; the copy outside is missing
                log.error("audit_head_not_exported", file=records.head_file, error=f"{type(exc).__name__}: {exc}"[:300])
        return signed is not None

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
        with self.app.unit_of_work() as uow:
            reports = report_follower.read_new_reports(uow, path)
            result = incident_actions.ingest_in(self.app, uow, reports)
        self.report_log_seen = state
        incident_actions.logged(result)
        return bool(reports)

    # -- expiry

    def screen_changed(self) -> None:
        """Jobs waiting for confirmation whose directory entry or policy changed are screened
        again at once, so nobody is asked to confirm a destination that no longer is."""
        with self.app.unit_of_work() as uow:
            for job in uow.jobs.in_states((JobState.AWAITING_CONFIRMATION,)):
                if jobs.screened_against_the_past(uow, job, self.app.policy):
                    jobs.screen_again(uow, job, ACTOR, "the directory entry or the policy changed")

    def expire(self) -> None:
        limit = utcnow() - dt.timedelta(hours=self.app.policy.job_ttl_hours)
        with self.app.unit_of_work() as uow:
            for job in uow.jobs.unchanged_since((JobState.AWAITING_CONFIRMATION, JobState.APPROVED, JobState.BLOCKED), limit):
                told_before = job.state == JobState.BLOCKED  # the submitter was told it was stopped, and why
                jobs.move(uow, job, JobState.EXPIRED, ACTOR, f"waited longer than {self.app.policy.job_ttl_hours} hours")
                if not told_before:  # a fax still on its way must not be taken for sent
                    notices.queue(uow, self.app.notifier, approvals.notice_of(uow, job, self.app.policy))

    def deliver_notice(self) -> bool:
        return notices.deliver_one(self.app)

    def tell_approvers(self) -> bool:
        """Every few seconds: the approvers a job now waits for are told, and reminded before it
        expires (gateway.services.approver_notices). Never counts as work done (the loop idles)."""
        if time.monotonic() < self._next_approver_notices:
            return False
        self._next_approver_notices = time.monotonic() + self.APPROVER_NOTICE_SECONDS
        approver_notices.tell(self.app, utcnow())
        return False

    def send_reminders(self) -> None:
        incident_actions.send_reminders(self.app)
        inbox.remind(self.app, utcnow())

    def purge_expired(self) -> None:
        """Content whose retention period is over (gateway.services.retention)."""
        purged = retention.purge(self.app, ACTOR)
        if purged:
            log.info("retention_purged", jobs=len(purged))

    def run(self, stop: threading.Event, wake: threading.Event, idle_seconds: float = 0.5,
            screen_only: bool = False) -> None:
        """Work until `stop`: screen, relay, sign records, expire; with `screen_only`, screen only
        (extra threads beside one full loop: a thread waits while its document's parser process
        runs, so one thread leaves CPUs idle). When idle, wait `idle_seconds` or until `wake`
        (set by the intake of the same process once a job is stored). Call `recover` first."""
        next_expiry = 0.0
        steps = (self.screen_one,) if screen_only else (self.screen_one, self.relay_one, self.record_one,
                                                        self.deliver_notice, self.checkpoint_if_due, self.follow_reports,
                                                        self.tell_approvers)
        periodic = () if screen_only else (self.screen_changed, self.expire, self.send_reminders,
                                           self.purge_expired)
        while not stop.is_set():
            if self._keys_unusable():
                wake.wait(idle_seconds)
                wake.clear()
                continue
            # Each step and each periodic task on its own: one that fails is logged and the others
            # still run (a failing item is handled inside its step, see record_one).
            busy = False
            for step in steps:
                busy |= self._isolated(step)
            if periodic and time.monotonic() > next_expiry:
                for task in periodic:
                    self._isolated(task)
                next_expiry = time.monotonic() + 60
            if not busy:
                wake.wait(idle_seconds)
                wake.clear()  # before looking again: a job stored after this is seen or wakes us

    def _keys_unusable(self) -> bool:
        """Without the key-encryption key no job can be read: wait (nothing is claimed, so no job
        is held or failed for it) until /readyz's check finds the key usable again."""
        problem = self.app.at_rest_problem()
        if problem is not None and not self.keys_reported:
            log.error("kek_unusable", code=problem.code, reason=problem.message_en)
        self.keys_reported = problem is not None
        return problem is not None

    def keep_leases(self, stop: threading.Event) -> None:
        """The heartbeat, in a thread of its own (a send can block every worker loop of the
        process for minutes): every third of the lease, this process's jobs are held for a whole
        lease more; every half lease or so, another process's jobs whose lease ran out (it died)
        are taken over, soon after, not at our start only."""
        lease = self.app.config.worker.lease_seconds
        next_recovery = time.monotonic() + lease / 2
        while not stop.wait(lease / 3):
            try:
                with self.app.unit_of_work() as uow:
                    leases.renew(uow, self.app.lease())
            except Exception:  # the database away: try again; the leases run out if it stays away
                log.exception("lease_renewal_failed")
            if time.monotonic() >= next_recovery:
                self._isolated(self.recover)
                next_recovery = time.monotonic() + lease / 2

    @staticmethod
    def _isolated(step) -> bool:
        """Run one unit of background work; its failure is logged, never passed on."""
        structlog.contextvars.clear_contextvars()  # each step binds the job it took to its log lines
        try:
            return bool(step())
        except Exception:
            log.exception("worker_error", step=step.__name__)
            return False
        finally:
            structlog.contextvars.clear_contextvars()
