"""A section's inbox (庁内便) belongs to its destination, not to the speed-dial slot: a slot that an
import or an edit points elsewhere loses it; the second administrator sees an inbox change before
approving it; a job confirmed before its entry's inbox changed is checked again, never delivered
to the new section on the old confirmations."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.entries import change_entry
from gateway.bootstrap import App
from gateway.entrypoints.worker import Worker
from gateway.services import directory_changes
from gateway.storage.inbox_tables import InboxDelivery
from gateway.storage.tables import Job
from gateway.services.users import add_user
from tests.support.harness import DOMAIN, change_approved, db_session, import_approved, make_config, seed
from tests.support.jobs import approve, stored_job

SECTION = "国保課"
TODAY = dt.date.today().isoformat()


@pytest.fixture
def app(tmp_path, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port,
                          policy_text=f'version = "inbox-always"\n[in_house]\ninbox_always = ["{SECTION}", "区民課"]\n'))
    seed(app)
    with app.unit_of_work() as uow:
        change_approved(uow, app, 4, inbox=SECTION)
        add_user(uow, "nakamura", "staff", "nakamura@city.example.jp", SECTION, None, "test")
    return app


def _inbox(app, slot: int) -> str | None:
    with app.unit_of_work(read_only=True) as uow:
        return uow.directory.by_slot(slot).inbox


def test_a_slot_an_import_points_elsewhere_loses_its_inbox(app):
    with app.unit_of_work() as uow:
        import_approved(uow, app, ("slot,name,organization,fax,last_used,kind,extension,verified_on\n"
                                   f"4,株式会社あおぞら,株式会社あおぞら,0-03-5432-7777,{TODAY},external,,{TODAY}\n").encode(),
                        "generic")
    assert _inbox(app, 4) is None


def test_a_slot_given_a_new_extension_loses_its_inbox_unless_the_edit_sets_it_again(app):
    with app.unit_of_work() as uow:
        change_approved(uow, app, 4, extension="2345", name="介護保険課")
    assert _inbox(app, 4) is None
    with app.unit_of_work() as uow:
        change_approved(uow, app, 4, extension="3456", inbox=SECTION)
    assert _inbox(app, 4) == SECTION


def test_the_second_administrator_sees_the_inbox_change(app):
    with app.unit_of_work() as uow:
        entry = change_entry(uow, 4, "user:harness-maker", app.profile, inbox="区民課")
        shown = directory_changes.change_json(uow, uow.directory.request(entry.pending_change_id))
    [item] = shown["entries"]
    assert (item["before"]["inbox"], item["after"]["inbox"]) == (SECTION, "区民課")


def test_a_job_confirmed_before_the_inbox_changed_is_checked_again_not_delivered(app):
    job_id = stored_job(app, recipient=f"sd-4@{DOMAIN}")
    approve(app, job_id, "1234")
    with app.unit_of_work() as uow:
        change_approved(uow, app, 4, inbox="区民課")
    Worker(app).relay_one()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "received", "screened again against the entry as it is now"
        assert session.get(InboxDelivery, job_id) is None
