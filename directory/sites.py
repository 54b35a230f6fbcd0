"""Sites: the buildings of a city, each behind its own PBX. A site is a name and the PBX profile
with which every dial string of its devices is read (directory.profile)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from directory.dialplan import extension_for
from directory.profile import PbxProfile

# The site an install without sites has: its `[pbx]` configuration, unchanged.
MAIN = "main"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class SiteError(ValueError):
    """A site that cannot be used as given (the message is Japanese, for the CLI and the web)."""


@dataclass(frozen=True)
class Site:
    name: str
    profile: PbxProfile
    # The private network (tie line) between the sites' PBXs: this site's PBX reaches another
    # site's extension as tie_prefix + that site's site_code + the extension. Empty: not on it.
    tie_prefix: str = ""
    site_code: str = ""

    def __post_init__(self) -> None:
        for label, value in (("tie_prefix", self.tie_prefix), ("site_code", self.site_code)):
            if value and not (value.isascii() and value.isdigit()):
                raise SiteError(f"{label} は数字で指定してください（{value!r}）")


def private_route(e164: str | None, caller: Site, sites: list[Site]) -> str | None:
    """How `caller`'s PBX dials `e164` over the private network: the number is one of another
    site's own (its DID ranges) and both sites are on the tie line. None: the public network."""
    if not e164 or not caller.tie_prefix:
        return None
    for site in sites:
        if site.name != caller.name and site.site_code:
            extension = extension_for(e164, site.profile)
            if extension:
                return caller.tie_prefix + site.site_code + extension
    return None


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise SiteError(f"拠点名 {name!r} は使えません（英数字・「-」「_」「.」で100文字まで）")
    return name
