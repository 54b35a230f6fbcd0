"""Signing in through a directory server: a real OpenLDAP slapd (tests/support/ldap_server.py) and the
running gateway over real HTTP. The password is checked by the server, the person's groups
there decide their role, department and privacy officer here, the throttle counts every
refused or unchecked sign-in, a server that is down or hangs refuses sign-ins with a clear
Japanese message while the local break-glass administrator still gets in, and whatever is
typed as the name is escaped before it reaches a filter or a DN."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from gateway.bootstrap import App
from gateway.config import ConfigError, config_from_dict
from gateway.adapters.ldap import LdapDirectory, user_dn, user_filter
from gateway.adapters.ldap_config import GroupRule, LdapConfig, Membership, membership, normalize_dn
from gateway.storage.tables import AuditEvent, User
from gateway.entrypoints.serve import BackgroundGateway
from gateway.core import login_throttle as throttle
from gateway.storage.web_tables import LoginThrottle
from tests.support.harness import db_session, free_port, make_config
from tests.support.ldap_server import (
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    STAFF,
    SUFFIX,
    SlapdServer,
    group_dn,
    slapd_available,
)
from tests.support.web_support import browser, page_csrf, populate, sign_in, signed_in

TAKAHASHI, WATANABE, NAKAMURA, HAYASHI, SHIMIZU, LDAP_YAMADA = STAFF
GROUP_RULES = [
    {"group": group_dn("fax-admins"), "role": "admin", "department": "情報政策課"},
    {"group": group_dn("fax-approvers-hoken"), "role": "approver", "department": "保健福祉課"},
    {"group": group_dn("fax-staff-hoken"), "role": "staff", "department": "保健福祉課"},
    {"group": group_dn("privacy-officers"), "privacy_officer": True},
]


def search_mode(url: str, **more) -> LdapConfig:
    """Active Directory style: a service account finds the person, then the person binds."""
    return LdapConfig(url=url, bind_dn=SERVICE_DN, user_base=PEOPLE, user_filter="(&(objectClass=inetOrgPerson)(uid={name}))",
                      group_base=GROUPS, group_filter="(&(objectClass=groupOfNames)(member={dn}))", groups=GROUP_RULES,
                      timeout_seconds=2, **more)


def bind_mode(url: str, **more) -> LdapConfig:
    """OpenLDAP style: bind with a DN made from the name."""
    return LdapConfig(url=url, user_dn_template=f"uid={{name}},{PEOPLE}", group_base=GROUPS, groups=GROUP_RULES,
                      timeout_seconds=2, **more)


@pytest.fixture
def slapd():
    slapd_available()
    server = SlapdServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def gateway_with(tmp_path, monkeypatch, fax, mail):
    """Starts a gateway (web only) with the given [ldap] section; the people of web_support are
    local accounts (yamada is the break-glass administrator)."""
    monkeypatch.setenv("FAXGATE_LDAP_PASSWORD", SERVICE_PASSWORD)
    running = []

    def start(ldap: LdapConfig):
        app = App(dataclasses.replace(make_config(tmp_path, fax.port, mail.port), ldap=ldap))
        populate(app)
        background = BackgroundGateway(app, smtp=False, worker=False)
        gateway = background.__enter__()
        running.append(background)
        return app, gateway.http_port

    yield start
    for background in running:
        background.__exit__(None, None, None)


def user(app: App, name: str) -> User | None:
    with db_session(app) as session:
        return session.query(User).filter_by(name=name).one_or_none()


def failures(app: App, account: str) -> int:
    with db_session(app) as session:
        row = session.get(LoginThrottle, account)
        return row.failures if row else 0


def actions(app: App, subject: str) -> list[tuple[str, str]]:
    with db_session(app) as session:
        return [(e.actor, e.action) for e in session.query(AuditEvent).filter_by(subject=subject).order_by(AuditEvent.id)]


@pytest.mark.parametrize("mode", [search_mode, bind_mode])
def test_a_good_password_signs_in_and_the_groups_give_role_department_and_privacy_officer(slapd, gateway_with, mode):
    app, port = gateway_with(mode(slapd.url))
    client = browser(port)
    answer = sign_in(client, TAKAHASHI.uid, TAKAHASHI.password)
    assert answer.status_code == 303, answer.text
    assert "takahashi" in client.get("/jobs").text
    takahashi = user(app, "takahashi")
    assert (takahashi.source, takahashi.role, takahashi.department, takahashi.privacy_officer, takahashi.email,
            takahashi.password_hash, takahashi.active) == \
        ("ldap", "approver", "保健福祉課", False, "takahashi@city.example.jp", None, True)
    assert actions(app, "user:takahashi") == [("system:ldap", "user.added"), ("user:takahashi", "user.login")]
    assert sign_in(browser(port), NAKAMURA.uid, NAKAMURA.password).status_code == 303
    assert (user(app, "nakamura").role, user(app, "nakamura").privacy_officer) == ("approver", True)
    assert sign_in(browser(port), WATANABE.uid, WATANABE.password).status_code == 303
    assert (user(app, "watanabe").role, user(app, "watanabe").privacy_officer) == ("staff", False)


def test_a_wrong_password_is_refused_and_counted_by_the_throttle(slapd, gateway_with):
    app, port = gateway_with(search_mode(slapd.url))
    client = browser(port)
    wrong = sign_in(client, TAKAHASHI.uid, "not the password")
    assert wrong.status_code == 401 and "名前またはパスワードが違います" in wrong.text
    assert failures(app, "takahashi") == 1 and user(app, "takahashi") is None
    for _ in range(throttle.FREE_FAILURES - 2):
        assert sign_in(client, TAKAHASHI.uid, "not the password").status_code == 401
    assert sign_in(client, TAKAHASHI.uid, "not the password").status_code == 429
    assert sign_in(client, TAKAHASHI.uid, TAKAHASHI.password).status_code == 429, "locked: the server is not even asked"
    assert user(app, "takahashi") is None
    assert sign_in(client, NAKAMURA.uid, "").status_code == 401, "no password is never an anonymous bind"
    assert failures(app, "nakamura") == 1 and user(app, "nakamura") is None


def test_someone_removed_from_the_groups_loses_access_at_the_next_sign_in(slapd, gateway_with):
    app, port = gateway_with(search_mode(slapd.url))
    first = browser(port)
    assert sign_in(first, TAKAHASHI.uid, TAKAHASHI.password).status_code == 303
    slapd.remove_from_group(TAKAHASHI, "fax-approvers-hoken")
    refused = sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password)
    assert refused.status_code == 403 and "グループに入っていません" in refused.text
    assert user(app, "takahashi").active is False
    assert first.get("/jobs").status_code == 303, "the session opened before is over"
    assert ("system:ldap", "user.changed") in actions(app, "user:takahashi")
    assert failures(app, "takahashi") == 0, "the password was right: not a guess"

    slapd.add_to_group(TAKAHASHI, "fax-approvers-hoken")
    again = sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password)
    assert again.status_code == 403 and "無効" in again.text, "switched off here until an administrator says so"
    admin = signed_in(port, "yamada")  # the local break-glass administrator
    takahashi = user(app, "takahashi")
    page = admin.get(f"/users/{takahashi.id}").text
    assert "ディレクトリサーバー（LDAP）" in page and 'name="password"' not in page
    promoted = admin.post(f"/users/{takahashi.id}", data={"csrf_token": page_csrf(admin, f"/users/{takahashi.id}"),
                                                          "role": "admin", "department": "保健福祉課", "active": "1"})
    assert promoted.status_code == 422 and "グループで決まります" in promoted.text, "the groups decide the role"
    switched_on = admin.post(f"/users/{takahashi.id}", data={"csrf_token": page_csrf(admin, f"/users/{takahashi.id}"),
                                                             "role": "approver", "department": "保健福祉課", "active": "1"})
    assert switched_on.status_code == 303
    reset = admin.post(f"/users/{takahashi.id}/password", data={"csrf_token": page_csrf(admin), "password": "x" * 20})
    assert reset.status_code == 422 and user(app, "takahashi").password_hash is None
    assert sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password).status_code == 303


def test_a_move_to_another_group_changes_the_role_at_the_next_sign_in(slapd, gateway_with):
    app, port = gateway_with(bind_mode(slapd.url))
    assert sign_in(browser(port), WATANABE.uid, WATANABE.password).status_code == 303
    slapd.add_to_group(WATANABE, "fax-approvers-hoken")
    slapd.add_to_group(WATANABE, "privacy-officers")
    assert sign_in(browser(port), WATANABE.uid, WATANABE.password).status_code == 303
    watanabe = user(app, "watanabe")
    assert (watanabe.role, watanabe.privacy_officer) == ("approver", True)
    with db_session(app) as session:
        [changed] = session.query(AuditEvent).filter_by(subject="user:watanabe", action="user.changed").all()
        assert changed.data["changes"] == {"role": ["staff", "approver"], "privacy_officer": [False, True]}


def test_people_outside_the_groups_or_without_mail_do_not_get_in(slapd, gateway_with):
    app, port = gateway_with(search_mode(slapd.url))
    outsider = sign_in(browser(port), HAYASHI.uid, HAYASHI.password)
    assert outsider.status_code == 403 and user(app, "hayashi") is None
    no_mail = sign_in(browser(port), SHIMIZU.uid, SHIMIZU.password)
    assert no_mail.status_code == 409 and "メールアドレス" in no_mail.text and user(app, "shimizu") is None


def test_a_local_account_is_never_taken_over_and_signs_in_locally(slapd, gateway_with):
    """yamada is a local administrator; the directory has a yamada too."""
    app, port = gateway_with(search_mode(slapd.url))
    taken = sign_in(browser(port), LDAP_YAMADA.uid, LDAP_YAMADA.password)
    assert taken.status_code == 401, "a local account's name checks the local password only"
    assert sign_in(browser(port), "yamada").status_code == 303
    yamada = user(app, "yamada")
    assert (yamada.source, yamada.role, yamada.email) == ("local", "admin", "yamada@city.example.jp")


def test_a_server_that_is_down_refuses_sign_ins_clearly_and_they_count(slapd, gateway_with):
    app, port = gateway_with(search_mode(slapd.url))
    slapd.stop()
    down = sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password)
    assert down.status_code == 503 and "ディレクトリサーバー（LDAP）に接続できない" in down.text
    assert failures(app, "takahashi") == 1 and user(app, "takahashi") is None
    with db_session(app) as session:
        [event] = session.query(AuditEvent).filter_by(action="user.login_failed").all()
        assert event.data["problem"] == "directory_unavailable"
    assert sign_in(browser(port), "yamada").status_code == 303, "the break-glass administrator still gets in"


def test_a_server_that_hangs_is_given_up_within_the_timeout(gateway_with):
    """A server that accepts the connection and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app, port = gateway_with(bind_mode(f"ldap://127.0.0.1:{silent.getsockname()[1]}"))
        started = time.monotonic()
        hung = sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password)
        assert hung.status_code == 503 and time.monotonic() - started < 10
    assert failures(app, "takahashi") == 1


def test_a_refused_service_account_is_the_server_being_unavailable(slapd, gateway_with, monkeypatch):
    app, port = gateway_with(search_mode(slapd.url))
    monkeypatch.setenv("FAXGATE_LDAP_PASSWORD", "wrong service password")
    assert sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password).status_code == 503


@pytest.mark.parametrize("typed", ["*", "*)(uid=*", "takahashi)(|(uid=*", "takahashi,ou=people", "*)(objectClass=*"])
@pytest.mark.parametrize("mode", [search_mode, bind_mode])
def test_ldap_injection_in_the_name_finds_nobody(slapd, gateway_with, mode, typed):
    app, port = gateway_with(mode(slapd.url))
    answer = sign_in(browser(port), typed, TAKAHASHI.password)
    assert answer.status_code == 401
    with db_session(app) as session:
        assert session.query(User).filter_by(source="ldap").count() == 0
    assert failures(app, typed.lower()) == 1


def test_names_are_escaped_for_filters_and_dns():
    config = bind_mode("ldap://127.0.0.1:1")
    assert user_filter(search_mode("ldap://127.0.0.1:1"), "*)(uid=*") == \
        r"(&(objectClass=inetOrgPerson)(uid=\2a\29\28uid=\2a))"
    assert user_dn(config, "takahashi,ou=people") == rf"uid=takahashi\,ou\=people,{PEOPLE}"
    assert LdapDirectory(config).authenticate("takahashi", "") is None, "refused before any connection"


def test_start_tls_checks_the_servers_certificate(slapd, gateway_with):
    app, port = gateway_with(bind_mode(slapd.url, start_tls=True, ca_file=slapd.ca_file))
    assert sign_in(browser(port), TAKAHASHI.uid, TAKAHASHI.password).status_code == 303
    untrusted = LdapDirectory(bind_mode(slapd.url, start_tls=True))  # the system's CAs do not know this server
    with pytest.raises(Exception) as refused:
        untrusted.authenticate(TAKAHASHI.uid, TAKAHASHI.password)
    assert type(refused.value).__name__ == "DirectoryUnavailable"


def test_group_rules_in_order():
    rules = tuple(GroupRule(normalize_dn(g["group"]), g.get("role", ""), g.get("department", ""),
                            g.get("privacy_officer", False)) for g in GROUP_RULES)
    approvers, staff, officers = (normalize_dn(group_dn(cn)) for cn in ("fax-approvers-hoken", "fax-staff-hoken",
                                                                        "privacy-officers"))
    assert membership([staff, approvers], rules) == Membership("approver", "保健福祉課", False), "the first role listed"
    assert membership([officers, approvers], rules) == Membership("approver", "保健福祉課", True)
    assert membership([officers, staff], rules) == Membership("staff", "保健福祉課", False), "officers confirm as approvers"
    assert membership([officers], rules) is None and membership([], rules) is None
    assert normalize_dn(f"CN=Fax-Approvers-Hoken, OU=Groups,{SUFFIX.upper()}") == approvers


@pytest.mark.parametrize("section, wrong", [
    ({"url": "http://ad"}, "ldap://"),
    ({"user_dn_template": ""}, "bind_dn and user_base"),
    ({"user_dn_template": "uid=x,dc=jp"}, "{name}"),
    ({"groups": []}, "nobody would get a role"),
    ({"groups": [{"group": "not a dn"}]}, "group must be"),
    ({"groups": [{"group": group_dn("a"), "role": "boss"}]}, "role must be one of"),
    ({"groups": [{"group": group_dn("a"), "department": "x"}]}, "give a role"),
    ({"groups": [{"group": group_dn("a"), "role": "staff", "colour": "red"}]}, "colour"),
    ({"url": "ldaps://ad", "start_tls": True}, "start_tls"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
])
def test_a_bad_ldap_section_names_what_is_wrong(section, wrong):
    base = {"url": "ldap://ad.city.example.jp", "user_dn_template": f"uid={{name}},{PEOPLE}", "group_base": GROUPS,
            "groups": GROUP_RULES}
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"ldap": {**base, **section}}, "test.toml")
    assert "[ldap]" in str(caught.value) and wrong in str(caught.value)
    assert config_from_dict({"ldap": base}, "test.toml").ldap.enabled
