"""The upload page's MFD choice (a city of several sites) on an MFD panel (800×480) and a desktop
(1280×800) in Chromium with scripts off: the device select, the search and the results fit without
sideways scrolling, with 44 px tap targets and a one-row header on the panel. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

import datetime as dt

from directory.sites import Site
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services.sites import add_site
from tests.e2e.test_uploads_web_sites import HEADER, TAMA
from tests.e2e.test_web_panel import SCREENS, measure
from tests.support.browser import person
from tests.support.harness import import_approved
from tests.support.world import make_app


def test_the_mfd_choice_fits_the_panel_and_the_desktop(chromium, tmp_path, fax, mail):
    app, _ = make_app(tmp_path, fax, mail, people="web")
    today = dt.date.today().isoformat()
    with app.unit_of_work() as uow:
        add_site(uow, Site("tama", TAMA), app.profile, "test")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama", book="mfd-tama")
        import_approved(uow.in_book("mfd-tama"), app, (
            HEADER + f"7,町田保健所,東京都,9-722-1234,{today},external,,{today}\n").encode(), "generic", profile=TAMA)
    figures, broken = {}, []
    with BackgroundGateway(app) as gateway:
        for screen in ("800x480", "1280x800"):
            sato = person(chromium, gateway, "sato", SCREENS[screen], scripts=False)
            sato.goto("/send")
            assert sato.locator("#device").count() == 1, "a multi-site install asks which MFD"
            broken += measure(sato, "upload-device-choice", screen, figures)
            sato.select_option("#device", "mfd-tama")
            sato.fill("#q", "町田")
            sato.locator("#q").press("Enter")
            sato.wait_for_load_state("load")
            assert "町田保健所" in sato.content()
            broken += measure(sato, "upload-device-results", screen, figures)
    assert broken == []
