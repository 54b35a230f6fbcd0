"""The job life cycle: the states of interfaces.md and the only moves between them."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """A job's state; stored and shown as its value (a StrEnum equals its string)."""

    RECEIVED = "received"
    SCREENING = "screening"
    BLOCKED = "blocked"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    DELIVERY_UNKNOWN = "delivery_unknown"


STATES = tuple(state.value for state in JobState)  # plain strings, for choices and columns
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.RECEIVED: frozenset({JobState.SCREENING}),
    # A screening interrupted by a crash is picked up again from the start.
    JobState.SCREENING: frozenset({JobState.BLOCKED, JobState.AWAITING_CONFIRMATION, JobState.RECEIVED}),
    JobState.BLOCKED: frozenset({JobState.SCREENING, JobState.REJECTED, JobState.EXPIRED}),
    # Back to received: the directory entry or the policy changed, so the job is screened again.
    JobState.AWAITING_CONFIRMATION: frozenset({JobState.APPROVED, JobState.REJECTED, JobState.EXPIRED,
                                               JobState.SCREENING, JobState.RECEIVED}),
    JobState.APPROVED: frozenset({JobState.SENDING, JobState.AWAITING_CONFIRMATION, JobState.REJECTED,
                                  JobState.EXPIRED, JobState.RECEIVED}),
    # The fax server refused for now: back to approved to be retried after a pause.
    JobState.SENDING: frozenset({JobState.SENT, JobState.FAILED, JobState.APPROVED, JobState.DELIVERY_UNKNOWN}),
    JobState.DELIVERY_UNKNOWN: frozenset({JobState.SENT, JobState.FAILED}),
    JobState.SENT: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.REJECTED: frozenset(),
    JobState.EXPIRED: frozenset(),
}


def _reachable(start: JobState) -> set[JobState]:
    seen, todo = set(), [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


# States from which a job can never again wait for a confirmation: its number may be shown to
# everyone who may see the job (blind re-entry only protects confirmations still to come).
CONFIRMATIONS_OVER = frozenset(s for s in STATES if JobState.AWAITING_CONFIRMATION not in _reachable(s))


class TransitionRefused(ValueError):
    def __init__(self, current: str, new: str):
        super().__init__(f"a job cannot go from {current} to {new}")
        self.current, self.new = current, new


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, ()):
        raise TransitionRefused(current, new)
