"""A whole city (issue 15): a job is read, screened, confirmed and relayed with the PBX profile of
its device's site, whichever process handles it, never with the handling gateway's own `[pbx]`;
a device with no site in a multi-site install is refused at once, nothing guessed. Real SMTP in
(smtplib), the running gateway, a real SMTP fax server out."""

from __future__ import annotations

import datetime as dt
import hashlib

from directory.profile import PbxProfile
from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import (DOMAIN, api, confirm_by_api, db_session, fax_message, import_approved, queued_id,
                                   submit, wait_state)
from tests.support.world import make_app

CLEAN = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]
# Site B: a 総合支所 in the 042 area whose PBX takes 9 for an outside line.
TAMA = PbxProfile(outside_line="9", area_code="042")
# A Machida number, local to site B: its devices dial it as 9 + 722-1234.
MACHIDA = "+81427221234"


def city(tmp_path, fax, mail, device_site: str | None):
    """The gateway's own `[pbx]` is site A (outside line 0, area 03: the defaults); site B is tama.
    Loopback is the device `mfd-tama` (by address) at `device_site`."""
    app, tokens = make_app(tmp_path, fax, mail, relay={"number_format": "dial_string"})
    assert app.profile == PbxProfile(outside_line="0", area_code="03")
    with app.unit_of_work() as uow:
        assert add_site(uow, Site("tama", TAMA), app.profile, "test") == ["main", "tama"]
        uow.users.add_device(name="mfd-tama", addresses=["127.0.0.1/32"], site=device_site)
        today = dt.date.today().isoformat()
        import_approved(uow, app, (
            "slot,name,organization,fax,last_used,kind,extension,verified_on\n"
            f"7,町田保健所,東京都,0-042-722-1234,{today},external,,{today}\n").encode(), "generic")
    return app, tokens


def test_a_job_from_a_device_at_site_b_is_screened_and_relayed_with_b_s_profile(tmp_path, fax, mail):
    app, tokens = city(tmp_path, fax, mail, device_site="tama")
    document = docgen.text_pdf(CLEAN)
    with BackgroundGateway(app) as gateway:
        # As B's device dials it: 9 for the outside line, then a local number in 042. Read with
        # the gateway's own profile (0 / 03) it has no outside line and is refused.
        job_id = queued_id(submit(gateway.smtp_port, fax_message(document, to=f"DIAL=9-722-1234@{DOMAIN}")))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        with db_session(app) as session:
            job = session.get(Job, job_id)
            assert (job.device, job.site, job.e164) == ("address:mfd-tama", "tama", MACHIDA)
            assert job.dial_string == "9-042-722-1234", "derived from B's PBX profile (A's: 0-042-…)"

        submitter, approver = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
        assert confirm_by_api(submitter, job_id, "042-722-1234").status_code == 200
        assert confirm_by_api(approver, job_id, "0427221234").status_code == 200
        assert wait_state(app, job_id, {"sent"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=90427221234@faxserver.example.jp"], "B's PBX dials it, not A's 0-042-…"
    assert hashlib.sha256(relayed.attachment()).hexdigest() == hashlib.sha256(document).hexdigest()


def test_the_same_dial_string_from_site_a_s_reading_is_refused(tmp_path, fax, mail):
    """The control: the gateway's own profile would refuse what B's device dials correctly, so the
    test above passes only because B's profile was used."""
    app, _ = city(tmp_path, fax, mail, device_site="main")
    with BackgroundGateway(app) as gateway:
        code, text = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"DIAL=9-722-1234@{DOMAIN}"))
    assert code == 550 and "missing_outside_line" in text, (code, text)


def test_a_device_without_a_site_in_a_multi_site_install_is_refused_with_the_reason(tmp_path, fax, mail):
    app, _ = city(tmp_path, fax, mail, device_site=None)
    with BackgroundGateway(app) as gateway:
        code, text = submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN), to=f"FAX={MACHIDA}@{DOMAIN}"))
    assert code == 550 and "5.7.1" in text, (code, text)
    assert "belongs to no configured site" in text and "拠点が登録されていない" in text
    with db_session(app) as session:
        assert session.query(Job).count() == 0
