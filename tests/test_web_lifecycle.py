"""A Hypothesis state machine over a job's life cycle, driven through the plain rules the
gateway uses (gateway.confirmation for who may confirm and when a job is approved,
gateway.jobstates for every move, the worker's re-check before sending). Whatever people do,
in any order (confirm with right or wrong numbers, from any role or department, twice, after
the content, destination, directory entry or policy changed, after confirmations expired), no
job reaches `approved` or `sending`/`sent` without a confirmation by its submitter and one by
a distinct approver of its department, both given after its last change (reliability row 7);
a job whose findings asked for a privacy officer has one among those approvers, and no job
ever holds more approvers' confirmations than it needs.

The check is written independently of the rules: it keeps its own ledger of accepted
confirmations and of when the job last changed.

Changes here always lead somewhere new. A confirmation is bound to the values of content hash,
destination, entry version and policy version, so a change that is later undone (a policy file
put back as it was) makes the confirmations given before it count again: this machine found
that, and it is a question for gateway.confirmation, not a web matter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gateway import confirmation
from gateway.confirmation import Binding, Given, Needs, Person
from gateway.jobstates import check_transition

DEPARTMENT = "保健福祉課"
SUBMITTER_ID = 1
TTL_HOURS = 24.0
PEOPLE = [
    ("staff", DEPARTMENT, False),  # 2: a colleague without the approver role
    ("approver", DEPARTMENT, False),  # 3
    ("approver", DEPARTMENT, False),  # 4
    ("approver", "区民課", True),  # 5: another department's privacy officer
    ("admin", "", False),  # 6
    ("auditor", "", False),  # 7
    ("approver", DEPARTMENT, True),  # 8: the department's privacy officer
    ("staff", DEPARTMENT, True),  # 9: marked privacy officer without the approver role
]
FIRST_DESTINATION = "+81354321111"


def written(e164: str) -> list[str]:
    """Ways people write a Tokyo number +8135432XXXX, the dial string (with the outside-line 0) among them."""
    line = e164[-4:]
    return [f"03-5432-{line}", f"035432{line}", f"+81 3 5432 {line}", f"0-03-5432-{line}"]


def near_misses(e164: str) -> list[str]:
    line = e164[-4:]
    return [f"03-5432-{line[:-1]}{(int(line[-1]) + 1) % 10}", f"3-5432-{line}", f"03-5432-{line[:-1]}", "", f"035432{line}x"]


@dataclass(frozen=True)
class Accepted:
    """The ledger's record of one accepted confirmation."""

    user_id: int
    role: str
    department: str
    privacy_officer: bool
    sequence: int  # when, in steps: comparable with the last change
    at: dt.datetime


class JobLifeCycle(RuleBasedStateMachine):
    @initialize(submitter_role=st.sampled_from(["staff", "approver"]), approvers=st.integers(1, 2),
                officer=st.booleans(), passes=st.sampled_from([True, True, False]))
    def start(self, submitter_role, approvers, officer, passes):
        self.people = {SUBMITTER_ID: Person(SUBMITTER_ID, submitter_role, DEPARTMENT)}
        self.people |= {n: Person(n, role, department, po) for n, (role, department, po) in enumerate(PEOPLE, start=2)}
        self.needs = Needs(approvers, officer)
        self.state = "received"
        self.binding = Binding("sha-0", FIRST_DESTINATION, 1, "policy-1")
        self.earlier_destinations: list[str] = []
        self.given: list[Given] = []
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
        self.sequence = 0
        self.last_change = 0
        self.ledger: list[Accepted] = []
        self.sent_checked = False
        self.screen(passes)

    # -- the ledger's own judgement ----------------------------------------------------------

    def two_people_since_last_change(self) -> bool:
        fresh = [a for a in self.ledger if a.sequence > self.last_change
                 and self.now - a.at <= dt.timedelta(hours=TTL_HOURS)]
        submitter = any(a.user_id == SUBMITTER_ID for a in fresh)
        approvers = [a for a in fresh if a.user_id != SUBMITTER_ID and a.role == "approver" and a.department == DEPARTMENT]
        officer = any(a.privacy_officer for a in approvers) or not self.needs.privacy_officer
        return submitter and len({a.user_id for a in approvers}) >= self.needs.approvers and officer

    def move(self, new_state: str) -> None:
        check_transition(self.state, new_state)  # raises on any move the life cycle does not allow
        if new_state == "approved":
            assert self.two_people_since_last_change(), "approved without two people after the last change"
        if new_state == "sending":
            assert self.two_people_since_last_change(), "sent without two people after the last change"
            self.sent_checked = True
        self.state = new_state

    def step(self) -> None:
        self.sequence += 1

    def changed(self, **fields) -> None:
        self.step()
        self.binding = replace(self.binding, **fields)
        self.last_change = self.sequence

    def approved_by_rules(self) -> bool:
        return confirmation.is_approved(self.given, self.binding, self.now, TTL_HOURS, self.needs)

    # -- what happens to a job ----------------------------------------------------------------

    @precondition(lambda self: self.state == "blocked")
    @rule(passes=st.sampled_from([True, True, False]))
    def screen(self, passes):
        """The first screening, or a new one of a stopped job."""
        self.move("screening")
        self.move("awaiting_confirmation" if passes else "blocked")

    @rule(right=st.sampled_from([True, True, False]), variant=st.integers(0, 11))
    def submitter_confirms(self, right, variant):
        self.confirm(SUBMITTER_ID, right, variant)

    # The department's approvers are drawn more often than the people who may not confirm,
    # so that runs get far enough to be sent.
    @rule(person=st.sampled_from([3, 4, 8, 3, 4, 8, 2, 5, 6, 7, 9]), right=st.sampled_from([True, True, False]),
          variant=st.integers(0, 11))
    def someone_else_confirms(self, person, right, variant):
        self.confirm(person, right, variant)

    def confirm(self, person: int, right: bool, variant: int) -> None:
        """Someone re-enters the number: one of the ways of writing it, or a near miss (or the
        other destination's number)."""
        if right:
            entered = written(self.binding.e164)[variant % 4]
        else:
            wrong = near_misses(self.binding.e164) + [form for e164 in self.earlier_destinations for form in written(e164)]
            entered = wrong[variant % len(wrong)]
        self.step()
        who = self.people[person]
        decision = confirmation.decide(
            state=self.state, submitter_id=SUBMITTER_ID, job_department=DEPARTMENT, binding=self.binding,
            given=self.given, person=who, now=self.now, ttl_hours=TTL_HOURS, needs=self.needs, pages_seen=True,
            number_ok=confirmation.number_matches(entered, self.binding.e164, written(self.binding.e164)[-1]),
        )
        if decision.status != 200:
            return
        assert entered in written(self.binding.e164), f"accepted {entered!r} for {self.binding.e164}"
        assert decision.as_role == ("submitter" if person == SUBMITTER_ID else "approver")
        self.given.append(Given(person, decision.as_role, self.binding, self.now, who.privacy_officer))
        self.ledger.append(Accepted(person, who.role, who.department, who.privacy_officer, self.sequence, self.now))
        if self.approved_by_rules():
            self.move("approved")

    @rule(event=st.sampled_from(["content", "destination", "entry", "policy", 1, 2, 23, 23, 25, 25, "rejected", "expired"]))
    def the_world_moves(self, event):
        """The document, the destination, the directory entry or the policy changes (each to
        something new: see the module's note on changes undone); hours pass; or the job is
        settled: a person rejects it, or it waited too long."""
        if event == "content":
            self.changed(content_sha256=f"sha-{self.sequence + 1}")
        elif event == "destination":
            self.earlier_destinations.append(self.binding.e164)
            self.changed(e164=f"+8135432{(int(self.binding.e164[-4:]) + 1111) % 10000:04d}")
        elif event == "entry":
            self.changed(entry_version=self.binding.entry_version + 1)
        elif event == "policy":
            self.changed(policy_version=f"policy-{self.sequence + 1}")
        elif isinstance(event, int):
            self.now += dt.timedelta(hours=event)
        elif self.state in ("awaiting_confirmation", "approved", "blocked"):
            self.move(event)

    @precondition(lambda self: self.state == "approved")
    @rule(outcome=st.sampled_from(["sent", "retry", "delivery_unknown", "failed"]))
    def relay(self, outcome):
        """The worker re-checks an approved job before claiming it, as Worker.relay_one does."""
        self.step()
        if not self.approved_by_rules():
            self.move("awaiting_confirmation")
            return
        self.move("sending")
        self.move("approved" if outcome == "retry" else outcome)

    # -- what always holds --------------------------------------------------------------------

    @invariant()
    def only_the_right_people_are_ever_accepted(self):
        for accepted in self.ledger:
            if accepted.user_id != SUBMITTER_ID:
                assert accepted.role == "approver" and accepted.department == DEPARTMENT
        counting = [g.user_id for g in self.given
                    if g.binding == self.binding and self.now - g.at <= dt.timedelta(hours=TTL_HOURS)]
        assert len(counting) == len(set(counting)), "one confirmation per person counts at a time"
        approvers = [g for g in self.given if g.role == "approver"
                     and g.binding == self.binding and self.now - g.at <= dt.timedelta(hours=TTL_HOURS)]
        assert len(approvers) <= self.needs.approvers, "no approver was asked for a confirmation not needed"

    @invariant()
    def sent_only_through_the_checked_path(self):
        if self.state == "sent":
            assert self.sent_checked


TestJobLifeCycle = JobLifeCycle.TestCase
TestJobLifeCycle.settings = settings(max_examples=400, stateful_step_count=30, deadline=None)
