"""The facts of a job's signed record, read from the job itself (not from any door's JSON): what
was received, where it was dialled, what screening found and who confirmed, with what they entered."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from gateway.records.facts import ConfirmationFact, TransmissionFacts
from gateway.services import jobs
from gateway.storage.tables import Job
from gateway.storage.uow import UnitOfWork


def transmission_facts(uow: UnitOfWork, job: Job, thumbnails: Sequence[Image.Image] = ()) -> TransmissionFacts:
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    cover_generated = jobs.cover_generated(job.rule_results)
    return TransmissionFacts(
        job_id=job.id, state=job.state, submitter=job.submitter_email, department=job.department,
        device=job.device, received_at=job.created_at, ended_at=job.updated_at, requested=job.recipient or "",
        destination_name=(entry.name if entry else "") or "",
        destination_organization=(entry.organization if entry else "") or "",
        entry_slot=entry.slot if entry else None, entry_version=entry.version if entry else None,
        e164=job.e164, dial_string=job.dial_string, content_sha256=job.content_sha256, filename=job.filename,
        size=job.size, pages=job.pages, findings=tuple(job.findings or ()),
        rules=tuple({"run": r.run, "rule": r.rule, "outcome": r.outcome, "code": r.code, "reason": r.reason}
                    for r in job.rule_results),
        reasons=tuple(job.reasons or ()),
        # Every accepted confirmation is on the job; a refused attempt is only in the audit trail.
        confirmations=tuple(ConfirmationFact(c.user.name, c.role, c.at, c.entered, True) for c in job.confirmations),
        relay_result=job.relay_receipt, attempts=job.attempts or 0, thumbnails=tuple(thumbnails), route=job.route,
        received_sha256=jobs.received_sha256(uow, job) if cover_generated else None,
    )
