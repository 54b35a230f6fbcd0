"""End to end: a real SMTP client (smtplib) submits to the running gateway, the worker screens,
people confirm through the HTTP API, and a real SMTP server (aiosmtpd) plays the fax server."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text

from gateway.storage import db
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, api, confirm_by_api, fax_message, queued_id, submit, wait_state

CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
FAST_RETRY = 'version = "test"\n[relay]\nmax_attempts = 3\nbackoff_seconds = [1]\n'


def test_clean_job_is_confirmed_by_two_people_and_relayed_exactly(world):
    app, gateway, tokens, fax, mail = world
    document = docgen.text_pdf(CLEAN)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"

    submitter, approver = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
    job = submitter.get(f"/api/jobs/{job_id}").json()
    assert job["destination"]["e164"] is None and job["destination"]["dial_string"] is None, "blind re-entry"
    assert job["destination"]["entry"]["slot"] == 1
    assert job["findings"] == [] and job["reasons"] == []

    assert confirm_by_api(approver, job_id, "03-5432-1111").status_code == 409, \
        "the submitter confirms first"
    assert confirm_by_api(submitter, job_id, "03-5432-1112").status_code == 422
    confirmed = confirm_by_api(submitter, job_id, "03 5432 1111")
    assert confirmed.status_code == 200 and confirmed.json()["destination"]["dial_string"] == "0-03-5432-1111"
    assert approver.get(f"/api/jobs/{job_id}").json()["destination"]["e164"] is None, "not until they confirm"
    assert confirm_by_api(submitter, job_id, "0354321111").status_code == 409
    answer = confirm_by_api(approver, job_id, "+81 3-5432-1111")
    assert answer.status_code == 200 and answer.json()["state"] in ("approved", "sending", "sent")

    assert wait_state(app, job_id, {"sent"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=+81354321111@faxserver.example.jp"]
    assert hashlib.sha256(relayed.attachment()).hexdigest() == hashlib.sha256(document).hexdigest()
    assert relayed.message["Message-ID"] == f"<{job_id}@{DOMAIN}>"
    notices = [m.message["Subject"] for m in mail.wait_for(2)]
    assert any("確認をお願いします" in s for s in notices) and any("送信しました" in s for s in notices)
    final = submitter.get(f"/api/jobs/{job_id}").json()
    assert {(c["user"], c["role"], c["valid"]) for c in final["confirmations"]} == {
        ("sato", "submitter", True), ("suzuki", "approver", True)
    }


def test_a_blocked_job_is_explained_to_the_submitter(world):
    """Refused at RCPT is what can never be sent (tests/e2e/test_intake.py); an entry awaiting review
    may become usable, so it is screened, blocked, and the submitter is told why."""
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-2@{DOMAIN}")))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}) == "blocked"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert [r["code"] for r in job["reasons"]] == ["needs_review"]
    assert "要確認（登録内容の確認が済んでいない）" in job["reasons"][0]["message_ja"]
    [notice] = mail.wait_for(1)
    assert "止めました" in notice.message["Subject"] and "要確認（登録内容の確認が済んでいない）" in notice.message.get_body().get_content()
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354322222").status_code == 409


@pytest.mark.parametrize(
    "to,code",
    [
        (f"sd-2@{DOMAIN}", "needs_review"),
        (f"sd-3@{DOMAIN}", "stale"),
    ],
)
def test_directory_status_blocks_with_its_own_reason(world, to, code):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=to)))
    wait_state(app, job_id, {"blocked"})
    with db_session(app) as session:
        assert [r["code"] for r in session.get(Job, job_id).reasons] == [code]


def test_internal_destination_uses_the_extension(world):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-4@{DOMAIN}")))
    wait_state(app, job_id, {"awaiting_confirmation"})
    submitter = api(gateway, tokens["sato"])
    assert submitter.get(f"/api/jobs/{job_id}").json()["destination"]["dial_string"] is None, "blind re-entry"
    confirmed = confirm_by_api(submitter, job_id, "1234")  # an in-house destination: its extension
    assert confirmed.status_code == 200 and confirmed.json()["destination"]["dial_string"] == "1234"
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "1234").status_code == 200
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=1234@faxserver.example.jp"], "the extension, not the public number"


def test_personal_data_on_the_page_blocks(world):
    app, gateway, tokens, fax, mail = world
    pages = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, "生年月日 昭和60年4月1日", 11), (20, 55, "既往歴: 喘息", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages))))
    wait_state(app, job_id, {"blocked"})
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert job["reasons"][0]["code"] == "personal_data"
    assert {f["category"] for f in job["findings"]} == {"birth_date", "health"}
    assert all("昭和60年4月1日" != f["text"] for f in job["findings"]), "values are shown with the middle hidden"


def test_self_approval_and_other_departments_are_refused(world):
    app, gateway, tokens, fax, mail = world
    # An approver submits: they confirm as submitter, but cannot also approve.
    message = fax_message(docgen.text_pdf(CLEAN), sender="tanaka@city.example.jp")
    job_id = queued_id(submit(gateway.smtp_port, message))
    wait_state(app, job_id, {"awaiting_confirmation"})
    own = api(gateway, tokens["tanaka"])
    assert confirm_by_api(own, job_id, "0354321111").status_code == 200
    assert confirm_by_api(own, job_id, "0354321111").status_code == 409
    other_department = api(gateway, tokens["kato"])
    assert confirm_by_api(other_department, job_id, "0354321111").status_code == 403
    assert other_department.get(f"/api/jobs/{job_id}").status_code == 403
    staff = api(gateway, tokens["sato"])
    assert confirm_by_api(staff, job_id, "0354321111").status_code == 403
    assert api(gateway, "fgt_not-a-token").get(f"/api/jobs/{job_id}").status_code == 401
    rejected = api(gateway, tokens["suzuki"]).post(f"/api/jobs/{job_id}/reject", json={"reason": "宛先違い"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    time.sleep(1)
    assert fax.received == []


@pytest.mark.parametrize("world", [FAST_RETRY], indirect=True)
def test_fax_server_down_then_back_retries_and_sends_once(world):
    app, gateway, tokens, fax, mail = world
    fax.stop()
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
    wait_state(app, job_id, {"awaiting_confirmation"})
    confirm_by_api(api(gateway, tokens["sato"]), job_id, "0354321111")
    confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111")
    deadline = time.monotonic() + 20
    while True:
        with db_session(app) as session:
            job = session.get(Job, job_id)
            if job.attempts >= 1:
                assert job.state in ("approved", "sending")
                break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fax.start()
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    assert len(fax.wait_for(1)) == 1


@pytest.mark.parametrize("world", [FAST_RETRY], indirect=True)
def test_fax_server_refusing_gives_up_and_tells_the_submitter(world):
    app, gateway, tokens, fax, mail = world
    fax.handler.refuse = "451 4.3.0 busy"
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
    wait_state(app, job_id, {"awaiting_confirmation"})
    confirm_by_api(api(gateway, tokens["sato"]), job_id, "0354321111")
    confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111")
    assert wait_state(app, job_id, {"failed"}) == "failed"
    with db_session(app) as session:
        assert session.get(Job, job_id).attempts == 3
    assert any("送信できませんでした" in m.message["Subject"] for m in mail.wait_for(2))


def raw_smtp(port: int, payload: bytes, wait: float = 1.5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.recv(1024)
        sock.sendall(payload)
        time.sleep(wait)
        sock.settimeout(2)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received


def test_smtp_smuggling_yields_at_most_one_job(world):
    app, gateway, tokens, fax, mail = world
    body = fax_message(docgen.text_pdf(CLEAN)).as_bytes().replace(b"\n", b"\r\n")
    smuggled = (
        b"EHLO mfd\r\nMAIL FROM:<sato@city.example.jp>\r\nRCPT TO:<FAX=+81354321111@" + DOMAIN.encode() + b">\r\nDATA\r\n"
        + body + b"\r\n\n.\r\nMAIL FROM:<sato@city.example.jp>\r\nRCPT TO:<FAX=+81354321111@" + DOMAIN.encode()
        + b">\r\nDATA\r\n" + body + b"\r\n.\r\nQUIT\r\n"
    )
    raw_smtp(gateway.smtp_port, smuggled)
    with db_session(app) as session:
        assert session.query(Job).count() <= 1


def test_control_characters_in_the_address_are_refused(world):
    app, gateway, tokens, fax, mail = world
    answer = raw_smtp(
        gateway.smtp_port,
        b"EHLO mfd\r\nMAIL FROM:<sato@city.example.jp>\r\nRCPT TO:<FAX=+8135432\x0b1111@" + DOMAIN.encode() + b">\r\nQUIT\r\n",
    )
    assert b"\r\n501" in answer or b"\r\n550" in answer or b"\r\n553" in answer
    with db_session(app) as session:
        assert session.query(Job).count() == 0


def test_sent_job_gets_a_signed_record_that_verifies(world, tmp_path):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
    wait_state(app, job_id, {"awaiting_confirmation"})
    submitter = api(gateway, tokens["sato"])
    assert submitter.get(f"/api/jobs/{job_id}/record.pdf").status_code == 404
    confirm_by_api(submitter, job_id, "0354321111")
    confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111")
    wait_state(app, job_id, {"sent"})
    deadline = time.monotonic() + 30
    while (answer := submitter.get(f"/api/jobs/{job_id}/record.pdf")).status_code == 404:
        assert time.monotonic() < deadline, "no record within 30 s"
        time.sleep(0.1)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    record = tmp_path / "record.pdf"
    record.write_bytes(answer.content)
    verified = _faxgate_records_verify(app, record, tmp_path)
    assert verified.returncode == 0, verified.stderr
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(answer.content)
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert _faxgate_records_verify(app, tampered, tmp_path).returncode == 1
    assert api(gateway, tokens["kato"]).get(f"/api/jobs/{job_id}/record.pdf").status_code == 403


def _faxgate_records_verify(app, path, tmp_path):
    config = tmp_path / "verify.toml"
    config.write_text(f'[records]\ntrust_root = "{app.config.records.trust_root}"\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "records", "verify", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_cover_sheet_naming_another_number_blocks(world):
    app, gateway, tokens, fax, mail = world
    cover = [[(20, 20, "FAX送信票", 20), (20, 40, "宛先: 子ども家庭支援係 御中", 12), (20, 55, "FAX: 03-5432-1112", 14),
              (20, 75, "発信元: 保健福祉課 FAX: 03-6000-9999", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(cover))))
    wait_state(app, job_id, {"blocked"})
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert [r["code"] for r in job["reasons"]] == ["cover_number_mismatch"]
    # The number on the sheet is on the page anyway; the number dialled stays hidden (blind re-entry).
    assert "03-5432-1112" in job["reasons"][0]["message_ja"] and "03-5432-1111" not in job["reasons"][0]["message_ja"]


def test_a_faxed_cover_sheet_naming_another_number_blocks(world):
    """A G4 fax TIFF from an MFD (no text layer): the cover sheet is read by the screening's OCR."""
    app, gateway, tokens, fax, mail = world
    cover = [(20, 20, "FAX送信票", 20), (20, 40, "宛先: 子ども家庭支援係 御中", 12), (20, 55, "FAX: 03-5432-1112", 14),
             (20, 75, "発信元: 保健福祉課", 11), (20, 85, "会議資料を送付いたします。", 10.5)]
    tiff = docgen.fax_tiff([docgen.render_text_image(cover)])
    message = fax_message(tiff, filename="scan.tif", maintype="image", subtype="tiff")
    job_id = queued_id(submit(gateway.smtp_port, message))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}, timeout=60) == "blocked"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert [r["code"] for r in job["reasons"]] == ["cover_number_mismatch"]
    assert "03-5432-1112" in job["reasons"][0]["message_ja"]
    assert fax.received == []


def test_a_stale_entry_with_personal_data_reports_both_reasons_and_a_wrong_addressee_blocks(world):
    app, gateway, tokens, fax, mail = world
    pages = [[(20, 20, "株式会社あおぞら 御中", 12), (20, 40, "生年月日 昭和60年4月1日", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages), to=f"sd-3@{DOMAIN}")))
    wait_state(app, job_id, {"blocked"})
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert [r["code"] for r in job["reasons"]] == ["stale", "personal_data", "addressee_mismatch"]
    assert "株式会社あおぞら" in job["reasons"][2]["message_ja"] and "旧事務所" in job["reasons"][2]["message_ja"]


def test_sensitive_data_with_no_identifiable_person_needs_one_more_approver(world):
    app, gateway, tokens, fax, mail = world
    pages = [[(20, 20, "連絡票", 14), (20, 40, "氏名: ＊＊＊＊", 11), (20, 55, "既往歴: 喘息", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages))))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter = api(gateway, tokens["sato"])
    job = submitter.get(f"/api/jobs/{job_id}").json()
    assert job["extra_approvers"] == 1
    assert {(f["category"], f["masked"]) for f in job["findings"]} == {("name", True), ("health", False)}
    assert confirm_by_api(submitter, job_id, "0354321111").status_code == 200
    first = confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111")
    assert first.status_code == 200 and first.json()["state"] == "awaiting_confirmation", "one approver is not enough"
    second = confirm_by_api(api(gateway, tokens["ito"]), job_id, "0354321111")
    assert second.status_code == 200 and second.json()["state"] in ("approved", "sending", "sent")
    assert wait_state(app, job_id, {"sent"}) == "sent"


def test_blocked_job_can_be_replaced_by_its_auto_masked_version(world):
    app, gateway, tokens, fax, mail = world
    pages = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, "生年月日 昭和60年4月1日", 11), (20, 55, "会議資料を送付します。", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages))))
    wait_state(app, job_id, {"blocked"})
    assert api(gateway, tokens["suzuki"]).post(f"/api/jobs/{job_id}/masked").status_code == 403, "only the submitter"
    answer = api(gateway, tokens["sato"]).post(f"/api/jobs/{job_id}/masked")
    assert answer.status_code == 200, answer.text
    masked_id = answer.json()["masked_job"]
    assert wait_state(app, masked_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    masked = api(gateway, tokens["sato"]).get(f"/api/jobs/{masked_id}").json()
    assert not [f for f in masked["findings"] if not f["masked"]], "nothing readable is left"
    assert api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()["state"] == "rejected"
    assert api(gateway, tokens["sato"]).post(f"/api/jobs/{job_id}/masked").status_code == 409


def test_health_readiness_and_metrics(world):
    app, gateway, tokens, fax, mail = world
    plain = httpx.Client(base_url=f"http://127.0.0.1:{gateway.http_port}", timeout=10)
    assert plain.get("/healthz").json() == {"status": "ok"}
    assert plain.get("/readyz").json() == {"status": "ready"}
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN))))
    wait_state(app, job_id, {"awaiting_confirmation"})
    metrics = plain.get("/metrics").text
    assert 'faxgate_jobs{state="awaiting_confirmation"} 1' in metrics
    assert "faxgate_confirmation_wait_seconds" in metrics
    with app.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = plain.get("/readyz")
    assert answer.status_code == 503 and answer.json() == {"status": "schema out of date"}
    with app.engine.begin() as connection:
        connection.execute(text(f"UPDATE alembic_version SET version_num = '{db.head_revision()}'"))
