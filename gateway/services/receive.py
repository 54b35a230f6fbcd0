"""Storing received jobs, many in one transaction (group commit: one fsync for every device
waiting), answering each with the reply it is owed."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from gateway.services import resends
from gateway.services.jobs import create_jobs, utcnow
from gateway.core.message import FaxDocument
from gateway.storage.repositories.jobs import unstorable_field

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
    site: str | None = None  # the device's site: its PBX reads the job's dial string
    book: str = ""  # the device's speed-dial book ("" the shared one): where sd-<slot> is looked up


def unknown_sender_reply(address: str) -> str:
    return (f"550-5.7.1 Sender {address} is not a registered staff member\r\n"
            f"550 5.7.1 送信者 {address} は職員として登録されていません。管理者に利用者登録を依頼してください")


# What each stored value is called in a reply to the device.
FIELD_NAMES = {
    "filename": ("attachment file name", "添付ファイル名"),
    "content_type": ("attachment type", "添付ファイルの種類"),
    "recipient": ("recipient address", "宛先アドレス"),
    "destination_input": ("destination", "宛先"),
    "subaddress": ("subaddress", "サブアドレス"),
    "envelope_from": ("envelope sender", "送信元アドレス"),
    "from_address": ("From: address", "差出人アドレス"),
}


def unstorable_reply(item: Submission) -> str | None:
    """A permanent refusal for a message no database could ever store as it is (a value longer
    than its column, a NUL), or None: sending it again would fail again, so it gets 554, not 451."""
    if "\x00" in item.document.from_address:  # looked up before any job is stored
        problem = ("from_address", None)
    else:
        problem = unstorable_field(_message_fields(item))
    if problem is None:
        return None
    column, limit = problem
    english, japanese = FIELD_NAMES.get(column, (column, column))
    if limit is None:
        return (f"554-5.6.0 The {english} contains a NUL character and cannot be stored\r\n"
                f"554 5.6.0 {japanese}にNUL文字が含まれているため保存できません")
    return (f"554-5.6.0 The {english} is longer than {limit} characters and cannot be stored\r\n"
            f"554 5.6.0 {japanese}が長すぎるため保存できません（{limit}文字まで）")


def store_batch(app, batch: list[Submission]) -> list[str]:
    """The SMTP reply for each submission; returns only after the jobs are committed. A message
    that can never be stored is answered on its own and never joins the others' transaction."""
    refused = {index: answer for index, item in enumerate(batch) if (answer := unstorable_reply(item))}
    for index in refused:
        log.info("message_unstorable", device=batch[index].device, peer=batch[index].peer, reply=refused[index])
    storable = [item for index, item in enumerate(batch) if index not in refused]
    stored = iter(_store(app, storable))
    return [refused[index] if index in refused else next(stored) for index in range(len(batch))]


def _store(app, batch: list[Submission]) -> list[str]:
    if not batch:
        return []
    with app.unit_of_work() as uow:
        users = uow.users.active_senders({item.document.from_address.lower() for item in batch})
        now = utcnow()
        message_ids = {id(item): resends.message_id_of(item.raw) for item in batch}
        found = resends.firsts_of(uow, [(item.device, item.recipient, message_ids[id(item)], item.document.sha256)
                                        for item in batch], now)
        firsts = {id(item): first for item, first in zip(batch, found)}
        # The same message again while its job is under way gets that job's 250 again, no second job.
        again = {id(item): first for item in batch for first, same_message in [firsts[id(item)]]
                 if same_message and first.state not in resends.ENDED}
        linked = {id(item): first.id for item in batch for first, _ in [firsts[id(item)]]
                  if first is not None and id(item) not in again}
        for item in batch:
            if id(item) in again:
                uow.audit.append(f"device:{item.device}", resends.RESEND_RECEIVED, again[id(item)].id,
                                 "the device sent this message again (it never saw the 250)",
                                 sha256=item.document.sha256, peer=item.peer)
        known = [item for item in batch if item.document.from_address.lower() in users and id(item) not in again]
        created = create_jobs(uow, [_spec(item, users[item.document.from_address.lower()], linked.get(id(item)),
                                          message_ids[id(item)]) for item in known])
    for item, job_id in zip(known, created):  # committed: the log names what the devices are told
        log.info("job_queued", job=job_id, device=item.device, peer=item.peer, sha256=item.document.sha256,
                 size=len(item.document.data), resend_of=linked.get(id(item)))
    for item in batch:
        if id(item) in again:
            log.info("resend_received", job=again[id(item)].id, device=item.device, peer=item.peer)
    for item in batch:
        if item.document.from_address.lower() not in users:
            log.info("sender_refused", device=item.device, peer=item.peer, sender=item.document.from_address)
    job_ids = iter(created)
    return [
        f"250 2.0.0 Ok: queued as {again[id(item)].id}" if id(item) in again
        else f"250 2.0.0 Ok: queued as {next(job_ids)}" if item.document.from_address.lower() in users
        else unknown_sender_reply(item.document.from_address)
        for item in batch
    ]


def _spec(item: Submission, user, resend_of: str | None, message_id: str | None) -> dict:
    return dict(
        _message_fields(item), message=item.raw, document=item.document.data, actor=f"device:{item.device}",
        submitter_id=user.id, submitter_email=user.email, department=user.department,
        message_id=message_id, resend_of=resend_of,
    )


def _message_fields(item: Submission) -> dict:
    """The job's columns that come from the message and its envelope (not from the sender's record)."""
    return dict(
        identity_source=f"From: header asserted by {item.device}", device=item.device, site=item.site, book=item.book,
        client_address=item.peer,
        envelope_from=item.mail_from, recipient=item.recipient, destination_kind=item.destination_kind,
        destination_input=item.destination_input, subaddress=item.subaddress, e164=item.e164,
        content_sha256=item.document.sha256, content_type=item.document.content_type,
        filename=item.document.filename, size=len(item.document.data),
    )
