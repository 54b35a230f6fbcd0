"""Leases on background claims: a job being screened or sent is held by one process (its owner:
host, process id and a random part, so a restarted process, or a reused process id, is a new
owner) until its lease runs out. The holder renews it while it lives (the heartbeat); recovery
takes over only jobs whose lease ran out, so a second process never disturbs a live one."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from dataclasses import dataclass

from gateway.core.states import JobState, check_transition
from gateway.storage.uow import UnitOfWork

LEASED_STATES = (JobState.SCREENING, JobState.SENDING)


@dataclass(frozen=True)
class Lease:
    owner: str
    until: dt.datetime


def new_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def lease(owner: str, seconds: float) -> Lease:
    return Lease(owner, dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds))


def renew(uow: UnitOfWork, held: Lease) -> int:
    """Every job `held.owner` screens or sends is held until `held.until`; returns how many."""
    return uow.jobs.renew_leases(held.owner, LEASED_STATES, held.until)


def holds(job, owner: str, state: str) -> bool:
    """Whether `owner` still holds `job` in `state` (nobody took it over after its lease ran out)."""
    return job is not None and job.state == state and job.lease_owner == owner


# What a job whose holder died becomes: a send may have reached the fax server (nobody can know
# whether the fax went), a screening is simply done again.
_TAKEN_OVER = {
    JobState.SENDING: (JobState.DELIVERY_UNKNOWN,
                       "its sender stopped mid-send (lease expired): the fax server may have it; a person must check"),
    JobState.SCREENING: (JobState.RECEIVED, "its screening stopped (lease expired); screening again"),
}


def take_over_expired(uow: UnitOfWork, actor: str) -> list[tuple[str, str]]:
    """Move every job whose lease ran out; returns (job id, new state) of those moved."""
    now = dt.datetime.now(dt.timezone.utc)
    moved = []
    for job_id, state in uow.jobs.expired_leases(LEASED_STATES, now):
        to_state, reason = _TAKEN_OVER[state]
        check_transition(state, to_state)
        if uow.jobs.take_over(job_id, state, to_state, now):
            uow.audit.append(actor, f"job.{to_state}", job_id, reason, previous=state)
            moved.append((job_id, to_state))
    return moved
