"""The composition root: builds faxgate's parts from the configuration, once, on demand."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from directory.profile import PbxProfile
from gateway import db
from gateway.config import Config


class App:
    def __init__(self, config: Config):
        self.config = config

    @cached_property
    def profile(self) -> PbxProfile:
        return self.config.pbx_profile()

    @cached_property
    def engine(self) -> Engine:
        engine = db.make_engine(self.config.database.url)
        db.ensure_schema(engine)
        return engine

    @contextmanager
    def session(self, dry_run: bool = False) -> Iterator[Session]:
        """One unit of work: committed when the block ends (rolled back if it raises, or when
        ``dry_run`` asks to see the effect without keeping it)."""
        with db.session_factory(self.engine)() as session:
            with session.begin() as transaction:
                yield session
                if dry_run:
                    transaction.rollback()
