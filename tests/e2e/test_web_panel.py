"""The web app on an MFD's touch panel (800×480, 1024×600) and a desktop (1280×800), measured in a
real browser (Debian's Chromium through Playwright): each step of the confirmation fits in two
screens, every tap target is at least 44×44 px, no page scrolls sideways, the header is one row;
and the whole confirmation is done at the panel with scripts switched off. Screenshots and the
figures measured go to tests/artifacts/ for people to look at."""

from __future__ import annotations

import hashlib
import json

import pytest

from directory.profile import PbxProfile
from directory.sites import Site
from gateway.services.sites import add_site, propose_change
from tests.support import docgen
from tests.support.harness import fax_message, queued_id, submit, wait_state
from tests.support.browser import person, shot
from tests.support.paths import ARTIFACTS
from tests.support.web_support import CLEAN_PAGES, HIDDEN_NUMBER_FORMS, PERSONAL_PAGES

pytestmark = pytest.mark.world(people="web")  # the whole gateway, for web_support's people
SCREENS = {"800x480": {"width": 800, "height": 480}, "1024x600": {"width": 1024, "height": 600},
           "1280x800": {"width": 1280, "height": 800}, "phone-390x844": {"width": 390, "height": 844}}
PANELS = ("800x480", "1024x600")  # where the header must stay one row
PANEL = SCREENS["800x480"]
TAP_TARGET = 44  # px each way (WCAG 2.5.5)
STEP_SCREENS = 2  # each step of the confirmation within two screens
HEADER_ROW = 70  # px: one row of 44 px targets with its padding; two rows would be over 100
# A page counts as read only when shown this large: about 2.6 CSS px per mm of A4, so 10.5 pt text
# is drawn 10 px high (the image also links to the page at full resolution).
READABLE_WIDTH = 550

MEASURE = """() => {
  const scroller = document.scrollingElement;
  const sideways = [scroller.scrollWidth - window.innerWidth];
  for (const box of document.querySelectorAll('.table-scroll')) sideways.push(box.scrollWidth - box.clientWidth);
  const small = [];
  for (const el of document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea, summary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown (a closed menu)
    if (r.width < 44 || r.height < 44) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.id).trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const header = document.querySelector('header.top').getBoundingClientRect().height;
  const wrapped = [...document.querySelectorAll('.number-value')].filter(el => el.getClientRects().length > 1
      || el.getBoundingClientRect().height > parseFloat(getComputedStyle(el).lineHeight) * 1.5).map(el => el.innerText);
  const image = document.querySelector('#page-image');
  return {height: scroller.scrollHeight, sideways: Math.max(...sideways), small, header: Math.round(header), wrapped,
          page_width: image ? Math.round(image.getBoundingClientRect().width) : null};
}"""


def measure(page, name: str, screen: str, figures: dict, step: bool = False) -> list[str]:
    """The page's figures (recorded under ``name``) and the promises it breaks."""
    found = page.evaluate(MEASURE)
    size = SCREENS[screen]
    page.locator("#menu summary").click()  # the menu's entries are tap targets too
    found["small"] += [item for item in page.evaluate(MEASURE)["small"] if item not in found["small"]]
    page.locator("#menu summary").click()
    figures.setdefault(screen, {})[name] = found
    shot(page, f"panel-{screen}-{name}")
    broken = []
    if found["sideways"] > 0:
        broken.append(f"{screen} {name}: scrolls sideways by {found['sideways']} px")
    if found["small"]:
        broken.append(f"{screen} {name}: tap targets under {TAP_TARGET} px: {found['small']}")
    if found["wrapped"]:
        broken.append(f"{screen} {name}: numbers wrap: {found['wrapped']}")
    if screen in PANELS and found["header"] > HEADER_ROW:
        broken.append(f"{screen} {name}: header {found['header']} px, more than one row")
    if step and found["height"] > STEP_SCREENS * size["height"]:
        broken.append(f"{screen} {name}: {found['height']} px tall, more than {STEP_SCREENS} screens")
    return broken


def _readable(page, screen: str) -> list[str]:
    """On a phone the page is as wide as the screen (and opens at full resolution when tapped)."""
    width = page.locator("#page-image").bounding_box()["width"]
    wanted = min(READABLE_WIDTH, SCREENS[screen]["width"] - 40)
    return [] if width >= wanted else [f"{screen}: the page is shown {width:.0f} px wide, too small to read"]


def _confirm_in_steps(page, job_id: str, number: str, screen: str, who: str, figures: dict) -> list[str]:
    """From the list of what waits for this person to the result, one step (one screen pair) at a time."""
    broken = []
    page.goto("/confirmations")
    broken += measure(page, f"{who}-0-waiting", screen, figures)
    page.locator(".cards li", has_text=job_id).get_by_role("link", name="内容を見て確認する").click()
    for number_of_page in (1, 2):
        page.wait_for_load_state("load")
        assert page.locator("#page-position").inner_text() == f"{number_of_page} / 2 ページ"
        assert not any(form in page.content() for form in HIDDEN_NUMBER_FORMS), "re-entered blind"
        broken += measure(page, f"{who}-1-page-{number_of_page}", screen, figures, step=True) + _readable(page, screen)
        page.locator("#next-page").click()
    page.wait_for_load_state("load")
    assert "報告第371号" in page.locator("#warning-371").inner_text()
    broken += measure(page, f"{who}-2-number", screen, figures, step=True)
    page.fill("#number", "03-5432-1112")
    page.click("#confirm-button")
    assert "一致しません" in page.locator(".error").inner_text()
    broken += measure(page, f"{who}-2-number-wrong", screen, figures, step=True)
    page.fill("#number", number)
    page.click("#confirm-button")
    page.wait_for_load_state("load")
    broken += measure(page, f"{who}-3-result", screen, figures, step=True)
    return broken


def _save(figures: dict, name: str) -> None:
    (ARTIFACTS / f"panel-{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))


def test_the_whole_confirmation_at_the_panel_without_scripts(chromium, world):
    app, gateway, _, fax, _ = world
    document = docgen.text_pdf(CLEAN_PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    figures, broken = {}, []

    submitter = person(chromium, gateway, "sato", PANEL, scripts=False)
    broken += _confirm_in_steps(submitter, job_id, "03-5432-1111", "800x480", "submitter", figures)
    assert "確認を記録しました" in submitter.locator(".notice").inner_text()
    assert fax.received == [], "nothing reaches the fax server on one confirmation"

    approver = person(chromium, gateway, "suzuki", PANEL, scripts=False)
    broken += _confirm_in_steps(approver, job_id, "0354321111", "800x480", "approver", figures)
    assert "確認がそろいました" in approver.locator(".notice").inner_text()

    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert hashlib.sha256(relayed.attachment()).digest() == hashlib.sha256(document).digest()
    _save(figures, "confirmation")
    assert broken == []


def test_every_page_fits_the_panel_and_the_desktop(chromium, world):
    app, gateway, _, fax, _ = world
    waiting = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES))))
    stopped = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(PERSONAL_PAGES))))
    assert wait_state(app, waiting, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    assert wait_state(app, stopped, {"awaiting_confirmation", "blocked"}) == "blocked"
    with app.unit_of_work() as uow:  # the sites page with a site, its device and a change waiting
        add_site(uow, Site("tama", PbxProfile(outside_line="9", area_code="042")), app.profile, "user:kimura")
        uow.users.add_device(name="mfd-tama", addresses=["10.1.0.1/32"], site="tama")
        propose_change(uow, Site("tama", PbxProfile(outside_line="0", area_code="042")), "user:kimura")
    figures, broken = {}, []
    for screen, size in SCREENS.items():
        submitter = person(chromium, gateway, "sato", size)
        for step, path in (("page-1", f"/jobs/{waiting}/confirm/pages/1"), ("page-2", f"/jobs/{waiting}/confirm/pages/2"),
                           ("number", f"/jobs/{waiting}/confirm")):
            submitter.goto(path)
            broken += measure(submitter, f"confirm-{step}", screen, figures, step=True)
            if step.startswith("page"):
                broken += _readable(submitter, screen)
        for name, path in (("job", f"/jobs/{waiting}"), ("job-stopped", f"/jobs/{stopped}"), ("blocked", "/blocked")):
            submitter.goto(path)
            broken += measure(submitter, name, screen, figures)
        admin = person(chromium, gateway, "yamada", size)
        for name, path in (("directory", "/directory"), ("users", "/users"), ("sites", "/sites"),
                           ("blocked-admin", "/blocked")):
            admin.goto(path)
            broken += measure(admin, name, screen, figures)
        admin.locator("#menu summary").click()
        shot(admin, f"panel-{screen}-menu-open")
        auditor = person(chromium, gateway, "mori", size)
        auditor.goto("/audit")
        broken += measure(auditor, "audit", screen, figures)
        for page in (submitter, admin, auditor):
            page.context.close()
    _save(figures, "pages")
    assert broken == []
