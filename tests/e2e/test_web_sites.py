"""Sites managed in the web app (issue 15): an admin adds a site and proposes a change to how its
numbers are read; the proposer cannot approve it (no button, 403 if posted anyway); another
admin approves, and only then does the site read the new way. Staff get no sites page."""

from __future__ import annotations

import pytest

from directory.dialplan import read_dial_string
from gateway.services.sites import profile_of
from gateway.storage.tables import AuditEvent
from tests.support.harness import db_session
from tests.support.web_support import page_csrf, signed_in

pytestmark = pytest.mark.world(people="web", doors="web")

TAMA = {"outside_line": "9", "area_code": "042", "extension_length": "4", "local_dialing": "yes",
        "dids": "+8142722=", "tie_prefix": "8", "site_code": "21"}


def reads(app, dial: str):
    """How the sites service reads `dial` for a job of site tama (what intake, writer and worker use)."""
    with app.unit_of_work(read_only=True) as uow:
        return read_dial_string(dial, profile_of(uow, "tama", app.profile))


def site_events(app) -> list[tuple[str, str]]:
    with db_session(app) as session:
        return [(e.actor, e.action) for e in session.query(AuditEvent).order_by(AuditEvent.id)
                if e.subject == "site:tama"]


def test_admins_add_and_change_a_site_with_a_second_admin_s_approval(world):
    app = world.app
    a, b = signed_in(world.port, "yamada"), signed_in(world.port, "kimura")

    empty = a.get("/sites")
    assert empty.status_code == 200 and "拠点は登録されていません" in empty.text
    assert 'href="/sites"' in empty.text, "in the admin's menu"
    added = a.post("/sites", data={"name": "tama", **TAMA, "csrf_token": page_csrf(a, "/sites")})
    assert added.status_code == 303 and added.headers["location"] == "/sites?notice=added"
    listed = a.get("/sites?notice=added").text
    assert "拠点を登録しました。" in listed and 'id="site-tama"' in listed and 'id="site-main"' in listed
    assert "+8142722" in listed and "042" in listed
    assert not reads(app, "9-042-722-1234").blocked

    change = dict(TAMA, outside_line="0")
    proposed = a.post("/sites/tama/change", data={**change, "csrf_token": page_csrf(a, "/sites")})
    assert proposed.status_code == 303, proposed.text
    assert not reads(app, "9-042-722-1234").blocked, "read as before until another admin approves"
    mine = a.get("/sites").text
    assert "別の管理者の承認を待っている変更" in mine and "user:yamada" in mine and "9 → 0" in mine
    assert 'action="/sites/tama/approve"' not in mine, "no approve button for the proposer"
    assert a.post("/sites/tama/approve", data={"csrf_token": page_csrf(a, "/sites")}).status_code == 403
    assert not reads(app, "9-042-722-1234").blocked, "the proposer's own approval changed nothing"

    theirs = b.get("/sites").text
    assert 'action="/sites/tama/approve"' in theirs and "user:yamada" in theirs
    approved = b.post("/sites/tama/approve", data={"csrf_token": page_csrf(b, "/sites")})
    assert approved.status_code == 303 and approved.headers["location"] == "/sites?notice=approved"
    assert reads(app, "9-042-722-1234").blocked, "9 is no outside line at tama any more"
    assert reads(app, "0-042-722-1234").reaches == "+81427221234"
    assert b.post("/sites/tama/approve", data={"csrf_token": page_csrf(b, "/sites")}).status_code == 409

    again = b.post("/sites/tama/change", data={**change, "area_code": "03", "csrf_token": page_csrf(b, "/sites")})
    assert again.status_code == 303
    assert a.post("/sites/tama/reject", data={"note": "", "csrf_token": page_csrf(a, "/sites")}).status_code == 422
    assert a.post("/sites/tama/reject", data={"note": "違う拠点", "csrf_token": page_csrf(a, "/sites")}).status_code == 303
    assert reads(app, "0-042-722-1234").reaches == "+81427221234", "a refused change reads as before"

    assert site_events(app) == [
        ("user:yamada", "site.added"), ("user:yamada", "site.change_requested"),
        ("user:kimura", "site.change_approved"), ("user:kimura", "site.change_requested"),
        ("user:yamada", "site.change_rejected"),
    ]


def test_a_bad_site_is_refused_with_the_reason_and_nothing_stored(world):
    a = signed_in(world.port, "yamada")
    bad = a.post("/sites", data={"name": "tama", **TAMA, "tie_prefix": "8x", "csrf_token": page_csrf(a, "/sites")})
    assert bad.status_code == 422 and "拠点は保存されませんでした。" in bad.text and "tie_prefix" in bad.text
    assert 'value="tama"' in bad.text, "the form keeps what was typed"
    with world.app.unit_of_work(read_only=True) as uow:
        assert not uow.sites.any()


def test_staff_get_no_sites_page_and_cannot_post_to_it(world):
    staff = signed_in(world.port, "sato")
    assert staff.get("/sites").status_code == 403
    assert 'href="/sites"' not in staff.get("/jobs").text
    token = page_csrf(staff, "/jobs")
    assert staff.post("/sites", data={"name": "tama", **TAMA, "csrf_token": token}).status_code == 403
    with world.app.unit_of_work(read_only=True) as uow:
        assert not uow.sites.any()
