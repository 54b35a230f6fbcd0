"""Uploads from a PC (the API's `POST /api/jobs`, the web page "ファクスを送る"): a document and a
directory slot become a job by the SMTP intake's own way. The upload is wrapped in the mail a
device would send (From: the signed-in person, to `sd-<slot>@<smtp domain>`, the document as its
one attachment); that mail is read by the intake's parser (gateway.core.message.extract_document,
the same limits) in a sandboxed child as the intake writer reads mail, the slot is checked by the
rules that answer RCPT (a slot the directory never accepts is refused at once, as with 550), and
the job is stored by gateway.services.receive.store_batch. The worker then screens, holds for the
two confirmations and relays it like any other job."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from email.message import EmailMessage

import structlog

from gateway.core.addressing import parse_recipient
from gateway.core import upload_parser
from gateway.core.message import FaxDocument, MessageLimits
from gateway.core.refusals import Refusal
from gateway.core.screening import destination_refusal
from gateway.services import books
from gateway.services.books import BookChoiceError, DeviceBook
from gateway.services.near_misses import record_refused
from gateway.services.sites import UnknownSite
from gateway.services.receive import Submission, store_batch
from gateway.storage import directory_lookups
from policies.documents import sandbox
from policies.documents.model import DocumentUnreadable, PageLimits
from policies.documents.sniff import sniff

log = structlog.get_logger("faxgate.upload")
_SLOT = re.compile(r"[0-9]{1,5}")
_DEVICE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The parser child reads one mail of at most the message limit: what the intake writer may use.
_PARSER_LIMITS = PageLimits(timeout_seconds=20, memory_mb=1024)


@dataclass(frozen=True)
class UploadRefused(Exception):
    """Why an upload is not a job: the HTTP status, a code, the SMTP reply code a device would
    have got and that reply's words."""

    status: int
    code: str
    smtp: str
    english: str
    japanese: str

    def as_json(self) -> dict:
        return {"code": self.code, "smtp": self.smtp, "detail": self.japanese, "english": self.english}


# Which HTTP status each intake refusal becomes (by its enhanced status code).
_STATUS_OF_REPLY = {"5.3.4": (413, "too_large"), "5.6.1": (415, "unsupported_document"),
                    "5.7.0": (422, "encrypted_pdf"), "5.6.0": (422, "unreadable_message"),
                    "5.7.1": (403, "unknown_sender")}


def upload(app, sender_email: str, data: bytes, filename: str, slot: str, device: str | None, peer: str) -> str:
    """The new job's id, or UploadRefused. `sender_email`: the signed-in person's address (the
    intake's From: check makes it the submitter, as for mail)."""
    slot, device = (slot or "").strip(), (device or "").strip() or None
    if not _SLOT.fullmatch(slot):
        raise UploadRefused(400, "slot_malformed", "501 5.1.3", "Choose the destination by its directory slot (digits)",
                            "宛先は宛先表の登録番号（数字）で選んでください")
    if device is not None and not _DEVICE.fullmatch(device):
        raise UploadRefused(400, "device_malformed", "501 5.1.3", "A device name is letters, digits, '.', '_' or '-'",
                            "機器名は英数字と . _ - で指定してください")
    if not data:
        raise UploadRefused(400, "no_document", "554 5.6.0", "No PDF or TIFF attachment: nothing to fax",
                            "PDF または TIFF の添付がないため、送る内容がありません")
    limits: MessageLimits = app.message_limits
    if len(data) > limits.max_message_bytes:  # before wrapping: never hold twice an oversized upload
        raise refused_with("552 5.3.4", "Message too big", "メールが大きすぎます")
    recipient = f"sd-{slot}@{app.config.smtp.domain}"
    located = _located(app, device)
    request = _destination(app, recipient, sender_email, located)
    raw = _as_mail(sender_email, recipient, data, filename)
    document = _parsed(raw, data, limits)
    submission = Submission(raw=raw, document=document, destination_kind=request.kind, destination_input=request.text,
                            subaddress=request.subaddress, e164=request.e164, mail_from=sender_email,
                            recipient=recipient, device=f"upload:{device}" if device else "upload", peer=peer,
                            site=located.site, book=located.book)
    [answer] = store_batch(app, [submission])
    if not answer.startswith("250 "):
        code, english, japanese = _reply_parts(answer)
        raise refused_with(code, english, japanese)
    job_id = answer.rsplit(" ", 1)[1]
    log.info("job_uploaded", job=job_id, slot=slot, device=device, size=len(data))
    return job_id


def device_choices(uow) -> list[str] | None:
    """The devices an upload may be sent as (whose book and site it uses), or None where there is
    nothing to choose: one shared book and no sites."""
    if not uow.sites.any() and all(d.book is None for d in uow.users.devices()):
        return None
    return sorted(d.name for d in uow.users.devices())


def choices_in_book(uow, app, device: str | None, query: str) -> list[Choice]:
    """destination_choices in the book `device` dials (the shared book where there is no choice);
    none while a needed device is not chosen or is unknown."""
    if device_choices(uow) is None:
        return destination_choices(uow, query)
    if not device:
        return []
    try:
        return destination_choices(uow.in_book(books.choose(uow, device, app.profile).book), query)
    except (BookChoiceError, UnknownSite):
        return []


def _located(app, device: str | None) -> DeviceBook:
    """The book the slot is looked up in and the site whose PBX reads it. In an install of one
    shared book and no sites there is nothing to choose (a device name is only recorded); once
    there are sites or devices' own books, the upload must name a registered device: never a guess."""
    with app.unit_of_work(read_only=True) as uow:
        if device_choices(uow) is None:
            return books.shared(uow, app.profile)
        if device is None:
            raise UploadRefused(422, "device_required", "550 5.7.1",
                                "This install has several sites or books: name the device whose book and site to use",
                                "拠点や機器ごとの宛先表があるため、どの機器の宛先表で送るか（device）を指定してください")
        try:
            return books.choose(uow, device, app.profile)
        except (BookChoiceError, UnknownSite):
            raise UploadRefused(422, "unknown_device", "550 5.7.1",
                                f"No registered device {device} with a configured site",
                                f"機器 {device} は登録されていないか、拠点が設定されていません") from None


def _destination(app, recipient: str, sender: str, located: DeviceBook):
    try:
        request = parse_recipient(recipient, app.config.smtp.domain, located.profile)
    except Refusal as refusal:
        record_refused(app.unit_of_work, "upload", refusal.code, sender)
        raise UploadRefused(422, refusal.code, "550 5.1.1", refusal.message_en, refusal.message_ja) from None
    hit = destination_refusal(request, directory_lookups.lookups(app, located.book, located.profile))
    if hit is not None:  # what RCPT answers 550 5.1.1: nothing in the document could make it sendable
        log.info("recipient_refused", recipient=recipient, code=hit.code, door="upload")
        record_refused(app.unit_of_work, "upload", hit.code, sender)
        raise UploadRefused(422, hit.code, "550 5.1.1", f"{hit.code}: {hit.message_en}", hit.message_ja)
    return request


def _as_mail(sender: str, recipient: str, data: bytes, filename: str) -> bytes:
    """The mail a device would send. The type is left to the intake's sniffing (as for mail: the
    declared type of an attachment is never trusted)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, "faxgate upload"
    message.set_content("faxgate: uploaded from the web app")
    name = re.sub(r"[\x00-\x1f\x7f\"\\]", "", filename or "")[:200] or "document"
    message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message.as_bytes())


def _parsed(raw: bytes, data: bytes, limits: MessageLimits) -> FaxDocument:
    """extract_document in a sandboxed child; it sends back only what it found (JSON), and the
    document kept is the upload itself, checked to be what the child read."""
    header = {"limits": dataclasses.asdict(limits)}
    try:
        with sandbox.run(upload_parser.ENTRY, header, raw, _PARSER_LIMITS, max_frame=64 * 1024) as frames:
            tag, payload = next(frames)
    except DocumentUnreadable as exc:
        log.warning("upload_parse_failed", code=exc.code, detail=exc.detail)
        raise refused_with("554 5.6.0", "Malformed message: its structure or headers cannot be read",
                       "メールの形式が壊れているため読み取れません") from None
    found = json.loads(bytes(payload))
    if tag == b"R":
        raise refused_with(found["code"], found["english"], found["japanese"])
    if tag != b"D" or found.get("kind") not in ("pdf", "tiff") or found["kind"] != sniff(data) \
            or found.get("size") != len(data):
        raise refused_with("554 5.6.0", "Malformed message: its structure or headers cannot be read",
                       "メールの形式が壊れているため読み取れません")
    return FaxDocument(data, found["kind"], str(found["filename"]), str(found["from"]))


def refused_with(code: str, english: str, japanese: str) -> UploadRefused:
    """The refusal of an intake reply (its code and words), with the HTTP status it becomes."""
    status, name = _STATUS_OF_REPLY.get(code.split()[-1], (422, "refused"))
    return UploadRefused(status, name, code, english, japanese)


def _reply_parts(answer: str) -> tuple[str, str, str]:
    """(code, English, Japanese) of the intake's two-line reply."""
    first, _, second = answer.partition("\r\n")
    code = first[:3] + " " + first[4:].split(" ", 1)[0]
    return code, first[4:].split(" ", 1)[1], second[4:].split(" ", 1)[1] if second else ""


@dataclass(frozen=True)
class Choice:
    """A destination offered on the upload page: its slot, name and organisation, never its
    number (the submitter re-enters that blind when confirming)."""

    slot: int
    name: str
    organization: str
    internal: bool


_NUMBER_QUERY = re.compile(r"[0-9０-９()\-－ ‐+]+")


def destination_choices(uow, query: str, limit: int = 20) -> list[Choice]:
    """Usable directory entries (active, no change waiting for approval) whose name or
    organisation contains `query`, or whose number contains the digits typed (at least four; a
    national number's leading 0 is the trunk prefix, not in the E.164 form). No query: none."""
    query = query.strip()[:100]
    if not query:
        return []
    if _NUMBER_QUERY.fullmatch(query):
        digits = "".join(ch for ch in query.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if ch.isdigit())
        if len(digits) < 4:
            return []
        entries = [e for e in uow.directory.entries() if digits.lstrip("0") in (e.e164 or "")
                   or (e.extension and digits == e.extension)]
    else:
        entries = uow.directory.entries(search=query)
    usable = [e for e in entries if e.status == "active" and e.pending_change_id is None]
    return [Choice(e.slot, e.name, e.organization or "", e.kind == "internal") for e in usable[:limit]]
