"""Administrators manage staff accounts in the web app (over real HTTP against a running
gateway): adding, changing role, department, privacy officer and active, setting a password;
every change audited and CSRF-protected; nobody locks faxgate out of administration; other
roles are refused."""

from __future__ import annotations

import pytest

from gateway.bootstrap import App
from gateway.storage.tables import AuditEvent, User
from tests.support.web_support import browser, page_csrf, sign_in, signed_in
from tests.support.harness import db_session

NEW_PASSWORD = "a new password for kobayashi"


pytestmark = pytest.mark.world(people="web", doors="web")  # the web app alone, for web_support's people


def user(app: App, name: str) -> User:
    with db_session(app) as session:
        return session.query(User).filter_by(name=name).one()


def events(app: App, action: str) -> list[AuditEvent]:
    with db_session(app) as session:
        return list(session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))


def edit(client, user_id: int, **fields):
    """Post the edit form as a browser would: unchecked boxes are simply absent."""
    form = {"csrf_token": page_csrf(client, f"/users/{user_id}")}
    form |= {key: value for key, value in fields.items() if value is not None}
    return client.post(f"/users/{user_id}", data=form)


NEW_USER = {"name": "kobayashi", "email": "Kobayashi@City.Example.JP", "role": "approver", "department": "保健福祉課",
            "privacy_officer": "1", "password": NEW_PASSWORD}


def test_an_admin_adds_a_user_who_can_then_sign_in(world):
    app, port = world.app, world.port
    admin = signed_in(port, "yamada")
    form = admin.get("/users/new")
    assert form.status_code == 200 and "個人情報保護責任者" in form.text
    added = admin.post("/users", data={**NEW_USER, "csrf_token": page_csrf(admin, "/users/new")})
    assert added.status_code == 303 and added.headers["location"] == "/users?notice=added"
    kobayashi = user(app, "kobayashi")
    assert (kobayashi.role, kobayashi.department, kobayashi.privacy_officer, kobayashi.email, kobayashi.source) == \
        ("approver", "保健福祉課", True, "kobayashi@city.example.jp", "local")
    [event] = [e for e in events(app, "user.added") if e.subject == "user:kobayashi"]
    assert event.actor == "user:yamada" and event.data["privacy_officer"] is True
    assert "kobayashi" in admin.get("/users").text
    assert sign_in(browser(port), "kobayashi", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("change, message", [
    ({"name": "sato"}, "すでに使われています"),
    ({"email": "sato@city.example.jp"}, "別の利用者"),
    ({"email": "not-an-address"}, "メールアドレス"),
    ({"name": "two words"}, "空白"),
    ({"role": "superuser"}, "役割を選んで"),
    ({"role": "staff"}, "承認者の役割"),  # a privacy officer must be an approver
    ({"password": "short"}, "12文字以上"),
])
def test_a_new_user_with_a_problem_is_refused_and_nothing_is_saved(world, change, message):
    app, port = world.app, world.port
    admin = signed_in(port, "yamada")
    refused = admin.post("/users", data={**NEW_USER, **change, "csrf_token": page_csrf(admin, "/users/new")})
    assert refused.status_code == 422 and message in refused.text
    with db_session(app) as session:
        assert session.query(User).filter_by(name=change.get("name", "kobayashi"), email="kobayashi@city.example.jp").count() == 0
        assert session.query(User).count() == 8


def test_an_admin_changes_role_department_and_privacy_officer_audited(world):
    app, port = world.app, world.port
    admin = signed_in(port, "yamada")
    sato = user(app, "sato")
    page = admin.get(f"/users/{sato.id}")
    assert page.status_code == 200 and 'name="role"' in page.text
    saved = edit(admin, sato.id, role="approver", department="区民課", privacy_officer="1", active="1")
    assert saved.status_code == 303 and saved.headers["location"] == f"/users/{sato.id}?notice=changed"
    after = user(app, "sato")
    assert (after.role, after.department, after.privacy_officer, after.active) == ("approver", "区民課", True, True)
    [event] = events(app, "user.changed")
    assert event.actor == "user:yamada" and event.subject == "user:sato"
    assert event.data["changes"] == {"role": ["staff", "approver"], "department": ["保健福祉課", "区民課"],
                                     "privacy_officer": [False, True]}
    same = edit(admin, sato.id, role="approver", department="区民課", privacy_officer="1", active="1")
    assert same.headers["location"].endswith("notice=unchanged") and len(events(app, "user.changed")) == 1
    refused = edit(admin, sato.id, role="staff", department="区民課", privacy_officer="1", active="1")
    assert refused.status_code == 422 and "承認者の役割" in refused.text and user(app, "sato").role == "approver"


def test_a_switched_off_user_is_signed_out_at_once_and_cannot_sign_in(world):
    app, port = world.app, world.port
    admin, sato_browser = signed_in(port, "yamada"), signed_in(port, "sato")
    assert sato_browser.get("/jobs").status_code == 200
    sato = user(app, "sato")
    assert edit(admin, sato.id, role="staff", department="保健福祉課").status_code == 303  # no "active": switched off
    assert user(app, "sato").active is False
    assert sato_browser.get("/jobs").status_code == 303, "the open session ended"
    assert sign_in(browser(port), "sato").status_code == 401
    assert events(app, "user.changed")[-1].data["changes"] == {"active": [True, False]}
    assert edit(admin, sato.id, role="staff", department="保健福祉課", active="1").status_code == 303
    assert sign_in(browser(port), "sato").status_code == 303


def test_a_new_password_set_by_an_admin_signs_the_user_out(world):
    app, port = world.app, world.port
    admin, sato_browser = signed_in(port, "yamada"), signed_in(port, "sato")
    sato = user(app, "sato")
    token = page_csrf(admin, f"/users/{sato.id}")
    short = admin.post(f"/users/{sato.id}/password", data={"csrf_token": token, "password": "too short"})
    assert short.status_code == 422 and "12文字以上" in short.text
    done = admin.post(f"/users/{sato.id}/password", data={"csrf_token": token, "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"].endswith("notice=password_reset")
    assert sato_browser.get("/jobs").status_code == 303
    assert sign_in(browser(port), "sato").status_code == 401, "the old password no longer works"
    assert sign_in(browser(port), "sato", NEW_PASSWORD).status_code == 303
    [event] = events(app, "user.password_reset")
    assert (event.actor, event.subject) == ("user:yamada", "user:sato") and NEW_PASSWORD not in str(event.data)


def test_faxgate_users_passwd_sets_a_password_that_signs_in(world, run_cli):
    """At the server's console (the first admin of an install has nobody to ask): asked twice,
    or one line from stdin; the sessions of the old password end."""
    app, port = world.app, world.port
    sato_browser = signed_in(port, "sato")
    short = run_cli("users", "passwd", "sato", "--password-stdin", input="too short\n")
    assert short.exit_code == 1 and "12文字以上" in short.output
    differ = run_cli("users", "passwd", "sato", input=f"{NEW_PASSWORD}\nsomething else entirely\n")
    assert differ.exit_code != 0
    assert sign_in(browser(port), "sato").status_code == 303, "refused attempts change nothing"
    asked = run_cli("users", "passwd", "sato", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert asked.exit_code == 0 and NEW_PASSWORD not in asked.output, asked.output
    assert sato_browser.get("/jobs").status_code == 303, "signed out"
    assert sign_in(browser(port), "sato").status_code == 401
    assert sign_in(browser(port), "sato", NEW_PASSWORD).status_code == 303
    piped = run_cli("users", "passwd", "suzuki", "--password-stdin", input="suzuki's first password\n")
    assert piped.exit_code == 0 and sign_in(browser(port), "suzuki", "suzuki's first password").status_code == 303
    assert [e.subject for e in events(app, "user.password_reset")] == ["user:sato", "user:suzuki"]
    unknown = run_cli("users", "passwd", "nobody", "--password-stdin", input=f"{NEW_PASSWORD}\n")
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_an_admin_cannot_lock_themselves_out(world):
    app, port = world.app, world.port
    admin = signed_in(port, "yamada")
    me = user(app, "yamada")
    off = edit(admin, me.id, role="admin", department="情報政策課")
    assert off.status_code == 422 and "自分" in off.text
    demoted = edit(admin, me.id, role="staff", department="情報政策課", active="1")
    assert demoted.status_code == 422 and "自分" in demoted.text
    assert (user(app, "yamada").role, user(app, "yamada").active) == ("admin", True)
    assert edit(admin, me.id, role="admin", department="総務課", active="1").status_code == 303, "other changes are fine"
    assert events(app, "user.changed")[-1].data["changes"] == {"department": ["情報政策課", "総務課"]}


def test_the_last_active_admin_stays(world):
    app, port = world.app, world.port
    yamada = signed_in(port, "yamada")
    assert edit(yamada, user(app, "kimura").id, role="approver", department="情報政策課", active="1").status_code == 303
    kimura_again = signed_in(port, "kimura")
    assert kimura_again.get("/users").status_code == 403, "kimura is no longer an administrator"
    with db_session(app) as session:  # a second admin, switched off: does not count
        session.add(User(name="old-admin", email="old-admin@city.example.jp", role="admin", active=False))
    last = user(app, "yamada")
    assert edit(yamada, last.id, role="staff", department="情報政策課", active="1").status_code == 422
    with db_session(app) as session:
        assert session.query(User).filter_by(role="admin", active=True).count() == 1


def test_only_admins_manage_users(world):
    app, port = world.app, world.port
    target = user(app, "sato").id
    for name in ("sato", "suzuki", "mori"):
        client = signed_in(port, name)
        token = page_csrf(client)
        for path in ("/users", "/users/new", f"/users/{target}"):
            assert client.get(path).status_code == 403, (name, path)
        assert client.post("/users", data={**NEW_USER, "csrf_token": token}).status_code == 403
        assert client.post(f"/users/{target}", data={"csrf_token": token, "role": "admin", "active": "1"}).status_code == 403
        assert client.post(f"/users/{target}/password", data={"csrf_token": token, "password": NEW_PASSWORD}).status_code == 403
    with db_session(app) as session:
        assert session.query(User).filter_by(name="kobayashi").count() == 0
        assert session.get(User, target).role == "staff"
    assert events(app, "user.changed") == [] and events(app, "user.password_reset") == []


def test_user_forms_need_the_sessions_csrf_token(world):
    app, port = world.app, world.port
    admin, other = signed_in(port, "yamada"), signed_in(port, "kimura")
    target = user(app, "sato").id
    for token in ("", page_csrf(other)):
        assert admin.post("/users", data={**NEW_USER, "csrf_token": token}).status_code == 403
        assert admin.post(f"/users/{target}", data={"csrf_token": token, "role": "admin", "active": "1"}).status_code == 403
        assert admin.post(f"/users/{target}/password", data={"csrf_token": token, "password": NEW_PASSWORD}).status_code == 403
    assert user(app, "sato").role == "staff" and events(app, "user.changed") == []


def test_an_unknown_user_is_404(world):
    port = world.port
    admin = signed_in(port, "yamada")
    assert admin.get("/users/9999").status_code == 404
    assert admin.post("/users/9999", data={"csrf_token": page_csrf(admin), "role": "staff", "active": "1"}).status_code == 404
