"""Benchmark (not a test): messages per second accepted durably by faxgate's SMTP intake
(1-page PDF, loopback, 8 connections) against a bare aiosmtpd server that stores nothing,
in the same run. Both servers run as their own processes, as in production; the devices are
8 client threads here. Target: at least half of the bare server's rate.

    PYTHONPATH=. .venv/bin/python bench/bench_intake.py [seconds-per-server] [--quick]
"""

from __future__ import annotations

import argparse
import email.policy
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.bootstrap import App  # noqa: E402
from gateway.config import load_config  # noqa: E402
from tests.support import docgen  # noqa: E402
from tests.support.harness import DOMAIN, fax_message, free_port, seed  # noqa: E402

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


def measure(command: list[str], port: int, payload: bytes, seconds: float, warm_up: float) -> tuple[float, int, int]:
    # This tree first on the path: the gateway measured is the one beside this script.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_port(port)
        load(port, payload, warm_up)
        accepted, errors = load(port, payload, seconds)
    finally:
        server.terminate()
        server.wait(30)
    return accepted / seconds, accepted, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=10.0, help="load per server")
    parser.add_argument("--quick", action="store_true", help="a few seconds: 1 s per server after a 0.5 s warm-up")
    args = parser.parse_args()
    seconds, warm_up = (1.0, 0.5) if args.quick else (args.seconds, 1.0)
    document = docgen.text_pdf([[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。", 11)]])
    payload = fax_message(document).as_bytes(policy=email.policy.SMTP)
    print(f"message: {len(payload):,} bytes (1-page PDF {len(document):,} bytes), {CONNECTIONS} connections, {seconds:.0f} s each")

    port = free_port()
    bare_rate, accepted, errors = measure([sys.executable, "-c", BARE_SERVER, str(port)], port, payload, seconds, warm_up)
    print(f"bare aiosmtpd (stores nothing):     {bare_rate:7.1f} msg/s ({accepted} accepted, {errors} errors)")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        port = free_port()
        config.write_text(f'[database]\nurl = "sqlite:///{tmp}/bench.db"\n[smtp]\nport = {port}\ndomain = "{DOMAIN}"\n'
                          '[logging]\nlevel = "warning"\n', encoding="utf-8")
        app = App(load_config(config))
        seed(app)  # the staff and the directory: the intake refuses at RCPT a number no entry has
        faxgate = [sys.executable, "-m", "gateway", "serve", "--only", "smtp", "--config", str(config)]
        rate, accepted, errors = measure(faxgate, port, payload, seconds, warm_up)
        with app.unit_of_work(read_only=True) as uow:
            stored = sum(uow.jobs.counts_by_state().values())
    print(f"faxgate intake (SQLite WAL, FULL):  {rate:7.1f} msg/s ({accepted} accepted, {errors} errors, "
          f"{stored} stored incl. warm-up)")
    print(f"ratio: {rate / bare_rate:.2f} of the bare server (target ≥ 0.8, issue 18)")


if __name__ == "__main__":
    main()
