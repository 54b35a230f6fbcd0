"""`faxgate serve`: SMTP intake, web/API and worker in one process, or any of them alone."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor

import structlog
import uvicorn

from gateway.entrypoints.http.api import create_api
from gateway.entrypoints.smtp.intake import DeviceAuthenticator, DeviceRegistry, DeviceSMTP, Intake
from gateway.entrypoints.smtp.writer import IntakeWriter
from gateway.records.keys.base import SigningKeyError
from gateway.records.pki import first_start_keys
from gateway.entrypoints.worker import Worker

log = structlog.get_logger("faxgate.serve")
DEVICE_REFRESH_SECONDS = 30


class Gateway:
    def __init__(self, app, smtp: bool = True, http: bool = True, worker: bool = True,
                 screening_threads: int | None = None, idle_seconds: float = 0.5):
        self.app, self.want_smtp, self.want_http, self.want_worker = app, smtp, http, worker
        # One screening thread per CPU: each waits while its document's parser process works.
        self.screening_threads = screening_threads or len(os.sched_getaffinity(0))
        self.idle_seconds = idle_seconds  # the worker looks for work this often (other processes' jobs)
        self.stop_event = threading.Event()
        self.wakeups: list[threading.Event] = []
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gateway")
        self.registry = DeviceRegistry(app)
        self.writer = IntakeWriter(app.config)
        self.smtp_server: asyncio.AbstractServer | None = None
        self.http_server: uvicorn.Server | None = None
        self.http_task: asyncio.Task | None = None
        self.refresh_task: asyncio.Task | None = None
        self.worker_threads: list[threading.Thread] = []
        self.smtp_port: int | None = None
        self.http_port: int | None = None

    def _tls_context(self) -> ssl.SSLContext | None:
        smtp = self.app.config.smtp
        if not smtp.tls_cert:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(smtp.tls_cert, smtp.tls_key or None)
        return context

    async def start(self) -> None:
        app = self.app
        app.engine  # migrate (SQLite) or check the schema before anything listens
        app.policy
        loop = asyncio.get_running_loop()
        # The KEK: made on the embedded default's first start; a wrong or missing one is reported
        # here, by /readyz (503) and by the intake (451), never replaced.
        problem = await loop.run_in_executor(self.executor, app.at_rest_problem)
        if problem is not None:
            log.error("kek_unusable", code=problem.code, reason=problem.message_en)
        if self.want_worker:  # the signer; before anything listens, so /readyz is right from the start
            await loop.run_in_executor(self.executor, self._first_start_keys)
        if self.want_smtp:
            await loop.run_in_executor(self.executor, self.registry.refresh)
            await self.writer.start()
            intake = Intake(app, self.registry, self.writer, on_queued=self._wake_workers)
            tls = self._tls_context()
            smtp = app.config.smtp

            def protocol():
                return DeviceSMTP(
                    intake, limits=app.message_limits, hostname=smtp.domain,
                    data_size_limit=app.message_limits.max_message_bytes,
                    enable_SMTPUTF8=True, tls_context=tls, auth_require_tls=True,
                    authenticator=DeviceAuthenticator(self.registry), timeout=120,
                )

            # reuse_port: several intake processes can share the port; the kernel spreads connections.
            self.smtp_server = await loop.create_server(protocol, host=smtp.host, port=smtp.port, reuse_port=True)
            self.smtp_port = self.smtp_server.sockets[0].getsockname()[1]
            self.refresh_task = asyncio.create_task(self._refresh_devices())
            log.info("smtp_listening", host=smtp.host, port=self.smtp_port, starttls=tls is not None)
        if self.want_http:
            config = uvicorn.Config(create_api(app), host=app.config.http.host, port=app.config.http.port,
                                    log_config=None, access_log=False, lifespan="off")
            self.http_server = uvicorn.Server(config)
            self.http_task = asyncio.create_task(self.http_server.serve())
            while not self.http_server.started:
                await asyncio.sleep(0.02)
                if self.http_task.done():
                    self.http_task.result()  # raises what stopped uvicorn (e.g. port in use)
                    raise RuntimeError("the web server stopped while starting")
            self.http_port = self.http_server.servers[0].sockets[0].getsockname()[1]
            log.info("http_listening", host=app.config.http.host, port=self.http_port)
        if self.want_worker:
            # Before any loop starts: jobs whose holder died (lease expired) are taken over.
            await loop.run_in_executor(self.executor, Worker(app).recover)
            heartbeat = threading.Thread(target=Worker(app).keep_leases, args=(self.stop_event,),
                                         name="lease-heartbeat", daemon=True)
            self.worker_threads.append(heartbeat)
            heartbeat.start()
            for n in range(self.screening_threads):
                wake = threading.Event()
                thread = threading.Thread(target=Worker(app).run, args=(self.stop_event, wake, self.idle_seconds, n > 0),
                                          name=f"worker-{n}", daemon=True)
                self.wakeups.append(wake)
                self.worker_threads.append(thread)
                thread.start()

    def _first_start_keys(self) -> None:
        """The embedded default (SQLite, one host) signs with a local CA made on its first start,
        as scripts/run.sh did. Not with a shared database: every host would make a CA of its own,
        and records must chain to one trust root (docs/install.md: `faxgate records init-ca`)."""
        if self.app.engine.dialect.name != "sqlite":
            return
        records = self.app.config.records
        try:
            created = first_start_keys(records, organization=self.app.config.coversheet.office_name or "faxgate")
        except (OSError, SigningKeyError) as exc:  # intake and screening go on; /readyz says records cannot be signed
            log.error("signing_key_not_created", directory=records.key_file, error=str(exc))
            return
        if created:
            log.info("signing_key_created", ca=str(created.ca_cert), key=str(created.key),
                     note="keep ca-key.pem offline: it only issues the next signing certificate")

    def _wake_workers(self) -> None:
        for wake in self.wakeups:
            wake.set()

    async def _refresh_devices(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(DEVICE_REFRESH_SECONDS)
            try:
                await loop.run_in_executor(self.executor, self.registry.refresh)
            except Exception:
                log.exception("device_refresh_failed")

    async def stop(self) -> None:
        self.stop_event.set()
        self._wake_workers()
        if self.smtp_server:
            self.smtp_server.close()
            await self.smtp_server.wait_closed()
            await self.writer.stop()
        if self.refresh_task:
            self.refresh_task.cancel()
        if self.http_server:
            self.http_server.should_exit = True
            await asyncio.wait_for(self.http_task, 10)
        for thread in self.worker_threads:
            await asyncio.get_running_loop().run_in_executor(None, thread.join, 30)
        self.executor.shutdown(wait=True)


async def serve_forever(gateway: Gateway) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before starting: a stop asked for meanwhile is a clean stop
        loop.add_signal_handler(signum, stopped.set)
    await gateway.start()
    await stopped.wait()
    log.info("stopping")
    await gateway.stop()


class BackgroundGateway:
    """The gateway on its own event loop in a thread: for tests and benchmarks."""

    def __init__(self, app, **parts):
        self.gateway = Gateway(app, **parts)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.gateway.start(), self.loop).result(30)
        return self.gateway

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.gateway.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
