"""SMTP intake (aiosmtpd): who may submit, which destinations are possible, and the job stored
durably before the device hears ``250``. Parsing and storing run in a thread pool: nothing
slow runs in the event loop."""

from __future__ import annotations

import asyncio
import ipaddress
from concurrent.futures import Executor

import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword

from gateway.addressing import AddressRefused, parse_recipient
from gateway.jobs import create_job
from gateway.message import MessageRefused, extract_document
from gateway.models import Device
from gateway.users import password_matches, user_by_email

log = structlog.get_logger("faxgate.intake")

TEMPORARY_FAILURE = "451-4.3.0 Temporary failure, please try again later\r\n451 4.3.0 一時的な障害です。しばらくしてから再送してください"


def reply(code: str, english: str, japanese: str) -> str:
    """A two-line reply: English for any device's log, Japanese for the staff reading it."""
    basic, enhanced = code.split()
    return f"{basic}-{enhanced} {english}\r\n{basic} {enhanced} {japanese}"


class DeviceRegistry:
    """The devices allowed to submit, cached in memory and refreshed from the database."""

    def __init__(self, app):
        self.app = app
        self.devices: list[tuple[str, str | None, list]] = []

    def refresh(self) -> None:
        with self.app.session() as session:
            self.devices = [
                (d.name, d.password_hash, [ipaddress.ip_network(a, strict=False) for a in d.addresses])
                for d in session.query(Device)
            ]

    def by_address(self, host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        for name, _, networks in self.devices:
            if any(address in network for network in networks):
                return name
        return None

    def authenticate(self, login: str, password: str) -> bool:
        return any(name == login and password_matches(hashed, password) for name, hashed, _ in self.devices)


class DeviceAuthenticator:
    """SMTP AUTH PLAIN/LOGIN (aiosmtpd offers them only after STARTTLS)."""

    def __init__(self, registry: DeviceRegistry):
        self.registry = registry

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            if self.registry.authenticate(login, auth_data.password.decode("utf-8", "replace")):
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)


class Intake:
    def __init__(self, app, registry: DeviceRegistry, executor: Executor):
        self.app, self.registry, self.executor = app, registry, executor

    def device_of(self, session) -> str | None:
        """The device this connection speaks for, or None when it may not submit."""
        if session.authenticated:
            return f"auth:{session.auth_data}"
        host = session.peer[0] if session.peer else ""
        listed = self.registry.by_address(host)
        if listed:
            return f"address:{listed}"
        if not self.registry.devices and host in ("127.0.0.1", "::1"):
            return "loopback"
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.device_of(session) is None:
            return reply("530 5.7.0", "Authentication required: SMTP AUTH after STARTTLS, or an allow-listed device",
                         "認証が必要です（STARTTLS 後の SMTP AUTH、または登録済みの機器から送信してください）")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if envelope.rcpt_tos and not self.app.policy.broadcast:
            return reply("550 5.5.3", "One fax destination per message: broadcast is not allowed",
                         "同報送信はできません。宛先ごとに1通ずつ送ってください")
        try:
            parse_recipient(address, self.app.config.smtp.domain, self.app.profile)
        except AddressRefused as exc:
            return reply(exc.refusal.code, exc.refusal.english, exc.refusal.japanese)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        device = self.device_of(session) or "unknown"
        peer = session.peer[0] if session.peer else ""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self.executor, self.accept, envelope.original_content, envelope.mail_from or "", envelope.rcpt_tos[0], device, peer
            )
        except Exception:
            log.exception("intake_store_failed", device=device, peer=peer)
            return TEMPORARY_FAILURE

    def accept(self, raw: bytes, mail_from: str, recipient: str, device: str, peer: str) -> str:
        try:
            document = extract_document(raw, self.app.message_limits)
        except MessageRefused as exc:
            log.info("message_refused", code=exc.code, reason=exc.english, device=device)
            return reply(exc.code, exc.english, exc.japanese)
        request = parse_recipient(recipient, self.app.config.smtp.domain, self.app.profile)
        with self.app.session() as session:
            user = user_by_email(session, document.from_address)
            if user is None:
                return reply("550 5.7.1", f"Sender {document.from_address} is not a registered staff member",
                             f"送信者 {document.from_address} は職員として登録されていません。管理者に利用者登録を依頼してください")
            job = create_job(
                session, message=raw, document=document.data, actor=f"device:{device}",
                submitter_id=user.id, submitter_email=user.email, department=user.department,
                identity_source=f"From: header asserted by {device}", device=device, client_address=peer,
                envelope_from=mail_from, recipient=recipient, destination_kind=request.kind,
                destination_input=request.text, subaddress=request.subaddress, e164=request.e164,
                content_sha256=document.sha256, content_type=document.content_type,
                filename=document.filename, size=len(document.data),
            )
        log.info("job_received", job=job.id, device=device, submitter=user.email, size=len(document.data))
        return f"250 2.0.0 Ok: queued as {job.id}"

    async def handle_exception(self, error: Exception) -> str:
        log.exception("smtp_error", exc_info=error)
        return TEMPORARY_FAILURE
