"""An upload in a city of several sites (issues 15 and 19): `POST /api/jobs` names the device
whose book the slot is in, and the job is read with that device's site's PBX, as a mail from
that device would be; without a device, or with one that is not registered, nothing is guessed."""

from __future__ import annotations

import datetime as dt

from directory.profile import PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import api, db_session, import_approved, wait_state
from tests.support.world import make_app

TAMA = PbxProfile(outside_line="9", area_code="042")  # a 総合支所 in 042 whose PBX takes 9
CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]


def test_an_upload_uses_the_book_and_the_site_of_the_device_it_names(tmp_path, fax, mail):
    app, tokens = make_app(tmp_path, fax, mail)
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama", book="mfd-tama")
        # tama's own book, as its device dials: 9, then a Machida number local to 042.
        import_approved(uow.in_book("mfd-tama"), app, (
            "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
            f"7,町田保健所,東京都,9-722-1234,{today},external,,{today}\n").encode(), "generic", profile=TAMA)
    document = docgen.text_pdf(CLEAN)
    with BackgroundGateway(app) as gateway:
        sato = api(gateway, tokens["sato"])
        files = {"document": ("資料.pdf", document, "application/pdf")}

        answer = sato.post("/api/jobs", files=files, data={"slot": "7", "device": "mfd-tama"})
        assert answer.status_code == 201, answer.text
        job_id = answer.json()["id"]
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        with db_session(app) as session:
            job = session.get(Job, job_id)
            assert (job.site, job.book, job.e164) == ("tama", "mfd-tama", "+81427221234")
            assert job.dial_string == "9-042-722-1234", "read with tama's PBX, not the gateway's own 0 / 03"

        unnamed = sato.post("/api/jobs", files=files, data={"slot": "7"})
        assert (unnamed.status_code, unnamed.json()["code"]) == (422, "device_required"), unnamed.text
        unknown = sato.post("/api/jobs", files=files, data={"slot": "7", "device": "mfd-nowhere"})
        assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_device"), unknown.text
