"""Wrong sends in the web app: anyone who may see a sent fax reports that it went astray from
its page; admins and auditors (the privacy office) see the incidents, their rule 43
assessment and deadlines; admins record the office's judgements and edit the report texts."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse

from gateway.incidents import actions as incident_actions, service as incidents
from gateway.incidents.drafts import REPORT_ITEMS, generated
from gateway.storage.tables import Incident
from gateway.core import access
from gateway.entrypoints.web.core import PAGE_HEADERS, Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from policies.categories import NAMES_JA

DRAFTS = ("preliminary", "final", "notice", "timeline")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def add_incident_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    @router.post("/jobs/{job_id}/incident")
    def report(job_id: str, reached: str = Form(""), detail: str = Form(""), viewer: Viewer = Depends(poster)):
        if not reached.strip():
            raise Refusal(viewer, N_("Say where the fax went, as far as you know."), 422)

        def allowed(_uow, job) -> None:
            if not access.may_see_job(viewer.person, job.submitter_id, job.department):
                raise Refusal(viewer, N_("You may not see this fax."), 403)

        try:
            incident_id, _created = incident_actions.report_wrong_send(
                app, job_id, actor=viewer.name, reached=reached.strip()[:500], detail=detail.strip()[:4000],
                may_report=allowed)
        except incidents.IncidentRefused as exc:
            raise Refusal(viewer, N_("Only a fax the fax server took can be reported as sent to the wrong place.")
                          if exc.status == 409 else N_("There is no such fax."), exc.status) from None
        if access.may_handle_incidents(viewer.person):
            return web.redirect(f"/incidents/{incident_id}")
        return web.redirect(f"/jobs/{job_id}?notice=incident")

    def office_incident(uow, incident_id: int, viewer: Viewer) -> Incident:
        if not access.may_handle_incidents(viewer.person):
            raise Refusal(viewer, N_("Only administrators and auditors may see incidents."), 403)
        incident = uow.incidents.get(incident_id)
        if incident is None:
            raise Refusal(viewer, N_("There is no such incident."), 404)
        return incident

    @router.get("/incidents")
    def incident_list(request: Request, viewer: Viewer = Depends(web.viewer)):
        if not access.may_handle_incidents(viewer.person):
            raise Refusal(viewer, N_("Only administrators and auditors may see incidents."), 403)
        with app.unit_of_work(read_only=True) as uow:
            rows = [incidents.incident_json(i, app.policy) for i in uow.incidents.newest_first()]
        return web.render(request, viewer, "incidents.html", rows=rows)

    @router.get("/incidents/{incident_id}")
    def incident_page(request: Request, incident_id: int, saved: str = "", viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            incident = office_incident(uow, incident_id, viewer)
            facts = incidents.facts_of(uow, incident)
            body = incidents.incident_json(incident, app.policy)
            assessment = incidents.assessment_of(incident, app.policy)
        texts = generated(facts, assessment) | {k: v for k, v in incident.narrative.items() if v.strip()}
        return web.render(request, viewer, "incident.html", incident=body, texts=texts, items=REPORT_ITEMS,
                          drafts=DRAFTS, category_names=NAMES_JA, saved=bool(saved),
                          may_edit=access.may_edit_incidents(viewer.person))

    @router.post("/incidents/{incident_id}")
    async def incident_save(request: Request, incident_id: int, viewer: Viewer = Depends(poster)):
        if not access.may_edit_incidents(viewer.person):
            raise Refusal(viewer, N_("Only administrators may change an incident."), 403)
        form = await request.form()
        persons = str(form.get("persons", "")).strip()
        if not persons.isdigit():
            raise Refusal(viewer, N_("The number of persons must be a whole number."), 422)
        changes = {
            "persons": int(persons),
            "malicious": form.get("malicious") == "yes",
            "financial_risk": {"yes": True, "no": False}.get(str(form.get("financial_risk", ""))),
            "preliminary_due": _date(str(form.get("preliminary_due", ""))),
            "preliminary_filed_on": _date(str(form.get("preliminary_filed_on", ""))),
            "final_filed_on": _date(str(form.get("final_filed_on", ""))),
        }
        narrative = {key: str(form.get(f"item_{key}", ""))[:8000] for key, _ in REPORT_ITEMS}
        with app.unit_of_work() as uow:
            incident = office_incident(uow, incident_id, viewer)
            facts = incidents.facts_of(uow, incident)
            defaults = generated(facts, incidents.assessment_of(incident, app.policy))
            # Only what the officer changed becomes their text; the rest follows the facts.
            written = {k: v for k, v in narrative.items() if v.strip() and v.replace("\r\n", "\n") != defaults[k]}
            incidents.update_incident(uow, incident, viewer.name, narrative=written, **changes)
        return web.redirect(f"/incidents/{incident_id}?saved=1")

    @router.post("/incidents/{incident_id}/state")
    def incident_state(incident_id: int, state: str = Form(""), reason: str = Form(""), viewer: Viewer = Depends(poster)):
        """Confirm a suspected wrong send, dismiss it as a false alarm, or close it once reported."""
        if not access.may_edit_incidents(viewer.person):
            raise Refusal(viewer, N_("Only administrators may change an incident."), 403)
        try:
            with app.unit_of_work() as uow:
                incidents.update_incident(uow, office_incident(uow, incident_id, viewer), viewer.name,
                                          state=state, reason=reason[:2000])
        except incidents.IncidentRefused as exc:
            raise Refusal(viewer, N_("Give the reason for closing or dismissing the incident.") if exc.status == 422
                          else N_("The incident cannot move to that state."), exc.status) from None
        return web.redirect(f"/incidents/{incident_id}?saved=1")

    @router.get("/incidents/{incident_id}/drafts/{which}.txt")
    def incident_draft(incident_id: int, which: str, viewer: Viewer = Depends(web.viewer)):
        if which not in DRAFTS:
            raise Refusal(viewer, N_("There is no such draft."), 404)
        with app.unit_of_work(read_only=True) as uow:
            text = incidents.draft(uow, office_incident(uow, incident_id, viewer), app.policy, which)
        headers = PAGE_HEADERS | {"Content-Disposition": f'attachment; filename="incident-{incident_id}-{which}.txt"'}
        return PlainTextResponse(text, headers=headers)
