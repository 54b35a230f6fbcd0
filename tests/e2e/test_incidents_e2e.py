"""End to end: a sent fax with personal data goes astray. Staff report it (API and CLI), or the
fax server's delivery report names another receiver (a DSN mailed to the gateway, HylaFAX's
transfer log on a real HylaFAX server): an incident opens from the job and its signed record,
people are told, the entry is stopped, and the drafts hold what the rules require."""

from __future__ import annotations

import datetime as dt
import smtplib
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from gateway.core.office_time import OFFICE_TIME
from gateway.storage.directory_tables import DirectoryEntry
from gateway.incidents import actions as incident_actions
from gateway.incidents.drafts import REPORT_ITEMS
from gateway.storage.tables import Incident, Job, Record
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, SmtpSink, api, confirm_by_api, fax_message, queued_id, submit, wait_state
from tests.support.paths import FIXTURES
from tests.support.world import running_world

REPORTS = FIXTURES / "delivery_reports"
PRIVACY_OFFICE = "privacy@city.example.jp"
# Sections that send between themselves may allow what they must send; the findings stay recorded.
ALLOWING = """version = "incident-test"
[personal_data.categories]
name = "allow"
birth_date = "allow"
address = "allow"
health = "allow"
"""
APPLICATION = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, "氏名: 世田谷 花子", 11),
                (20, 55, "生年月日 昭和60年4月1日", 11), (20, 70, "既往歴: 喘息", 11)]]

# The privacy office is told of every possible wrong send; "admin" works the incidents.
WORLD = dict(policy=ALLOWING, privacy_office=PRIVACY_OFFICE, admins=("admin",))
pytestmark = pytest.mark.world(**WORLD)


def send_confirmed(app, gateway, tokens, document: bytes) -> str:
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    assert confirm_by_api(api(gateway, tokens["sato"]), job_id, "0354321111").status_code == 200
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent"}) == "sent"
    return job_id


def wait_record(app, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        with db_session(app) as session:
            record = session.scalars(select(Record).where(Record.job_id == job_id, Record.state == "sent")).first()
            if record is not None:
                return record.sha256
        assert time.monotonic() < deadline, "no signed record within 30 s"
        time.sleep(0.1)


def mails_with(mail: SmtpSink, words: str, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.received if words in (m.message["Subject"] or "")]
        if found:
            return found
        assert time.monotonic() < deadline, f"no mail with {words!r}"
        time.sleep(0.05)


def test_a_reported_wrong_send_becomes_an_incident_with_facts_deadlines_and_drafts(world):
    app, gateway, tokens, fax, mail = world
    job_id = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    record_sha = wait_record(app, job_id)
    submitter, admin = api(gateway, tokens["sato"]), api(gateway, tokens["admin"])

    assert api(gateway, tokens["kato"]).post(f"/api/jobs/{job_id}/incident", json={"reached": "x"}).status_code == 403, \
        "another department may not see the job, nor report on it"
    answer = submitter.post(f"/api/jobs/{job_id}/incident",
                            json={"reached": "株式会社B（03-5432-1112）", "detail": "B社から電話で連絡があった"})
    assert answer.status_code == 201, answer.text
    incident = answer.json()
    assert incident["job_id"] == job_id and incident["state"] == "open" and incident["source"] == "staff_report"
    assert incident["record_sha256"] == record_sha, "the facts come from the signed record"
    assert set(incident["categories"]) == {"name", "birth_date", "health"} and incident["sensitive"] == ["health"]
    assert incident["persons"] == incident["persons_estimate"] == 1
    assert incident["reportable"] and [i["item"] for i in incident["rule43"] if i["applies"]] == [1]
    learned = dt.datetime.fromisoformat(incident["learned_at"]).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    assert incident["deadlines"]["final"] == (learned + dt.timedelta(days=30)).isoformat()
    assert incident["deadlines"]["preliminary"] == (learned + dt.timedelta(days=3)).isoformat()
    assert incident["recurrence"]["entry_suspended"] and incident["recurrence"]["entry_slot"] == 1
    assert incident["recurrence"]["directory_audit"]["findings"] >= 1, "the seeded directory has stale and unreviewed entries"

    again = submitter.post(f"/api/jobs/{job_id}/incident", json={"reached": "株式会社B"})
    assert again.status_code == 200 and again.json()["id"] == incident["id"], "one incident per job"

    [alert] = mails_with(mail, "誤送信の報告")
    assert set(alert.rcpt_tos) == {"sato@city.example.jp", "suzuki@city.example.jp", PRIVACY_OFFICE}

    # The entry is stopped: the next fax to it is blocked until the number is verified again.
    next_job = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf([[(20, 20, "会議資料", 12)]]))))
    assert wait_state(app, next_job, {"blocked", "awaiting_confirmation"}) == "blocked"

    # The office's judgement moves the deadlines and the items.
    assert submitter.patch(f"/api/incidents/{incident['id']}", json={"malicious": True}).status_code == 403
    changed = admin.patch(f"/api/incidents/{incident['id']}", json={"malicious": True, "persons": 150,
                                                                     "preliminary_due": learned.isoformat()})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [i["item"] for i in body["rule43"] if i["applies"]] == [1, 3, 4]
    assert body["deadlines"]["final"] == (learned + dt.timedelta(days=60)).isoformat()
    assert body["deadlines"]["preliminary"] == learned.isoformat()
    assert admin.patch(f"/api/incidents/{incident['id']}", json={"narrative": {"nonsense": "x"}}).status_code == 422

    report = admin.get(f"/api/incidents/{incident['id']}/drafts/preliminary")
    assert report.status_code == 200
    for _, heading in REPORT_ITEMS:
        assert heading in report.text
    for fact in (job_id, "株式会社B（03-5432-1112）", "150人", "病歴・健康（要配慮）", record_sha, "子ども家庭支援係"):
        assert fact in report.text, fact
    notice = admin.get(f"/api/incidents/{incident['id']}/drafts/notice")
    assert "個人情報の漏えい等に関するお知らせ" in notice.text and "公表の実施状況" not in notice.text
    timeline = admin.get(f"/api/incidents/{incident['id']}/drafts/timeline").text
    assert timeline.index("job.received") < timeline.index("incident.opened")
    assert submitter.get(f"/api/incidents/{incident['id']}").status_code == 403


def test_a_job_that_never_reached_the_fax_server_cannot_be_reported(world):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(APPLICATION))))
    wait_state(app, job_id, {"awaiting_confirmation"})
    answer = api(gateway, tokens["sato"]).post(f"/api/jobs/{job_id}/incident", json={"reached": "?"})
    assert answer.status_code == 409 and "ファクスサーバーに渡っていない" in answer.json()["detail"]
    with db_session(app) as session:
        assert session.scalars(select(Incident)).first() is None


def _dsn(job_id: str, csi: str) -> bytes:
    template = (REPORTS / "dsn-template.eml").read_text(encoding="utf-8").replace("Remote ID: {text_csi}\n", "")
    return template.format(action="delivered", status="2.0.0", csi_field=f"X-Fax-Remote-CSI: {csi}", job_id=job_id).encode()


def _mail_report(port: int, content: bytes) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("faxserver.example.jp")
        client.mail("<>")
        assert client.rcpt(f"faxgate@{DOMAIN}")[0] == 250
        return client.data(content)


def test_a_delivery_report_naming_another_receiver_opens_a_draft_incident_and_alerts(world):
    app, gateway, tokens, fax, mail = world
    with db_session(app) as session:
        session.scalars(select(DirectoryEntry).where(DirectoryEntry.slot == 1)).one().expected_csi = "+81 3 5432 1111"
    good = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    code, text = _mail_report(gateway.smtp_port, _dsn(good, "+81-3-5432-1111"))
    assert code == 250 and b"0 alert" in text
    wrong = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    code, text = _mail_report(gateway.smtp_port, _dsn(wrong, "+81 3 5432 1112"))
    assert code == 250 and b"1 alert" in text

    with db_session(app) as session:
        [incident] = session.scalars(select(Incident)).all()
        assert (incident.job_id, incident.state, incident.source) == (wrong, "draft", "receiver_id")
        assert (incident.csi_reported, incident.csi_expected) == ("+81 3 5432 1112", "+81 3 5432 1111")
        assert session.scalars(select(DirectoryEntry).where(DirectoryEntry.slot == 1)).one().status == "needs_review"
    [alert] = mails_with(mail, "誤送信のおそれ")
    assert PRIVACY_OFFICE in alert.rcpt_tos and "sato@city.example.jp" in alert.rcpt_tos
    assert "登録の「+81 3 5432 1111」と違います" in alert.message.get_content()

    code, _ = _mail_report(gateway.smtp_port, b"Subject: hello\r\n\r\nnot a report\r\n")
    assert code == 554, "what is not a report is refused, not taken as a fax job"


def test_the_cli_reports_a_wrong_send_and_reads_report_files(world, tmp_path):
    app, gateway, tokens, fax, mail = world
    job_id = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    config = tmp_path / "faxgate.toml"
    # The gateway's database and the key that opens what is sealed in it (encryption at rest).
    config.write_text(f'[database]\nurl = "{app.config.database.url}"\n[keys]\nkek_file = "{app.kek_file}"\n',
                      encoding="utf-8")

    def faxgate(*args):
        return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=120)

    reported = faxgate("incidents", "report", job_id, "--reached", "区内の事業者", "--by", "sato")
    assert reported.returncode == 0, reported.stderr
    listed = faxgate("incidents", "list")
    assert job_id in listed.stdout and "対応中" in listed.stdout
    with db_session(app) as session:
        incident_id = session.scalars(select(Incident.id)).one()
    edited = faxgate("incidents", "set", str(incident_id), "--item", "secondary_damage=送信先で廃棄済み", "--filed-preliminary",
                     "2026-11-24", "--by", "admin")
    assert edited.returncode == 0, edited.stderr
    draft = faxgate("incidents", "draft", str(incident_id), "final")
    assert "送信先で廃棄済み" in draft.stdout and "確報" in draft.stdout
    assert faxgate("incidents", "set", str(incident_id), "--close", "").returncode != 0, "closing needs a reason"
    unknown = faxgate("incidents", "report", "20990101-000000000000", "--reached", "x")
    assert unknown.returncode != 0 and "ありません" in unknown.stderr
    unmatched = faxgate("incidents", "ingest", str(REPORTS / "q17"), str(REPORTS / "xferfaxlog"))
    assert unmatched.returncode == 0 and "該当ジョブなし 3 件" in unmatched.stdout
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    assert faxgate("incidents", "ingest", str(bad)).returncode == 1


def test_hylafax_transfer_log_naming_another_receiver_opens_an_incident(tmp_path, peers, hylafax_queue):
    fax, mail = peers
    log = tmp_path / "xferfaxlog"
    log.write_text("")
    relay = dict(url=f"hylafax://{hylafax_queue.host}:{hylafax_queue.port}", hylafax_xferfaxlog=str(log))
    with running_world(tmp_path, fax, mail, **WORLD, relay=relay) as (app, gateway, tokens, _, _):
        job_id = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
        with db_session(app) as session:
            receipt = session.get(Job, job_id).relay_receipt
        assert receipt in hylafax_queue.job_ids(), "the real HylaFAX queue holds the job under the receipt"
        # What faxq writes when the call completes (xferfaxlog(5)); no modem here, so the line is
        # the fixture's, renumbered to the real job. A partly written line waits for its end.
        line = (REPORTS / "xferfaxlog").read_text().splitlines()[0].split("\t")
        line[4] = receipt
        record = "\t".join(line) + "\n"
        with log.open("a") as file:
            file.write(record[:40])
            file.flush()
            time.sleep(1.5)
            file.write(record[40:])
        [alert] = mails_with(mail, "誤送信のおそれ")
        assert "+81 3 5432 1112" in alert.message.get_content()
        with db_session(app) as session:
            [incident] = session.scalars(select(Incident)).all()
            assert incident.job_id == job_id and incident.csi_reported == "+81 3 5432 1112"
        with log.open("a") as file:
            file.write(record)  # the same line again (a re-read after rotation would look like this)
        time.sleep(1.5)
        with db_session(app) as session:
            assert len(session.scalars(select(Incident)).all()) == 1, "still one incident for the job"


def test_reminders_reach_the_privacy_office_once_a_day_until_filed(world):
    app, gateway, tokens, fax, mail = world
    job_id = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    learned = dt.datetime(2026, 11, 2, 10, 0, tzinfo=OFFICE_TIME)
    incident_id, _ = incident_actions.report_wrong_send(app, job_id, actor="sato", reached="株式会社B", learned_at=learned)
    assert incident_actions.send_reminders(app, dt.date(2026, 11, 2)) == 0, "the preliminary report is 3 days away"
    assert incident_actions.send_reminders(app, dt.date(2026, 11, 3)) == 1
    assert incident_actions.send_reminders(app, dt.date(2026, 11, 3)) == 0, "once a day"
    [reminder] = mails_with(mail, "報告期限のお知らせ")
    assert reminder.rcpt_tos == [PRIVACY_OFFICE] and "速報: 令和8年11月5日" in reminder.message.get_content()
    with db_session(app) as session:
        session.get(Incident, incident_id).preliminary_filed_on = dt.date(2026, 11, 4)
    assert incident_actions.send_reminders(app, dt.date(2026, 11, 20)) == 0, "the final report is not yet near"
    assert incident_actions.send_reminders(app, dt.date(2026, 11, 30)) == 1
    deadline = time.monotonic() + 20  # mailed by the worker from the notice queue, after the first
    while not (late := [m for m in mails_with(mail, "報告期限のお知らせ") if "確報" in m.message.get_content()]):
        assert time.monotonic() < deadline, "no reminder of the final report"
        time.sleep(0.05)
    assert "確報: 令和8年12月2日" in late[0].message.get_content()


def test_a_failed_call_reported_after_sent_tells_the_submitter(world):
    app, gateway, tokens, fax, mail = world
    job_id = send_confirmed(app, gateway, tokens, docgen.text_pdf(APPLICATION))
    content = (REPORTS / "dsn-template.eml").read_text(encoding="utf-8").replace("Remote ID: {text_csi}\n", "")
    code, _ = _mail_report(gateway.smtp_port, content.format(action="failed", status="5.0.0", csi_field="",
                                                              job_id=job_id).encode())
    assert code == 250
    [notice] = mails_with(mail, "相手に届きませんでした")
    assert notice.rcpt_tos == ["sato@city.example.jp"]
    with db_session(app) as session:
        assert session.scalars(select(Incident)).first() is None, "a failed call reached nobody"
