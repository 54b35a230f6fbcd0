"""The two-person confirmation rules of gateway.core.confirmation, directly: who confirms when, and
when a job is approved, including jobs whose findings ask for a privacy officer."""

from __future__ import annotations

import datetime as dt

from gateway.core import confirmation
from gateway.core.confirmation import Binding, Given, Needs, Person

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
BINDING = Binding("sha", "+81354321111", 1, "policy-1")
DEPARTMENT = "保健福祉課"
SUBMITTER = Person(1, "staff", DEPARTMENT)
APPROVER = Person(2, "approver", DEPARTMENT)
SECOND_APPROVER = Person(3, "approver", DEPARTMENT)
OFFICER = Person(4, "approver", DEPARTMENT, privacy_officer=True)
OTHER_OFFICER = Person(5, "approver", "区民課", privacy_officer=True)
STAFF_OFFICER = Person(6, "staff", DEPARTMENT, privacy_officer=True)


def given(person: Person, role: str = "approver", binding: Binding = BINDING, at: dt.datetime = T0) -> Given:
    return Given(person.user_id, role, binding, at, person.privacy_officer)


SUBMITTED = [given(SUBMITTER, "submitter")]


def decide(person: Person, prior: list[Given], needs: Needs, number_ok: bool = True,
           pages_seen: bool = True, wrong_numbers: int = 0) -> confirmation.Decision:
    return confirmation.decide(state="awaiting_confirmation", submitter_id=1, job_department=DEPARTMENT, binding=BINDING,
                               given=prior, person=person, number_ok=number_ok, pages_seen=pages_seen, now=T0,
                               ttl_hours=24, needs=needs, wrong_numbers=wrong_numbers)


def approved(prior: list[Given], needs: Needs, now: dt.datetime = T0) -> bool:
    return confirmation.is_approved(prior, BINDING, now, 24, needs)


def test_submitter_then_a_distinct_approver():
    needs = Needs(1)
    assert decide(APPROVER, [], needs).status == 409, "the submitter confirms first"
    assert decide(SUBMITTER, [], needs) == confirmation.Decision(200, "確認しました", "submitter")
    assert decide(SUBMITTER, SUBMITTED, needs).status == 409, "once"
    assert decide(STAFF_OFFICER, SUBMITTED, needs).status == 403, "the approver role, not the officer mark, lets one confirm"
    assert decide(OTHER_OFFICER, SUBMITTED, needs).status == 403, "another department's officer"
    assert decide(APPROVER, SUBMITTED, needs, number_ok=False).status == 422
    assert decide(APPROVER, SUBMITTED, needs).as_role == "approver"
    assert not approved(SUBMITTED, needs) and approved(SUBMITTED + [given(APPROVER)], needs)


def test_a_job_that_needs_a_privacy_officer_is_approved_only_with_one():
    needs = Needs(1, privacy_officer=True)
    refused = decide(APPROVER, SUBMITTED, needs)
    assert refused.status == 409 and "個人情報保護責任者" in refused.message_ja, "not asked for what does not help"
    assert decide(OFFICER, SUBMITTED, needs).status == 200
    assert approved(SUBMITTED + [given(OFFICER)], needs)
    assert not approved(SUBMITTED + [given(APPROVER)], needs), "an ordinary approver's confirmation is not enough"
    assert not approved([given(OFFICER)], needs), "the submitter's own confirmation is still needed"


def test_with_two_approvers_needed_one_place_is_kept_for_the_privacy_officer():
    needs = Needs(2, privacy_officer=True)
    assert decide(APPROVER, SUBMITTED, needs).status == 200
    after_one = SUBMITTED + [given(APPROVER)]
    assert decide(SECOND_APPROVER, after_one, needs).status == 409, "the remaining place is the officer's"
    assert decide(OFFICER, after_one, needs).status == 200
    assert not approved(after_one, needs) and approved(after_one + [given(OFFICER)], needs)
    officer_first = SUBMITTED + [given(OFFICER)]
    assert decide(APPROVER, officer_first, needs).status == 200 and not approved(officer_first, needs)


def test_the_officers_confirmation_is_void_like_any_after_a_change_or_expiry():
    needs = Needs(1, privacy_officer=True)
    stale = SUBMITTED + [given(OFFICER, binding=Binding("old-sha", "+81354321111", 1, "policy-1"))]
    assert not approved(stale, needs)
    assert decide(OFFICER, stale, needs).status == 200, "the officer confirms again"
    assert not approved(SUBMITTED + [given(OFFICER)], needs, now=T0 + dt.timedelta(hours=25))


def test_what_is_outstanding():
    needs = Needs(2, privacy_officer=True)
    assert confirmation.outstanding([], needs) == confirmation.Outstanding(True, 2, True)
    after = confirmation.outstanding(SUBMITTED + [given(OFFICER)], needs)
    assert after == confirmation.Outstanding(False, 1, False) and after.wants_approver(False)
    assert confirmation.outstanding(SUBMITTED + [given(OFFICER), given(APPROVER)], needs).nothing


def test_nobody_confirms_before_looking_at_every_page():
    needs = Needs(1)
    for person, prior in ((SUBMITTER, []), (APPROVER, SUBMITTED)):
        refused = decide(person, prior, needs, pages_seen=False)
        assert (refused.status, refused.code) == (409, confirmation.PAGES_NOT_VIEWED)
        assert decide(person, prior, needs, pages_seen=True).status == 200
    assert decide(SUBMITTER, [], needs, number_ok=False, pages_seen=False).status == 409, \
        "the pages come first: a wrong number tells nothing before they are seen"


def test_five_wrong_numbers_and_that_person_may_not_confirm_the_job():
    limit = confirmation.MAX_WRONG_NUMBERS
    for person, prior in ((SUBMITTER, []), (APPROVER, SUBMITTED)):
        assert decide(person, prior, Needs(1), wrong_numbers=limit - 1).status == 200
        locked = decide(person, prior, Needs(1), wrong_numbers=limit)
        assert (locked.status, locked.code) == (403, confirmation.TOO_MANY_WRONG_NUMBERS)


def test_the_number_is_shown_only_to_who_confirmed_it_or_once_no_one_can():
    def shown(person: Person, state: str, prior: list[Given], binding: Binding = BINDING, hours: float = 0,
              keeps_records: bool = False) -> bool:
        return confirmation.number_shown_to(person.user_id, state, prior, binding, T0 + dt.timedelta(hours=hours), 24,
                                            keeps_records)
    for state in ("received", "screening", "blocked", "awaiting_confirmation", "approved", "sending"):
        assert not shown(SUBMITTER, state, []) and not shown(APPROVER, state, SUBMITTED)
        assert shown(SUBMITTER, state, SUBMITTED), "the submitter typed it"
    for state in ("sent", "failed", "rejected", "expired", "delivery_unknown"):
        assert not shown(APPROVER, state, SUBMITTED), "an ended job does not tell an approver who never typed it"
        assert shown(SUBMITTER, state, SUBMITTED, hours=25), "who typed it sees it in the record of the job"
        assert shown(APPROVER, state, [], keeps_records=True), "admins, auditors and privacy officers keep the records"
    changed = Binding("sha", "+81354329999", 2, "policy-1")
    assert not shown(SUBMITTER, "awaiting_confirmation", SUBMITTED, binding=changed), "a new number is not the one typed"
    assert not shown(SUBMITTER, "awaiting_confirmation", SUBMITTED, hours=25), "an expired confirmation asks again"


def test_every_way_of_writing_the_number_is_hidden_from_texts():
    forms = confirmation.number_forms("+81354321111", "0-03-5432-1111") | confirmation.number_forms(None, "4321")
    for text, left in (("表紙の番号 03-5432-1111 と送信先 0354321112 が違います", "表紙の番号 ＊＊＊ と送信先 0354321112 が違います"),
                       ("FAX=+81354321111@fax.example.jp", "FAX=＊＊＊@fax.example.jp"),
                       ("dial 0-03-5432-1111", "dial ＊＊＊"), ("＋８１ ３ ５４３２ １１１１ へ", "＊＊＊ へ"),
                       ("(03)5432-1111", "(＊＊＊"), ("5432-1111", "＊＊＊"), ("内線4321", "内線＊＊＊")):
        assert confirmation.hide_number(text, forms) == left
    assert "0354321112" in confirmation.hide_number("表紙の番号 0354321112", forms), "another number stays"
    assert confirmation.hide_number("2026-12-02 に 3 ページ", forms) == "2026-12-02 に 3 ページ"


def test_an_extension_is_a_number_that_can_be_re_entered():
    assert confirmation.number_matches("4321", None, "4321") and confirmation.number_matches("43-21", None, "4321")
    assert not confirmation.number_matches("+81354321111", None, "4321") and not confirmation.number_matches("4322", None, "4321")
