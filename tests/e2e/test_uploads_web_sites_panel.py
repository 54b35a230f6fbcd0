"""The upload page's MFD choice (a city of several sites) on an MFD panel (800×480) and a desktop
(1280×800) in Chromium with scripts off: the device select, the search and the results fit without
sideways scrolling, with 44 px tap targets and a one-row header on the panel. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

from gateway.entrypoints.serve import BackgroundGateway
from tests.e2e.test_uploads_web_sites import city_of_two_sites
from tests.e2e.test_web_panel import SCREENS, measure
from tests.support.browser import person


def test_the_mfd_choice_fits_the_panel_and_the_desktop(chromium, tmp_path, fax, mail):
    app = city_of_two_sites(tmp_path, fax, mail)
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
