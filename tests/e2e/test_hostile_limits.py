"""Limits that cannot be walked around (issue 17, point 3): header fields, MIME parts and nesting
are counted while DATA streams in, whatever the line ending; a message over a limit is refused
for good (5xx, never 451) within a second of its end, without the gateway's memory growing with
it, while other devices' messages sent at the same time get their 250 promptly. Real smtplib
clients; the memory test runs `faxgate serve` as an operator does and reads its peak RSS."""

from __future__ import annotations

import email.policy
import smtplib
import subprocess
import sys
import threading
import time

import pytest

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.core.message import MessageLimits
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, fax_message, free_port, seed

FAXGATE = [sys.executable, "-m", "gateway"]


def clean_raw(text: str = "案内") -> bytes:
    return fax_message(docgen.text_pdf([[(20, 20, f"送付のご案内 {text}", 16)]])).as_bytes(policy=email.policy.SMTP)


def send_raw(port: int, raw: bytes) -> tuple[int, str, float]:
    """One message on its own connection: DATA's reply and how long it took after the end of data."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo("mfd-3f.city.example.jp")
        assert client.mail("sato@city.example.jp")[0] == 250
        assert client.rcpt(f"FAX=+81354321111@{DOMAIN}")[0] == 250
        assert client.docmd("DATA")[0] == 354
        client.send(raw.replace(b"\r\n.", b"\r\n.."))
        started = time.monotonic()
        client.send(b"\r\n.\r\n")
        code, text = client.getreply()
        return code, text.decode(), time.monotonic() - started


def jobs_count(app: App) -> int:
    with db_session(app) as session:
        return session.query(Job).count()


@pytest.mark.parametrize("ending", [b"\n", b"\r"], ids=["bare_lf", "bare_cr"])
def test_ten_thousand_headers_joined_by_a_bare_line_ending_are_refused(world, ending):
    """Short fields (40 KB in all, under the header size limit), a CRLF after every hundredth so
    no SMTP line is too long: 10,000 fields as the mail library reads them."""
    fields = b"\r\n".join(ending.join([b"X:1"] * 100) for _ in range(100))
    code, text, _ = send_raw(world.gateway.smtp_port, fields + b"\r\n" + clean_raw())
    assert code == 552 and "5.3.4" in text and "ヘッダー項目が多すぎます" in text, (code, text)
    assert jobs_count(world.app) == 0
    assert send_raw(world.gateway.smtp_port, clean_raw())[0] == 250  # the connection's next message is fine


def test_multiparts_nested_two_thousand_deep_get_554_never_451(world):
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n) for n in range(2000))
    raw = b"From: sato@city.example.jp\r\nTo: FAX=+81354321111@" + DOMAIN.encode() + b"\r\n" + nested
    code, text, seconds = send_raw(world.gateway.smtp_port, raw)
    assert code == 554 and "5.6.0" in text and "入れ子が深すぎます" in text, (code, text)
    assert seconds < 1, seconds
    assert jobs_count(world.app) == 0


@pytest.fixture
def serve(tmp_path, monkeypatch, fax, mail):
    """`faxgate serve` in its own process: (app, its process, its SMTP port)."""
    monkeypatch.chdir(tmp_path)
    smtp_port = free_port()
    config = tmp_path / "faxgate.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n'
                      f'[smtp]\nport = {smtp_port}\ndomain = "{DOMAIN}"\n[http]\nport = {free_port()}\n'
                      f'[relay]\nurl = "smtp://127.0.0.1:{fax.port}"\n[mail]\nurl = "smtp://127.0.0.1:{mail.port}"\n',
                      encoding="utf-8")
    app = App(load_config(config))
    seed(app)
    process = subprocess.Popen([*FAXGATE, "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                               stderr=(tmp_path / "serve.log").open("ab"))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                smtplib.SMTP("127.0.0.1", smtp_port, timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        yield app, process, smtp_port
    finally:
        process.terminate()
        process.wait(60)


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def screened(app: App, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with db_session(app) as session:
            if not session.query(Job).filter(Job.state.in_(["received", "screening"])).count():
                return
        assert time.monotonic() < deadline, "the worker did not screen the warm-up job"
        time.sleep(0.1)


def test_millions_of_parts_refused_in_a_second_with_bounded_memory_and_others_unhurt(serve):
    app, process, port = serve
    assert send_raw(port, clean_raw("warm-up"))[0] == 250  # the intake writer is up
    screened(app)  # and the worker has loaded its recognizers: their memory is not the attack's
    parts = 2_400_000
    attack = (b"From: sato@city.example.jp\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
              + b"--b\r\n\r\n" * parts + b"--b--\r\n")
    assert len(attack) < MessageLimits().max_message_bytes  # under the size limit: only the count refuses it
    peak_before = peak_rss_mib(process.pid)
    outcome: dict = {}
    attack_thread = threading.Thread(target=lambda: outcome.update(attack=send_raw(port, attack)))
    others: list[tuple[int, str, float]] = []

    def other_device(n: int) -> None:
        while "attack" not in outcome or len(others) < 6:
            others.append(send_raw(port, clean_raw(f"{n}-{len(others)}")))

    attack_thread.start()
    devices = [threading.Thread(target=other_device, args=(n,)) for n in range(2)]
    for thread in devices:
        thread.start()
    attack_thread.join(300)
    for thread in devices:
        thread.join(300)
    code, text, refusal_seconds = outcome["attack"]
    growth = peak_rss_mib(process.pid) - peak_before
    latencies = [seconds for _, _, seconds in others]
    print(f"{parts} parts: {code} after {refusal_seconds:.3f} s; peak RSS {peak_before:.0f} MiB, grew "
          f"{growth:.1f} MiB; {len(others)} other messages: slowest 250 after {max(latencies):.2f} s")
    assert code == 554 and "5.6.0" in text and "MIMEパートが多すぎます" in text, (code, text)
    assert refusal_seconds < 1, refusal_seconds
    assert growth < 50, growth
    assert [code for code, _, _ in others] == [250] * len(others), others
    assert max(latencies) < 3, latencies
    assert jobs_count(app) == 1 + len(others)
