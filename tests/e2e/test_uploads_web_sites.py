"""The web page ファクスを送る in a city of several sites (issues 15 and 19): the person chooses the
MFD whose book (and site's PBX) the upload uses, the search looks in that book only, and the job
is read as a mail from that device would be; without a choice, no destination is offered."""

from __future__ import annotations

import datetime as dt

from directory.profile import PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import db_session, import_approved, wait_state
from tests.support.web_support import csrf_token, signed_in
from tests.support.world import make_app

TAMA = PbxProfile(outside_line="9", area_code="042")
CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"


def city_of_two_sites(tmp_path, fax, mail):
    """The app with a second site, tama, whose MFD has a book of its own holding slot 7."""
    app, _ = make_app(tmp_path, fax, mail, people="web")
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama", book="mfd-tama")
        import_approved(uow.in_book("mfd-tama"), app, (
            HEADER + f"7,町田保健所,東京都,9-722-1234,{today},external,,{today}\n").encode(), "generic", profile=TAMA)
    return app


def test_the_upload_page_asks_which_mfd_and_searches_its_book_only(tmp_path, fax, mail):
    app = city_of_two_sites(tmp_path, fax, mail)
    with BackgroundGateway(app) as gateway:
        sato = signed_in(gateway.http_port, "sato")
        unchosen = sato.get("/send", params={"q": "町田"}).text
        assert 'id="device"' in unchosen and 'id="no-device"' in unchosen and "町田保健所" not in unchosen
        page = sato.get("/send", params={"q": "町田", "device": "mfd-tama"}).text
        assert "町田保健所" in page and 'value="mfd-tama" selected' in page
        assert "町田保健所" not in sato.get("/send", params={"q": "町田", "device": "nowhere"}).text

        answer = sato.post("/send", data={"csrf_token": csrf_token(page), "slot": "7", "q": "町田", "device": "mfd-tama"},
                           files={"document": ("資料.pdf", docgen.text_pdf(CLEAN), "application/pdf")})
        assert answer.status_code == 303, answer.text
        job_id = answer.headers["location"].split("/jobs/")[1].split("?")[0]
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        with db_session(app) as session:
            job = session.get(Job, job_id)
            assert (job.site, job.book, job.dial_string) == ("tama", "mfd-tama", "9-042-722-1234")

        refused = sato.post("/send", data={"csrf_token": csrf_token(page), "slot": "7", "q": "町田"},
                            files={"document": ("資料.pdf", docgen.text_pdf(CLEAN), "application/pdf")})
        assert refused.status_code == 422 and "どの機器の宛先表" in refused.text, refused.text[-600:]
