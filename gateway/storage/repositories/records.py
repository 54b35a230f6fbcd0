"""Signed records (transmission records, directory audit reports) and the audit chain's signed
checkpoints."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.storage.tables import AuditCheckpoint, Record
from gateway.storage.repositories import Repository


class RecordRepository(Repository):
    def add(self, *, pdf: bytes, **fields) -> Record:
        record = Record(**fields)
        self._session.add(record)
        record.pdf = pdf  # sealed, bound to its hash (set above): in the session, where the data keys are
        return record

    def latest_for_job(self, job_id: str) -> Record | None:
        return self._session.scalars(select(Record).where(Record.job_id == job_id).order_by(Record.id.desc())).first()

    def add_checkpoint(self, last_id: int, last_hash: str, cms: bytes) -> None:
        self._session.add(AuditCheckpoint(last_id=last_id, last_hash=last_hash, cms=cms))

    def last_checkpointed_id(self) -> int:
        return self._session.scalar(select(func.max(AuditCheckpoint.last_id))) or 0

    def checkpoints(self) -> list[tuple[int, bytes]]:
        """(id, CMS) of every checkpoint, oldest first."""
        return [(c.id, c.cms) for c in self._session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]
