"""A device's resend after a crash (issue 17, point 10; reliability row 21): the gateway stored
a message but the device never saw its 250, so it sends the same message again, through a real
smtplib client to the running gateway. While the first job is under way no second job is made
(the device gets the first job's 250 again) and the API says copies came; once the first ended,
or for the same document under another Message-ID, the new job is linked to it, so whoever
confirms it is told."""

from __future__ import annotations

import email.policy

import httpx
import pytest
from sqlalchemy import text

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import DOMAIN, db_session, fax_message, make_config
from tests.support.web_support import populate, signed_in


@pytest.fixture
def gateway(tmp_path, peers):
    app = App(make_config(tmp_path, peers[0].port, peers[1].port))
    tokens = populate(app)
    # No worker: the first job stays under way (received) while the device sends it again.
    with BackgroundGateway(app, worker=False) as running:
        client = httpx.Client(base_url=f"http://127.0.0.1:{running.http_port}", timeout=10,
                              headers={"Authorization": f"Bearer {tokens['sato']}"})
        running.web = signed_in(running.http_port, "suzuki")  # an approver of the department
        yield app, running.smtp_port, client, running.web


def _send(port: int, raw: bytes, to: str) -> tuple[int, str]:
    import smtplib

    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mfd-3f.city.example.jp")
        client.mail("sato@city.example.jp")
        client.rcpt(to)
        code, answer = client.data(raw)
        return code, answer.decode()


def _message(document: bytes, message_id: str, to: str = f"FAX=+81354321111@{DOMAIN}") -> bytes:
    message = fax_message(document, to=to)
    message["Message-ID"] = message_id
    return message.as_bytes(policy=email.policy.SMTP)


def _jobs(app: App) -> list[str]:
    with db_session(app) as session:
        return [job.id for job in session.query(Job).order_by(Job.created_at)]


def test_resend_of_a_live_job_is_the_same_job(gateway):
    app, port, client, web = gateway
    to = f"FAX=+81354321111@{DOMAIN}"
    document = docgen.text_pdf([[(20, 20, "送付のご案内", 16)]])
    raw = _message(document, "<scan-0001@mfd-3f.city.example.jp>")
    code, answer = _send(port, raw, to)
    assert code == 250
    first = answer.rsplit(" ", 1)[1]

    code, again = _send(port, raw, to)  # the same message: the device never saw the first 250
    assert (code, again) == (250, answer), "the device is told the job it already has"
    code, again = _send(port, raw, to)
    assert (code, again) == (250, answer)
    assert _jobs(app) == [first], "one message, one job: nobody confirms it twice"
    shown = client.get(f"/api/jobs/{first}").json()
    assert shown["resends_received"] == 2 and shown["resend_of"] is None
    page = web.get(f"/jobs/{first}").text
    assert 'id="resends-received"' in page and "再送" in page

    # The same document under a new Message-ID may be a second send on purpose: a job of its own,
    # linked to the first, so that whoever confirms it is told.
    code, renumbered = _send(port, _message(document, "<scan-0001-retry@mfd-3f.city.example.jp>"), to)
    assert code == 250 and renumbered != answer
    assert client.get(f"/api/jobs/{renumbered.rsplit(' ', 1)[1]}").json()["resend_of"] == first

    # Not a resend: the same document to another address, or another document.
    code, other = _send(port, raw, f"sd-2@{DOMAIN}")
    assert code == 250 and other != answer
    code, another = _send(port, _message(docgen.text_pdf([[(20, 20, "別の書類", 16)]]), "<scan-0002@mfd-3f.city.example.jp>"), to)
    assert code == 250 and another not in (answer, other)
    assert len(_jobs(app)) == 4
    for job_id in (other.rsplit(" ", 1)[1], another.rsplit(" ", 1)[1]):
        assert client.get(f"/api/jobs/{job_id}").json()["resend_of"] is None


def test_resend_after_the_first_ended_is_linked_to_it(gateway):
    app, port, client, web = gateway
    to = f"FAX=+81354321111@{DOMAIN}"
    raw = _message(docgen.text_pdf([[(20, 20, "送付のご案内", 16)]]), "<scan-0003@mfd-3f.city.example.jp>")
    first = _send(port, raw, to)[1].rsplit(" ", 1)[1]
    with db_session(app) as session:  # the first was sent meanwhile
        session.execute(text("UPDATE jobs SET state = 'sent' WHERE id = :i"), {"i": first})
    code, answer = _send(port, raw, to)
    assert code == 250
    second = answer.rsplit(" ", 1)[1]
    assert second != first and _jobs(app) == [first, second]
    shown = client.get(f"/api/jobs/{second}").json()
    assert shown["resend_of"] == first, "whoever confirms the second copy is told it repeats the first"
    page = web.get(f"/jobs/{second}").text
    assert 'id="resend-of"' in page and f'href="/jobs/{first}"' in page and "再送" in page
