"""SMTP intake (aiosmtpd): who may submit, which destinations are possible, and the job stored
durably before the device hears ``250``. Parsing and storing happen in the intake writer
process (gateway.intake_writer): nothing slow runs in the event loop."""

from __future__ import annotations

import asyncio
import ipaddress

import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword

from gateway import directory_lookups, incident_actions
from gateway.addressing import AddressRefused, parse_recipient
from gateway.delivery_reports import ReportError, parse_dsn
from gateway.intake_writer import TEMPORARY_FAILURE, IntakeWriter, reply
from gateway.models import Device
from gateway.screening import destination_refusal
from gateway.users import password_matches

log = structlog.get_logger("faxgate.intake")

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
    def __init__(self, app, registry: DeviceRegistry, writer: IntakeWriter, on_queued=lambda: None):
        self.app, self.registry, self.writer = app, registry, writer
        self.on_queued = on_queued  # a job was stored: wake this process's worker
        self.directory = directory_lookups.lookups(app)

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
        if address.lower() == self.app.report_address:
            if envelope.rcpt_tos:
                return reply("550 5.5.3", "A delivery report goes alone, to the report address only",
                             "配信報告は報告用アドレスだけに宛てて送ってください")
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK (delivery report)"
        if envelope.rcpt_tos and envelope.rcpt_tos[0].lower() == self.app.report_address:
            return reply("550 5.5.3", "A delivery report goes alone, to the report address only",
                         "配信報告は報告用アドレスだけに宛てて送ってください")
        if envelope.rcpt_tos and not self.app.policy.broadcast:
            return reply("550 5.5.3", "One fax destination per message: broadcast is not allowed",
                         "同報送信はできません。宛先ごとに1通ずつ送ってください")
        try:
            request = parse_recipient(address, self.app.config.smtp.domain, self.app.profile)
        except AddressRefused as exc:
            return reply(exc.refusal.code, exc.refusal.english, exc.refusal.japanese)
        try:
            refusal = await asyncio.to_thread(destination_refusal, request, self.directory)
        except Exception:
            log.exception("directory_lookup_failed", recipient=address)
            return TEMPORARY_FAILURE
        if refusal is not None:  # nothing the document says could make it sendable: tell the device now
            log.info("recipient_refused", recipient=address, code=refusal.code)
            return reply("550 5.1.1", f"{refusal.code}: {refusal.message_en}", refusal.message_ja)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        device = self.device_of(session) or "unknown"
        peer = session.peer[0] if session.peer else ""
        if envelope.rcpt_tos[0].lower() == self.app.report_address:
            return await asyncio.to_thread(self.take_report, envelope.original_content, device)
        meta = {"mail_from": envelope.mail_from or "", "recipient": envelope.rcpt_tos[0], "device": device, "peer": peer}
        try:
            answer = await self.writer.submit(envelope.original_content, meta)
        except Exception:
            log.exception("intake_store_failed", device=device, peer=peer)
            return TEMPORARY_FAILURE
        if answer.startswith("250"):
            self.on_queued()
        return answer

    def take_report(self, content: bytes, device: str) -> str:
        """A delivery status notification from the fax server: its receiver ID is checked now
        (a report is small; it is not a fax job and never goes through the job queue)."""
        try:
            reports = parse_dsn(content)
        except ReportError as exc:
            return reply("554 5.6.0", f"Not a delivery status notification: {exc}",
                         "配信報告（RFC 3464 の multipart/report）ではありません")
        try:
            result = incident_actions.ingest(self.app, reports)
        except Exception:
            log.exception("report_store_failed", device=device)
            return TEMPORARY_FAILURE
        return f"250 2.0.0 delivery report taken: {result.stored} matched, {len(result.opened)} alert(s)"

    async def handle_exception(self, error: Exception) -> str:
        log.exception("smtp_error", exc_info=error)
        return TEMPORARY_FAILURE
