"""The jobs' data keys as a whole: which KEK wraps them, re-wrapping them under a new one (key
rotation: the documents stay as they are), and sealing values stored before encryption came."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from gateway.storage.kek import Keyring
from gateway.storage.repositories import Repository
from gateway.storage.sealing import SEAL_MAGIC, is_sealed
from gateway.storage.tables import DataKey, Job, JobBlob, Record


class DataKeyRepository(Repository):
    def by_kek(self) -> dict[str, int]:
        """How many data keys each KEK wraps."""
        return dict(self._session.execute(select(DataKey.kek_id, func.count()).group_by(DataKey.kek_id)).all())

    def newest_kek(self) -> str | None:
        """The KEK of the newest data key: the one this database is being written with."""
        return self._session.scalar(select(DataKey.kek_id).order_by(DataKey.created_at.desc(), DataKey.owner).limit(1))

    def rewrap(self, old: Keyring, new: Keyring, limit: int = 500) -> int:
        """Up to `limit` data keys not yet under `new`'s current KEK, unwrapped with `old` and
        wrapped again under it; how many were."""
        now = dt.datetime.now(dt.timezone.utc)
        rows = list(self._session.scalars(select(DataKey).where(DataKey.kek_id != new.current_id)
                                          .order_by(DataKey.owner).limit(limit)))
        for row in rows:
            key = old.unwrap(row.wrapped, row.owner, row.kek_id)
            row.kek_id, row.wrapped = new.wrap(key, row.owner)
            row.rotated_at = now
        self._session.flush()
        return len(rows)

    def seal_existing(self, limit: int = 200) -> int:
        """Up to `limit` rows of messages, documents, findings, file names and records stored in the clear
        (before encryption at rest), sealed now; how many rows were."""
        done = 0
        columns = ("stored_message", "stored_document", "stored_submitted_document")
        clear = or_(*(_clear(getattr(JobBlob, c)) for c in columns))
        for blob in self._session.scalars(select(JobBlob).where(clear).order_by(JobBlob.job_id).limit(limit)):
            for column in columns:
                stored = getattr(blob, column)
                if stored is not None and not is_sealed(stored):
                    setattr(blob, column.removeprefix("stored_"), bytes(stored))
            done += 1
        for job in self._session.scalars(select(Job)):
            if done >= limit:
                break
            sealed = False
            if isinstance(job.stored_findings, list) and job.stored_findings:
                job.findings, sealed = list(job.stored_findings), True
            if job.stored_filename and not is_sealed(job.stored_filename):
                job.filename, sealed = job.stored_filename, True
            done += sealed
        for record in self._session.scalars(select(Record).where(_clear(Record.stored_pdf)).limit(max(limit - done, 0))):
            record.pdf = bytes(record.stored_pdf)
            done += 1
        self._session.flush()
        return done


def _clear(column):
    """The column holds a value not sealed (stored before encryption at rest)."""
    return column.is_not(None) & (func.substr(column, 1, len(SEAL_MAGIC)) != SEAL_MAGIC)
