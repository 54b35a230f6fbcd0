"""The web app's plain rules, directly: login throttling, session limits, who sees what and
what waits for whom, directory proposals (maker-checker); and the Japanese catalog covers
every message while no template carries text of its own."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from directory import changes
from directory.profile import PbxProfile
from gateway.core.confirmation import Binding, Given, Needs, Person
from gateway.core import access, directory_proposals as proposals, login_throttle as throttle
from gateway.entrypoints.web import i18n, sessions
from gateway.entrypoints.web.core import safe_next
from gateway.services.page_views import all_pages_seen
from gateway.services.previews import PagePreviews, render_pages
from gateway.core.directory_proposals import Draft, EntryFacts

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
WEB = Path(i18n.__file__).parent


# -- login throttling ------------------------------------------------------------------------


def test_a_few_mistakes_are_free_then_the_lock_doubles_up_to_an_hour():
    attempts, locks = throttle.Attempts(), []
    for n in range(1, 16):
        attempts = throttle.after_failure(attempts, T0)
        locks.append(throttle.wait_left(attempts, T0))
    assert locks[: throttle.FREE_FAILURES - 1] == [None] * (throttle.FREE_FAILURES - 1)
    assert locks[throttle.FREE_FAILURES - 1] == throttle.FIRST_LOCK
    assert locks[throttle.FREE_FAILURES] == throttle.FIRST_LOCK * 2
    assert locks[-1] == throttle.LONGEST_LOCK
    assert throttle.wait_left(attempts, T0 + throttle.LONGEST_LOCK) is None


def test_failures_are_forgotten_after_a_quiet_day():
    attempts = throttle.Attempts()
    for _ in range(throttle.FREE_FAILURES - 1):
        attempts = throttle.after_failure(attempts, T0)
    later = throttle.after_failure(attempts, T0 + throttle.FORGET_AFTER + dt.timedelta(seconds=1))
    assert later.failures == 1 and later.locked_until is None


def test_a_huge_failure_count_does_not_overflow():
    attempts = throttle.Attempts(failures=10**6, last_failure_at=T0)
    assert throttle.wait_left(throttle.after_failure(attempts, T0), T0) == throttle.LONGEST_LOCK


# -- sessions and links ----------------------------------------------------------------------


def test_sessions_end_when_idle_or_after_the_absolute_limit():
    assert sessions.alive(T0, T0, T0 + sessions.IDLE_LIMIT)
    assert not sessions.alive(T0, T0, T0 + sessions.IDLE_LIMIT + dt.timedelta(seconds=1))
    busy = T0 + sessions.ABSOLUTE_LIMIT + dt.timedelta(seconds=1)
    assert not sessions.alive(T0, busy, busy), "even a busy session ends"
    assert not sessions.tokens_match("", "") and sessions.tokens_match("abc", "abc") and not sessions.tokens_match("abc", "abd")


@pytest.mark.parametrize("target,safe", [("/jobs/1", "/jobs/1"), ("//evil.example", "/"), ("/\\evil.example", "/"),
                                         ("https://evil.example", "/"), ("", "/"), (None, "/")])
def test_only_local_paths_are_followed_after_login(target, safe):
    assert safe_next(target) == safe


# -- access ----------------------------------------------------------------------------------

SUBMITTER = Person(1, "staff", "保健福祉課")
APPROVER = Person(2, "approver", "保健福祉課")
SECOND_APPROVER = Person(3, "approver", "保健福祉課")
OTHER_DEPARTMENT = Person(4, "approver", "区民課")
BINDING = Binding("sha", "+81354321111", 1, "policy-1")


def waits(person, given, binding=BINDING, now=T0, approvers=1, state="awaiting_confirmation", officer=False):
    return access.awaits(person, state=state, submitter_id=1, department="保健福祉課", given=given, binding=binding,
                         now=now, ttl_hours=24, needs=Needs(approvers, officer))


def test_the_submitter_is_asked_first_then_approvers_of_the_department_until_enough_confirmed():
    assert waits(SUBMITTER, []) and not waits(APPROVER, []) and not waits(OTHER_DEPARTMENT, [])
    submitted = [Given(1, "submitter", BINDING, T0)]
    assert not waits(SUBMITTER, submitted)
    assert waits(APPROVER, submitted) and waits(SECOND_APPROVER, submitted) and not waits(OTHER_DEPARTMENT, submitted)
    approved = submitted + [Given(2, "approver", BINDING, T0)]
    assert not waits(APPROVER, approved) and not waits(SECOND_APPROVER, approved), "nothing asks for what is not needed"
    assert waits(SECOND_APPROVER, approved, approvers=2) and not waits(APPROVER, approved, approvers=2)
    assert not waits(SUBMITTER, [], state="blocked")


OFFICER = Person(5, "approver", "保健福祉課", privacy_officer=True)
OTHER_OFFICER = Person(6, "approver", "区民課", privacy_officer=True)


def test_a_job_that_needs_a_privacy_officer_waits_for_officers_only_when_only_theirs_is_missing():
    submitted = [Given(1, "submitter", BINDING, T0)]
    assert waits(OFFICER, submitted, officer=True) and not waits(OTHER_OFFICER, submitted, officer=True)
    assert not waits(APPROVER, submitted, officer=True), "one approver needed: it must be the officer"
    assert waits(APPROVER, submitted, approvers=2, officer=True), "two needed: anyone first, the officer kept a place"
    one = submitted + [Given(2, "approver", BINDING, T0)]
    assert not waits(SECOND_APPROVER, one, approvers=2, officer=True) and waits(OFFICER, one, approvers=2, officer=True)
    officer_first = submitted + [Given(5, "approver", BINDING, T0, privacy_officer=True)]
    assert waits(APPROVER, officer_first, approvers=2, officer=True) and not waits(OFFICER, officer_first, approvers=2, officer=True)
    assert waits(OFFICER, submitted) and waits(APPROVER, submitted), "without the need, officers are approvers like any"


def test_a_changed_or_expired_confirmation_asks_again():
    submitted = [Given(1, "submitter", BINDING, T0)]
    changed = Binding("other-sha", "+81354321111", 1, "policy-1")
    assert waits(SUBMITTER, submitted, binding=changed) and not waits(APPROVER, submitted, binding=changed)
    assert waits(SUBMITTER, submitted, now=T0 + dt.timedelta(hours=25))


def test_every_page_must_have_been_seen():
    assert all_pages_seen({1, 2, 3}, 3)
    assert not all_pages_seen({1, 3}, 3)
    assert not all_pages_seen(set(), None) and not all_pages_seen(set(), 0)


def test_who_sees_and_rejects_a_job():
    assert access.may_see_job(SUBMITTER, 1, "保健福祉課") and access.may_see_job(APPROVER, 1, "保健福祉課")
    assert not access.may_see_job(OTHER_DEPARTMENT, 1, "保健福祉課")
    assert not access.may_see_job(Person(9, "staff", "保健福祉課"), 1, "保健福祉課")
    assert access.may_see_job(Person(9, "auditor", ""), 1, "保健福祉課")
    assert access.may_reject(APPROVER, "awaiting_confirmation", 1, "保健福祉課")
    assert not access.may_reject(Person(9, "auditor", ""), "awaiting_confirmation", 1, "保健福祉課")
    assert not access.may_reject(SUBMITTER, "sent", 1, "保健福祉課")


# -- directory proposals ---------------------------------------------------------------------

TOKYO = PbxProfile(outside_line="0", area_code="03")
TODAY = dt.date(2026, 11, 23)
ACTIVE = EntryFacts("active", 3, "+81354321111")


def problems(draft, entry=None):
    return proposals.draft_problems(draft, entry, TOKYO, TODAY)


def test_a_clean_add_needs_name_number_verification_and_reason():
    draft = Draft("add", 7, "子ども家庭支援係", "世田谷区", "external", "0-03-5432-7777", "", TODAY, "新設")
    assert problems(draft) == []
    assert problems(draft, ACTIVE) == ["slot_taken"]
    assert set(problems(Draft("add", 7))) == {"name_missing", "dial_missing", "verified_on_missing", "note_missing"}
    assert problems(Draft("add", 0)) == ["slot_invalid"] and problems(Draft("retire", 7)) == ["unknown_action"]


def test_a_number_that_would_misdial_cannot_be_proposed():
    """Report No. 371: a Tokyo number stored without the outside-line code 0."""
    draft = Draft("change_number", 1, dial="03-5432-1112", verified_on=TODAY, note="移転")
    assert problems(draft, ACTIVE) == ["dial_blocked"]
    assert problems(Draft("change_number", 1, dial="0-03-54x", verified_on=TODAY, note="x"), ACTIVE) == ["dial_unreadable"]
    assert problems(Draft("change_number", 1, dial="0-03-5432-1111", verified_on=TODAY, note="x"), ACTIVE) == ["same_number"]
    waiting = EntryFacts("needs_review", 1, "+81354321111")
    assert problems(Draft("change_number", 1, dial="0-03-5432-1111", verified_on=TODAY, note="x"), waiting) == [], \
        "writing an entry's intended number correctly is its fix"


def test_only_a_retired_entry_is_reactivated_and_dates_are_not_in_the_future():
    assert problems(Draft("reactivate", 1, verified_on=TODAY, note="再開"), EntryFacts("retired", 2, "+81354321111")) == []
    assert problems(Draft("reactivate", 1, verified_on=TODAY, note="再開"), ACTIVE) == ["not_retired"]
    assert problems(Draft("reactivate", 1, verified_on=TODAY, note="再開")) == ["no_such_entry"]
    future = Draft("reactivate", 1, verified_on=TODAY + dt.timedelta(days=1), note="再開")
    assert problems(future, EntryFacts("retired", 2, None)) == ["verified_on_future"]
    internal = Draft("add", 8, "国保課", "", "internal", "", "12345", TODAY, "庁内")
    assert problems(internal) == ["extension_invalid"]


def decide(by="user:kimura", approve=True, state="pending", admin=True, reason="", unchanged=True):
    return changes.decide(state=state, requested_by="user:yamada", by=by, by_is_admin=admin, approve=approve,
                          reason=reason, entries_unchanged=unchanged)


def test_maker_checker_decisions_are_the_same_for_every_door():
    assert decide() == changes.Decision(200, "approved")
    assert decide(by="user:yamada") == changes.Decision(403, "self_decision")
    assert decide(by="user:yamada", approve=False, reason="x") == changes.Decision(403, "self_decision"), \
        "the maker does not settle their own change either way"
    assert decide(admin=False).status == 403
    assert decide(state="approved") == changes.Decision(409, "decided")
    assert decide(state="rejected", approve=False, reason="x") == changes.Decision(409, "decided")
    assert decide(unchanged=False) == changes.Decision(409, "entry_changed")
    assert decide(approve=False, reason="番号が違う") == changes.Decision(200, "rejected")
    assert decide(approve=False, reason=" ") == changes.Decision(422, "reason_missing")
    waiting = EntryFacts("active", 3, "+81354321111", pending_change=4)
    assert problems(Draft("change_number", 1, dial="0-03-5432-2222", verified_on=TODAY, note="x"), waiting) == \
        ["entry_pending"], "one change at a time per entry"


# -- the catalog and the templates -----------------------------------------------------------


def _extracted() -> dict[str, str]:
    with open(WEB / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {message: filename for filename, _line, message, _comments, _context in
            extract_from_dir(WEB, method_map, options_map) if isinstance(message, str)}


def test_every_message_has_a_japanese_translation_and_none_is_left_over():
    with i18n.catalog_path("ja").open("rb") as po:
        catalog = read_po(po, locale="ja")
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    used = _extracted()
    missing = {message: where for message, where in used.items() if not translated.get(message)}
    assert missing == {}
    assert set(translated) - set(used) == set(), "obsolete messages in the catalog"
    for message, japanese in translated.items():
        assert set(re.findall(r"%\(\w+\)\w", message)) == set(re.findall(r"%\(\w+\)\w", japanese)), message
    assert i18n.translations("ja").gettext("Sign in") == "ログイン"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


def _letters(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c).startswith("L"))


def test_templates_hold_no_text_of_their_own():
    for template in sorted((WEB / "templates").glob("*.html")):
        source = template.read_text(encoding="utf-8")
        attributes = re.findall(r'\b(?:alt|title|placeholder|aria-label)="([^"]*)"', source)
        assert [a for a in attributes if "{{" not in a and _letters(a)] == [], template.name
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
        text = re.sub(r"<!doctype[^>]*>|<[^>]+>|&\w+;", " ", text, flags=re.S | re.I)
        assert _letters(text) == "", f"{template.name}: {text.split()}"


# -- page previews ---------------------------------------------------------------------------


def _document(pages: int = 2):
    from PIL import Image

    from policies.documents.model import Document, Page

    blank = Image.new("L", (200, 300), 255)
    return Document("pdf", [Page(n, blank, 200, 300, None, None) for n in range(1, pages + 1)])


def test_findings_are_outlined_in_red_on_their_page_only():
    import io

    from PIL import Image

    findings = [{"page": 2, "bbox": [50, 50, 120, 70]}, {"page": 1, "bbox": None}]
    first, second = (Image.open(io.BytesIO(png)).convert("RGB") for png in render_pages(_document(), findings))
    assert first.getcolors() == [(200 * 300, (255, 255, 255))]
    assert (220, 0, 0) in {color for _count, color in second.getcolors()}


def test_each_document_is_rendered_once_for_all_its_pages():
    loads = []

    def load_document(data):
        loads.append(data)
        return _document(3)

    previews = PagePreviews(load_document, capacity=1)
    first = previews.pages(("job-1", "sha"), lambda: b"pdf", [])
    assert previews.pages(("job-1", "sha"), lambda: b"pdf", []) is first and len(first) == 3
    assert len(loads) == 1
    previews.pages(("job-2", "sha"), lambda: b"pdf", [])
    previews.pages(("job-1", "sha"), lambda: b"pdf", [])
    assert len(loads) == 3, "only the most recent documents are kept"
