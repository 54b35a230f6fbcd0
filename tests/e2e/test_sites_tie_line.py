"""The private network between sites (issue 15): a destination that is one of another site's own
numbers (its DID range) is reached over the tie line (tie prefix + site code + extension), never
the public network, whenever both sites are on it. Real SMTP in, a real SMTP fax server out."""

from __future__ import annotations

import datetime as dt

from directory.profile import DidRange, PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from tests.support import docgen
from tests.support.harness import DOMAIN, api, confirm_by_api, fax_message, import_approved, queued_id, submit, wait_state
from tests.support.world import make_app

CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
# tama's own numbers 042-722-xxxx are its extensions xxxx.
TAMA = PbxProfile(outside_line="9", area_code="042", did_ranges=(DidRange("+8142722"),))


def relayed_to(tmp_path, fax, mail, main_tie: str) -> tuple[list[str], str]:
    """A fax from the ward office (site main, its device on loopback) to 多摩総合支所 (tama):
    where the fax server was asked to dial, and the dial string its submitter saw once confirmed."""
    app, tokens = make_app(tmp_path, fax, mail)
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("main", app.profile, tie_prefix=main_tie), app.profile, "test")
        add_site(uow, Site("tama", TAMA, tie_prefix="8", site_code="21"), app.profile, "test")
        uow.users.add_device(name="mfd-honcho", addresses=["127.0.0.1/32"], site="main")
        import_approved(uow, app, (
            "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
            f"7,多摩総合支所,世田谷区,0-042-722-1234,{today},external,,{today}\n").encode(), "generic")
    with BackgroundGateway(app) as gateway:
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"sd-7@{DOMAIN}")))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        sato = api(gateway, tokens["sato"])
        assert confirm_by_api(sato, job_id, "042-722-1234").status_code == 200
        shown = sato.get(f"/api/jobs/{job_id}").json()["destination"]["dial_string"]
        assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0427221234").status_code == 200
        assert wait_state(app, job_id, {"sent"}) == "sent"
    return fax.wait_for(1)[0].rcpt_tos, shown


def test_an_in_house_destination_at_another_site_goes_over_the_tie_line(tmp_path, fax, mail):
    # Confirmed as it is dialled: over the tie line, not the public number.
    assert relayed_to(tmp_path, fax, mail, main_tie="8") == (["FAX=8211234@faxserver.example.jp"], "8211234")


def test_without_a_tie_line_at_the_caller_s_site_it_goes_public(tmp_path, fax, mail):
    assert relayed_to(tmp_path, fax, mail, main_tie="") == (["FAX=+81427221234@faxserver.example.jp"], "0-042-722-1234")
