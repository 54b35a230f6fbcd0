"""The daily digest for approvers (issue 19, `[mail] approver_mail = "daily"`): instead of a mail
per fax, one mail a day per approver, from the digest hour (office time), listing every fax that
waits for them, with links and without any form of the number; never two the same day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from gateway.entrypoints.worker import Worker
from gateway.services import approver_notices
from gateway.storage.directory_tables import utcnow
from tests.support import docgen
from tests.support.harness import api, confirm_by_api, fax_message, make_config, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, populate

APPROVERS = {"suzuki@city.example.jp", "tanaka@city.example.jp", "ito@city.example.jp"}  # 保健福祉課's
JST = dt.timezone(dt.timedelta(hours=9))


def test_the_digest_of_the_day_comes_at_its_hour_office_time_once_a_day():
    at = lambda *when: dt.datetime(*when, tzinfo=JST)  # noqa: E731
    assert approver_notices.digest_of_the_day(at(2026, 12, 3, 7, 59), 8) is None
    assert approver_notices.digest_of_the_day(at(2026, 12, 3, 8, 0), 8) == "digest-20261203"
    assert approver_notices.digest_of_the_day(at(2026, 12, 3, 23, 59), 8) == "digest-20261203"
    # 23:30 UTC is already the next morning at the office
    assert approver_notices.digest_of_the_day(dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.timezone.utc), 8) \
        == "digest-20261204"


def test_each_approver_gets_one_mail_a_day_listing_every_fax_waiting(tmp_path, fax, mail, monkeypatch):
    # The worker tells approvers at start, then (here) not for an hour: the test says when.
    monkeypatch.setattr(Worker, "APPROVER_NOTICE_SECONDS", 3600.0)
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(dataclasses.replace(config, mail=dataclasses.replace(
        config.mail, approver_mail="daily", approver_digest_hour=0)))
    tokens = populate(app)
    with BackgroundGateway(app) as gateway:
        sato = api(gateway, tokens["sato"])
        jobs = [queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES)))) for _ in range(2)]
        for job_id in jobs:
            assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
            assert confirm_by_api(sato, job_id, "0354321111").status_code == 200

        assert approver_notices.tell(app, utcnow()) == len(APPROVERS), "one digest per approver, not one per fax"
        assert approver_notices.tell(app, utcnow()) == 0, "not twice the same day"
        deadline = time.monotonic() + 30
        while len(digests := [m for m in mail.received if "本日 2 件" in m.message["Subject"]]) < len(APPROVERS):
            assert time.monotonic() < deadline, [m.message["Subject"] for m in mail.received]
            time.sleep(0.2)
        time.sleep(1)
        assert sorted(m.message["To"] for m in digests) == sorted(APPROVERS)
        for received in digests:
            text = received.message.get_body().get_content()
            for job_id in jobs:
                assert f"{app.public_url}/jobs/{job_id}/confirm/pages/1" in text
            assert "354321111" not in re.sub(r"\D", "", text), "no form of the number"
        per_fax = [m for m in mail.received if m.message["To"] in APPROVERS and m not in digests]
        assert per_fax == [], "no mail per fax to the approvers besides the digest"
