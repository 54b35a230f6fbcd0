"""Benchmark (not a test): messages per second accepted durably by faxgate's SMTP intake
(1-page PDF, loopback, 8 connections) against a bare aiosmtpd server that stores nothing,
in the same run. Both servers run as their own processes, as in production; the devices are
8 client threads here. Target: at least half of the bare server's rate.

    PYTHONPATH=. .venv/bin/python bench/bench_intake.py [seconds-per-server]
"""

from __future__ import annotations

import email.policy
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gateway.app import App
from gateway.config import load_config
from gateway.models import Job
from gateway.users import add_user
from tests import docgen
from tests.harness import DOMAIN, fax_message, free_port

CONNECTIONS = 8
BARE_SERVER = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Bare:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued"
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Bare(), hostname="bare"), "127.0.0.1", int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""


def load(port: int, payload: bytes, seconds: float) -> tuple[int, int]:
    """8 devices, each on one connection, sending until time is up; returns (accepted, errors)."""
    counts, errors = [0] * CONNECTIONS, [0] * CONNECTIONS
    stop_at = time.monotonic() + seconds

    def device(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo("mfd")
            while time.monotonic() < stop_at:
                client.mail("sato@city.example.jp")
                client.rcpt(f"FAX=+81354321111@{DOMAIN}")
                code, _ = client.data(payload)
                if code == 250:
                    counts[n] += 1
                else:
                    errors[n] += 1

    threads = [threading.Thread(target=device, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), sum(errors)


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def measure(command: list[str], port: int, payload: bytes, seconds: float) -> tuple[float, int, int]:
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        load(port, payload, 1.0)  # warm-up
        accepted, errors = load(port, payload, seconds)
    finally:
        server.terminate()
        server.wait(30)
    return accepted / seconds, accepted, errors


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    document = docgen.text_pdf([[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。", 11)]])
    payload = fax_message(document).as_bytes(policy=email.policy.SMTP)
    print(f"message: {len(payload):,} bytes (1-page PDF {len(document):,} bytes), {CONNECTIONS} connections, {seconds:.0f} s each")

    port = free_port()
    bare_rate, accepted, errors = measure([sys.executable, "-c", BARE_SERVER, str(port)], port, payload, seconds)
    print(f"bare aiosmtpd (stores nothing):     {bare_rate:7.1f} msg/s ({accepted} accepted, {errors} errors)")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        port = free_port()
        config.write_text(f'[database]\nurl = "sqlite:///{tmp}/bench.db"\n[smtp]\nport = {port}\ndomain = "{DOMAIN}"\n'
                          '[logging]\nlevel = "warning"\n', encoding="utf-8")
        app = App(load_config(config))
        with app.session() as session:
            add_user(session, "sato", "staff", "sato@city.example.jp", "保健福祉課", None, "bench")
        faxgate = [str(Path(sys.executable).with_name("faxgate")), "serve", "--only", "smtp", "--config", str(config)]
        rate, accepted, errors = measure(faxgate, port, payload, seconds)
        with app.session() as session:
            stored = session.query(Job).count()
    print(f"faxgate intake (SQLite WAL, FULL):  {rate:7.1f} msg/s ({accepted} accepted, {errors} errors, "
          f"{stored} stored incl. warm-up)")
    print(f"ratio: {rate / bare_rate:.2f} of the bare server (target ≥ 0.50)")


if __name__ == "__main__":
    main()
