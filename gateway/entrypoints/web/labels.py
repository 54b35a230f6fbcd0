"""Names for codes the web app shows (job states, roles, proposal actions and problems), marked
for the catalog and translated when a page is rendered."""

from __future__ import annotations

import re

from gateway.core.screening import CODES
from gateway.core.states import JobState
from gateway.entrypoints.web.i18n import N_

STATES = {
    JobState.RECEIVED: N_("Received"),
    JobState.SCREENING: N_("Being checked"),
    JobState.BLOCKED: N_("Stopped"),
    JobState.AWAITING_CONFIRMATION: N_("Waiting for confirmation"),
    JobState.APPROVED: N_("Approved, about to be sent"),
    JobState.SENDING: N_("Sending"),
    JobState.SENT: N_("Sent"),
    JobState.FAILED: N_("Could not be sent"),
    JobState.REJECTED: N_("Rejected"),
    JobState.EXPIRED: N_("Expired"),
    JobState.DELIVERY_UNKNOWN: N_("Delivery unknown: check with the fax server"),
}
# The submitter's mail notices: one per state, and the in-house delivery's own two.
NOTICE_KINDS = {**STATES, "delivered_in_house": N_("Delivered in-house"),
                "in_house_failed": N_("Could not be delivered in-house")}

ROLES = {
    "staff": N_("Staff"),
    "approver": N_("Approver"),
    "admin": N_("Administrator"),
    "auditor": N_("Auditor"),
    "submitter": N_("Submitter"),
}

ENTRY_STATUSES = {
    "active": N_("In use"),
    "needs_review": N_("Needs review"),
    "retired": N_("Retired"),
}

INCIDENT_STATES = {
    "draft": N_("Suspected by a check: to be confirmed"),
    "open": N_("Being handled"),
    "dismissed": N_("Dismissed"),
    "closed": N_("Closed"),
}

PROPOSAL_ACTIONS = {
    "add": N_("Add an entry"),
    "change_number": N_("Change the number"),
    "reactivate": N_("Reactivate a retired entry"),
}

# Where a directory change request came from (gateway.storage.directory_tables.ChangeRequest.origin).
CHANGE_ORIGINS = {
    "import": N_("Address-book import"),
    "set": N_("Edit from the command line"),
    "reactivate": N_("Reactivation from the command line"),
    "web": N_("Proposal in the web app"),
    "first_install": N_("Sample directory of the first install"),
}

PROPOSAL_STATES = {
    "pending": N_("Waiting for a second administrator"),
    "approved": N_("Approved and applied"),
    "rejected": N_("Refused"),
}

PROPOSAL_PROBLEMS = {
    "not_admin": N_("Only administrators may propose directory changes."),
    "unknown_action": N_("Choose what to change."),
    "slot_invalid": N_("The speed-dial number must be a number from 1 to 99999."),
    "slot_taken": N_("This speed-dial number is already in use. Propose a change of number instead."),
    "no_such_entry": N_("There is no entry with this speed-dial number."),
    "not_retired": N_("Only a retired entry can be reactivated."),
    "name_missing": N_("Enter the destination's name."),
    "kind_invalid": N_("Choose external or internal."),
    "dial_missing": N_("Enter the fax number as the devices dial it."),
    "dial_unreadable": N_("The fax number may contain only digits, hyphens, spaces and brackets."),
    "dial_blocked": N_("This number must not be dialled as written (for example, the outside-line code is missing). Check it with the recipient."),
    "same_number": N_("The entry already has this number."),
    "extension_invalid": N_("The extension does not have the PBX's number of digits."),
    "control_characters": N_("A field contains a control character (such as NUL or a line separator). Remove it."),
    "verified_on_missing": N_("Enter the date on which you confirmed the number with the recipient."),
    "verified_on_future": N_("The confirmation date cannot be in the future."),
    "note_missing": N_("Say why the change is needed, for the administrator who approves it."),
    "entry_pending": N_("A change to this entry already waits for a second administrator. It must be approved or refused first."),
    "change_refused": N_("The directory refused the change."),
}

PROPOSAL_MESSAGES = {
    "proposed": N_("Proposed. Another administrator must approve it before it takes effect."),
    "approved": N_("The change was approved and applied to the directory."),
    "rejected": N_("The proposal was refused."),
    "not_admin": N_("Only administrators may decide on directory changes."),
    "decided": N_("This proposal has already been decided."),
    "self_decision": N_("You proposed this change, so another administrator must approve it."),
    "entry_changed": N_("The entry has changed since this was proposed. Refuse it and propose again."),
    "reason_missing": N_("Give the reason for refusing."),
}

SITE_MESSAGES = {
    "added": N_("The site was added."),
    "proposed": N_("The change was proposed. The site reads as before until another administrator approves it."),
    "approved": N_("The change was approved: the site's numbers are read the new way from now on."),
    "rejected": N_("The change was refused: the site reads as before."),
    "not_admin": N_("Only administrators may decide on site changes."),
    "decided": N_("No change is waiting for this site."),
    "self_decision": N_("You proposed this change, so another administrator must approve it."),
    "reason_missing": N_("Give the reason for refusing."),
}

USER_SOURCES = {
    "local": N_("faxgate (local password)"),
    "ldap": N_("Directory server (LDAP)"),
}

USER_PROBLEMS = {
    "not_admin": N_("Only administrators may manage users."),
    "name_invalid": N_("Enter a user name of at most 100 characters, without spaces."),
    "name_taken": N_("This user name is already in use."),
    "email_invalid": N_("Enter a valid e-mail address."),
    "email_taken": N_("This e-mail address already belongs to another user."),
    "role_invalid": N_("Choose a role."),
    "privacy_officer_not_approver": N_("A privacy officer confirms faxes as an approver: give the approver role."),
    "department_too_long": N_("The department may have at most 100 characters."),
    "password_short": N_("The password must have at least 12 characters."),
    "password_long": N_("The password is too long."),
    "self_lockout": N_("You cannot switch off your own account or change your own role. Ask another administrator."),
    "last_admin": N_("faxgate must keep at least one active administrator. Make someone else an administrator first."),
    "directory_managed": N_("Role, department and privacy officer of this account come from the directory server's groups. Change the groups there."),
    "password_directory": N_("This account signs in with the directory server's password; set it there."),
}

USER_MESSAGES = {
    "added": N_("The user was added."),
    "changed": N_("The changes were saved."),
    "unchanged": N_("Nothing was changed."),
    "password_reset": N_("The new password was set. The user's open sessions were ended."),
}

# The audit trail in words (gateway.storage.repositories.audit stores codes and the system's English phrases).
AUDIT_ACTIONS = {
    "job.received": N_("Fax received"),
    "job.confirm_attempt": N_("Number entered to confirm the destination"),
    "job.document_replaced": N_("Document replaced"),
    "job.notice_seen": N_("Submitter shown that the fax was not sent"),
    "record.signed": N_("Transmission record signed"),
    "record.set_aside": N_("Transmission record failed repeatedly: set aside for a person to look at"),
    "notice.set_aside": N_("A notice by mail could not be delivered after many tries: set aside"),
    "user.added": N_("User added"),
    "user.token_issued": N_("API token issued"),
    "user.changed": N_("User changed"),
    "user.login": N_("Signed in"),
    "user.login_failed": N_("Sign-in failed"),
    "user.login_locked": N_("Sign-in refused: locked"),
    "user.login_refused": N_("Sign-in refused"),
    "user.logout": N_("Signed out"),
    "user.password_reset": N_("Password reset"),
    "audit.exported": N_("Audit trail downloaded as CSV"),
    "device.added": N_("Device added"),
    "device.auth_failed": N_("Device sign-in (SMTP AUTH) failed"),
    "device.auth_locked": N_("Device sign-in (SMTP AUTH) refused: locked"),
    "directory.change_requested": N_("Directory change requested"),
    "directory.first_install_import": N_("Sample directory of the first install imported"),
    "directory.change_approved": N_("Directory change approved"),
    "directory.change_rejected": N_("Directory change refused"),
    "directory.entry_changed": N_("Directory entry changed"),
    "incident.opened": N_("Wrong-send incident opened"),
    "incident.reported_again": N_("Wrong send reported again"),
    "incident.updated": N_("Incident updated"),
    "delivery.reported": N_("Delivery report from the fax server"),
}
JOB_MOVE = N_("Fax state now: %(state)s")

# The system's own phrases in the trail (gateway.entrypoints.worker, gateway.services.confirm, gateway.services.users).
_AUDIT_PHRASES = [
    (r"screening interrupted; screening again", N_("Checking was interrupted; checked again")),
    (r"found mid-send at start-up: the fax server may have it; a person must check",
     N_("Found in the middle of sending at start-up: the fax server may have it; a person must check")),
    (r"fax server not available, retry in (?P<seconds>\d+)s: (?P<detail>.*)",
     N_("The fax server was not available; trying again in %(seconds)s s: %(detail)s")),
    (r"(?P<detail>.*); a person must check with the fax server", N_("%(detail)s; a person must check with the fax server")),
    (r"waited longer than (?P<hours>[\d.]+) hours", N_("Waited longer than %(hours)s hours")),
    (r"submitter and approver confirmed the destination", N_("The submitter and an approver confirmed the destination")),
    (r"replaced by the auto-masked job (?P<job>\S+)", N_("Replaced by the auto-masked fax %(job)s")),
    (r"the directory entry or the policy changed after approval",
     N_("The directory entry or the policy changed after approval: checked again")),
    (r"the directory entry or the policy changed(: screened again)?", N_("The directory entry or the policy changed: checked again")),
    (r"a confirmation no longer counts \(the job changed or it expired\): confirm again",
     N_("A confirmation no longer counts (the fax changed or it expired): confirm again")),
    (r"faxgate's cover sheet prepended", N_("faxgate's cover sheet put in front")),
    (r"from the directory server", N_("From the directory server")),
    (r"in no faxgate group of the directory server", N_("In no faxgate group of the directory server")),
    (r"from the directory server's groups", N_("From the directory server's groups")),
    (r"login refused while locked", N_("Sign-in refused while locked")),
]
_FAX_SERVER_ANSWER = N_("Answer of the fax server: %(detail)s")


def audit_action(action: str) -> tuple[str, dict]:
    """(catalog message, its values) naming an audit event's action."""
    if action in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[action], {}
    state = action.removeprefix("job.")
    if state in STATES:
        return JOB_MOVE, {"state": STATES[state]}
    return "%(action)s", {"action": action}


def audit_reason(action: str, reason: str) -> tuple[str, dict]:
    """(catalog message, its values) for an event's reason: the system's phrases and codes in
    words; what a person typed (a rejection's reason, a note) as typed."""
    for pattern, message in _AUDIT_PHRASES:
        found = re.fullmatch(pattern, reason)
        if found:
            return message, found.groupdict()
    if action == "record.signed" and reason in STATES:  # the record is signed for the state the job ended in
        return JOB_MOVE, {"state": STATES[reason]}
    if action in ("job.sent", "job.failed") and reason:
        return _FAX_SERVER_ANSWER, {"detail": reason}
    codes = reason.split("; ")
    if reason and action.startswith("job.") and all(code in CODES for code in codes):
        return "%(names)s", {"names": [CODES[code].summary_en for code in codes]}
    return "%(reason)s", {"reason": reason}
_ACTORS = {"system:worker": N_("faxgate (automatic)"), "web": N_("Web app (before sign-in)"),
           "fax-server": N_("Fax server")}
_ACTOR_KINDS = {"user": N_("%(name)s"), "device": N_("Device %(name)s"), "system": N_("faxgate (%(name)s)")}


def audit_actor(actor: str) -> tuple[str, dict]:
    """(catalog message, its values) for who did it: people by their names, the system in words."""
    if actor in _ACTORS:
        return _ACTORS[actor], {}
    kind, _, name = actor.partition(":")
    if name and kind in _ACTOR_KINDS:
        return _ACTOR_KINDS[kind], {"name": name}
    return "%(name)s", {"name": actor}


LIST_SEPARATOR = N_(", ")


def in_words(gettext, message: str, values: dict) -> str:
    """An audit_action/audit_reason answer translated: the state and the reason names are
    catalog messages themselves, the other values are shown as stored."""
    shown = dict(values)
    if "state" in shown:
        shown["state"] = gettext(shown["state"])
    if "names" in shown:
        shown["names"] = gettext(LIST_SEPARATOR).join(gettext(name) for name in shown["names"])
    return gettext(message) % shown
