"""The audit trail for auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from directory.importer import parse_date
from gateway.core import access
from gateway.services import audit_trail
from gateway.entrypoints.web import labels
from gateway.services.audit_trail import AuditQuery
from gateway.entrypoints.web.core import PAGE_HEADERS, Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_


def _date(text: str):
    try:
        return parse_date(text)
    except ValueError:
        return None


def add_admin_routes(router: APIRouter, web: Web) -> None:
    app = web.app

    def audit_query(since: str, until: str, person: str, job: str, viewer: Viewer) -> AuditQuery:
        if not access.may_read_audit_trail(viewer.person):
            raise Refusal(viewer, N_("Only auditors may read the audit trail."), 403)
        return AuditQuery(_date(since), _date(until), person.strip()[:100], job.strip()[:100])

    @router.get("/audit")
    def audit_page(request: Request, since: str = "", until: str = "", person: str = "", job: str = "",
                   viewer: Viewer = Depends(web.viewer)):
        query = audit_query(since, until, person, job, viewer)
        with app.unit_of_work(read_only=True) as uow:
            events = audit_trail.search(uow, query)
        gettext = web.gettext(request)
        rows = [(event, labels.in_words(gettext, *labels.audit_actor(event.actor)),
                 labels.in_words(gettext, *labels.audit_action(event.action)),
                 labels.in_words(gettext, *labels.audit_reason(event.action, event.reason))) for event in events]
        return web.render(request, viewer, "audit.html", rows=rows, query=query, limit=audit_trail.PAGE_LIMIT)

    @router.get("/audit.csv")
    def audit_csv(since: str = "", until: str = "", person: str = "", job: str = "",
                  viewer: Viewer = Depends(web.viewer)):
        query = audit_query(since, until, person, job, viewer)
        with app.unit_of_work() as uow:
            # Reading the whole trail out is itself worth a line in it.
            uow.audit.append(f"user:{viewer.name}", "audit.exported", "audit", "", **query.as_params())
        with app.unit_of_work(read_only=True) as uow:
            body = audit_trail.csv_text(uow, query)
        headers = PAGE_HEADERS | {"Content-Disposition": 'attachment; filename="faxgate-audit.csv"'}
        return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
