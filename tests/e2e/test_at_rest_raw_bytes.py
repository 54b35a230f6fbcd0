"""Encryption at rest (issue 16, reliability #19): after real faxes full of personal data went
through real SMTP into the running gateway, were screened and got their signed records, the raw
bytes of the SQLite file (with its WAL) and of a PostgreSQL dump hold no PDF, no TIFF, no PNG, no
name and no number from the documents: neither as they are, nor base64 (as in the message), nor
hex (as pg_dump writes bytea)."""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import time

from gateway.bootstrap import App
from gateway.config import DatabaseConfig, KeysConfig
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage import db
from tests.support import docgen, pgserver
from tests.support.harness import fax_message, make_config, queued_id, seed, submit, wait_state

NAME, KANA, PHONE, ADDRESS = "山田花子", "ヤマダハナコ", "090-8765-4321", "世田谷区北沢三丁目二番"
PAGES = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, f"氏名 {NAME}（{KANA}）", 11),
          (20, 55, f"携帯電話 {PHONE}", 11), (20, 70, f"住所 {ADDRESS}", 11),
          (20, 85, "生年月日 昭和60年4月1日", 11), (20, 100, "既往歴: 喘息", 11)]]
TIFF_LINES = [(20, 30, "国民健康保険 申請書", 16), (20, 60, f"氏名 {NAME}", 14), (20, 80, f"電話 {PHONE}", 14)]

MAGIC = {"PDF": b"%PDF", "TIFF (II)": b"II*\x00", "TIFF (MM)": b"MM\x00*", "PNG": b"\x89PNG\r\n\x1a\n"}
PERSONAL = {"name": NAME, "kana": KANA, "phone": PHONE, "phone digits": PHONE.replace("-", ""), "address": ADDRESS}


def needles() -> dict[str, bytes]:
    found = dict(MAGIC) | {what: text.encode() for what, text in PERSONAL.items()}
    # base64 at each of the three alignments (a MIME attachment): the characters whose 6 bits
    # all come from the value, whatever stands before and after it.
    for what, value in list(found.items()):
        for shift in range(3):
            encoded = base64.b64encode(b"\x00" * shift + value + b"\x00\x00")
            first, end = -(-8 * shift // 6), 8 * (shift + len(value)) // 6
            found[f"{what}, base64 +{shift}"] = encoded[first:end]
    return found


def leaks(data: bytes) -> list[str]:
    lowered = data.lower()
    found = [what for what, needle in needles().items() if needle in data]
    found += [f"{what}, hex" for what, needle in {**MAGIC, **{w: t.encode() for w, t in PERSONAL.items()}}.items()
              if needle.hex().encode() in lowered]
    return found


def _message(document: bytes, **kinds):
    message = fax_message(document, **kinds)
    body = message.get_payload()[0]
    body.set_content(f"{NAME}様の申請書を送付します。連絡先 {PHONE}", cte="8bit")  # the name in the clear too
    return message


def _run_jobs(app: App, port: int) -> list[str]:
    jobs = [queued_id(submit(port, _message(docgen.text_pdf(PAGES))))]
    tiff = docgen.fax_tiff([docgen.render_text_image(TIFF_LINES)])
    jobs.append(queued_id(submit(port, _message(tiff, filename="scan.tif", maintype="image", subtype="tiff"))))
    for job_id in jobs:
        wait_state(app, job_id, {"blocked", "awaiting_confirmation"}, timeout=120)
    deadline = time.monotonic() + 120
    while True:  # the signed records (with page thumbnails) are stored too
        with app.unit_of_work(read_only=True) as uow:
            records = [uow.records.latest_for_job(job_id) for job_id in jobs]
            pdfs = [r.pdf for r in records if r is not None]
            findings = [uow.jobs.get(job_id).findings for job_id in jobs]
        if len(pdfs) == len(jobs):
            break
        assert time.monotonic() < deadline, "the signed records were not made"
        time.sleep(0.2)
    # What was checked for is really there when opened through the storage door.
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert findings[0], "the personal data was found on the page (and stored, sealed)"
    with app.unit_of_work(read_only=True) as uow:
        blob = uow.jobs.blob(jobs[0])
        assert NAME.encode() in blob.message and blob.document.startswith(b"%PDF")
    return jobs


def test_the_sqlite_file_holds_nothing_readable(tmp_path, fax, mail):
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port),
                                 keys=KeysConfig(kek_file=str(tmp_path / "keys" / "data-kek.key")))
    app = App(config)
    seed(app)
    with BackgroundGateway(app, http=False, idle_seconds=0.1) as gateway:
        _run_jobs(app, gateway.smtp_port)
    app.engine.dispose()
    files = [tmp_path / name for name in ("faxgate.db", "faxgate.db-wal") if (tmp_path / name).exists()]
    raw = b"".join(path.read_bytes() for path in files)
    assert len(raw) > 100_000, "the documents are in the file (sealed)"
    assert leaks(raw) == []
    assert (tmp_path / "keys" / "data-kek.key").exists(), "the KEK lives outside the database"


def test_a_postgresql_dump_holds_nothing_readable(postgres_url, tmp_path, fax, mail):
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port), database=DatabaseConfig(url=postgres_url),
                                 keys=KeysConfig(kek_file=str(tmp_path / "data-kek.key")))
    db.upgrade(db.make_engine(postgres_url))
    app = App(config)
    seed(app)
    with BackgroundGateway(app, http=False, idle_seconds=0.1) as gateway:
        _run_jobs(app, gateway.smtp_port)
    address = postgres_url.removeprefix("postgresql+psycopg://faxgate@")
    hostport, name = address.split("/")
    host, port = hostport.split(":")
    dump = subprocess.run([str(pgserver.PG_BIN / "pg_dump"), "-h", host, "-p", port, "-U", "faxgate", name],
                          capture_output=True, check=True, timeout=60).stdout
    assert b"COPY public.job_blobs" in dump and len(dump) > 100_000
    assert leaks(dump) == []


def test_the_scan_finds_what_is_stored_in_the_clear():
    """The scan itself can fail: the same bytes unsealed are found (every kind of needle)."""
    document = docgen.text_pdf(PAGES)
    raw = _message(document).as_bytes()
    assert "name" in leaks(raw) and any(w.startswith("PDF, base64") for w in leaks(raw))
    assert "PDF" in leaks(document) and "PDF, hex" in leaks(document.hex().encode())
    tiff = docgen.fax_tiff([docgen.render_text_image(TIFF_LINES)])
    assert "TIFF (II)" in leaks(tiff) or "TIFF (MM)" in leaks(tiff)
    assert any(w.startswith("PDF, base64") for w in leaks(base64.b64encode(b"xx" + document)))
