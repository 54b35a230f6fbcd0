"""SMTP intake (aiosmtpd): who may submit, which destinations are possible, and the job stored
durably before the device hears ``250``. Parsing and storing happen in the intake writer
process (gateway.entrypoints.smtp.writer): nothing slow runs in the event loop."""

from __future__ import annotations

import asyncio
import inspect
import ipaddress

import structlog
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from directory.profile import PbxProfile
from gateway.storage import directory_lookups
from gateway.storage.repositories.directory import SHARED_BOOK
from gateway.incidents import actions as incident_actions
from gateway.core.addressing import parse_recipient
from gateway.core.message import MessageLimits, MessageRefused, StructureCounter
from gateway.core.refusals import Refusal
from gateway.incidents.delivery_reports import ReportError, parse_dsn
from gateway.entrypoints.smtp.writer import TEMPORARY_FAILURE, IntakeWriter, reply
from gateway.core.screening import destination_refusal
from gateway.services.login import DeviceLogin, attempt_device
from gateway.services.jobs import utcnow
from gateway.services.near_misses import record_refused

# The reply a device gets for each kind of refused recipient (RFC 3463 enhanced status codes).
RCPT_REPLIES = {
    "malformed": "501 5.1.3",
    "not_ours": "550 5.7.1",
    "not_found": "550 5.1.1",
    "forbidden": "550 5.7.1",
    "conflict": "550 5.1.1",
}

log = structlog.get_logger("faxgate.intake")
NO_SITE = reply("550 5.7.1", "This device belongs to no configured site, so its dial strings cannot be read: "
                "register it with `faxgate devices add NAME --site SITE`",
                "この機器の拠点が登録されていないため、宛先を読み取れません。管理者に拠点付きの機器登録を依頼してください")
LOCKED = reply("454 4.7.0", "Too many failed authentication attempts: try again later",
               "認証の失敗が多すぎるため、しばらく受け付けません。時間をおいてから送り直してください")

class DeviceRegistry:
    """The devices allowed to submit, cached in memory and refreshed from the database."""

    def __init__(self, app):
        self.app = app
        self.devices: list[tuple[str, str | None, list]] = []
        self.device_sites: dict[str, str | None] = {}
        self.profiles: dict[str, PbxProfile] = {}  # by site; empty: a single-site install

    def refresh(self) -> None:
        with self.app.unit_of_work(read_only=True) as uow:
            devices = uow.users.devices()
            self.profiles = {site.name: site.profile for site in uow.sites.all()}
        self.devices = [
            (d.name, d.password_hash, [ipaddress.ip_network(a, strict=False) for a in d.addresses]) for d in devices
        ]
        self.device_sites = {d.name: d.site for d in devices}
        self.device_books = {d.name: d.book for d in devices if d.book is not None}

    def book_of(self, device: str) -> str:
        """The device's own speed-dial book, or the shared one."""
        return self.device_books.get(device.partition(":")[2], SHARED_BOOK)

    def site_of(self, device: str) -> tuple[str | None, PbxProfile] | None:
        """(site, the profile its dial strings are read with) of a device as `Intake.device_of`
        names it; None when sites are configured and this device has none (never guessed)."""
        if not self.profiles:
            return None, self.app.profile
        _, _, name = device.partition(":")
        site = self.device_sites.get(name) if name else None
        return (site, self.profiles[site]) if site in self.profiles else None

    def by_address(self, host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        for name, _, networks in self.devices:
            if any(address in network for network in networks):
                return name
        return None

    def authenticate(self, login: str, password: str, peer: str) -> DeviceLogin:
        """Throttled per device and per peer address (gateway.services.login.attempt_device);
        slow on purpose (argon2): call it off the event loop."""
        stored = next((hashed for name, hashed, _ in self.devices if name == login), None)
        return attempt_device(self.app.unit_of_work, login, peer, stored, password, utcnow())


class DeviceAuthenticator:
    """SMTP AUTH PLAIN/LOGIN (aiosmtpd offers them only after STARTTLS), checked in a thread:
    other devices' connections are served meanwhile (see DeviceSMTP)."""

    def __init__(self, registry: DeviceRegistry):
        self.registry = registry

    async def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            peer = session.peer[0] if session.peer else ""
            result = await asyncio.to_thread(self.registry.authenticate, login,
                                             auth_data.password.decode("utf-8", "replace"), peer)
            if result.accepted:
                return AuthResult(success=True, auth_data=login)
            if result.wait:
                return AuthResult(success=False, handled=False, message=LOCKED)
        return AuthResult(success=False, handled=False)


class DeviceSMTP(SMTP):
    """aiosmtpd's SMTP with two changes. DATA is counted as it streams in (header fields, MIME
    parts, nesting: gateway.core.message.StructureCounter): at the first line over a limit the
    rest is skipped unkept up to the end of data, and the device gets the refusal as DATA's reply
    (Intake.handle_DATA), however much more it sends. And aiosmtpd calls its authenticator
    without awaiting it; ours is a coroutine (the password is checked off the event loop), so
    PLAIN and LOGIN await what they get back."""

    def __init__(self, handler, *, limits: MessageLimits, **options):
        super().__init__(handler, **options)
        self.limits = limits
        self.refusal: MessageRefused | None = None

    async def smtp_DATA(self, arg: str) -> None:
        self.refusal = None
        reader = self._reader
        self._reader = _CountingReader(self, reader, StructureCounter(self.limits))
        try:
            await super().smtp_DATA(arg)
        finally:
            self._reader = reader
            self.refusal = None

    async def auth_PLAIN(self, _, args):
        return await _settled(await super().auth_PLAIN(_, args))

    async def auth_LOGIN(self, _, args):
        return await _settled(await super().auth_LOGIN(_, args))


class _CountingReader:
    """The connection's reader as aiosmtpd's DATA loop reads it, line by line, with each line
    counted; once the message is refused, the rest up to the end of data is read in large
    pieces and dropped, and the loop is handed the end of data."""

    def __init__(self, server: DeviceSMTP, reader: asyncio.StreamReader, counter: StructureCounter):
        self.server, self.reader, self.counter = server, reader, counter
        self.inside_line = False  # a line too long for the reader is being read in pieces

    async def readuntil(self, separator: bytes) -> bytes:
        line = await self.reader.readuntil(separator)
        inside, self.inside_line = self.inside_line, False
        if inside or line == b".\r\n":  # a too-long line's end (aiosmtpd refuses it) or the end of data
            return line
        try:
            self.counter.feed(line)
        except MessageRefused as refusal:
            self.server.refusal = refusal
            await self._skip_to_end_of_data()
            return b".\r\n"
        return line

    async def read(self, size: int) -> bytes:
        self.inside_line = True
        return await self.reader.read(size)

    async def _skip_to_end_of_data(self) -> None:
        """Up to the CRLF "." CRLF ending DATA (a line has just ended); what follows it stays
        in the reader, for the next command."""
        before = b"\r\n"  # the last two bytes read
        while True:
            try:
                piece = await self.reader.readuntil(b".\r\n")
            except asyncio.LimitOverrunError as exc:  # no end of data in what has arrived
                piece = await self.reader.readexactly(exc.consumed)
                before = (before + piece)[-2:]
                continue
            if (before + piece[:-3])[-2:] == b"\r\n":
                return
            before = b"\r\n"


async def _settled(result):
    return await result if inspect.isawaitable(result) else result


class Intake:
    def __init__(self, app, registry: DeviceRegistry, writer: IntakeWriter, on_queued=lambda: None):
        self.app, self.registry, self.writer = app, registry, writer
        self.on_queued = on_queued  # a job was stored: wake this process's worker

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
        # A fax's dial string is read with the PBX of the device's site (a delivery report, above, has none).
        located = self.registry.site_of(self.device_of(session) or "")
        if located is None:
            log.info("device_without_site", device=self.device_of(session), recipient=address)
            return NO_SITE
        try:
            request = parse_recipient(address, self.app.config.smtp.domain, located[1])
        except Refusal as refusal:
            if RCPT_REPLIES[refusal.kind] == "550 5.1.1":  # a number that reaches no one we may fax: caught
                await asyncio.to_thread(record_refused, self.app.unit_of_work, "smtp", refusal.code, envelope.mail_from)
            return reply(RCPT_REPLIES[refusal.kind], refusal.message_en, refusal.message_ja)
        try:
            book = self.registry.book_of(self.device_of(session) or "")
            refusal = await asyncio.to_thread(destination_refusal, request,
                                              directory_lookups.lookups(self.app, book, located[1]))
        except Exception:
            log.exception("directory_lookup_failed", recipient=address)
            return TEMPORARY_FAILURE
        if refusal is not None:  # nothing the document says could make it sendable: tell the device now
            log.info("recipient_refused", recipient=address, code=refusal.code)
            await asyncio.to_thread(record_refused, self.app.unit_of_work, "smtp", refusal.code, envelope.mail_from)
            return reply("550 5.1.1", f"{refusal.code}: {refusal.message_en}", refusal.message_ja)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        device = self.device_of(session) or "unknown"
        peer = session.peer[0] if session.peer else ""
        if server.refusal is not None:  # over a limit while it streamed in (DeviceSMTP): not kept
            refusal = server.refusal
            log.info("message_refused", code=refusal.code, reason=refusal.english, device=device, peer=peer)
            return reply(refusal.code, refusal.english, refusal.japanese)
        if envelope.rcpt_tos[0].lower() == self.app.report_address:
            return await asyncio.to_thread(self.take_report, envelope.original_content, device)
        located = self.registry.site_of(device)
        if located is None:  # its site went away since RCPT
            return NO_SITE
        meta = {"mail_from": envelope.mail_from or "", "recipient": envelope.rcpt_tos[0], "device": device,
                "peer": peer, "site": located[0], "book": self.registry.book_of(device)}
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
