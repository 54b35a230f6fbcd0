"""The audit trail for auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from directory.importer import parse_date
from gateway import auditlog
from gateway.web import access, audit_trail
from gateway.web.audit_trail import AuditQuery
from gateway.web.core import PAGE_HEADERS, Refusal, Viewer, Web
from gateway.web.i18n import N_


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
        with app.session() as session:
            events = audit_trail.search(session, query)
        return web.render(request, viewer, "audit.html", events=events, query=query,
                          limit=audit_trail.PAGE_LIMIT)

    @router.get("/audit.csv")
    def audit_csv(since: str = "", until: str = "", person: str = "", job: str = "",
                  viewer: Viewer = Depends(web.viewer)):
        query = audit_query(since, until, person, job, viewer)
        with app.session() as session:
            # Reading the whole trail out is itself worth a line in it.
            auditlog.append(session, f"user:{viewer.name}", "audit.exported", "audit", "", **query.as_params())
        with app.session() as session:
            body = audit_trail.csv_text(session, query)
        headers = PAGE_HEADERS | {"Content-Disposition": 'attachment; filename="faxgate-audit.csv"'}
        return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
