"""A Hypothesis state machine over a real job's life cycle (reliability row 7). Each run stores one
job as the intake does, on its own database, and moves it only the ways real jobs move: the
worker screens it (Worker.screen_one), people confirm through the service the web app and the
API use (services.confirm, after looking at every page), an administrator edits the directory
entry (with a second one approving), the policy file is replaced, hours pass (the stored
confirmations grow older, as under a real clock), the worker notices the changes
(Worker.screen_changed) and relays (Worker.relay_one, to a real SMTP fax server), or an approver
rejects. Whatever the order, no job reaches `approved`, `sending` or `sent` without a confirmation
by its submitter and by enough distinct approvers of its department, all accepted after its last
change and none expired; and it is faxed at most once, only if it reached `sent`.

The check keeps its own ledger of accepted confirmations and of when the job last changed; it
does not ask the rules it checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from gateway.bootstrap import App
from gateway.config import PolicyConfig
from gateway.entrypoints.worker import Worker
from gateway.services import confirm as approvals
from gateway.services.users import add_user
from gateway.storage.directory_tables import DirectoryEntry
from gateway.storage.tables import Confirmation, Job
from tests.support.harness import SmtpSink, change_approved, confirm_after_viewing, db_session, make_config, seed
from tests.support.jobs import stored_job

DEPARTMENT = "保健福祉課"
TTL_HOURS = 24
# Who may try to confirm: the submitter, the department's approvers, another department's
# approver, and people of other roles (harness.seed and the admin added below).
PEOPLE = ["sato", "suzuki", "tanaka", "ito", "suzuki", "tanaka", "kato", "yamada"]
NUMBERS = {"+81354321111": "03-5432-1111", "+81354329999": "03-5432-9999"}


def policy_text(version: int, approvers: int) -> str:
    return f'version = "machine-{version}"\n[confirmation]\napprovers = {approvers}\n'


class _Template:
    """One database with the people and the directory, copied for each run (migrating and
    seeding a fresh one each time would take most of the run)."""

    def __init__(self):
        self.fax = SmtpSink().start()
        self.directory = Path(tempfile.mkdtemp(prefix="faxgate-machine-"))
        app = App(make_config(self.directory, self.fax.port, self.fax.port, policy_text=policy_text(0, 1)))
        seed(app)
        with app.unit_of_work() as uow:
            add_user(uow, "yamada", "admin", "yamada@city.example.jp", "情報政策課", None, "test")
        app.engine.dispose()

    def fresh_app(self, approvers: int) -> App:
        run = Path(tempfile.mkdtemp(prefix="run-", dir=self.directory))
        shutil.copy(self.directory / "faxgate.db", run / "faxgate.db")
        (run / "policy.toml").write_text(policy_text(0, approvers), encoding="utf-8")
        config = make_config(run, self.fax.port, self.fax.port)
        return App(dataclasses.replace(config, policy=PolicyConfig(file=str(run / "policy.toml"))))


_template: _Template | None = None


def template() -> _Template:
    global _template
    if _template is None:
        _template = _Template()
    return _template


class RealJobLifeCycle(RuleBasedStateMachine):
    @initialize(approvers=st.sampled_from([1, 1, 2]))
    def start(self, approvers):
        self.app = template().fresh_app(approvers)
        self.approvers = approvers
        self.worker = Worker(self.app)
        self.job_id = stored_job(self.app, recipient="sd-1@fax.example.jp")
        self.policy_version = 0
        self.clock = 0  # hours passed in this run
        self.sequence = 0
        self.last_change = 0
        self.ledger: list[tuple[str, str, str, int, int]] = []  # (name, role, department, sequence, clock)
        self.screen()

    def teardown(self):
        if hasattr(self, "app"):
            self.app.engine.dispose()

    # -- reading the job as it is stored -------------------------------------------------------

    def job(self) -> Job:
        with db_session(self.app) as session:
            job = session.get(Job, self.job_id)
            session.expunge(job)
            return job

    def screen(self) -> None:
        """The worker screens the job if it waits for that (as its loop would, at once)."""
        while self.job().state == "received":
            assert self.worker.screen_one()

    def changed(self) -> None:
        """A change the worker must act on: it screens the job again (Worker.screen_changed and
        relay_one's re-check are the only doors), and from now on earlier confirmations are void."""
        self.sequence += 1
        self.last_change = self.sequence
        self.worker.screen_changed()
        self.screen()

    # -- the ledger's own judgement ------------------------------------------------------------

    def confirmed_since_last_change(self) -> bool:
        fresh = [a for a in self.ledger if a[3] > self.last_change and self.clock - a[4] <= TTL_HOURS]
        submitter = any(name == "sato" for name, *_ in fresh)
        approvers = {name for name, role, department, *_ in fresh
                     if name != "sato" and role == "approver" and department == DEPARTMENT}
        return submitter and len(approvers) >= self.approvers

    # -- what happens to a job ----------------------------------------------------------------

    @rule(person=st.sampled_from(PEOPLE), right=st.sampled_from([True, True, True, False]))
    def someone_confirms(self, person, right):
        self.sequence += 1
        with self.app.unit_of_work() as uow:
            job = uow.jobs.get(self.job_id)
            entry = uow.directory.get(job.entry_id) if job.entry_id else None
            number = NUMBERS.get(entry.e164 if entry else "", "03-5432-1111")
            entered = number if right else number[:-1] + str((int(number[-1]) + 1) % 10)
            user = uow.users.by_name(person)
            answer = confirm_after_viewing(uow, job, user, entered, self.app.policy)
        if answer.status == 200:
            assert right, f"a wrong number {entered!r} was accepted"
            self.ledger.append((person, user.role, user.department, self.sequence, self.clock))

    @rule(new_number=st.booleans())
    def the_entry_changes(self, new_number):
        """An administrator edits the entry the job goes to (another approves the change)."""
        with self.app.unit_of_work() as uow:
            entry = uow.session.get(DirectoryEntry, uow.jobs.get(self.job_id).entry_id)
            if entry is None:
                return
            before = entry.version
            if new_number:
                dial = "0-03-5432-9999" if entry.e164 == "+81354321111" else "0-03-5432-1111"
                change_approved(uow, self.app, 1, dial=dial)
            else:
                change_approved(uow, self.app, 1, name=f"子ども家庭支援係 {self.sequence}")
            assert entry.version != before
        self.changed()

    @rule()
    def the_policy_changes(self):
        self.policy_version += 1
        Path(self.app.config.policy.file).write_text(policy_text(self.policy_version, self.approvers), encoding="utf-8")
        for loaded in ("policy", "screen_settings"):  # read once per process: as the restart after an edit
            self.app.__dict__.pop(loaded, None)
        self.changed()

    @rule(hours=st.sampled_from([1, 23, 25]))
    def hours_pass(self, hours):
        """The stored moments of the confirmations move back, as a real clock moves forward."""
        self.clock += hours
        with db_session(self.app) as session:
            for given in session.query(Confirmation):
                given.at -= dt.timedelta(hours=hours)

    @precondition(lambda self: self.job().state == "approved")
    @rule()
    def the_worker_relays(self):
        self.sequence += 1
        allowed = self.confirmed_since_last_change()
        self.worker.relay_one()
        if self.job().state in ("sending", "sent", "failed", "delivery_unknown"):
            assert allowed, "relayed without the confirmations its last change needs"
        self.screen()

    @rule(person=st.sampled_from(["suzuki", "kato"]))
    def an_approver_rejects(self, person):
        with self.app.unit_of_work() as uow:
            approvals.reject(uow, uow.jobs.get(self.job_id), uow.users.by_name(person), "宛先違い")

    # -- what always holds --------------------------------------------------------------------

    @invariant()
    def never_sent_without_two_people_after_the_last_change(self):
        if not hasattr(self, "app"):
            return
        state = self.job().state
        event(f"reached {state}")  # --hypothesis-show-statistics: how far the runs get
        if state in ("approved", "sending"):
            assert self.confirmed_since_last_change(), f"{state} without the confirmations its last change needs"
        faxed = [m for m in template().fax.received if self.job_id in (m.message["Message-ID"] or "")]
        assert len(faxed) <= 1, "faxed twice"
        assert bool(faxed) == (state == "sent"), f"faxed {len(faxed)} time(s) in state {state}"


TestRealJobLifeCycle = RealJobLifeCycle.TestCase
TestRealJobLifeCycle.settings = settings(max_examples=30, stateful_step_count=12, deadline=None)
