"""Login throttling, as plain rules: a few free mistakes, then a lockout that doubles with each
further failure (up to an hour), forgotten after a quiet day. While locked, even the right
password is refused, so guessing gains nothing from the lockout's end being near."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FREE_FAILURES = 5
FIRST_LOCK = dt.timedelta(seconds=30)
LONGEST_LOCK = dt.timedelta(hours=1)
FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Attempts:
    failures: int = 0
    last_failure_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


def wait_left(attempts: Attempts, now: dt.datetime) -> dt.timedelta | None:
    """How long the account stays locked, or None when a login may be tried now."""
    if attempts.locked_until is None or attempts.locked_until <= now:
        return None
    return attempts.locked_until - now


def after_failure(attempts: Attempts, now: dt.datetime) -> Attempts:
    quiet = attempts.last_failure_at is None or now - attempts.last_failure_at > FORGET_AFTER
    failures = 1 if quiet else attempts.failures + 1
    locked_until = None
    if failures >= FREE_FAILURES:
        doublings = min(failures - FREE_FAILURES, 16)  # bounded: timedelta overflows long before 2**failures
        lock = min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)
        locked_until = now + lock
    return Attempts(failures, now, locked_until)
