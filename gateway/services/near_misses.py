"""A destination refused at once (SMTP RCPT 550, an upload's slot) leaves no job behind: this
remembers that a wrong number was caught, for the privacy office's statistics (its code, the
door, the sender's department; not the number)."""

from __future__ import annotations

import structlog

log = structlog.get_logger("faxgate.near_misses")


def record_refused(unit_of_work, door: str, code: str, sender: str) -> None:
    """Never changes the answer the sender gets: a failure to record it is only logged."""
    try:
        with unit_of_work() as uow:
            uow.statistics.record_refused(door, code, sender or "")
    except Exception:
        log.exception("near_miss_not_recorded", door=door, code=code)
