"""One message that can never be stored must not cost the other devices' messages their 250
(issue 17, point 2), on a real PostgreSQL server, which, unlike SQLite, enforces column lengths
and never stores a NUL: real smtplib clients send bad and clean messages at the same instant, so
the intake writer stores them in one group commit."""

from __future__ import annotations

import dataclasses
import email.policy
import smtplib
import threading

import pytest

from gateway.bootstrap import App
from gateway.config import DatabaseConfig
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage import db
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, fax_message, make_config, seed

CLEAN_TO = f"FAX=+81354321111@{DOMAIN}"


def _raw(filename_parameter: bytes = b'filename="application.pdf"', to: str = CLEAN_TO, text: str = "案内") -> bytes:
    """A fax message whose attachment's file name is written as given (RFC 2231 allows %00 and %0D)."""
    message = fax_message(docgen.text_pdf([[(20, 20, f"送付のご案内 {text}", 16)]]), to=to, filename="PLACEHOLDER.pdf")
    raw = message.as_bytes(policy=email.policy.SMTP)
    return raw.replace(b'filename="PLACEHOLDER.pdf"', filename_parameter)


BAD = {  # a file name of 300 characters, a NUL in the file name, a DIAL= longer than its column
    "long_name": (b'filename="' + b"a" * 296 + b'.pdf"', CLEAN_TO, "添付ファイル名が長すぎる"),
    "nul_name": (b"filename*=utf-8''%E7%94%B3%E8%AB%8B%00.pdf", CLEAN_TO, "添付ファイル名にNUL文字"),
    "long_dial": (b'filename="application.pdf"', f"DIAL=0-03-5432-1111{'-' * 60}@{DOMAIN}",
                                     "宛先が長すぎる"),
}


@pytest.fixture
def gateway_on_postgresql(postgres_url, tmp_path, peers):
    config = dataclasses.replace(make_config(tmp_path, peers[0].port, peers[1].port),
                                 database=DatabaseConfig(url=postgres_url))
    db.upgrade(db.make_engine(postgres_url))
    app = App(config)
    seed(app)
    with BackgroundGateway(app, http=False, worker=False) as gateway:
        yield app, gateway


def _send_together(port: int, messages: list[tuple[str, bytes]]) -> list[tuple[int, str]]:
    """Each message from its own connection; every DATA's end goes out at the same instant."""
    at_data = threading.Barrier(len(messages))
    replies: list[tuple[int, str] | None] = [None] * len(messages)

    def send(index: int, to: str, raw: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo("mfd-3f.city.example.jp")
            assert client.mail("sato@city.example.jp")[0] == 250
            assert client.rcpt(to)[0] == 250
            code, _ = client.docmd("DATA")
            assert code == 354
            client.send(raw.replace(b"\r\n.", b"\r\n.."))
            at_data.wait()
            client.send(b"\r\n.\r\n")
            code, text = client.getreply()
            replies[index] = (code, text.decode())

    threads = [threading.Thread(target=send, args=(index, to, raw)) for index, (to, raw) in enumerate(messages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(replies), replies
    return replies


@pytest.mark.parametrize("case", list(BAD))
def test_unstorable_gets_554_others_250(gateway_on_postgresql, case):
    """(The name is short: the test's database is named after it.)"""
    app, gateway = gateway_on_postgresql
    parameter, to, japanese = BAD[case]
    clean = [(CLEAN_TO, _raw(text=str(n))) for n in range(7)]
    messages = clean[:3] + [(to, _raw(parameter, to=to))] + clean[3:]
    for _ in range(2):  # twice: the first DATA to arrive may be stored alone, the rest come together
        replies = _send_together(gateway.smtp_port, messages)
        bad = replies.pop(3)
        assert [code for code, _ in replies] == [250] * len(clean), replies
        assert bad[0] == 554 and "5.6.0" in bad[1] and japanese in bad[1], bad
    with db_session(app) as session:
        assert session.query(Job).count() == 2 * len(clean)
