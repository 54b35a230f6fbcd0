"""SMTP relay to a mail-to-fax server: RFC 3192 envelope, the approved bytes unchanged."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from gateway.relay import PermanentRelayError, RelayRequest, TemporaryRelayError, check_safe


class SmtpRelay:
    def __init__(self, host: str, port: int, sender: str, recipient_domain: str, timeout: float = 30.0):
        self.host, self.port, self.sender = host, port, sender
        self.recipient_domain, self.timeout = recipient_domain, timeout

    def envelope_recipient(self, request: RelayRequest) -> str:
        return f"FAX={check_safe(request.number, 'fax number')}@{self.recipient_domain}"

    def build_message(self, request: RelayRequest) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.envelope_recipient(request)
        message["Subject"] = f"faxgate job {check_safe(request.job_id, 'job id')}"
        message["Message-ID"] = f"<{request.job_id}@{self.sender.rpartition('@')[2]}>"
        maintype, subtype = request.content_type.split("/")
        message.add_attachment(request.document, maintype=maintype, subtype=subtype,
                               filename=check_safe(request.filename, "file name"))
        return message

    def send(self, request: RelayRequest) -> str:
        recipient = self.envelope_recipient(request)
        message = self.build_message(request)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.send_message(message, from_addr=self.sender, to_addrs=[recipient])
                code, text = client.noop()
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise (TemporaryRelayError if 400 <= code < 500 else PermanentRelayError)(
                f"fax server refused the recipient: {code} {text.decode(errors='replace')}") from None
        except smtplib.SMTPResponseException as exc:
            raise (TemporaryRelayError if 400 <= exc.smtp_code < 500 else PermanentRelayError)(
                f"fax server answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}") from None
        except (OSError, smtplib.SMTPException, socket.timeout) as exc:
            raise TemporaryRelayError(f"fax server unreachable: {type(exc).__name__}") from None
        return f"accepted by {self.host}:{self.port} ({recipient})"
