"""Job life cycle, the audit chain, crash recovery and concurrent claims (reliability rows 1, 6,
9, 10, 12), on the real database with the real worker and a real SMTP fax server."""

from __future__ import annotations

import dataclasses
import json
import datetime as dt
import subprocess
import sys

import pytest
from sqlalchemy import text

from gateway.storage.repositories.audit import AuditRepository
from gateway.services import jobs
from gateway.bootstrap import App
from gateway.core.states import TRANSITIONS, TransitionRefused, check_transition
from gateway.storage.tables import AuditEvent, Job
from gateway.entrypoints.worker import Worker
from tests.support.harness import db_session, DOMAIN, add_extension_only_entry, change_approved, confirm_after_viewing, make_config, race, seed
from tests.support.jobs import approve, stored_job


@pytest.fixture
def app(tmp_path, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port))
    seed(app)
    return app


def test_every_state_is_reachable_and_final_states_are_final():
    reachable, frontier = {"received"}, ["received"]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(TRANSITIONS)
    for final in ("sent", "failed", "rejected", "expired"):
        assert TRANSITIONS[final] == frozenset()
    with pytest.raises(TransitionRefused):
        check_transition("blocked", "approved")
    with pytest.raises(TransitionRefused):
        check_transition("received", "sending")


def test_every_transition_is_an_audit_event(app, fax):
    job_id = stored_job(app)
    approve(app, job_id)
    assert Worker(app).relay_one()
    with db_session(app) as session:
        events = [e.action for e in session.query(AuditEvent).filter_by(subject=job_id).order_by(AuditEvent.id)]
    assert events[0] == "job.received"
    for state in ("screening", "awaiting_confirmation", "approved", "sending", "sent"):
        assert f"job.{state}" in events
    assert events.count("job.confirm_attempt") == 2


class _Crash(BaseException):
    """The process dies: nothing after this point of the worker runs (no except clause takes it)."""


def test_crash_mid_send_becomes_delivery_unknown_and_is_never_resent(app, fax):
    """The real relay hands the fax to the real fax server, then the process dies before it
    records `sent`: once the lease has run out the job is delivery_unknown, and the fax server
    still holds that one fax only."""
    job_id = stored_job(app)
    approve(app, job_id)
    relay = app.relay

    class SendsThenCrashes:
        def send(self, request):
            relay.send(request)
            raise _Crash

    app.__dict__["relay"] = SendsThenCrashes()
    worker = Worker(app)
    with pytest.raises(_Crash):
        worker.relay_one()
    assert [m.message["Message-ID"] for m in fax.received] == [f"<{job_id}@{DOMAIN}>"], "the fax server has it"
    app.__dict__["relay"] = relay
    worker.recover()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sending", "its lease has not run out: nobody takes it over yet"
        session.execute(text("UPDATE jobs SET lease_until = :t WHERE id = :i"),
                        {"t": dt.datetime(2000, 1, 1), "i": job_id})  # the lease ran out
    worker.recover()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "delivery_unknown"
    assert not worker.relay_one()
    assert len(fax.received) == 1, "never sent again"


def test_two_workers_racing_send_one_fax(app, fax):
    job_ids = [stored_job(app) for _ in range(4)]
    for job_id in job_ids:
        approve(app, job_id)
    race([Worker(app), Worker(app), Worker(app)], "relay_one")
    fax.wait_for(4)
    assert sorted(m.message["Message-ID"] for m in fax.received) == sorted(f"<{j}@{DOMAIN}>" for j in job_ids)


def test_approval_is_void_when_the_directory_entry_changes(app, fax):
    job_id = stored_job(app)
    approve(app, job_id)
    with app.unit_of_work() as uow:
        change_approved(uow, app, 1, name="子ども家庭支援係（新）")
    assert Worker(app).relay_one() is False
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "received", "screened again against the entry as it is now"
    assert fax.received == []


def confirm_as(app, job_id, name, number):
    with app.unit_of_work() as uow:
        return confirm_after_viewing(uow, uow.jobs.get(job_id), uow.users.by_name(name), number, app.policy)


def test_a_number_changed_between_the_two_confirmations_voids_the_first_cleanly(app, fax):
    """Issue 12, 6: the approver could confirm the old number (200), the worker sent the job back
    and every confirmation after that answered 409 until the job expired."""
    job_id = stored_job(app, recipient=f"sd-1@{DOMAIN}")
    assert Worker(app).screen_one()
    assert confirm_as(app, job_id, "sato", "0354321111").status == 200
    with app.unit_of_work() as uow:  # an administrator corrects the entry's number
        change_approved(uow, app, 1, dial="0-03-5432-1119", verified_on=dt.date.today(),
                     verified_by="admin")
    old = confirm_as(app, job_id, "suzuki", "0354321111")
    assert old.status == 422, "the old number is refused"
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "received", "screened again for the new number"
    assert Worker(app).screen_one()
    with db_session(app) as session:
        job = session.get(Job, job_id)
        assert (job.state, job.e164) == ("awaiting_confirmation", "+81354321119"), job.reasons
    assert confirm_as(app, job_id, "suzuki", "0354321119").status == 409, "the submitter's old confirmation is void"
    assert confirm_as(app, job_id, "sato", "0354321111").status == 422
    assert confirm_as(app, job_id, "sato", "03-5432-1119").status == 200
    assert confirm_as(app, job_id, "suzuki", "0354321111").status == 422
    assert confirm_as(app, job_id, "suzuki", "+81 3 5432 1119").status == 200
    assert Worker(app).relay_one()
    [message] = fax.wait_for(1)
    assert message.rcpt_tos == ["FAX=+81354321119@faxserver.example.jp"]


def test_the_new_number_is_not_taken_while_the_job_is_screened_again(app, fax):
    job_id = stored_job(app, recipient=f"sd-1@{DOMAIN}")
    assert Worker(app).screen_one()
    with app.unit_of_work() as uow:
        change_approved(uow, app, 1, dial="0-03-5432-1119", verified_on=dt.date.today())
    answer = confirm_as(app, job_id, "sato", "03-5432-1119")
    assert (answer.status, answer.code) == (409, "destination_changed")
    assert confirm_as(app, job_id, "sato", "03-5432-1119").status == 409, "not before the new screening"
    assert fax.received == []


def test_held_job_cannot_be_approved(app):

    job_id = stored_job(app)
    with db_session(app) as session:
        session.execute(text("UPDATE jobs SET state='blocked' WHERE id=:i"), {"i": job_id})
    with app.unit_of_work() as uow:
        assert confirm_after_viewing(uow, uow.jobs.get(job_id), uow.users.by_name("sato"), "0354321111", app.policy).status == 409


def test_expired_confirmations_do_not_count(app):

    job_id = stored_job(app)
    Worker(app).screen_one()
    with app.unit_of_work() as uow:
        assert confirm_after_viewing(uow, uow.jobs.get(job_id), uow.users.by_name("sato"), "0354321111", app.policy).status == 200
    with db_session(app) as session:
        session.execute(text("UPDATE confirmations SET at = :t"), {"t": dt.datetime(2020, 1, 1)})
    with app.unit_of_work() as uow:
        job = uow.jobs.get(job_id)
        assert confirm_after_viewing(uow, job, uow.users.by_name("suzuki"), "0354321111", app.policy).status == 409
        assert len(job.confirmations) == 1


def _faxgate(config_path, *args):
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config_path), *args],
                          capture_output=True, text=True, timeout=60)


def test_audit_chain_detects_edits_removals_and_insertions(app, tmp_path):
    job_id = stored_job(app)
    Worker(app).screen_one()
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{app.config.database.url}"\n', encoding="utf-8")
    ok = _faxgate(config, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    with app.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'nothing happened' WHERE id = 3"))
    edited = _faxgate(config, "audit", "verify")
    assert edited.returncode == 1 and "event 3 was altered" in edited.stderr
    with app.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 3"))
    removed = _faxgate(config, "audit", "verify")
    assert removed.returncode == 1 and "event 3 was removed" in removed.stderr
    with db_session(app) as session:
        report = AuditRepository(session).verify()
        assert not report.ok and report.event_id == 3
    assert job_id


@pytest.mark.parametrize(
    "number_format,number",
    [("e164", "+81354321111"), ("national", "0354321111"), ("dial_string", "00354321111")],
)
def test_relay_number_format(tmp_path, fax, number_format, number, mail):
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(dataclasses.replace(config, relay=dataclasses.replace(config.relay, number_format=number_format)))
    seed(app)
    job_id = stored_job(app)
    approve(app, job_id)
    assert Worker(app).relay_one()
    [message] = fax.wait_for(1)
    assert message.rcpt_tos == [f"FAX={number}@faxserver.example.jp"]


@pytest.mark.parametrize("number_format", ["e164", "national", "dial_string"])
@pytest.mark.parametrize("slot,extension", [(4, "1234"), (5, "5678")])  # with an outside number, and without
def test_in_house_destinations_are_relayed_to_their_extension(tmp_path, fax, number_format, slot, extension, mail):
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(dataclasses.replace(config, relay=dataclasses.replace(config.relay, number_format=number_format)))
    seed(app)
    add_extension_only_entry(app)
    job_id = stored_job(app, recipient=f"sd-{slot}@{DOMAIN}")
    approve(app, job_id, number=extension)  # the extension is what both people re-enter
    assert Worker(app).relay_one()
    [message] = fax.wait_for(1)
    assert message.rcpt_tos == [f"FAX={extension}@faxserver.example.jp"], "never through the public network"
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sent"


def test_hylafax_dials_the_extension_of_an_in_house_destination(tmp_path, fax, hylafax_queue, mail):
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(dataclasses.replace(config, relay=dataclasses.replace(
        config.relay, url=f"hylafax://{hylafax_queue.host}:{hylafax_queue.port}")))
    seed(app)
    add_extension_only_entry(app)
    job_id = stored_job(app, recipient=f"sd-5@{DOMAIN}")
    approve(app, job_id, number="5678")
    assert Worker(app).relay_one()
    with db_session(app) as session:
        job = session.get(Job, job_id)
        assert job.state == "sent", job.reasons
        receipt = job.relay_receipt
    assert hylafax_queue.job(receipt)["dial_string"] == "5678"


def test_a_person_resolves_delivery_unknown_from_the_cli(app, fax, tmp_path):
    job_id = stored_job(app)
    approve(app, job_id)
    with app.unit_of_work() as uow:
        jobs.claim(uow, job_id, "approved", "sending", "test")
    Worker(app).recover()
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{app.config.database.url}"\n', encoding="utf-8")
    listed = _faxgate(config, "jobs", "list", "--state", "delivery_unknown", "--json")
    assert [j["id"] for j in json.loads(listed.stdout)] == [job_id]
    refused = _faxgate(config, "jobs", "resolve", job_id, "--outcome", "sent")
    assert refused.returncode == 2, "a note saying what was checked is required"
    done = _faxgate(config, "jobs", "resolve", job_id, "--outcome", "sent", "--note", "送信ログで確認", "--by", "admin-a")
    assert done.returncode == 0, done.stderr
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sent"
        [event] = session.query(AuditEvent).filter_by(subject=job_id, action="job.sent").all()
        assert (event.actor, event.reason) == ("admin-a", "送信ログで確認")
    again = _faxgate(config, "jobs", "resolve", job_id, "--outcome", "failed", "--note", "x")
    assert again.returncode == 1 and "送達不明ではありません" in again.stderr


def test_a_dial_string_that_reaches_nothing_is_hidden_too(app):
    from gateway.services import confirm as approvals

    job_id = stored_job(app, recipient=f"DIAL=03-5432-1111@{DOMAIN}")  # no outside-line code: never dialled
    assert Worker(app).screen_one()
    with app.unit_of_work(read_only=True) as uow:
        job = uow.jobs.get(job_id)
        assert job.state == "blocked" and job.reasons
        hidden = json.dumps(approvals.job_json(uow, job, reveal_number=False), ensure_ascii=False)
        shown = json.dumps(approvals.job_json(uow, job, reveal_number=True), ensure_ascii=False)
        sato = uow.users.by_name("sato")
        assert not approvals.may_see_number(uow, job, sato.id, app.policy), "a stopped job may still be confirmed later"
    assert "5432" in shown and "5432" not in hidden, hidden


def test_the_worker_screens_again_what_waits_for_a_changed_entry(app, fax):
    waiting, other = stored_job(app, recipient=f"sd-1@{DOMAIN}"), stored_job(app, recipient=f"sd-4@{DOMAIN}")
    worker = Worker(app)
    assert worker.screen_one() and worker.screen_one()
    with app.unit_of_work() as uow:
        change_approved(uow, app, 1, dial="0-03-5432-1119", verified_on=dt.date.today())
    worker.screen_changed()
    with db_session(app) as session:
        assert session.get(Job, waiting).state == "received", "nobody is asked to confirm the old number"
        assert session.get(Job, other).state == "awaiting_confirmation", "other entries' jobs stay as they are"
    assert worker.screen_one()
    with db_session(app) as session:
        assert (session.get(Job, waiting).state, session.get(Job, waiting).e164) == ("awaiting_confirmation", "+81354321119")
