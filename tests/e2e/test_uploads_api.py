"""`POST /api/jobs` (interfaces.md "Uploads and statistics"): a document uploaded with a staff
token is a job like one sent by mail from an MFD, through the same intake (limits, parser,
destination rules), screening, two confirmations and relay to the real SMTP fax sink; and every
refusal is the SMTP intake's own, in its words."""

from __future__ import annotations

import hashlib
import smtplib

import pytest

from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import DOMAIN, api, confirm_by_api, db_session, fax_message, submit, wait_state
from tests.support.web_support import CLEAN_PAGES

pytestmark = pytest.mark.world(people="staff")


def _upload(client, document: bytes | None, slot: str | None = "1", filename: str = "資料.pdf", **extra):
    files = {"document": (filename, document, "application/pdf")} if document is not None else None
    data = {k: v for k, v in {"slot": slot, **extra}.items() if v is not None}
    return client.post("/api/jobs", files=files, data=data)


def _rcpt_reply(port: int, recipient: str) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("sato@city.example.jp")
        code, text = client.rcpt(recipient)
    return code, text.decode()


def test_an_upload_is_screened_confirmed_and_relayed_like_a_mailed_fax(world):
    app, gateway, tokens, fax, _ = world
    document = docgen.text_pdf(CLEAN_PAGES)
    sato, suzuki = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])

    answer = _upload(sato, document, device="mfd-2f")
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    with db_session(app) as session:
        job = session.get(Job, job_id)
        assert (job.submitter_email, job.department) == ("sato@city.example.jp", "保健福祉課")
        assert (job.destination_kind, job.recipient) == ("speed_dial", f"sd-1@{DOMAIN}")
        assert job.device == "upload:mfd-2f", "the device asked for is recorded where the job keeps its device"
        assert job.content_sha256 == hashlib.sha256(document).hexdigest()

    shown = sato.get(f"/api/jobs/{job_id}").json()
    assert shown["destination"]["e164"] is None, "blind re-entry holds for an uploaded job too"
    assert confirm_by_api(sato, job_id, "03-5432-1111").status_code == 200
    assert fax.received == [], "one confirmation sends nothing"
    assert confirm_by_api(suzuki, job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=+81354321111@faxserver.example.jp"]
    assert hashlib.sha256(relayed.attachment()).hexdigest() == hashlib.sha256(document).hexdigest()


def test_a_slot_the_directory_never_accepts_is_refused_as_rcpt_refuses_it(world):
    app, gateway, tokens, _, _ = world
    sato = api(gateway, tokens["sato"])
    for slot in ("99", "3"):  # no entry at all; an entry RCPT may take (screening decides)
        code, text = _rcpt_reply(gateway.smtp_port, f"sd-{slot}@{DOMAIN}")
        answer = _upload(sato, docgen.text_pdf(CLEAN_PAGES), slot=slot)
        if code == 250:  # only screening can decide this one: the upload is taken as mail is
            assert answer.status_code == 201, answer.text
            continue
        assert code == 550 and answer.status_code == 422, (code, answer.text)
        body = answer.json()
        assert body["smtp"] == "550 5.1.1"
        assert body["detail"] in text and body["english"] in text, "the words the device would show"
    with db_session(app) as session:
        assert session.query(Job).filter(Job.recipient == f"sd-99@{DOMAIN}").count() == 0


def test_refusals_are_the_intakes_own(world):
    app, gateway, tokens, _, _ = world
    sato = api(gateway, tokens["sato"])
    eps = docgen.eps_renamed()
    mailed = submit(gateway.smtp_port, fax_message(eps, filename="scan.tif", maintype="image", subtype="tiff"))
    uploaded = _upload(sato, eps, filename="scan.tif")
    assert uploaded.status_code == 415 and uploaded.json()["smtp"] == "554 5.6.1"
    assert mailed[0] == 554 and uploaded.json()["detail"] in mailed[1] and uploaded.json()["english"] in mailed[1]

    encrypted = _upload(sato, docgen.encrypted_pdf())
    assert encrypted.status_code == 422 and encrypted.json()["smtp"] == "554 5.7.0", encrypted.text
    assert "パスワード付きPDF" in encrypted.json()["detail"]

    limit = app.message_limits.max_message_bytes
    too_big = _upload(sato, b"%PDF-1.4\n" + b"0" * limit)
    assert too_big.status_code == 413 and too_big.json()["smtp"] == "552 5.3.4", too_big.text

    assert _upload(sato, docgen.text_pdf(CLEAN_PAGES), slot=None).json()["code"] == "slot_malformed"
    assert _upload(sato, docgen.text_pdf(CLEAN_PAGES), slot="0354321111; x").status_code == 400
    assert _upload(sato, None).status_code == 400
    assert _upload(sato, b"").status_code == 400
    assert sato.post("/api/jobs", json={"slot": "1"}).status_code == 400, "not a multipart form"
    anonymous = api(gateway, "not-a-token")
    assert _upload(anonymous, docgen.text_pdf(CLEAN_PAGES)).status_code == 401
    with db_session(app) as session:
        assert session.query(Job).count() == 0, "nothing refused was stored"
