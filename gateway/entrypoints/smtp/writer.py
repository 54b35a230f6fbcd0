"""The intake writer: a child process that parses submitted mail and stores the jobs.

The SMTP event loop only reads the devices' bytes; everything else of DATA happens here, in
another process started by the document sandbox (policies.documents.sandbox: a fresh
interpreter, off the loop's GIL, untrusted MIME parsed outside the gateway's memory).
Messages that arrive together are stored in one transaction (group commit: one fsync for all),
and each message's reply, ``250 … queued as <id>`` only after that commit, goes back to the
loop. If the writer dies, the messages it held are answered 451 and a new writer starts.

Frames both ways: 4-byte big-endian header length, JSON header, then ``size`` raw bytes.
Replies are JSON only, so a compromised parser cannot hand the gateway anything but text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import selectors
import socket
import struct
import subprocess

import structlog

from gateway.core.addressing import parse_recipient
from gateway.config import Config, config_from_dict
from gateway.services.receive import Submission, store_batch
from gateway.services.sites import profile_of
from gateway.core.message import MessageRefused, extract_document
from policies.documents import sandbox

log = structlog.get_logger("faxgate.intake")
MAX_BATCH = 64
TEMPORARY_FAILURE = "451-4.3.0 Temporary failure, please try again later\r\n451 4.3.0 一時的な障害です。しばらくしてから再送してください"
_LENGTH = struct.Struct(">I")


def reply(code: str, english: str, japanese: str) -> str:
    """A two-line reply: English for any device's log, Japanese for the staff reading it."""
    basic, enhanced = code.split()
    return f"{basic}-{enhanced} {english}\r\n{basic} {enhanced} {japanese}"


def frame(header: dict, payload: bytes = b"") -> bytes:
    head = json.dumps({**header, "size": len(payload)}, ensure_ascii=False).encode("utf-8")
    return _LENGTH.pack(len(head)) + head + payload


class WriterUnavailable(RuntimeError):
    pass


class IntakeWriter:
    """The loop's side: hands messages to the writer process and awaits their replies."""

    def __init__(self, config: Config):
        self.config = config
        self.process: subprocess.Popen | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.sequence = 0
        self.listener: asyncio.Task | None = None
        self.starting: asyncio.Lock | None = None

    async def start(self) -> None:
        self.starting = self.starting or asyncio.Lock()
        async with self.starting:
            if self.process and self.process.poll() is None:
                return
            ours, theirs = socket.socketpair()
            # Unlimited: the writer holds a batch of messages and the database connection.
            self.process = sandbox.spawn("gateway.entrypoints.smtp.writer:serve_writer", str(theirs.fileno()),
                                         limits=None, pass_fds=[theirs.fileno()])
            theirs.close()
            self.reader, self.writer = await asyncio.open_unix_connection(sock=ours, limit=2**20)
            config = dataclasses.asdict(self.config)
            config.pop("source")
            self.writer.write(frame({"config": config}))
            await self.writer.drain()
            self.listener = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            while True:
                header = await self._read_frame()
                future = self.pending.pop(header["seq"], None)
                if future and not future.done():
                    future.set_result(header["reply"])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            log.warning("intake_writer_gone", pending=len(self.pending))
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(WriterUnavailable("the intake writer stopped"))
            self.pending.clear()

    async def _read_frame(self) -> dict:
        (length,) = _LENGTH.unpack(await self.reader.readexactly(_LENGTH.size))
        return json.loads(await self.reader.readexactly(length))

    async def submit(self, raw: bytes, meta: dict) -> str:
        if self.process is None or self.process.poll() is not None or self.listener.done():
            await self.start()
        self.sequence += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.sequence] = future
        self.writer.write(frame({"seq": self.sequence, **meta}, raw))
        await self.writer.drain()
        return await future

    async def stop(self) -> None:
        if self.writer:
            self.writer.close()
        if self.process:
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), 30)
            except TimeoutError:
                self.process.kill()
        if self.listener:
            await asyncio.gather(self.listener, return_exceptions=True)


# -- the writer process -------------------------------------------------------------------------


def _read_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_request(sock: socket.socket) -> tuple[dict, bytes] | None:
    head = _read_exact(sock, _LENGTH.size)
    if head is None:
        return None
    header = json.loads(_read_exact(sock, _LENGTH.unpack(head)[0]))
    return header, _read_exact(sock, header["size"])


def _prepare(app, header: dict, raw: bytes, profiles: dict) -> Submission | str:
    """`profiles`: the sites' PBX profiles read so far for this batch, by site."""
    try:
        document = extract_document(raw, app.message_limits)
    except MessageRefused as exc:
        log.info("message_refused", code=exc.code, reason=exc.english, device=header["device"])
        return reply(exc.code, exc.english, exc.japanese)
    site = header.get("site")
    if site not in profiles:
        with app.unit_of_work(read_only=True) as uow:
            profiles[site] = profile_of(uow, site, app.profile)
    profile = profiles[site]
    request = parse_recipient(header["recipient"], app.config.smtp.domain, profile)
    return Submission(raw=raw, document=document, destination_kind=request.kind, destination_input=request.text,
                      subaddress=request.subaddress, e164=request.e164, mail_from=header["mail_from"],
                      recipient=header["recipient"], device=header["device"], peer=header["peer"],
                      site=header.get("site"), book=header.get("book", ""))


def _store(app, submissions: list[tuple[int, Submission]]) -> dict[int, str]:
    """Each submission's reply. When the group commit fails (its transaction rolled back: none is
    stored), each is stored again on its own, so a fault no check foresaw costs a 451 to the
    message that causes it only, never to the other devices' messages of the same batch."""
    if not submissions:
        return {}
    try:
        outcomes = store_batch(app, [s for _, s in submissions])
    except Exception:
        log.exception("intake_store_failed", messages=len(submissions))
        if len(submissions) == 1:
            return {submissions[0][0]: TEMPORARY_FAILURE}
        return {seq: text for one in submissions for seq, text in _store(app, [one]).items()}
    return {seq: outcome for (seq, _), outcome in zip(submissions, outcomes)}


def serve_writer(fd: str) -> None:
    """The writer process (in the sandbox child), on the socket numbered `fd`."""
    from gateway.bootstrap import App
    from gateway.logs import configure_logging

    sock = socket.socket(fileno=int(fd))
    first = _read_request(sock)
    if first is None:
        return
    config = config_from_dict(first[0]["config"], "intake-writer")
    configure_logging(config.logging.format, config.logging.level)
    app = App(config)
    waiting = selectors.DefaultSelector()
    waiting.register(sock, selectors.EVENT_READ)
    while True:
        request = _read_request(sock)
        if request is None:
            return
        batch = [request]
        while len(batch) < MAX_BATCH and waiting.select(timeout=0):
            request = _read_request(sock)
            if request is None:
                break
            batch.append(request)
        replies: dict[int, str] = {}
        submissions: list[tuple[int, Submission]] = []
        profiles: dict = {}
        for header, raw in batch:
            try:
                prepared = _prepare(app, header, raw, profiles)
            except Exception:
                log.exception("intake_parse_failed", device=header.get("device"))
                prepared = TEMPORARY_FAILURE
            if isinstance(prepared, str):
                replies[header["seq"]] = prepared
            else:
                submissions.append((header["seq"], prepared))
        replies.update(_store(app, submissions))
        sock.sendall(b"".join(frame({"seq": seq, "reply": text}) for seq, text in replies.items()))
