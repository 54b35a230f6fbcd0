"""In-house delivery (庁内便) in a real browser (Debian's Chromium, scripts off) on an MFD panel
(800×480) and a desktop (1280×800) and a phone: a member of the destination section finds the delivery from
the header, opens it, downloads it and acknowledges receipt; the sender's page says who and when.
Each page fits: no sideways scrolling, 44 px tap targets, a one-row header on the panel.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import hashlib

import pytest

from tests.e2e.test_in_house_delivery import SECTION, _section_with_inbox, _submit_personal_data
from tests.e2e.test_web_panel import SCREENS, measure
from tests.support.browser import person
from tests.support.harness import api, confirm_by_api, wait_state

pytestmark = pytest.mark.world(people="web")


def test_the_section_receives_and_acknowledges_at_the_panel(chromium, world, tmp_path):
    app, gateway, tokens, _, _ = world
    member = _section_with_inbox(world)
    job_id = _submit_personal_data(world)
    wait_state(app, job_id, {"awaiting_confirmation"})
    assert confirm_by_api(api(gateway, tokens["sato"]), job_id, "1234").status_code == 200
    approved = confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "1234")
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    figures, broken = {}, []

    desk = person(chromium, gateway, member, SCREENS["1280x800"], scripts=False)
    desk.goto("/inbox")
    broken += measure(desk, "inbox-list", "1280x800", figures)
    desk.goto(f"/inbox/{job_id}")
    broken += measure(desk, "inbox-item", "1280x800", figures)

    panel = person(chromium, gateway, member, SCREENS["800x480"], scripts=False)
    panel.goto("/jobs")
    panel.click("#nav-inbox")  # the header tells the section something waits
    broken += measure(panel, "inbox-list", "800x480", figures)
    panel.locator("#inbox li", has_text=job_id).get_by_role("link").first.click()
    broken += measure(panel, "inbox-item", "800x480", figures)
    phone = person(chromium, gateway, member, SCREENS["phone-390x844"], scripts=False)
    phone.goto("/inbox")
    broken += measure(phone, "inbox-list", "phone-390x844", figures)

    with panel.expect_download() as download:
        panel.click("#download-link")
    path = tmp_path / "received.pdf"
    download.value.save_as(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == approved.json()["document"]["sha256"]
    panel.click("#acknowledge-button")
    panel.wait_for_selector("#acknowledged")
    broken += measure(panel, "inbox-acknowledged", "800x480", figures)
    assert panel.locator("#nav-inbox").count() == 0, "nothing waits any more"

    sender = person(chromium, gateway, "sato", SCREENS["800x480"], scripts=False)
    sender.goto(f"/jobs/{job_id}")
    receipt = sender.locator("#in-house-receipt").inner_text()
    assert SECTION in receipt and member in receipt
    broken += measure(sender, "inbox-sender-receipt", "800x480", figures)
    assert broken == []
