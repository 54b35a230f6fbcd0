"""Sites and the PBX profile of each (directory.sites)."""

from __future__ import annotations

from sqlalchemy import select, update

from directory.profile import DidRange, PbxProfile
from directory.sites import Site
from gateway.storage.repositories import Repository
from gateway.storage.tables import Device, Site as SiteRow


def site_fields(site: Site) -> dict:
    profile = site.profile
    return dict(outside_line=profile.outside_line, area_code=profile.area_code, local_dialing=profile.local_dialing,
                extension_length=profile.extension_length,
                did_ranges=[{"prefix": d.prefix, "extension_prefix": d.extension_prefix} for d in profile.did_ranges],
                tie_prefix=site.tie_prefix, site_code=site.site_code)


def site_of_fields(name: str, fields: dict) -> Site:
    return Site(name, PbxProfile(outside_line=fields["outside_line"], area_code=fields["area_code"],
                                 local_dialing=fields["local_dialing"], extension_length=fields["extension_length"],
                                 did_ranges=tuple(DidRange(**did) for did in fields["did_ranges"])),
                fields["tie_prefix"], fields["site_code"])


def _site(row: SiteRow) -> Site:
    return site_of_fields(row.name, {key: getattr(row, key) for key in _FIELDS})


_FIELDS = ("outside_line", "area_code", "local_dialing", "extension_length", "did_ranges", "tie_prefix", "site_code")


class SiteRepository(Repository):
    def all(self) -> list[Site]:
        return [_site(row) for row in self._session.scalars(select(SiteRow).order_by(SiteRow.name))]

    def get(self, name: str) -> Site | None:
        row = self._session.scalar(select(SiteRow).where(SiteRow.name == name))
        return _site(row) if row else None

    def any(self) -> bool:
        return self._session.scalar(select(SiteRow.id).limit(1)) is not None

    def add(self, site: Site) -> None:
        self._session.add(SiteRow(name=site.name, **site_fields(site)))
        self._session.flush()

    def proposal(self, name: str) -> tuple[Site, str] | None:
        """The change waiting for `name` (the site as it would read, who proposed it), or None."""
        row = self._row(name)
        return (site_of_fields(name, row.proposed), row.proposed_by) if row and row.proposed else None

    def propose(self, site: Site, by: str) -> None:
        row = self._row(site.name)
        row.proposed, row.proposed_by = site_fields(site), by

    def settle(self, name: str, apply: bool) -> None:
        """The waiting change applied (or dropped), and nothing waits any more."""
        row = self._row(name)
        if apply:
            for key, value in row.proposed.items():
                setattr(row, key, value)
        row.proposed, row.proposed_by = None, None

    def _row(self, name: str) -> SiteRow | None:
        return self._session.scalar(select(SiteRow).where(SiteRow.name == name))

    def place_unsited_devices(self, name: str) -> int:
        """Every device without a site goes to `name`: how many."""
        return self._session.execute(update(Device).where(Device.site.is_(None)).values(site=name)).rowcount

    def device_sites(self) -> dict[str, str | None]:
        return dict(self._session.execute(select(Device.name, Device.site)).all())
