"""The fax document inside a submitted message, found under explicit limits.

Runs in the intake's parser process, off the event loop and outside the gateway's memory;
only cheap structural checks happen here. Pages are opened later, by the screening worker.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.utils import parseaddr

from policies.documents.sniff import pdf_is_encrypted, sniff

CONTENT_TYPES = {"pdf": "application/pdf", "tiff": "image/tiff"}


@dataclass(frozen=True)
class MessageLimits:
    max_message_bytes: int = 25 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    max_headers: int = 200  # per header section (the message's, each part's)
    max_parts: int = 50
    max_depth: int = 10  # multiparts and attached messages inside each other


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


# Every line break the mail library reads as one (email.feedparser): a bare CR or LF ends a line too.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# A line the mail library still reads as part of a header section (email.feedparser.headerRE).
_HEADER_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")
_BOUNDARY = re.compile(rb';\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))', re.IGNORECASE)


class StructureCounter:
    """Counts header fields, MIME parts and nesting as the message's lines arrive, whatever
    their line endings, and refuses (MessageRefused) at the first line over a limit: the SMTP
    intake stops keeping a message there, so no structure costs more than the limits' worth of
    memory or time. It follows the boundaries the way the mail library parses them later."""

    def __init__(self, limits: MessageLimits):
        self.limits = limits
        self.parts = 1  # the message itself, as Message.walk() counts it
        self.open: list[bytes | None] = []  # boundaries of the multiparts inside each other; None: a message/*
        self.in_headers, self.fields, self.header_bytes, self.content_type = True, 0, 0, None

    def feed(self, data: bytes) -> None:
        """Whole lines (the last one may lack its line break only at the message's end)."""
        if not self.in_headers and b"--" not in data:
            return  # a body line (most of a message): no line in it can be a delimiter
        lines = _LINE_BREAK.split(data)
        if lines[-1] == b"":
            lines.pop()
        for line in lines:
            if self.in_headers:
                self._header_line(line)
            elif line.startswith(b"--") and self.open:
                self._delimiter(line)

    def _header_line(self, line: bytes) -> None:
        if self.parts == 1:  # the message's own header section
            self.header_bytes += len(line) + 2
            if self.header_bytes > self.limits.max_header_bytes:
                raise MessageRefused("552 5.3.4", "Message header too large", "メールのヘッダーが大きすぎます")
        if line and line[:1] in b" \t":
            if self.content_type is not None and self.fields == self.content_type[0]:
                self.content_type[1].append(line)
            return
        if not line or not _HEADER_LINE.match(line):  # the body begins (without a blank line, as the library reads it)
            self._body_begins()
            if line.startswith(b"--") and self.open:
                self._delimiter(line)
            return
        self.fields += 1
        if self.fields > self.limits.max_headers:
            raise MessageRefused("552 5.3.4", f"Too many header fields (over {self.limits.max_headers})",
                                 f"ヘッダー項目が多すぎます（上限 {self.limits.max_headers}）")
        if self.content_type is None and line[:13].lower() == b"content-type:":
            self.content_type = (self.fields, [line[13:]])

    def _body_begins(self) -> None:
        self.in_headers = False
        if self.content_type is None:
            return
        value = b" ".join(self.content_type[1]).strip()
        kind = value.split(b";", 1)[0].strip().lower()
        if kind.startswith(b"multipart/"):
            found = _BOUNDARY.search(value)
            if found:
                self._nest(found.group(1) if found.group(1) is not None else found.group(2))
        elif kind.startswith(b"message/"):  # the library parses an attached message as a part of its own
            self._nest(None)
            self._new_part()

    def _nest(self, boundary: bytes | None) -> None:
        self.open.append(boundary)
        if len(self.open) > self.limits.max_depth:
            raise MessageRefused("554 5.6.0", f"MIME parts nested too deep (over {self.limits.max_depth})",
                                 f"MIMEパートの入れ子が深すぎます（上限 {self.limits.max_depth}）")

    def _new_part(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise MessageRefused("554 5.6.0", f"Too many MIME parts (over {self.limits.max_parts})",
                                 f"MIMEパートが多すぎます（上限 {self.limits.max_parts}）")
        self.in_headers, self.fields, self.content_type = True, 0, None

    def _delimiter(self, line: bytes) -> None:
        for depth in range(len(self.open) - 1, -1, -1):
            boundary = self.open[depth]
            if boundary is None or not line.startswith(b"--" + boundary):
                continue
            rest = line[len(boundary) + 2:]
            closing = rest.startswith(b"--")
            if rest[2 if closing else 0:].strip(b" \t"):
                continue  # not a delimiter line, only one that begins like it
            del self.open[depth if closing else depth + 1:]
            if not closing:
                self._new_part()
            return


def extract_document(raw: bytes, limits: MessageLimits) -> FaxDocument:
    try:
        return _extract(raw, limits)
    except (TypeError, ValueError, LookupError, AttributeError, RecursionError) as exc:
        if isinstance(exc, MessageRefused):
            raise
        # The mail library gave up on a malformed structure or header: refuse it for good
        # (a retry would fail the same way), never store half of it.
        raise MessageRefused("554 5.6.0", "Malformed message: its structure or headers cannot be read",
                             "メールの形式が壊れているため読み取れません") from None


def _extract(raw: bytes, limits: MessageLimits) -> FaxDocument:
    if len(raw) > limits.max_message_bytes:
        raise MessageRefused("552 5.3.4", "Message too big", "メールが大きすぎます")
    StructureCounter(limits).feed(raw)  # every door: what the SMTP intake counts while streaming
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
