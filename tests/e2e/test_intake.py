"""SMTP intake against bad inputs and faults (reliability rows 2–5, 13), access control and
addressing, with a real smtplib client and the gateway's real aiosmtpd server."""

from __future__ import annotations

import email.policy
import smtplib
import ssl
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest
from PIL import Image
from sqlalchemy import text

from gateway.entrypoints.smtp.writer import IntakeWriter
from gateway.bootstrap import App
from gateway.storage.directory_tables import DirectoryEntry
from gateway.storage.tables import Job
from gateway.entrypoints.serve import BackgroundGateway
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, fax_message, make_config, queued_id, seed, submit, wait_state

CLEAN = [[(20, 20, "送付のご案内", 16)]]


def start(tmp_path, peers, **smtp):
    app = App(make_config(tmp_path, peers[0].port, peers[1].port, **smtp))
    seed(app)
    return app, BackgroundGateway(app)


@pytest.fixture
def running(tmp_path, peers):
    app, background = start(tmp_path, peers, max_message_mb=8)
    with background as gateway:
        yield app, gateway


def jobs_count(app) -> int:
    with db_session(app) as session:
        return session.query(Job).count()


def test_accepted_job_is_stored_intact_before_250(running):
    app, gateway = running
    document = docgen.text_pdf(CLEAN)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document)))
    with app.unit_of_work() as uow:
        job = uow.session.get(Job, job_id)
        assert (job.state in ("received", "screening", "awaiting_confirmation", "blocked"))
        assert job.device == "loopback" and job.submitter_email == "sato@city.example.jp"
        assert "asserted" in job.identity_source

        assert uow.jobs.document_of(job_id) == document


@pytest.mark.parametrize(
    "to,code,fragment",
    [
        (f"FAX=+8135432111@{DOMAIN}", 550, "5.1.1"),  # one digit short
        (f"FAX=0354321111@{DOMAIN}", 250, ""),  # national form
        (f"03-5432-1111@{DOMAIN}", 250, ""),
        (f"DIAL=0-03-5432-1111@{DOMAIN}", 250, ""),
        (f"DIAL=03-5432-1111@{DOMAIN}", 550, "5.1.1"),  # the No. 371 dial string
        (f"DIAL=0117@{DOMAIN}", 550, "5.1.1"),
        (f"sd-001@{DOMAIN}", 250, ""),
        (f"FAX=+81354321111/T33S=123@{DOMAIN}", 250, ""),
        ("FAX=+81354321111@elsewhere.example.com", 550, "5.7.1"),
        (f"hello@{DOMAIN}", 550, "5.1.1"),
    ],
)
def test_recipient_forms(running, to, code, fragment):
    app, gateway = running
    with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
        client.ehlo("mfd")
        client.mail("sato@city.example.jp")
        reply_code, reply = client.rcpt(to)
    assert reply_code == code, reply
    assert fragment.encode() in reply


def test_refusals_carry_english_and_japanese(running):
    app, gateway = running
    with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
        client.ehlo("mfd")
        client.mail("sato@city.example.jp")
        code, reply = client.rcpt(f"DIAL=03-5432-1111@{DOMAIN}")
    assert code == 550
    lines = reply.decode("utf-8").split("\n")
    assert "missing_outside_line" in lines[0] and "外線発信番号" in lines[1]


def _rcpt(gateway, to: str) -> tuple[int, list[str]]:
    with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
        client.ehlo("mfd")
        client.mail("sato@city.example.jp")
        code, reply = client.rcpt(to)
    return code, reply.decode("utf-8").split("\n")


@pytest.mark.parametrize(
    "to,code,japanese",
    [
        (f"sd-99@{DOMAIN}", "not_in_directory", "短縮番号 99 は宛先表に登録されていません"),
        (f"sd-099@{DOMAIN}", "not_in_directory", "短縮番号 99 は宛先表に登録されていません"),
        (f"FAX=+81398765432@{DOMAIN}", "not_in_directory", "承認済みの宛先表にありません"),
        (f"03-9876-5432@{DOMAIN}", "not_in_directory", "承認済みの宛先表にありません"),
        (f"DIAL=0-03-9876-5432@{DOMAIN}", "not_in_directory", "承認済みの宛先表にありません"),
        (f"sd-5@{DOMAIN}", "retired", "廃止されています"),
        (f"FAX=+81354325555@{DOMAIN}", "retired", "廃止されています"),
        (f"sd-6@{DOMAIN}", "not_in_directory", "登録されていません"),  # an entry with no number at all
    ],
)
def test_destinations_the_directory_never_accepts_are_refused_at_rcpt(running, to, code, japanese):
    """Refused while the person is still at the device, in English and Japanese; nothing stored."""
    app, gateway = running
    with db_session(app) as session:
        session.add(DirectoryEntry(slot=5, name="廃止済み", kind="external", e164="+81354325555",
                                   status="retired", review_reasons=[]))
        session.add(DirectoryEntry(slot=6, name="番号なし", kind="external", status="active", review_reasons=[]))
    reply_code, lines = _rcpt(gateway, to)
    assert reply_code == 550, lines
    assert lines[0].startswith("5.1.1 ") and code in lines[0]
    assert lines[1].startswith("5.1.1 ") and japanese in lines[1]
    rejected = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=to))
    assert rejected[0] == 550 and "5.1.1" in rejected[1]
    assert jobs_count(app) == 0


@pytest.mark.parametrize(
    "to",
    [
        f"sd-2@{DOMAIN}",  # awaits review: an administrator may clear it, so screening decides
        f"FAX=+81354322222@{DOMAIN}",
        f"sd-3@{DOMAIN}",  # stale: a verification with the recipient makes it usable again
        f"FAX=+81354327777@{DOMAIN}",  # retired in slot 7, awaiting review in slot 8: not for ever
    ],
)
def test_destinations_that_may_become_usable_wait_for_screening(running, to):
    app, gateway = running
    with db_session(app) as session:
        session.add(DirectoryEntry(slot=7, name="移転前", kind="external", e164="+81354327777",
                                   status="retired", review_reasons=[]))
        session.add(DirectoryEntry(slot=8, name="移転後（確認待ち）", kind="external", e164="+81354327777",
                                   status="needs_review", review_reasons=[]))
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=to)))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}) == "blocked"
    with db_session(app) as session:
        assert {r["code"] for r in session.get(Job, job_id).reasons} <= {"needs_review", "stale"}


def test_an_entry_retired_or_added_takes_effect_at_the_next_rcpt(running):
    """No cache between the directory and the intake: the device hears the directory of now."""
    app, gateway = running
    assert _rcpt(gateway, f"sd-1@{DOMAIN}")[0] == 250
    with db_session(app) as session:
        session.query(DirectoryEntry).filter_by(slot=1).one().status = "retired"
        session.add(DirectoryEntry(slot=9, name="新規", kind="external", e164="+81354329999",
                                   status="active", review_reasons=[]))
    assert _rcpt(gateway, f"sd-1@{DOMAIN}")[0] == 550
    assert _rcpt(gateway, f"sd-9@{DOMAIN}")[0] == 250


def test_the_rcpt_check_does_not_wait_behind_a_writer(running):
    """The directory is read without the write lock: a long write elsewhere (an import, a
    commit of many jobs) does not hold the device at RCPT."""
    app, gateway = running
    with db_session(app) as session:  # SQLite: BEGIN IMMEDIATE, the write lock, until the block ends
        session.query(DirectoryEntry).filter_by(slot=3).one().name = "変更中"
        session.flush()
        started = time.monotonic()
        assert _rcpt(gateway, f"sd-1@{DOMAIN}")[0] == 250
        assert time.monotonic() - started < 3


def test_directory_unavailable_at_rcpt_answers_451(running):
    app, gateway = running
    with app.engine.begin() as connection:
        connection.execute(text("ALTER TABLE directory_entries RENAME TO directory_entries_away"))
    try:
        code, lines = _rcpt(gateway, f"sd-1@{DOMAIN}")
        assert code == 451 and lines[0].startswith("4.3.0") and "directory_entries" not in "".join(lines)
    finally:
        with app.engine.begin() as connection:
            connection.execute(text("ALTER TABLE directory_entries_away RENAME TO directory_entries"))
    assert _rcpt(gateway, f"sd-1@{DOMAIN}")[0] == 250


def test_broadcast_is_refused(running):
    app, gateway = running
    message = fax_message(docgen.text_pdf(CLEAN))
    code, reply = submit(gateway.smtp_port, message, rcpt=[f"sd-1@{DOMAIN}", f"sd-4@{DOMAIN}"])
    assert code == 550 and "5.5.3" in reply


def test_unknown_sender_is_refused(running):
    app, gateway = running
    code, reply = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), sender="stranger@example.com"))
    assert code == 550 and "5.7.1" in reply and "職員" in reply
    assert jobs_count(app) == 0


def _message_with(parts: list[tuple[bytes, str, str, str]]) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sato@city.example.jp", f"sd-1@{DOMAIN}", "fax"
    message.set_content("本文")
    for data, maintype, subtype, filename in parts:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


@pytest.mark.parametrize(
    "parts,code,status",
    [
        ([], 554, "5.6.0"),
        ([(b"PK\x03\x04 word document", "application", "octet-stream", "a.docx")], 554, "5.6.1"),
        ([(b"%!PS-Adobe-3.0 EPSF-3.0\n", "image", "tiff", "scan.tif")], 554, "5.6.1"),
        ("encrypted", 554, "5.7.0"),
        ("two", 554, "5.6.1"),
    ],
)
def test_bad_documents_get_specific_5xx(running, parts, code, status):
    app, gateway = running
    if parts == "encrypted":
        parts = [(docgen.encrypted_pdf(), "application", "pdf", "secret.pdf")]
    elif parts == "two":
        pdf = docgen.scanned_pdf([Image.new("1", (1728, 2200), 1)])
        parts = [(pdf, "application", "pdf", "a.pdf"), (pdf, "application", "pdf", "b.pdf")]
    reply = submit(gateway.smtp_port, _message_with(parts), rcpt=[f"sd-1@{DOMAIN}"])
    assert reply[0] == code and status in reply[1], reply
    assert jobs_count(app) == 0


def test_limits_size_headers_parts(running):
    app, gateway = running
    big = _message_with([(b"%PDF-1.4\n" + b"0" * (9 * 1024 * 1024), "application", "pdf", "big.pdf")])
    started = time.monotonic()
    code, reply = submit(gateway.smtp_port, big, rcpt=[f"sd-1@{DOMAIN}"])
    assert code == 552, reply
    many_headers = _message_with([(docgen.text_pdf(CLEAN), "application", "pdf", "a.pdf")])
    for n in range(10_000):
        many_headers[f"X-Filler-{n}"] = "x"
    code, reply = submit(gateway.smtp_port, many_headers, rcpt=[f"sd-1@{DOMAIN}"])
    assert code == 552 and "5.3.4" in reply, reply
    many_parts = _message_with([(b"x", "text", "plain", f"n{n}.txt") for n in range(3000)])
    code, reply = submit(gateway.smtp_port, many_parts, rcpt=[f"sd-1@{DOMAIN}"])
    assert code == 554 and "5.6.0" in reply, reply
    assert jobs_count(app) == 0
    assert time.monotonic() - started < 60


def test_handler_exception_answers_451_without_internals(running, monkeypatch):
    app, gateway = running

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail /var/lib/faxgate")

    monkeypatch.setattr(IntakeWriter, "submit", broken)
    code, reply = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN)))
    assert code == 451 and "4.3.0" in reply and "secret" not in reply and "RuntimeError" not in reply
    assert jobs_count(app) == 0


def test_database_fault_answers_451_and_stores_nothing(running):
    app, gateway = running
    with app.engine.begin() as connection:
        connection.execute(text("ALTER TABLE job_blobs RENAME TO job_blobs_away"))
    try:
        code, reply = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN)))
        assert code == 451 and "4.3.0" in reply and "job_blobs" not in reply
    finally:
        with app.engine.begin() as connection:
            connection.execute(text("ALTER TABLE job_blobs_away RENAME TO job_blobs"))
    assert jobs_count(app) == 0
    queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))


@pytest.mark.parametrize(
    "maker,code",
    [
        ("truncated_tiff", "document_broken"),
        ("huge_tiff_header", "document_too_many_pixels"),
        ("corrupt_pdf", "document_broken"),
        ("many_pages_pdf", "document_too_many_pages"),
        ("huge_page_pdf", "document_too_many_pixels"),
        ("image_bomb_pdf", "document_too_many_pixels"),
    ],
)
def test_unreadable_documents_are_held_and_the_worker_survives(running, maker, code):
    app, gateway = running
    data = getattr(docgen, maker)()
    subtype = "pdf" if data.startswith(b"%PDF") else "tiff"
    maintype = "application" if subtype == "pdf" else "image"
    job_id = queued_id(submit(gateway.smtp_port, fax_message(data, maintype=maintype, subtype=subtype, filename=f"x.{subtype}")))
    wait_state(app, job_id, {"blocked"})
    with db_session(app) as session:
        reasons = session.get(Job, job_id).reasons
    assert [r["code"] for r in reasons] == [code] and reasons[0]["action"] == "hold"
    clean = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
    assert wait_state(app, clean, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"


def test_devices_need_auth_or_allow_list_once_configured(tmp_path, peers):
    app, background = start(tmp_path, peers)
    from gateway.storage.tables import Device
    from gateway.services.users import hash_password

    with db_session(app) as session:
        session.add(Device(name="mfd-3f", password_hash=hash_password("correct horse battery"), addresses=[]))
    with background as gateway:
        with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
            client.ehlo("mfd")
            assert "auth" not in client.esmtp_features, "no AUTH before STARTTLS (and no TLS configured)"
            code, reply = client.mail("sato@city.example.jp")
            assert code == 530 and b"5.7.0" in reply
    with db_session(app) as session:
        session.add(Device(name="fax-server", addresses=["127.0.0.0/8"]))
    with background.__class__(app) as gateway:
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
        with db_session(app) as session:
            assert session.get(Job, job_id).device == "address:fax-server"


def test_smtp_auth_after_starttls_records_the_device(tmp_path, peers):
    tls_dir = tmp_path / "tls"
    result = subprocess.run([sys.executable, "-m", "gateway", "tls", "self-signed", "--out", str(tls_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    app, background = start(tmp_path, peers, tls_cert=str(tls_dir / "cert.pem"), tls_key=str(tls_dir / "key.pem"))
    from gateway.storage.tables import Device
    from gateway.services.users import hash_password

    with db_session(app) as session:
        session.add(Device(name="mfd-3f", password_hash=hash_password("correct horse battery"), addresses=[]))
    context = ssl.create_default_context(cafile=str(tls_dir / "cert.pem"))
    context.check_hostname = False
    with background as gateway:
        with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
            client.ehlo("mfd")
            client.starttls(context=context)
            client.ehlo("mfd")
            assert "auth" in client.esmtp_features
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("mfd-3f", "wrong password")
        with smtplib.SMTP("127.0.0.1", gateway.smtp_port, timeout=10) as client:
            client.starttls(context=context)
            client.login("mfd-3f", "correct horse battery")
            message = fax_message(docgen.text_pdf(CLEAN))
            client.sendmail(message["From"], [message["To"]], message.as_bytes(policy=email.policy.SMTP))
        with db_session(app) as session:
            assert session.query(Job).one().device == "auth:mfd-3f"
