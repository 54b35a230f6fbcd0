"""`sd-<slot>@domain` from a device resolves in that device's own book (issue 15), at RCPT and in
screening: the same slot in the shared book goes elsewhere. Real SMTP into the running gateway."""

from __future__ import annotations

import datetime as dt

from directory import changes
from directory.entries import apply_import
from directory.formats.reading import read_book
from directory.importer import plan_import
from directory.profile import PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.jobs import utcnow
from gateway.services.sites import add_site
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import DOMAIN, db_session, fax_message, queued_id, submit, wait_state
from tests.support.world import make_app

CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
TAMA = PbxProfile(outside_line="9", area_code="042")


def test_a_speed_dial_from_a_device_is_its_own_book_s_slot(tmp_path, fax, mail):
    app, _ = make_app(tmp_path, fax, mail)  # the shared book (harness.seed): slot 1 is 03-5432-1111
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["127.0.0.1/32"], site="tama", book="mfd-tama")
        data = ("slot,name,organization,fax,last_used,kind,extension,verified_on\n"
                f"1,町田保健所,東京都,9-042-722-1234,{today},external,,{today}\n"
                f"9,多摩の登録,東京都,9-042-722-9999,{today},external,,{today}\n").encode()
        result = apply_import(uow.in_book("mfd-tama"), plan_import(read_book(data, "generic"), TAMA), "user:maker", "t")
        assert changes.settle(uow, result.change, "user:checker", True, True, "", utcnow()).status == 200
    with BackgroundGateway(app) as gateway:
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-1@{DOMAIN}")))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        with db_session(app) as session:
            job = session.get(Job, job_id)
            assert (job.book, job.e164, job.dial_string) == ("mfd-tama", "+81427221234", "9-042-722-1234")
        # Slot 4 is only in the shared book: from this device it is no speed dial at all.
        code, text = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-4@{DOMAIN}"))
        assert code == 550 and "not_in_directory" in text, (code, text)
