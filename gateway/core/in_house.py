"""In-house delivery (庁内便, report No. 371 countermeasures 2 and 3): a fax to an in-house section
whose staff use faxgate goes to that section's inbox in the web app instead of down a phone
line, where the policy's `[in_house]` says so or the submitter asks for it. Nothing here knows
a database: the screening's personal_data rule decides, every door passes through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from policies.categories import NAMES_JA

FAX, INBOX = "fax", "inbox"
PERSONAL_DATA, ALL = "personal_data", "all"  # inbox_for's words besides category names


class InHouseError(ValueError):
    pass


@dataclass(frozen=True)
class InHouse:
    """The policy's `[in_house]`."""

    inbox_for: frozenset[str] = frozenset({PERSONAL_DATA})
    inbox_always: frozenset[str] = frozenset()  # departments whose inbox takes every fax to them
    remind_hours: float = 24.0

    @classmethod
    def of(cls, inbox_for: Iterable, inbox_always: Iterable, remind_hours: float) -> InHouse:
        wanted, sections = list(inbox_for), list(inbox_always)
        if not all(isinstance(item, str) for item in wanted + sections):
            raise InHouseError("inbox_for and inbox_always are lists of strings")
        unknown = set(wanted) - {PERSONAL_DATA, ALL} - set(NAMES_JA)
        if unknown:
            raise InHouseError(f"inbox_for names unknown categories: {', '.join(sorted(unknown))} "
                               f"(known: {PERSONAL_DATA}, {ALL}, {', '.join(NAMES_JA)})")
        if remind_hours <= 0:
            raise InHouseError("inbox_remind_hours must be more than 0")
        return cls(frozenset(wanted), frozenset(sections), float(remind_hours))


def route(inbox: str | None, asked: str, policy: InHouse, verdict: str, categories: Iterable[str]) -> str:
    """Where a screened job goes: INBOX or FAX. `inbox`: the destination's section, None when it
    has no inbox in faxgate (then always FAX); `asked`: the route the submitter chose; `verdict`
    and `categories`: what the screening found on the pages."""
    if not inbox:
        return FAX
    if asked == INBOX or ALL in policy.inbox_for or inbox in policy.inbox_always:
        return INBOX
    if verdict == "block" and PERSONAL_DATA in policy.inbox_for:
        return INBOX
    return INBOX if set(categories) & policy.inbox_for else FAX
