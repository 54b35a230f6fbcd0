"""SMTP relay to a mail-to-fax server: RFC 3192 envelope, the approved bytes unchanged."""

from __future__ import annotations

import email.policy
import re
import smtplib
from email.message import EmailMessage

from gateway.adapters.relay import DeliveryUnknownError, PermanentRelayError, RelayRequest, TemporaryRelayError, check_safe

_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")  # dot-stuffing (RFC 5321 4.5.2)


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
        body = self.build_message(request).as_bytes(policy=email.policy.SMTP)
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryRelayError(f"fax server unreachable: {type(exc).__name__}") from None
        try:
            self._expect(client.ehlo(), 250, "EHLO")
            self._expect(client.mail(self.sender), 250, "MAIL FROM")
            self._expect(client.rcpt(recipient), 250, "RCPT TO")
            self._expect(client.docmd("DATA"), 354, "DATA")
            client.send(_DOT_AT_LINE_START.sub(b"..", body) + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise TemporaryRelayError(f"fax server unreachable: {type(exc).__name__}") from None
        try:
            # The whole message is out: from here a lost answer means the server may have the job.
            code, text = client.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            client.close()
            raise DeliveryUnknownError(f"connection lost after the message was sent: {type(exc).__name__}") from None
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
        self._expect((code, text), 250, "end of DATA")
        return f"{code} {text.decode(errors='replace')} ({recipient})"

    @staticmethod
    def _expect(reply: tuple[int, bytes], wanted: int, step: str) -> None:
        code, text = reply
        if code == wanted or (wanted == 250 and code == 251):
            return
        error = TemporaryRelayError if 400 <= code < 500 else PermanentRelayError
        raise error(f"fax server answered {code} {text.decode(errors='replace')} to {step}")
