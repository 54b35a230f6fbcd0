"""Who may see and do what, as plain rules, for every door (the API, the web app, the CLI). Every
page and action checks these on the server; the templates only hide what a person could not use
anyway."""

from __future__ import annotations

import datetime as dt

from gateway.core import confirmation
from gateway.core.confirmation import Binding, Given, Needs, Person
from gateway.core.states import JobState

ROLES = ("staff", "approver", "admin", "auditor")
_REJECTABLE_STATES = frozenset({JobState.AWAITING_CONFIRMATION, JobState.APPROVED, JobState.BLOCKED})


def may_see_job(person: Person, submitter_id: int | None, department: str) -> bool:
    """The same rule as the JSON API: submitters their jobs, approvers their department's,
    admins and auditors all."""
    return (
        person.user_id == submitter_id
        or person.role in ("admin", "auditor")
        or (person.role == "approver" and person.department == department)
    )


def may_reject(person: Person, state: str, submitter_id: int | None, department: str) -> bool:
    """Mirrors gateway.services.confirm.reject (which decides): offered only where it would be accepted."""
    if state not in _REJECTABLE_STATES:
        return False
    return (
        person.user_id == submitter_id
        or person.role == "admin"
        or (person.role == "approver" and person.department == department)
    )


def may_send_masked(person: Person, state: str, submitter_id: int | None, reasons: list[dict], findings: list[dict]) -> bool:
    """Mirrors gateway.services.confirm.send_masked (which decides): the submitter of a job stopped for
    personal data, when there is something on its pages to black out."""
    return (
        person.user_id == submitter_id
        and state == JobState.BLOCKED
        and any(r.get("code") == "personal_data" for r in reasons)
        and any(not f.get("masked") for f in findings)
    )


def awaits(
    person: Person,
    *,
    state: str,
    submitter_id: int | None,
    department: str,
    given: list[Given],
    binding: Binding,
    now: dt.datetime,
    ttl_hours: float,
    needs: Needs,
) -> bool:
    """Whether this job waits for this person's confirmation now. Nothing is listed that the
    rules would refuse or no longer need: approvers see a job only after the submitter
    confirmed, and only until enough approvers have; when only a privacy officer's
    confirmation is missing, only privacy officers see it."""
    if state != JobState.AWAITING_CONFIRMATION:
        return False
    valid = confirmation.valid_confirmations(given, binding, now, ttl_hours)
    missing = confirmation.outstanding(valid, needs)
    if person.user_id == submitter_id:
        return missing.submitter
    if person.role != "approver" or person.department != department or missing.submitter:
        return False
    if any(g.user_id == person.user_id for g in valid if g.role == "approver"):
        return False
    return missing.wants_approver(person.privacy_officer)


def may_manage_directory(person: Person) -> bool:
    return person.role == "admin"


def may_manage_users(person: Person) -> bool:
    return person.role == "admin"


def may_read_audit_trail(person: Person) -> bool:
    return person.role == "auditor"


def may_handle_incidents(person: Person) -> bool:
    """The privacy office's work: admins and privacy officers keep incidents, auditors read them."""
    return person.role in ("admin", "auditor") or person.privacy_officer


def may_edit_incidents(person: Person) -> bool:
    return person.role == "admin" or person.privacy_officer


def may_see_statistics(person: Person) -> bool:
    """The privacy office's view: privacy officers and auditors (counts only, no documents)."""
    return person.role == "auditor" or person.privacy_officer
