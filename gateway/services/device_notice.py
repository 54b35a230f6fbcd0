"""The device notice's facts, from the configuration and the policy in force (what the
gateway really checks and whom to call), for gateway.records.device_notice."""

from __future__ import annotations

from gateway.records.device_notice import NoticeFacts, draw_notice


def notice_pdf(app) -> bytes:
    config = app.config
    return draw_notice(NoticeFacts(
        office_name=config.coversheet.office_name, domain=config.smtp.domain, web_url=app.public_url.rstrip("/"),
        outside_line=config.pbx.outside_line, approvers=app.policy.approvers, ttl_hours=app.policy.job_ttl_hours,
        phone=config.coversheet.phone, privacy_office=config.mail.privacy_office,
    ))
