"""The fax document inside a submitted message, found under explicit limits.

Runs in the intake's parser process, off the event loop and outside the gateway's memory;
only cheap structural checks happen here. Pages are opened later, by the screening worker.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.utils import parseaddr

from policies.pages import pdf_is_encrypted, sniff

CONTENT_TYPES = {"pdf": "application/pdf", "tiff": "image/tiff"}


@dataclass(frozen=True)
class MessageLimits:
    max_message_bytes: int = 25 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    max_headers: int = 200
    max_parts: int = 50


@dataclass(frozen=True)
class FaxDocument:
    data: bytes
    kind: str
    filename: str
    from_address: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class MessageRefused(ValueError):
    def __init__(self, code: str, english: str, japanese: str):
        super().__init__(english)
        self.code, self.english, self.japanese = code, english, japanese

    def __reduce__(self):  # crosses back from the parser process
        return (MessageRefused, (self.code, self.english, self.japanese))


def extract_document(raw: bytes, limits: MessageLimits) -> FaxDocument:
    try:
        return _extract(raw, limits)
    except (TypeError, ValueError, LookupError, AttributeError) as exc:
        if isinstance(exc, MessageRefused):
            raise
        # The mail library gave up on a malformed structure or header: refuse it for good
        # (a retry would fail the same way), never store half of it.
        raise MessageRefused("554 5.6.0", "Malformed message: its structure or headers cannot be read",
                             "メールの形式が壊れているため読み取れません") from None


def _extract(raw: bytes, limits: MessageLimits) -> FaxDocument:
    if len(raw) > limits.max_message_bytes:
        raise MessageRefused("552 5.3.4", "Message too big", "メールが大きすぎます")
    end = raw.find(b"\r\n\r\n")
    header = raw if end < 0 else raw[:end]
    if len(header) > limits.max_header_bytes:
        raise MessageRefused("552 5.3.4", "Message header too large", "メールのヘッダーが大きすぎます")
    header_count = sum(1 for line in header.split(b"\r\n") if line and line[:1] not in (b" ", b"\t"))
    if header_count > limits.max_headers:
        raise MessageRefused("552 5.3.4", f"Too many header fields (over {limits.max_headers})",
                             f"ヘッダー項目が多すぎます（上限 {limits.max_headers}）")
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    parts = list(message.walk())
    if len(parts) > limits.max_parts:
        raise MessageRefused("554 5.6.0", f"Too many MIME parts (over {limits.max_parts})",
                             f"MIMEパートが多すぎます（上限 {limits.max_parts}）")
    # A header with raw 8-bit bytes comes back as a Header object: read it as text.
    from_address = parseaddr(str(message.get("From", "")))[1]
    if not from_address:
        raise MessageRefused("550 5.7.1", "No From: address: the sender cannot be identified",
                             "From: が無いため送信者を確認できません")
    documents = []
    for part in parts:
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        content_type = part.get_content_type()
        attached = str(part.get("Content-Disposition", "")).lower().startswith("attachment") or bool(filename)
        if content_type.startswith("text/") and not attached:
            continue  # the cover note of the mail, not the fax
        data = part.get_payload(decode=True) or b""
        kind = sniff(data)
        if kind is None:
            raise MessageRefused(
                "554 5.6.1", f"Unsupported attachment {filename or content_type}: only PDF and TIFF can be faxed",
                f"添付ファイル {filename or content_type} は送れません。PDF か TIFF にしてください",
            )
        documents.append(FaxDocument(data, kind, filename or f"document.{'pdf' if kind == 'pdf' else 'tif'}", from_address))
    if not documents:
        raise MessageRefused("554 5.6.0", "No PDF or TIFF attachment: nothing to fax",
                             "PDF または TIFF の添付がないため、送る内容がありません")
    if len(documents) > 1:
        raise MessageRefused("554 5.6.1", "One fax document per message, please",
                             "1通のメールに添付できるファクス文書は1つです")
    document = documents[0]
    if document.kind == "pdf" and pdf_is_encrypted(document.data):
        raise MessageRefused("554 5.7.0", "Encrypted PDF: its pages cannot be checked",
                             "パスワード付きPDFは内容を確認できないため送れません。パスワードを外して送り直してください")
    return document
