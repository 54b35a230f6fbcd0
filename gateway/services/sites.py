"""Which PBX profile reads a dial string: the site's of the device that sent it, in every
process (intake, writer, worker) alike. An install without sites reads everything with its
`[pbx]` configuration, as it always has."""

from __future__ import annotations

from directory.changes import Decision, decide
from directory.profile import PbxProfile
from directory.sites import MAIN, Site, SiteError, check_name, private_route
from gateway.storage.uow import UnitOfWork


class UnknownSite(SiteError):
    """A job or device names a site that is not (or no longer) configured: nothing is read with a guess."""


def add_site(uow: UnitOfWork, site: Site, configured: PbxProfile, actor: str) -> list[str]:
    """Stores `site`; the first one also stores the `[pbx]` profile as site `main` and puts every
    device registered so far there, so nothing is read differently than before. The names added."""
    check_name(site.name)
    if uow.sites.get(site.name):
        raise SiteError(f"拠点 {site.name} は登録済みです")
    first = not uow.sites.any()
    added = [Site(MAIN, configured)] if first and site.name != MAIN else []
    added.append(site)
    for each in added:
        uow.sites.add(each)
        uow.audit.append(actor, "site.added", f"site:{each.name}", "", outside_line=each.profile.outside_line,
                         area_code=each.profile.area_code, extension_length=each.profile.extension_length)
    if first:
        placed = uow.sites.place_unsited_devices(MAIN)
        if placed:
            uow.audit.append(actor, "device.site_assigned", f"site:{MAIN}", "", devices=placed)
    return [each.name for each in added]


def profile_of(uow: UnitOfWork, site: str | None, configured: PbxProfile) -> PbxProfile:
    """The profile a job of `site` is read with. None is the job of a single-site install (or one
    from before sites existed): the `[pbx]` configuration while no site is stored, else `main`."""
    if site is None:
        stored = uow.sites.get(MAIN) if uow.sites.any() else None
        return stored.profile if stored else configured
    stored = uow.sites.get(site)
    if stored is None:
        raise UnknownSite(f"拠点 {site} は登録されていません (site {site!r} is not configured)")
    return stored.profile


def private_route_of(uow: UnitOfWork, site: str | None, e164: str | None) -> str | None:
    """The tie-line dial string from `site` (None: `main`) to `e164`, or None for the public network."""
    sites = uow.sites.all()
    caller = next((s for s in sites if s.name == (site or MAIN)), None)
    return private_route(e164, caller, sites) if caller else None


def propose_change(uow: UnitOfWork, site: Site, actor: str) -> None:
    """A change to how a site's numbers are read waits for a second administrator, like a change
    to where a speed dial goes (directory.changes): until then the site reads as before."""
    if uow.sites.get(site.name) is None:
        raise UnknownSite(f"拠点 {site.name} は登録されていません")
    if uow.sites.proposal(site.name):
        raise SiteError(f"拠点 {site.name} には承認待ちの変更があります: 先に承認か却下を")
    if uow.sites.get(site.name) == site:
        raise SiteError(f"拠点 {site.name} は変わりません")
    uow.sites.propose(site, actor)
    uow.audit.append(actor, "site.change_requested", f"site:{site.name}", "", outside_line=site.profile.outside_line,
                     area_code=site.profile.area_code, extension_length=site.profile.extension_length,
                     tie_prefix=site.tie_prefix, site_code=site.site_code)


def settle_change(uow: UnitOfWork, name: str, actor: str, by_is_admin: bool, approve: bool, note: str) -> Decision:
    """Another administrator approves (the site reads the new way from now on) or rejects it."""
    waiting = uow.sites.proposal(name)
    decision = decide(state="pending" if waiting else "none", requested_by=waiting[1] if waiting else "",
                      by=actor, by_is_admin=by_is_admin, approve=approve, reason=note)
    if decision.status == 200:
        uow.sites.settle(name, approve)
        uow.audit.append(actor, "site.change_approved" if approve else "site.change_rejected", f"site:{name}", note)
    return decision
