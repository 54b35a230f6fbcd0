"""The unit of work: one transaction over one Session, with a repository for each aggregate.
Committed when the block ends; rolled back if it raises, or always with ``dry_run`` (to see an
effect without keeping it). Services take it; only gateway/storage speaks SQLAlchemy."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.storage import sealing
from gateway.storage.kek import AtRestKeyError, Keyring
from gateway.storage.repositories.data_keys import DataKeyRepository
from gateway.storage.repositories.approver_notices import ApproverNoticeRepository
from gateway.storage.repositories.audit import AuditRepository
from gateway.storage.repositories.directory import DirectoryRepository
from gateway.storage.repositories.inbox import InboxRepository
from gateway.storage.repositories.incidents import IncidentRepository
from gateway.storage.repositories.jobs import JobRepository
from gateway.storage.repositories.notices import NoticeRepository
from gateway.storage.repositories.page_views import PageViewRepository
from gateway.storage.repositories.login_throttle import LoginThrottleRepository
from gateway.storage.repositories.records import RecordRepository
from gateway.storage.repositories.sites import SiteRepository
from gateway.storage.repositories.statistics import StatisticsRepository
from gateway.storage.repositories.users import UserRepository
from gateway.storage.repositories.web_sessions import WebSessionRepository


class UnitOfWork:
    """``read_only``: a transaction that never writes. On SQLite it begins deferred instead of
    taking the write lock (gateway.storage.db), so it never waits behind the intake's commits.
    ``keyring``: gives the key-encryption key when a sealed value is written or read
    (gateway.storage.sealing); without one, any such access fails closed."""

    def __init__(self, engine: Engine, *, dry_run: bool = False, read_only: bool = False,
                 keyring: Callable[[], Keyring] | None = None):
        self._engine = engine.execution_options(read_only=True) if read_only else engine
        self.dry_run = dry_run
        self._keyring = keyring or _no_keyring

    def __enter__(self) -> UnitOfWork:
        session = Session(self._engine, expire_on_commit=False)
        self._transaction = session.begin()
        self._bind(session)
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if exc_type is None and not self.dry_run:
                self._transaction.commit()
            else:
                self._transaction.rollback()
        finally:
            self.session.close()

    def _bind(self, session: Session) -> None:
        self.session = session  # for the repositories (and tests that inspect rows)
        sealing.attach(session, self._keyring)
        self.data_keys = DataKeyRepository(session)
        self.jobs = JobRepository(session)
        self.audit = AuditRepository(session)
        self.records = RecordRepository(session)
        self.directory = DirectoryRepository(session)
        self.incidents = IncidentRepository(session)
        self.users = UserRepository(session)
        self.sites = SiteRepository(session)
        self.page_views = PageViewRepository(session)
        self.web_sessions = WebSessionRepository(session)
        self.login_throttle = LoginThrottleRepository(session)
        self.notices = NoticeRepository(session)
        self.statistics = StatisticsRepository(session)
        self.approver_notices = ApproverNoticeRepository(session)
        self.inbox = InboxRepository(session)

    def in_book(self, book: str) -> "BookScope":
        """This unit of work with its directory looking slots up in `book` (a device's own)."""
        return BookScope(self, book)

    def savepoint(self):
        """A block within this unit of work that, if it raises, leaves nothing behind (the rest
        of the unit of work goes on)."""
        return self.session.begin_nested()


def _no_keyring() -> Keyring:
    raise AtRestKeyError("missing_env", env="(no key-encryption key given to this unit of work)")


class BookScope:
    """A unit of work seen through one speed-dial book: `directory` finds slots in that book, every
    other repository and the transaction are the unit of work's own."""

    def __init__(self, uow: UnitOfWork, book: str):
        self._uow = uow
        self.directory = DirectoryRepository(uow.session, book)

    def __getattr__(self, name):
        return getattr(self._uow, name)
