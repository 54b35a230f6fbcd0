"""In-house delivery (庁内便, report No. 371 countermeasures 2 and 3), end to end through the real
doors: a fax with personal data to an in-house section that uses faxgate is not blocked and not
faxed. After the same two confirmations it goes to that section's inbox, where a member of the
section sees it, downloads exactly the approved bytes and acknowledges it; the sender sees who
and when; nobody else can open it; every look and download is in the audit trail; a delivery
nobody acknowledges is reminded once. Where the policy does not route it by itself, the
personal-data block offers the inbox instead of masking."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import pytest
from sqlalchemy import select, update

from gateway.entrypoints.worker import Worker
from gateway.services.users import add_user, new_token
from gateway.storage.inbox_tables import InboxDelivery
from gateway.storage.tables import AuditEvent, Job, User
from tests.e2e.test_gateway_e2e import _faxgate_records_verify
from tests.support import docgen
from tests.support.records import text_of
from tests.support.harness import (DOMAIN, api, change_approved, confirm_by_api, db_session, fax_message, queued_id,
                                   submit, wait_state)
from tests.support.web_support import PERSONAL_PAGES, _password_hash, csrf_token, signed_in

pytestmark = pytest.mark.world(people="web", privacy_officers=("tanaka",))
SECTION = "国保課"  # slot 4 of harness.seed's directory: in-house, extension 1234
NO_AUTOMATIC_INBOX = 'version = "offer-only"\n[in_house]\ninbox_for = []\n'


def _section_with_inbox(world) -> str:
    """A member of the section (nakamura), and slot 4's inbox set by one admin, approved by another."""
    with world.app.unit_of_work() as uow:
        nakamura = add_user(uow, "nakamura", "staff", "nakamura@city.example.jp", SECTION, None, "test")
        nakamura.password_hash = _password_hash()
        world.tokens["nakamura"] = new_token(uow, nakamura, "test")
        entry = change_approved(uow, world.app, 4, inbox=SECTION)
        assert entry.inbox == SECTION and entry.pending_change_id is None
    return "nakamura"


def _submit_personal_data(world) -> str:
    return queued_id(submit(world.gateway.smtp_port, fax_message(docgen.text_pdf(PERSONAL_PAGES), to=f"sd-4@{DOMAIN}")))


def _events(app, job_id: str, prefix: str) -> list[tuple[str, str, dict]]:
    with db_session(app) as session:
        rows = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.data)
                               .where(AuditEvent.subject == job_id, AuditEvent.action.like(f"{prefix}%"))
                               .order_by(AuditEvent.id))
        return [(actor, action, data or {}) for actor, action, data in rows]


def test_personal_data_to_an_in_house_section_goes_to_its_inbox_never_by_fax(world, tmp_path):
    app, gateway, tokens, fax, mail = world
    member = _section_with_inbox(world)
    job_id = _submit_personal_data(world)
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation", \
        "not blocked: it will not go by fax"
    sato = api(gateway, tokens["sato"])
    shown = sato.get(f"/api/jobs/{job_id}").json()
    assert shown["route"] == "inbox" and shown["in_house"] is None
    assert any(f["category"] for f in shown["findings"]), "the personal data was found all the same"
    page = signed_in(world.port, "sato").get(f"/jobs/{job_id}").text
    assert 'id="in-house-route"' in page and SECTION in page

    assert confirm_by_api(sato, job_id, "1234").status_code == 200
    approved = confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "1234")
    assert approved.status_code == 200
    approved_sha256 = approved.json()["document"]["sha256"]
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    time.sleep(1.5)
    assert fax.received == [], "nothing went to the fax server"
    with db_session(app) as session:
        delivery = session.get(InboxDelivery, job_id)
        assert delivery.department == SECTION and delivery.acknowledged_at is None
    deadline = time.monotonic() + 20
    while not (any("nakamura@city.example.jp" in r.rcpt_tos and "庁内便が届きました" in r.message["Subject"] for r in mail.received)
               and any(r.rcpt_tos == ["sato@city.example.jp"] and "庁内便で届けました" in r.message["Subject"] for r in mail.received)):
        assert time.monotonic() < deadline, "the section and the sender are told"
        time.sleep(0.2)
    assert not any("送信しました" in r.message["Subject"] for r in mail.received), "nobody is told it was faxed"

    # Nobody outside the section opens it: not another section, not the sender, not an administrator.
    for outsider in ("kato", "sato", "yamada"):
        client = signed_in(world.port, outsider)
        assert client.get(f"/inbox/{job_id}").status_code == 404, outsider
        assert client.get(f"/inbox/{job_id}/document").status_code == 404, outsider
        assert client.get(f"/inbox/{job_id}/pages/1.png").status_code == 404, outsider
        assert job_id not in client.get("/inbox").text, outsider
    for outsider in ("kato", "sato"):
        assert api(gateway, tokens[outsider]).get(f"/api/inbox/{job_id}/document").status_code == 404, outsider
        assert api(gateway, tokens[outsider]).post(f"/api/inbox/{job_id}/acknowledge").status_code == 404, outsider
    assert _events(app, job_id, "inbox.") == [], "a refusal opens nothing"

    receiver = signed_in(world.port, member)
    listing = receiver.get("/inbox").text
    assert job_id in listing and 'id="inbox-count">1<' in listing
    item = receiver.get(f"/inbox/{job_id}")
    assert item.status_code == 200 and approved_sha256 in item.text
    assert receiver.get(f"/inbox/{job_id}/pages/1.png").headers["content-type"] == "image/png"
    download = receiver.get(f"/inbox/{job_id}/document")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(download.content).hexdigest() == approved_sha256, "exactly the approved bytes"
    by_api = api(gateway, tokens[member]).get(f"/api/inbox/{job_id}/document")
    assert hashlib.sha256(by_api.content).hexdigest() == approved_sha256

    assert receiver.post(f"/inbox/{job_id}/acknowledge",
                         data={"csrf_token": csrf_token(item.text)}).status_code == 303
    receipt = sato.get(f"/api/jobs/{job_id}").json()["in_house"]
    assert receipt["department"] == SECTION and receipt["acknowledged_by"] == member and receipt["acknowledged_at"]
    sender_page = signed_in(world.port, "sato").get(f"/jobs/{job_id}").text
    assert 'id="in-house-receipt"' in sender_page and member in sender_page
    assert 'id="inbox-count"' not in receiver.get("/inbox").text, "nothing left to acknowledge"

    trail = _events(app, job_id, "inbox.")
    assert [(actor, action) for actor, action, _ in trail] == [
        (f"user:{member}", "inbox.viewed"), (f"user:{member}", "inbox.page_viewed"), (f"user:{member}", "inbox.downloaded"),
        (f"user:{member}", "inbox.downloaded"), (f"user:{member}", "inbox.acknowledged")]
    assert all(data["sha256"] == approved_sha256 for _, action, data in trail if action == "inbox.downloaded")

    deadline = time.monotonic() + 30
    while (record := sato.get(f"/api/jobs/{job_id}/record.pdf")).status_code == 404:
        assert time.monotonic() < deadline, "no signed record within 30 s"
        time.sleep(0.3)
    assert "庁内便" in text_of(record.content) and SECTION in text_of(record.content)
    (tmp_path / "record.pdf").write_bytes(record.content)
    assert _faxgate_records_verify(app, tmp_path / "record.pdf", tmp_path).returncode == 0
    stats = api(gateway, tokens["tanaka"]).get("/api/stats").json()
    assert (stats["in_house_deliveries"], stats["sent"]) == (1, 0), "delivered in-house, not a fax sent"


def test_a_delivery_nobody_acknowledges_is_reminded_to_the_section_once(world):
    app, gateway, tokens, fax, mail = world
    member = _section_with_inbox(world)
    job_id = _submit_personal_data(world)
    wait_state(app, job_id, {"awaiting_confirmation"})
    assert confirm_by_api(api(gateway, tokens["sato"]), job_id, "1234").status_code == 200
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "1234").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    worker = Worker(app)
    worker.send_reminders()
    with db_session(app) as session:
        assert session.get(InboxDelivery, job_id).reminded_at is None, "not yet due"
        hours = app.policy.in_house.remind_hours
        session.execute(update(InboxDelivery).where(InboxDelivery.job_id == job_id).values(
            delivered_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours + 1)))
    worker.send_reminders()
    worker.send_reminders()
    deadline = time.monotonic() + 20
    while not (reminders := [r for r in mail.received if "受領確認をお願いします" in r.message["Subject"]]):
        assert time.monotonic() < deadline, "no reminder mailed"
        time.sleep(0.2)
    time.sleep(1.5)
    reminders = [r for r in mail.received if "受領確認をお願いします" in r.message["Subject"]]
    assert len(reminders) == 1 and reminders[0].rcpt_tos == [f"{member}@city.example.jp"]
    assert f"/inbox/{job_id}" in reminders[0].message.get_body().get_content()
    assert [action for _, action, _ in _events(app, job_id, "inbox.")] == ["inbox.reminded"]


@pytest.mark.parametrize("world", [NO_AUTOMATIC_INBOX], indirect=True)
def test_the_personal_data_block_offers_the_inbox_instead_of_masking(world):
    app, gateway, tokens, fax, _ = world
    _section_with_inbox(world)
    job_id = _submit_personal_data(world)
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "blocked", "the policy routes nothing itself"
    with db_session(app) as session:
        blocked = session.get(Job, job_id)
        assert blocked.route == "fax" and "庁内便" in blocked.reasons[0]["message_ja"]
    sato = signed_in(world.port, "sato")
    page = sato.get(f"/jobs/{job_id}").text
    assert 'id="send-by-inbox"' in page and 'id="send-masked"' in page, "offered beside masking"
    assert api(gateway, tokens["suzuki"]).post(f"/api/jobs/{job_id}/inbox").status_code == 403, "the submitter's choice"

    switched = sato.post(f"/jobs/{job_id}/inbox", data={"csrf_token": csrf_token(page)})
    assert switched.status_code == 303
    new_id = switched.headers["location"].split("/jobs/", 1)[1].split("?", 1)[0]
    assert wait_state(app, new_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "rejected"
        assert session.get(Job, new_id).route == "inbox"
    assert 'id="inbox-as"' in sato.get(f"/jobs/{job_id}").text
    assert confirm_by_api(api(gateway, tokens["sato"]), new_id, "1234").status_code == 200
    assert confirm_by_api(api(gateway, tokens["suzuki"]), new_id, "1234").status_code == 200
    assert wait_state(app, new_id, {"sent", "failed"}) == "sent"
    time.sleep(1.5)
    assert fax.received == []
    with db_session(app) as session:
        assert session.get(InboxDelivery, new_id).department == SECTION
        assert session.scalar(select(User.department).where(User.name == "nakamura")) == SECTION
