"""One repository per aggregate: every query faxgate makes, each named for its question."""

from __future__ import annotations

from sqlalchemy.orm import Session


class Repository:
    def __init__(self, session: Session):
        self._session = session
