"""Sites for administrators: each building's PBX profile and devices, adding a site, and changes
to how a site's numbers are read, which take effect when a second admin approves. The same
service functions as `faxgate sites` (gateway.services.sites) decide and audit every action."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends, Form, Request

from directory.profile import DidRange, PbxProfile, ProfileError
from directory.sites import Site, SiteError
from gateway.core import access
from gateway.entrypoints.web import labels
from gateway.entrypoints.web.core import Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from gateway.services.directory_changes import actor_of
from gateway.services.sites import add_site, propose_change, settle_change

# What a change shows, field by field, before → after.
_FIELDS = (
    (N_("Outside-line code"), lambda s: s.profile.outside_line),
    (N_("Area code"), lambda s: s.profile.area_code),
    (N_("Local dialling without the area code"), lambda s: s.profile.local_dialing),
    (N_("Extension length"), lambda s: s.profile.extension_length),
    (N_("DID ranges"), lambda s: dids_text(s)),
    (N_("Tie-line prefix"), lambda s: s.tie_prefix),
    (N_("Site code"), lambda s: s.site_code),
)


def dids_text(site: Site) -> str:
    """The DID ranges as the form takes them: PREFIX=EXTPREFIX, one a line."""
    return "\n".join(f"{d.prefix}={d.extension_prefix}" for d in site.profile.did_ranges)


def _site_of_form(name: str, outside_line: str, area_code: str, extension_length: str, local_dialing: str,
                  dids: str, tie_prefix: str, site_code: str) -> Site:
    """The site a form describes, or SiteError/ProfileError in the words of the CLI's checks."""
    try:
        length = int(extension_length.strip())
    except ValueError:
        raise SiteError(f"内線番号の桁数は数字で指定してください（{extension_length!r}）") from None
    ranges = tuple(DidRange(*line.strip().partition("=")[::2]) for line in dids.splitlines() if line.strip())
    profile = PbxProfile(outside_line=outside_line.strip(), area_code=area_code.strip(), extension_length=length,
                         local_dialing=local_dialing != "no", did_ranges=ranges)
    return Site(name.strip(), profile, tie_prefix=tie_prefix.strip(), site_code=site_code.strip())


def add_site_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def require_admin(viewer: Viewer) -> None:
        if not access.may_manage_directory(viewer.person):
            raise Refusal(viewer, N_("Only administrators may manage sites."), 403)

    def blank_form() -> dict:
        return dict(name="", outside_line="", area_code="", extension_length=str(app.profile.extension_length),
                    local_dialing="yes", dids="", tie_prefix="", site_code="")

    def sites_page(request: Request, viewer: Viewer, status: int = 200, notice: str | None = None,
                   error: dict | None = None, draft: dict | None = None):
        with app.unit_of_work(read_only=True) as uow:
            devices = defaultdict(list)
            for device, site in sorted(uow.sites.device_sites().items()):
                devices[site].append(device)
            rows = []
            for site in uow.sites.all():
                waiting = uow.sites.proposal(site.name)
                change = None
                if waiting:
                    proposed, by = waiting
                    change = {"by": by, "fields": [(label, read(site), read(proposed)) for label, read in _FIELDS
                                                   if read(site) != read(proposed)]}
                rows.append({"site": site, "dids": dids_text(site), "devices": devices.pop(site.name, []),
                             "change": change})
            me = actor_of(uow.users.get(viewer.user_id))
        return web.render(request, viewer, "sites.html", status=status, notice=notice, error=error, rows=rows,
                          unsited=devices.get(None, []), me=me, draft=draft or blank_form())

    @router.get("/sites")
    def sites(request: Request, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        return sites_page(request, viewer, notice=labels.SITE_MESSAGES.get(notice))

    def refused(request: Request, viewer: Viewer, exc: Exception, draft: dict | None = None):
        return sites_page(request, viewer, status=422, draft=draft,
                          error={"headline": N_("The site was not saved."), "detail": str(exc)})

    @router.post("/sites")
    def add(request: Request, name: str = Form(""), outside_line: str = Form(""), area_code: str = Form(""),
            extension_length: str = Form("4"), local_dialing: str = Form("yes"), dids: str = Form(""),
            tie_prefix: str = Form(""), site_code: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        draft = dict(name=name[:100], outside_line=outside_line[:16], area_code=area_code[:8],
                     extension_length=extension_length[:4], local_dialing=local_dialing, dids=dids[:2000],
                     tie_prefix=tie_prefix[:16], site_code=site_code[:16])
        try:
            site = _site_of_form(**draft)
            with app.unit_of_work() as uow:
                add_site(uow, site, app.profile, actor_of(uow.users.get(viewer.user_id)))
        except (SiteError, ProfileError) as exc:
            return refused(request, viewer, exc, draft)
        return web.redirect("/sites?notice=added")

    @router.post("/sites/{name}/change")
    def change(request: Request, name: str, outside_line: str = Form(""), area_code: str = Form(""),
               extension_length: str = Form(""), local_dialing: str = Form("yes"), dids: str = Form(""),
               tie_prefix: str = Form(""), site_code: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        try:
            site = _site_of_form(name, outside_line[:16], area_code[:8], extension_length[:4], local_dialing,
                                 dids[:2000], tie_prefix[:16], site_code[:16])
            with app.unit_of_work() as uow:
                propose_change(uow, site, actor_of(uow.users.get(viewer.user_id)))
        except (SiteError, ProfileError) as exc:
            return refused(request, viewer, exc)
        return web.redirect("/sites?notice=proposed")

    def decide(request: Request, name: str, viewer: Viewer, approve: bool, note: str):
        with app.unit_of_work() as uow:
            decision = settle_change(uow, name, actor_of(uow.users.get(viewer.user_id)), True, approve, note[:2000])
        if decision.status == 200:
            return web.redirect(f"/sites?notice={decision.code}")
        return sites_page(request, viewer, status=decision.status,
                          error={"headline": labels.SITE_MESSAGES[decision.code], "detail": ""})

    @router.post("/sites/{name}/approve")
    def approve(request: Request, name: str, viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        return decide(request, name, viewer, True, "")

    @router.post("/sites/{name}/reject")
    def reject(request: Request, name: str, note: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        return decide(request, name, viewer, False, note)
