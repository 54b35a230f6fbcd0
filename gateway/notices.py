"""Mail notices to the submitter: blocked (why and what to do), waiting for confirmation,
sent, failed, expired before it was confirmed. A notice that cannot be delivered is logged; it never changes a job."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

import structlog

log = structlog.get_logger("faxgate.notices")

SUBJECTS = {
    "blocked": "【faxgate】送信を止めました",
    "awaiting_confirmation": "【faxgate】宛先の確認をお願いします",
    "sent": "【faxgate】送信しました",
    "failed": "【faxgate】送信できませんでした",
    "expired": "【faxgate】確認の期限が過ぎたため送信しません",
}


class Notifier:
    def __init__(self, mail_url: str, sender: str, base_url: str):
        parts = urlsplit(mail_url) if mail_url else None
        self.server = (parts.hostname, parts.port or 25) if parts and parts.hostname else None
        self.sender, self.base_url = sender, base_url.rstrip("/")

    def body(self, kind: str, job_id: str, destination: str, reasons: list[dict]) -> str:
        link = f"{self.base_url}/jobs/{job_id}"
        lines = [f"送信番号: {job_id}", f"宛先: {destination}", ""]
        if kind == "blocked":
            lines.append("次の理由で送信を止めました。内容を直して送り直すか、管理者に相談してください。")
            lines.extend(f"・{r['message_ja']}" for r in reasons)
        elif kind == "awaiting_confirmation":
            lines.append("点検を通りました。次の画面で宛先番号を再入力して確認してください（報告第371号の誤送信防止）。")
        elif kind == "sent":
            lines.append("ファクスサーバーが受け付けました。")
        elif kind == "expired":
            lines.append("宛先の確認がそろわないまま期限が過ぎたため、このファクスは送信されていません。"
                         "必要なら送り直してください。")
        else:
            lines.append("ファクスサーバーに渡せませんでした。管理者に連絡してください。")
            lines.extend(f"・{r['message_ja']}" for r in reasons)
        lines += ["", link]
        return "\n".join(lines)

    def notify(self, kind: str, to: str, job_id: str, destination: str, reasons: list[dict]) -> None:
        self.send([to], f"{SUBJECTS[kind]} ({job_id})", self.body(kind, job_id, destination, reasons), kind=kind, job=job_id)

    def send(self, to: list[str], subject: str, body: str, **context) -> None:
        """One mail to several people; failures are logged, never raised."""
        to = sorted({address for address in to if address})
        if self.server is None:
            log.info("notice_not_sent", reason="no [mail] url configured", to=to, **context)
            return
        if not to:
            return
        message = EmailMessage()
        message["From"], message["To"] = self.sender, ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(*self.server, timeout=10) as client:
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("notice_failed", error=type(exc).__name__, **context)
