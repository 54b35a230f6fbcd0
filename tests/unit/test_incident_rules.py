"""The domain of wrong sends: receiver IDs, the fax server's reports in their real formats,
rule 43 reportability and deadlines, and the Japanese drafts (rules 44 and 45)."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.incidents.delivery_reports import ReportError, parse_doneq, parse_dsn, parse_report, parse_xferfaxlog
from gateway.incidents.drafts import NOTICE_ITEMS, REPORT_ITEMS, TO_FILL, IncidentFacts, notice_draft, report_draft, wareki
from gateway.incidents.receiver_id import check_receiver, csi_number
from gateway.incidents.reportability import Exposure, assess, reminders_due
from tests.support.paths import FIXTURES

REPORTS = FIXTURES / "delivery_reports"
JOB = "20261123-0123456789ab"


def dsn(action="delivered", status="2.0.0", csi_field="", text_csi=None, job_id=JOB) -> bytes:
    """text_csi None: the text part does not mention a remote ID at all."""
    template = (REPORTS / "dsn-template.eml").read_text(encoding="utf-8")
    if text_csi is None:
        template = template.replace("Remote ID: {text_csi}\n", "")
    return template.format(action=action, status=status, csi_field=csi_field, text_csi=text_csi, job_id=job_id).encode()


# -- receiver IDs


@pytest.mark.parametrize("csi, e164", [
    ("+81 3 5432 1111", "+81354321111"),
    ("0354321111", "+81354321111"),
    ("03-5432-1111", "+81354321111"),
    ("81 3 5432 1111", "+81354321111"),  # many machines leave out the '+'
    ("+８１ ３ ５４３２ １１１１", "+81354321111"),
    ("SETAGAYA HOKEN", None),
    ("1234", None),
])
def test_a_csi_is_read_as_a_number_only_when_it_is_one(csi, e164):
    assert csi_number(csi) == e164


@pytest.mark.parametrize("reported, expected, verdict", [
    ("+81 3 5432 1111", None, "match"),  # the dialled number itself
    ("03 5432 1111", None, "match"),
    ("+81 3 5432 1112", None, "unexpected"),  # another machine answered: No. 371
    ("ACME CORP", None, "unchecked"),  # a name, and nothing to compare it with
    ("", None, "unchecked"),
    ("SETAGAYA KODOMO", "setagaya  kodomo", "match"),
    ("SETAGAYA KODOMO", "+81 3 5432 1111", "mismatch"),
    ("+81-3-5432-1111", "0354321111", "match"),
    ("+81 3 5432 9999", "0354321111", "mismatch"),
    ("", "0354321111", "absent"),
])
def test_receiver_id_verdicts(reported, expected, verdict):
    check = check_receiver(reported, expected, "+81354321111")
    assert check.verdict == verdict
    assert check.alert == (verdict in ("mismatch", "unexpected", "absent"))
    assert check.explanation_ja and check.explanation_en


# -- the fax server's reports


def test_xferfaxlog_send_records_name_the_job_and_the_remote_csi():
    reports = parse_xferfaxlog((REPORTS / "xferfaxlog").read_text())
    assert [(r.receipt, r.outcome, r.csi, r.number, r.pages) for r in reports] == [
        ("17", "delivered", "+81 3 5432 1112", "0354321111", 2),
        ("18", "failed", "", "0354321111", 0),
    ], "the RECV record is not a report of a sent fax"
    assert reports[0].at == dt.datetime(2026, 11, 23, 14, 2)
    assert reports[1].reason == "No answer from remote"


def test_a_truncated_send_record_is_an_error_not_a_guess():
    line = (REPORTS / "xferfaxlog").read_text().splitlines()[0]
    with pytest.raises(ReportError, match="14 or more fields"):
        parse_xferfaxlog("\t".join(line.split("\t")[:9]))


def test_done_queue_files_give_the_final_state():
    done = parse_doneq((REPORTS / "q17").read_text(), "q17")
    assert (done.receipt, done.outcome, done.number, done.pages, done.csi) == ("17", "delivered", "0354321111", 2, None)
    failed = parse_report((REPORTS / "q18").read_bytes(), "q18")[0]
    assert (failed.outcome, failed.reason) == ("failed", "No answer from remote (too many attempts to dial)")
    with pytest.raises(ReportError):
        parse_doneq("owner:faxgate\n", "notes.txt")


def test_dsn_carries_the_job_and_the_remote_id_in_a_field_or_in_its_text():
    [field] = parse_dsn(dsn(csi_field="X-Fax-Remote-CSI: +81 3 5432 1112"))
    assert (field.job_id, field.outcome, field.csi) == (JOB, "delivered", "+81 3 5432 1112")
    [text] = parse_dsn(dsn(text_csi="0354321111"))
    assert text.csi == "0354321111"
    [none] = parse_dsn(dsn())
    assert none.csi is None, "a report that does not say is not read as an empty ID"
    [empty] = parse_dsn(dsn(text_csi=""))
    assert empty.csi == "", "the server said the remote announced no ID"
    [failed] = parse_dsn(dsn(action="failed", status="5.0.0"))
    assert failed.outcome == "failed"


def test_things_that_are_not_reports_are_refused():
    with pytest.raises(ReportError):
        parse_report(b"Subject: hello\n\nnot a report\n")
    with pytest.raises(ReportError):
        parse_dsn(b"Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n\n--x--\n")


# -- rule 43 and the deadlines of rule 44

LEARNED = dt.date(2024, 8, 5)  # report No. 371: learned on the day, final report 29 days later


def assessed(categories=(), sensitive=(), persons=1, malicious=False, financial_risk=None, ordinance=(), **more):
    exposure = Exposure(frozenset(categories), frozenset(sensitive), persons)
    return assess(exposure, persons=persons, malicious=malicious, financial_risk=financial_risk,
                  ordinance_categories=frozenset(ordinance), learned_on=LEARNED, preliminary_due=more.pop("due", None),
                  preliminary_days=3, **more)


def test_each_item_of_rule_43():
    assert assessed(["name", "health"], ["health"]).applicable == [1]
    assert assessed(["name", "bank_account"]).applicable == [2]
    assert assessed(["name"], financial_risk=True).applicable == [2], "the office may judge a risk the categories miss"
    assert assessed(["name", "bank_account"], financial_risk=False).applicable == []
    assert assessed(["name"], malicious=True).applicable == [3]
    assert assessed(["name"], persons=100).applicable == []
    assert assessed(["name"], persons=101).applicable == [4]
    assert assessed(["name", "addressee_number"], ordinance=["addressee_number"]).applicable == [5]
    nothing = assessed(["name"])
    assert not nothing.reportable and nothing.applicable == []


def test_deadlines_count_from_the_day_the_office_learned():
    plain = assessed(["health"], ["health"])
    assert plain.preliminary_due == dt.date(2024, 8, 8) and plain.final_due == dt.date(2024, 9, 4)
    assert assessed(["name"], malicious=True).final_due == dt.date(2024, 10, 4), "60 days for item 3"
    assert assessed(["health"], ["health"], due=dt.date(2024, 8, 9)).preliminary_due == dt.date(2024, 8, 9)
    late = assessed(["health"], ["health"], today=dt.date(2024, 9, 5))
    assert late.overdue == ("preliminary", "final")
    filed = assessed(["health"], ["health"], today=dt.date(2024, 9, 5), preliminary_done=True, final_done=True)
    assert filed.overdue == ()


def test_reminders_come_only_for_reports_due_and_not_filed():
    plain = assessed(["health"], ["health"])
    assert reminders_due(plain, dt.date(2024, 8, 5), preliminary_done=False, final_done=False) == []
    assert reminders_due(plain, dt.date(2024, 8, 6), preliminary_done=False, final_done=False) == \
        [("preliminary", dt.date(2024, 8, 8))]
    assert reminders_due(plain, dt.date(2024, 9, 3), preliminary_done=True, final_done=False) == \
        [("final", dt.date(2024, 9, 4))]
    assert reminders_due(assessed(["name"]), dt.date(2024, 9, 3), preliminary_done=False, final_done=False) == []


def test_the_persons_estimate_counts_distinct_people_on_unmasked_findings():
    findings = [
        {"category": "name", "text": "佐＊＊郎", "masked": False, "sensitive": False},
        {"category": "name", "text": "鈴＊＊子", "masked": False, "sensitive": False},
        {"category": "name", "text": "佐＊＊郎", "masked": False, "sensitive": False},
        {"category": "name", "text": "＊＊＊＊", "masked": True, "sensitive": False},
        {"category": "health", "text": "喘＊", "masked": False, "sensitive": True},
        {"category": "my_number", "text": "＊＊＊＊", "masked": True, "sensitive": False},
    ]
    exposure = Exposure.from_findings(findings)
    assert exposure.persons_estimate == 2
    assert exposure.categories == {"name", "health"}, "masked values were not disclosed"
    assert exposure.sensitive == {"health"}
    assert Exposure.from_findings([{"category": "health", "text": "x", "masked": False, "sensitive": True}]).persons_estimate == 1
    assert Exposure.from_findings([]).persons_estimate == 0


# -- drafts


def facts(**changes) -> IncidentFacts:
    base = dict(
        incident_id=7, job_id=JOB, office="保健福祉課", sent_at=dt.datetime(2024, 8, 5, 7, 30, tzinfo=dt.timezone.utc),
        learned_at=dt.datetime(2024, 8, 5, 7, 33, tzinfo=dt.timezone.utc), source="staff_report",
        destination_name="子ども家庭支援係", destination_organization="世田谷区", destination_number="03-5432-1111",
        dial_string="0-03-5432-1111", entry_slot=1, reached="株式会社B", pages=2, categories=("birth_date", "health", "name"),
        sensitive=("health",), persons=1, persons_estimate=1, confirmed_by=("sato", "suzuki"), record_sha256="ab" * 32,
        csi_reported=None, csi_expected=None,
        recurrence={"entry_suspended": True, "directory_audit": {"findings": 3}}, narrative={},
    )
    return IncidentFacts(**(base | changes))


def test_the_report_draft_holds_the_nine_items_of_rule_44_with_the_facts():
    subject = facts()
    text = report_draft(subject, assessed(subject.categories, subject.sensitive), "preliminary", dt.date(2024, 8, 6))
    positions = [text.index(heading) for _, heading in REPORT_ITEMS]
    assert positions == sorted(positions), "the items in the rule's order"
    for expected in ("速報", "令和6年8月5日 16時30分", "株式会社B", "保健福祉課", "03-5432-1111", "氏名", "生年月日",
                     "うち要配慮個人情報: 病歴・健康（要配慮）", "1人", "0-03-5432-1111", "sato、suzuki",
                     "登録番号1", "指摘 3 件", "ab" * 32, "第1号", "報告期限: 令和6年8月8日", "第1号: 該当"):
        assert expected in text, expected
    final = report_draft(subject, assessed(subject.categories, subject.sensitive), "final", dt.date(2024, 8, 30))
    assert "確報" in final and "第44条第2項" in final and "報告期限: 令和6年9月4日" in final


def test_what_the_officer_wrote_replaces_the_generated_text():
    subject = facts(narrative={"secondary_damage": "送信先が直ちにシュレッダーで廃棄し、二次被害のおそれはない。"})
    text = report_draft(subject, assessed(subject.categories, subject.sensitive), "final", dt.date(2024, 9, 3))
    assert "送信先が直ちにシュレッダーで廃棄" in text
    assert text.count(TO_FILL) == 4, "cause, response, publication and recurrence still ask to be filled"


def test_the_notice_to_the_person_holds_the_items_rule_45_requires_and_no_others():
    subject = facts()
    text = notice_draft(subject, assessed(subject.categories, subject.sensitive), dt.date(2024, 8, 6))
    headings = dict(REPORT_ITEMS)
    for key in NOTICE_ITEMS:
        assert headings[key] in text
    for key in set(headings) - set(NOTICE_ITEMS):
        assert headings[key] not in text, key
    assert "第68条第2項" in text and "おわび" in text


def test_wareki_dates():
    assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(dt.datetime(2026, 11, 23, 15, 5, tzinfo=dt.timezone.utc), True) == "令和8年11月24日 0時05分"
