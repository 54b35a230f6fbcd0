"""The job life cycle: the states of interfaces.md and the only moves between them."""

from __future__ import annotations

STATES = (
    "received",
    "screening",
    "blocked",
    "awaiting_confirmation",
    "approved",
    "sending",
    "sent",
    "failed",
    "rejected",
    "expired",
    "delivery_unknown",
)
FINAL = frozenset({"sent", "failed", "rejected", "expired"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"screening"}),
    # A screening interrupted by a crash is picked up again from the start.
    "screening": frozenset({"blocked", "awaiting_confirmation", "received"}),
    "blocked": frozenset({"screening", "rejected", "expired"}),
    # Back to received: the directory entry or the policy changed, so the job is screened again.
    "awaiting_confirmation": frozenset({"approved", "rejected", "expired", "screening", "received"}),
    "approved": frozenset({"sending", "awaiting_confirmation", "rejected", "expired", "received"}),
    # The fax server refused for now: back to approved to be retried after a pause.
    "sending": frozenset({"sent", "failed", "approved", "delivery_unknown"}),
    "delivery_unknown": frozenset({"sent", "failed"}),
    "sent": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
    "expired": frozenset(),
}


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


# States from which a job can never again wait for a confirmation: its number may be shown to
# everyone who may see the job (blind re-entry only protects confirmations still to come).
CONFIRMATIONS_OVER = frozenset(s for s in STATES if "awaiting_confirmation" not in _reachable(s))


class TransitionRefused(ValueError):
    def __init__(self, current: str, new: str):
        super().__init__(f"a job cannot go from {current} to {new}")
        self.current, self.new = current, new


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, ()):
        raise TransitionRefused(current, new)
