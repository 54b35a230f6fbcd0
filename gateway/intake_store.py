"""Storing received jobs, many in one transaction (group commit: one fsync for every device
waiting), answering each with the reply it is owed."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import func, select

from gateway.jobs import create_jobs
from gateway.message import FaxDocument
from gateway.models import User

log = structlog.get_logger("faxgate.intake")


@dataclass(frozen=True)
class Submission:
    raw: bytes
    document: FaxDocument
    destination_kind: str
    destination_input: str
    subaddress: str | None
    e164: str | None
    mail_from: str
    recipient: str
    device: str
    peer: str


def unknown_sender_reply(address: str) -> str:
    return (f"550-5.7.1 Sender {address} is not a registered staff member\r\n"
            f"550 5.7.1 送信者 {address} は職員として登録されていません。管理者に利用者登録を依頼してください")


def store_batch(app, batch: list[Submission]) -> list[str]:
    """The SMTP reply for each submission; returns only after the jobs are committed."""
    # A bare connection, not an ORM session: this is the intake's hot path.
    with app.engine.begin() as connection:
        addresses = {item.document.from_address.lower() for item in batch}
        users = {
            row.email.lower(): row
            for row in connection.execute(
                select(User.id, User.email, User.department)
                .where(func.lower(User.email).in_(addresses), User.active.is_(True))
            )
        }
        known = [item for item in batch if item.document.from_address.lower() in users]
        created = create_jobs(connection, [_spec(item, users[item.document.from_address.lower()]) for item in known])
    for item, job_id in zip(known, created):  # committed: the log names what the devices are told
        log.info("job_queued", job=job_id, device=item.device, peer=item.peer, sha256=item.document.sha256,
                 size=len(item.document.data))
    for item in batch:
        if item.document.from_address.lower() not in users:
            log.info("sender_refused", device=item.device, peer=item.peer, sender=item.document.from_address)
    job_ids = iter(created)
    return [
        f"250 2.0.0 Ok: queued as {next(job_ids)}" if item.document.from_address.lower() in users
        else unknown_sender_reply(item.document.from_address)
        for item in batch
    ]


def _spec(item: Submission, user) -> dict:
    return dict(
        message=item.raw, document=item.document.data, actor=f"device:{item.device}",
        submitter_id=user.id, submitter_email=user.email, department=user.department,
        identity_source=f"From: header asserted by {item.device}", device=item.device, client_address=item.peer,
        envelope_from=item.mail_from, recipient=item.recipient, destination_kind=item.destination_kind,
        destination_input=item.destination_input, subaddress=item.subaddress, e164=item.e164,
        content_sha256=item.document.sha256, content_type=item.document.content_type,
        filename=item.document.filename, size=len(item.document.data),
    )
