"""Mail notices to the submitter: blocked (why and what to do), waiting for confirmation,
sent, failed, expired before it was confirmed. Composed here and delivered here; every mail
(these, incident alerts, approvers' notices) waits in the database until delivered
(gateway.services.notices). Delivering never changes a job."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from gateway.core.states import JobState

SUBJECTS = {
    JobState.BLOCKED: "【faxgate】送信を止めました",
    JobState.AWAITING_CONFIRMATION: "【faxgate】宛先の確認をお願いします",
    JobState.SENT: "【faxgate】送信しました",
    JobState.FAILED: "【faxgate】送信できませんでした",
    JobState.EXPIRED: "【faxgate】確認の期限が過ぎたため送信しません",
    # 庁内便 (gateway.services.inbox): delivered to a section's inbox, never faxed
    "delivered_in_house": "【faxgate】庁内便で届けました",
    "in_house_failed": "【faxgate】庁内便で届けられませんでした",
}


class NoticeUndelivered(Exception):
    """The mail server could not be reached or refused the notice."""


class Notifier:
    def __init__(self, mail_url: str, sender: str, base_url: str):
        parts = urlsplit(mail_url) if mail_url else None
        self.server = (parts.hostname, parts.port or 25) if parts and parts.hostname else None
        self.sender, self.base_url = sender, base_url.rstrip("/")

    def body(self, kind: str, job_id: str, destination: str, reasons: list[dict]) -> str:
        link = f"{self.base_url}/jobs/{job_id}"
        lines = [f"送信番号: {job_id}", f"宛先: {destination}", ""]
        if kind == JobState.BLOCKED:
            lines.append("次の理由で送信を止めました。内容を直して送り直すか、管理者に相談してください。")
            lines.extend(f"・{r['message_ja']}" for r in reasons)
        elif kind == JobState.AWAITING_CONFIRMATION:
            lines.append("点検を通りました。次の画面で宛先番号を再入力して確認してください（報告第371号の誤送信防止）。")
        elif kind == JobState.SENT:
            lines.append("ファクスサーバーが受け付けました。")
        elif kind == "delivered_in_house":
            lines.append("ファクスは送らず、庁内便で宛先の課の faxgate の受信箱に届けました。"
                         "誰がいつ受け取ったかは次の画面に表示されます。")
        elif kind == "in_house_failed":
            lines.append("庁内便で届けられませんでした。ファクスも送っていません。管理者に連絡してください。")
            lines.extend(f"・{r['message_ja']}" for r in reasons)
        elif kind == JobState.EXPIRED:
            lines.append("宛先の確認がそろわないまま期限が過ぎたため、このファクスは送信されていません。"
                         "必要なら送り直してください。")
        else:
            lines.append("ファクスサーバーに渡せませんでした。管理者に連絡してください。")
            lines.extend(f"・{r['message_ja']}" for r in reasons)
        lines += ["", link]
        return "\n".join(lines)

    @property
    def configured(self) -> bool:
        return self.server is not None

    def compose(self, kind: str, to: str, job_id: str, destination: str, reasons: list[dict]) -> tuple[list[str], str, str]:
        """(recipients, subject, body) of the notice to a job's submitter."""
        return [to] if to else [], f"{SUBJECTS[kind]} ({job_id})", self.body(kind, job_id, destination, reasons)

    def deliver(self, to: list[str], subject: str, body: str) -> None:
        """One mail to several people; raises NoticeUndelivered if the mail server does not take it."""
        message = EmailMessage()
        message["From"], message["To"] = self.sender, ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(*self.server, timeout=10) as client:
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NoticeUndelivered(f"{type(exc).__name__}: {exc}"[:300]) from exc
