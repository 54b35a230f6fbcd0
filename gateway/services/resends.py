"""A device's resend after a crash (issue 17, point 10): the gateway stored a message but the
device never saw its 250, so it sends the same message again. Recognised from the same device to
the same address within RESEND_WINDOW, by its Message-ID or by its document.

What happens then, as a mail gateway's operator expects (the device must get its 250, or it
retries for ever; nobody may be asked to confirm one fax twice without being told):
- the same Message-ID (the same message: a device keeps it when it resends) while the first job
  has not ended (it waits, is screened, held, sent or its outcome is unknown): no second job; the
  device gets the first job's 250 again, and the first job's trail records the copy
  (``job.resend_received``), which the web app and the API count;
- the same Message-ID once the first ended (sent, failed, rejected, expired), or the same document
  under another or no Message-ID (a second send on purpose is possible, so nothing is dropped):
  a new job linked to the first (``resend_of``), which the web app and the API show to everyone
  who confirms it."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy

from gateway.core.states import JobState
from gateway.storage.tables import Job
from gateway.storage.uow import UnitOfWork

RESEND_WINDOW = dt.timedelta(minutes=10)
ENDED = (JobState.SENT, JobState.FAILED, JobState.REJECTED, JobState.EXPIRED)
RESEND_RECEIVED = "job.resend_received"
_MESSAGE_ID_LENGTH = Job.__table__.columns["message_id"].type.length


def message_id_of(raw: bytes) -> str | None:
    """The message's Message-ID, or None when it has none the column can hold as it is."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(_header_block(raw))
    value = str(headers.get("Message-ID") or "").strip()
    if not value or len(value) > _MESSAGE_ID_LENGTH or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def _header_block(raw: bytes) -> bytes:
    """The message up to its first empty line: the header parser would otherwise read every line
    of the attachment after it."""
    ends = [end for end in (raw.find(b"\n\r\n"), raw.find(b"\n\n")) if end >= 0]
    return raw[:min(ends) + 1] if ends else raw


def firsts_of(uow: UnitOfWork, messages: list[tuple[str, str, str | None, str]],
              now: dt.datetime) -> list[tuple[Job | None, bool]]:
    """For each (device, recipient, Message-ID, document SHA-256): the job that message resends
    (the first of its copies) or None, and whether it is the same message (the oldest job since
    the window opened with its Message-ID) rather than the same document only (else the oldest
    with its document). Two queries for the whole batch."""
    since = now - RESEND_WINDOW
    by_message = uow.jobs.oldest_since("message_id", {(d, r, m) for d, r, m, _ in messages if m}, since)
    by_document = uow.jobs.oldest_since("content_sha256", {(d, r, s) for d, r, _, s in messages}, since)
    firsts = []
    for device, recipient, message_id, sha256 in messages:
        job = by_message.get((device, recipient, message_id)) if message_id else None
        same_message = job is not None
        job = job or by_document.get((device, recipient, sha256))
        if job is not None and job.resend_of:
            job = uow.jobs.get(job.resend_of) or job
        firsts.append((job, same_message))
    return firsts


def copies_received(uow: UnitOfWork, job_id: str) -> int:
    """How many resends of this job arrived while it was under way (none became a job)."""
    return len(uow.audit.data_of(job_id, RESEND_RECEIVED))
