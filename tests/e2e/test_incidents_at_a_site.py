"""A wrong send from a device at another site (issue 15): the incident's audit of the directory
is of the book the job was dialled from, read with that site's PBX, not the shared book with
the gateway's own `[pbx]`."""

from __future__ import annotations

import datetime as dt

from directory.profile import PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from gateway.storage.tables import Incident
from tests.support import docgen
from tests.support.harness import api, confirm_by_api, db_session, import_approved, wait_state
from tests.support.world import make_app

TAMA = PbxProfile(outside_line="9", area_code="042")
CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"


def test_the_incident_audits_the_job_s_own_book_with_its_site_s_reading(tmp_path, fax, mail):
    app, tokens = make_app(tmp_path, fax, mail)
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama", book="mfd-tama")
        # Slot 8 is written as the ward office dials (0 + 03…): at tama, whose PBX takes 9, it
        # misses the outside line. Read with the gateway's [pbx] (0 / 03) it would look right.
        import_approved(uow.in_book("mfd-tama"), app, (
            HEADER + f"7,町田保健所,東京都,9-722-1234,{today},external,,{today}\n"
            f"8,子ども家庭支援係,世田谷区,0-03-5432-1111,{today},external,,{today}\n").encode(), "generic", profile=TAMA)
    with BackgroundGateway(app) as gateway:
        sato, suzuki = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
        answer = sato.post("/api/jobs", files={"document": ("資料.pdf", docgen.text_pdf(CLEAN), "application/pdf")},
                           data={"slot": "7", "device": "mfd-tama"})
        assert answer.status_code == 201, answer.text
        job_id = answer.json()["id"]
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        for person in (sato, suzuki):
            assert confirm_by_api(person, job_id, "042-722-1234").status_code == 200
        assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
        reported = sato.post(f"/api/jobs/{job_id}/incident", json={"reached": "株式会社B", "detail": "B社から電話"})
        assert reported.status_code == 201, reported.text

    with db_session(app) as session:
        audit = session.query(Incident).filter_by(job_id=job_id).one().recurrence["directory_audit"]
    assert (audit["book"], audit["site"]) == ("mfd-tama", "tama")
    assert 8 in {item["slot"] for item in audit["items"]}, audit
