"""Where a screened job goes (gateway.core.in_house.route) and the policy's `[in_house]` as the
policy file reads it: per finding (personal data that would block, a category, everything) and
per destination (a section named in inbox_always)."""

from __future__ import annotations

import pytest

from gateway.core.in_house import FAX, INBOX, InHouse, route
from gateway.core.policy_file import PolicyError, load_policy

DEFAULT = InHouse()


@pytest.mark.parametrize("inbox, asked, policy, verdict, categories, expected", [
    (None, INBOX, InHouse(frozenset({"all"})), "block", ["health"], FAX),  # no inbox: the fax (and its block)
    ("国保課", FAX, DEFAULT, "block", ["birth_date"], INBOX),  # personal data that would block
    ("国保課", FAX, DEFAULT, "pass", ["birth_date"], FAX),  # masked or allowed: faxed as usual
    ("国保課", FAX, DEFAULT, "hold", [], FAX),
    ("国保課", INBOX, InHouse(frozenset()), "pass", [], INBOX),  # the submitter asked for it
    ("国保課", FAX, InHouse(frozenset()), "block", ["birth_date"], FAX),  # the policy routes nothing: blocked
    ("国保課", FAX, InHouse(frozenset({"health"})), "pass", ["health"], INBOX),  # that category, masked or not
    ("国保課", FAX, InHouse(frozenset({"health"})), "block", ["birth_date"], FAX),
    ("国保課", FAX, InHouse(frozenset({"all"})), "pass", [], INBOX),
    ("国保課", FAX, InHouse(frozenset(), frozenset({"国保課"})), "pass", [], INBOX),  # per destination
    ("区民課", FAX, InHouse(frozenset(), frozenset({"国保課"})), "pass", [], FAX),
])
def test_route(inbox, asked, policy, verdict, categories, expected):
    assert route(inbox, asked, policy, verdict, categories) == expected


def test_the_shipped_policy_sends_personal_data_to_an_inbox(tmp_path):
    assert load_policy().in_house == InHouse(frozenset({"personal_data"}), frozenset(), 24.0)
    path = tmp_path / "policy.toml"
    path.write_text('[in_house]\ninbox_for = ["health", "all"]\ninbox_always = ["国保課"]\ninbox_remind_hours = 4\n',
                    encoding="utf-8")
    assert load_policy(path).in_house == InHouse(frozenset({"health", "all"}), frozenset({"国保課"}), 4.0)


@pytest.mark.parametrize("table, message", [
    ('inbox_for = ["halth"]', "unknown categories: halth"),
    ("inbox_remind_hours = 0", "more than 0"),
    ("inbox_always = [1]", "lists of strings"),
    ('inbox_for = "all"', "wrong type"),
])
def test_a_wrong_in_house_table_names_the_file_and_the_key(tmp_path, table, message):
    path = tmp_path / "policy.toml"
    path.write_text(f"[in_house]\n{table}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=message) as refused:
        load_policy(path)
    assert str(path) in str(refused.value)
