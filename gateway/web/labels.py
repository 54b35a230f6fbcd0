"""Names for codes the web app shows (job states, roles, proposal actions and problems), marked
for the catalog and translated when a page is rendered."""

from __future__ import annotations

from gateway.web.i18n import N_

STATES = {
    "received": N_("Received"),
    "screening": N_("Being checked"),
    "blocked": N_("Stopped"),
    "awaiting_confirmation": N_("Waiting for confirmation"),
    "approved": N_("Approved, about to be sent"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Could not be sent"),
    "rejected": N_("Rejected"),
    "expired": N_("Expired"),
    "delivery_unknown": N_("Delivery unknown: check with the fax server"),
}

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

# Where a directory change request came from (directory.schema.ChangeRequest.origin).
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

# What a person can do about each kind of stop, beyond the reason itself.
BLOCK_ADVICE = {
    "not_in_directory": N_("Ask an administrator to add the destination to the directory (a second administrator approves it), then send again."),
    "needs_review": N_("Ask an administrator to review the directory entry, then send again."),
    "retired": N_("Confirm the current number with the recipient and ask an administrator to update the directory."),
    "stale": N_("Confirm with the recipient that the number has not changed, and ask an administrator to record the confirmation."),
    "undialable": N_("Check the number: it would not reach the intended recipient as written."),
    "personal_data": N_("Do not send personal data by fax. Use mail, hand delivery or a secure shared folder; if fax is unavoidable, black out the personal data and send again."),
    "pages_not_readable": N_("Send a PDF with a text layer (not a scan) so the pages can be checked."),
}
DOCUMENT_ADVICE = N_("Make the document again from the original (PDF or TIFF, no password) and send it again.")
GENERAL_ADVICE = N_("Fix the cause and send the fax again from the device. If you are unsure, ask your department's approver.")


def block_advice(code: str) -> str:
    if code in BLOCK_ADVICE:
        return BLOCK_ADVICE[code]
    if code.startswith("document_"):
        return DOCUMENT_ADVICE
    return GENERAL_ADVICE
