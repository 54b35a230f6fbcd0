"""The policy file: validated with clear errors; shadow mode records what a rule would do."""

from __future__ import annotations

import dataclasses
import re
import datetime as dt
from types import SimpleNamespace

import pytest

from directory.profile import PbxProfile
from gateway.core.addressing import DestinationRequest
from gateway.core.policy_file import PolicyError, load_policy
from gateway.core.screening import EntryView, Subject, Tools, run_chain


def write(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_policy_is_the_371_default():
    policy = load_policy()
    assert (policy.broadcast, policy.stale_days, policy.approvers, policy.shadow) == (False, 180, 1, frozenset())
    assert policy.version.startswith("371-default-1+")


def test_overrides_and_version_follow_the_content(tmp_path):
    first = load_policy(write(tmp_path, 'version = "city-2"\n[confirmation]\napprovers = 2\n'))
    assert first.approvers == 2 and first.stale_days == 180 and first.version.startswith("city-2+")
    second = load_policy(write(tmp_path, 'version = "city-2"\n[confirmation]\napprovers = 3\n'))
    assert second.version != first.version, "a changed file is a new policy version (voids confirmations)"


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[intake]\nbroadcast = 1\n", "wrong type"),
        ("[screening]\nshadow = ['no_such_rule']\n", "unknown rules"),
        ("[confirmation]\napprovers = 0\n", "at least 1"),
        ("[relay]\nbackoff_seconds = []\n", "backoff_seconds"),
        ("[limits]\n", "unknown section"),
        ("[screening]\nstale = 3\n", "unknown key"),
        ("[screening\n", "not valid TOML"),
        ("[coversheet]\nprepend = 'sometimes'\n", "prepend must be one of always, never, when_missing"),
    ],
)
def test_bad_policy_files(tmp_path, text, fragment):
    with pytest.raises(PolicyError) as error:
        load_policy(write(tmp_path, text))
    assert fragment in str(error.value) and "policy.toml" in str(error.value)


def _tools(policy, entry):
    document = SimpleNamespace(pages=[SimpleNamespace(text="会議資料を送付します。", image=None)])
    clean = SimpleNamespace(verdict="pass", findings=[], hold=None, readings=())
    return Tools(PbxProfile(), policy, lambda slot: entry, lambda number: [entry], lambda data: document,
                 lambda loaded: clean, lambda *args, **kwargs: SimpleNamespace(status="not_cover"))


def test_shadow_mode_records_the_hit_and_lets_the_job_continue(tmp_path):
    stale = EntryView(1, 1, "古い登録", "", "external", "active", "+81354321111", None,
                      dt.date(2020, 1, 1), None, 1)
    request = DestinationRequest("e164", "FAX=+81354321111", e164="+81354321111")
    enforced = run_chain(Subject(request, b"%PDF", dt.date(2026, 11, 23)), _tools(load_policy(), stale))
    assert enforced.state == "blocked" and enforced.reasons[0]["code"] == "stale"
    shadow = load_policy(write(tmp_path, '[screening]\nshadow = ["entry_not_stale"]\n'))
    trial = run_chain(Subject(request, b"%PDF", dt.date(2026, 11, 23)), _tools(shadow, stale))
    assert trial.state == "awaiting_confirmation" and trial.reasons == []
    [record] = [r for r in trial.records if r.rule == "entry_not_stale"]
    assert (record.outcome, record.code) == ("shadow", "stale")


def test_a_rule_that_raises_holds_the_job():
    entry = EntryView(1, 1, "係", "", "external", "active", "+81354321111", None, dt.date.today(), None, 1)
    tools = _tools(load_policy(), entry)

    def exploding(data):
        raise MemoryError("parser blew up")

    tools = dataclasses.replace(tools, load_document=exploding)
    outcome = run_chain(Subject(DestinationRequest("e164", "x", e164="+81354321111"), b"%PDF", dt.date.today()), tools)
    assert outcome.state == "blocked"
    assert outcome.reasons == [{"rule": "document_readable", "code": "screening_error", "action": "hold",
                                "message_ja": outcome.reasons[0]["message_ja"], "message_en": "screening rule document_readable failed"}]


def test_personal_data_settings_live_in_the_policy(tmp_path):
    policy = load_policy(write(tmp_path, '[personal_data.categories]\nhealth = "block"\n'
                                         '[personal_data.office]\nnumbers = ["03-5432-1111"]\n'))
    assert policy.screening.action("health") == "block"
    with pytest.raises(PolicyError, match=r"\[personal_data\]"):
        load_policy(write(tmp_path, '[personal_data.categories]\nhealth = "shout"\n'))


def test_ordinance_sensitive_categories_are_the_municipalitys(tmp_path):
    shipped = load_policy()
    assert shipped.screening.ordinance_sensitive == {"nationality", "domestic_violence"}  # Setagaya's ordinance
    assert shipped.ordinance_sensitive >= {"nationality", "domestic_violence"}, "their leak is reportable (rule 43 item 5)"
    other = load_policy(write(tmp_path, '[personal_data]\nordinance_sensitive = ["domestic_violence"]\n'))
    assert other.screening.ordinance_sensitive == {"domestic_violence"}
    assert other.ordinance_sensitive == {"domestic_violence"}
    with pytest.raises(PolicyError, match=r"ordinance_sensitive: unknown health"):
        load_policy(write(tmp_path, '[personal_data]\nordinance_sensitive = ["health"]\n'))


def test_every_rule_of_the_chain_can_be_named_in_the_policy(tmp_path):
    from gateway.core.screening import CHAIN

    for rule in CHAIN:
        assert rule.name in load_policy(write(tmp_path, f'[screening]\nshadow = ["{rule.name}"]\n')).shadow


def test_every_code_a_rule_gives_says_in_japanese_what_it_is_and_what_to_do():
    from gateway.core.screening import CHAIN, CODES

    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for code in CODES.values():
        for text in (code.summary_ja, code.advice_ja):
            assert japanese.search(text), (code.code, text)
        assert code.summary_en and code.advice_en and code.advice_ja != code.summary_ja, code.code
    given = [code.code for rule in CHAIN for code in rule.codes]
    assert "not_in_directory" in given and "document_timeout" in CODES and "ocr_low_confidence" in CODES
