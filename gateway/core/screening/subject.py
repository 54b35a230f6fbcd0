"""What the screening rules look at (`Subject`) and the lookups and checks handed to them
(`Tools`): plain data, so the rules run the same from the worker, the tests and the intake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from directory.profile import PbxProfile
from gateway.core.addressing import DestinationRequest

if TYPE_CHECKING:
    from gateway.core.policy_file import Policy


@dataclass(frozen=True)
class EntryView:
    id: int
    slot: int
    name: str
    organization: str
    kind: str
    status: str
    e164: str | None
    extension: str | None
    last_used: dt.date | None
    verified_on: dt.date | None
    version: int
    pending_change: int | None = None  # a directory change waiting for a second administrator
    inbox: str | None = None  # the in-house section (department) whose faxgate inbox takes its 庁内便


@dataclass
class Subject:
    """What the rules look at, and what they establish about the job as they go."""

    request: DestinationRequest
    document_bytes: bytes  # the document as it will be sent (cover_sheet_prepend may change it)
    today: dt.date
    job_id: str = ""
    sender_department: str = ""
    sender_contact: str = ""  # the submitter's address, printed on faxgate's cover sheet
    e164: str | None = None
    dial_string: str | None = None
    entry: EntryView | None = None
    pages: int | None = None
    findings: list[dict] = field(default_factory=list)
    document: object | None = None  # policies.documents.model.Document: the pages as the recipient sees them
    screened: object | None = None  # policies.screen.ScreenResult
    cover_check: object | None = None  # gateway.core.coversheet.CoverCheck of the submitted first page
    cover_generated: bool = False  # faxgate's cover sheet is page 1 of document_bytes
    route: str = "fax"  # fax | inbox: asked for by the submitter, then decided by personal_data (gateway.core.in_house)


@dataclass(frozen=True)
class DirectoryLookups:
    """The part of Tools the destination rules read: enough to judge a recipient before any
    document has arrived."""

    profile: PbxProfile
    entry_by_slot: Callable[[int], EntryView | None]
    entries_by_number: Callable[[str], list[EntryView]]


@dataclass(frozen=True)
class Tools:
    profile: PbxProfile
    policy: "Policy"
    entry_by_slot: Callable[[int], EntryView | None]
    entries_by_number: Callable[[str], list[EntryView]]
    load_document: Callable[[bytes], object]  # policies.screen.load_for_screening, settings bound
    screen: Callable[[object], object]  # policies.screen.screen_loaded, settings bound
    check_cover: Callable[..., object]  # gateway.core.coversheet.cover_number_matches with the office bound
    # gateway.core.coversheet.addressee_mismatch with the office's own names bound: the addressee
    # printed on the page when it is an organisation other than the entry's, else None
    check_addressee: Callable[..., str | None] | None = None
    prepend_cover: Callable[[Subject], bytes] | None = None  # gateway.services.cover_prepend.outgoing_document, bound
    # Whether a department has someone in faxgate to open its inbox (gateway.services.inbox.staffed);
    # without it no job goes by 庁内便 (fail closed: nobody would receive it).
    inbox_staffed: Callable[[str], bool] | None = None
