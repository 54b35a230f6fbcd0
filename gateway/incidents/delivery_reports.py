"""What the fax server says happened after it took a job, read from the formats it writes.

- HylaFAX's transfer log (`etc/xferfaxlog`, xferfaxlog(5)): one tab-separated line per call;
  a SEND line names the HylaFAX job id and the CSI the remote machine announced.
- HylaFAX's done queue (`doneq/qN`, sendq(5)): `tag: value` lines; the job's final state and
  status (a `csi` tag is read where a server writes one).
- An SMTP delivery status notification (RFC 3464 `multipart/report`) from a mail-to-fax
  server; mail-to-fax servers put the remote ID in an extension field or in the text part.

A report names the job by the fax server's receipt (HylaFAX job id) or by faxgate's own job
id (the relayed message's Message-ID / ENVID). Parsing never guesses: a line or message that
is not a report of a sent fax is skipped, and a malformed one raises ReportError.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

from gateway.services.jobs import JOB_ID_PATTERN


class ReportError(ValueError):
    pass


@dataclass(frozen=True)
class DeliveryReport:
    source: str  # xferfaxlog | doneq | dsn
    outcome: str  # delivered | failed | pending
    csi: str | None  # None: the format did not say; "": the remote announced nothing
    reason: str = ""
    receipt: str | None = None  # the fax server's job id
    job_id: str | None = None  # faxgate's job id, when the report carries it
    number: str = ""  # the number the fax server dialled
    at: dt.datetime | None = None
    pages: int | None = None


def _unquote(field: str) -> str:
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1]
    return field


def parse_xferfaxlog(text: str) -> list[DeliveryReport]:
    """SEND records of the transfer log: date SEND commid modem jobid jobtag sender
    "dest-number" "CSI" params #pages jobtime conntime "reason" …"""
    reports = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) < 2 or fields[1] != "SEND":
            continue
        if len(fields) < 14:
            raise ReportError(f"xferfaxlog line {number}: a SEND record has 14 or more fields, this one {len(fields)}")
        try:
            at = dt.datetime.strptime(fields[0].strip(), "%m/%d/%y %H:%M")
        except ValueError:
            raise ReportError(f"xferfaxlog line {number}: date {fields[0]!r} is not MM/DD/YY HH:MM") from None
        reason = _unquote(fields[13])
        pages = fields[10].strip()
        reports.append(DeliveryReport(
            source="xferfaxlog", outcome="failed" if reason else "delivered", csi=_unquote(fields[8]),
            reason=reason, receipt=fields[4].strip(), number=_unquote(fields[7]), at=at,
            pages=int(pages) if pages.isdigit() else None,
        ))
    return reports


# sendq(5) job states: 7 done, 8 failed; the others mean the job is still under way.
_QFILE_DONE, _QFILE_FAILED = "7", "8"


def parse_doneq(text: str, file_name: str = "") -> DeliveryReport:
    tags: dict[str, str] = {}
    logical = text.replace("\\\n", "")  # a trailing backslash continues the line
    for line in logical.splitlines():
        tag, sep, value = line.partition(":")
        if sep and tag and " " not in tag:
            tags[tag.strip()] = value.strip()
    if "state" not in tags or not ("jobid" in tags or re.fullmatch(r"q\d+", file_name)):
        raise ReportError("not a HylaFAX queue file: it needs a state: tag and a jobid: tag (or a qN file name)")
    state = tags["state"]
    outcome = {"7": "delivered", "8": "failed"}.get(state, "pending")
    return DeliveryReport(
        source="doneq", outcome=outcome, csi=tags.get("csi"), reason=tags.get("status", ""),
        receipt=tags.get("jobid") or file_name[1:], number=tags.get("external") or tags.get("number", ""),
        pages=int(tags["npages"]) if tags.get("npages", "").isdigit() else None,
    )


_CSI_FIELD = re.compile(r"^(x-)?(fax-)?(remote-)?(csi|csid|tsi|remote-id|receiver-id)$", re.IGNORECASE)
_CSI_IN_TEXT = re.compile(r"(?:CSID?|Remote ID|Receiver ID|相手先ID|受信機ID)\s*[:：]\s*\"?([^\"\r\n]*?)\"?\s*$",
                          re.IGNORECASE | re.MULTILINE)
_JOB_IN_MESSAGE_ID = re.compile(r"<(" + JOB_ID_PATTERN + r")@")


def _job_id(per_message: Message, returned: Message | None) -> str | None:
    envid = (per_message.get("Original-Envelope-Id") or "").strip()
    if re.fullmatch(JOB_ID_PATTERN, envid):
        return envid
    if returned is not None:
        match = _JOB_IN_MESSAGE_ID.search(returned.get("Message-ID", ""))
        if match:
            return match.group(1)
    return None


def parse_dsn(raw: bytes) -> list[DeliveryReport]:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report" or message.get_param("report-type") != "delivery-status":
        raise ReportError("not a delivery status notification (multipart/report; report-type=delivery-status)")
    status_part = returned = None
    text = ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status_part = part
        elif kind in ("text/rfc822-headers", "message/rfc822") and returned is None:
            payload = part.get_payload()
            returned = payload[0] if isinstance(payload, list) else email.message_from_string(str(payload))
        elif kind == "text/plain" and not text:
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", errors="replace")
    if status_part is None:
        raise ReportError("the report has no message/delivery-status part")
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise ReportError("the delivery-status part has no per-recipient fields")
    job_id = _job_id(blocks[0], returned)
    text_csi = _CSI_IN_TEXT.search(text)
    reports = []
    for block in blocks[1:]:
        action = (block.get("Action") or "").strip().lower()
        if action not in ("delivered", "failed", "relayed", "delayed"):
            raise ReportError(f"unknown DSN action {action!r}")
        csi = next((str(v).strip() for k, v in block.items() if _CSI_FIELD.match(k)), None)
        if csi is None and text_csi:
            csi = text_csi.group(1).strip()
        recipient = (block.get("Final-Recipient") or "").partition(";")[2].strip()
        reports.append(DeliveryReport(
            source="dsn", outcome={"delivered": "delivered", "failed": "failed"}.get(action, "pending"),
            csi=csi, reason=" ".join(str(block.get("Diagnostic-Code") or block.get("Status") or "").split()),
            job_id=job_id, number=recipient,
        ))
    return reports


def parse_report(data: bytes, file_name: str = "") -> list[DeliveryReport]:
    """Any of the three formats, told apart by their content."""
    head = data[:4096]
    if b"multipart/report" in head.lower():
        return parse_dsn(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # HylaFAX writes the remote's bytes as they came
    if re.search(r"^\S+ \S+\tSEND\t", text, re.MULTILINE):
        return parse_xferfaxlog(text)
    if re.search(r"^state:", text, re.MULTILINE):
        return [parse_doneq(text, file_name)]
    raise ReportError("not a HylaFAX xferfaxlog, a HylaFAX queue file or a delivery status notification")
