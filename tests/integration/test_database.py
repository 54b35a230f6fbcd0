"""Schema migrations and the directory on both databases: SQLite (embedded) and real PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from gateway.storage.repositories.audit import AuditRepository
from gateway.storage import db
from gateway.bootstrap import App
from gateway.config import DatabaseConfig
from gateway.storage.tables import Job
from gateway.storage.metadata import metadata
from gateway.entrypoints.serve import BackgroundGateway
from gateway.entrypoints.worker import Worker
from tests.support import docgen
from tests.support.paths import FIXTURES
from tests.support.harness import db_session, confirm_after_viewing, fax_message, make_config, queued_id, race, seed, submit, wait_state


def test_migrations_match_the_models(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/m.db")
    db.upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    db.upgrade(engine)  # safe to run again
    assert db.current_revision(engine) == db.head_revision()


def test_sqlite_is_durable_wal_with_foreign_keys(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/d.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_shared_database_must_be_upgraded_on_purpose(postgres_url):
    engine = db.make_engine(postgres_url)
    with pytest.raises(db.SchemaOutOfDate, match="faxgate db upgrade"):
        db.ensure_schema(engine)


def test_directory_on_postgresql(postgres_url, tmp_path):
    """The same commands, through the installed console script, on a real PostgreSQL server."""
    config = tmp_path / "pg.toml"
    config.write_text(f'[database]\nurl = "{postgres_url}"\n', encoding="utf-8")

    def faxgate(*args):
        return subprocess.run(
            [sys.executable, "-m", "gateway", "--config", str(config), *args], capture_output=True, text=True, timeout=60
        )

    not_ready = faxgate("directory", "list")
    assert not_ready.returncode == 1 and "faxgate db upgrade" in not_ready.stderr
    assert faxgate("db", "upgrade").returncode == 0
    assert faxgate("db", "upgrade").returncode == 0
    for name in ("yamada", "kimura"):
        assert faxgate("users", "add", name, "--role", "admin", "--email", f"{name}@city.example.jp").returncode == 0
    imported = faxgate("directory", "import", str(FIXTURES / "addressbooks" / "konica_abbr.csv"), "--by", "yamada", "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert len(report["created"]) == 7 and report["pending"] == 7
    assert faxgate("directory", "approve", str(report["change"]), "--by", "kimura").returncode == 0
    fixed = faxgate("directory", "set", "3", "--fax", "0-03-5432-1111", "--by", "yamada")
    assert fixed.returncode == 0, fixed.stderr
    [change] = json.loads(faxgate("directory", "changes", "--json").stdout)
    assert faxgate("directory", "approve", str(change["id"]), "--by", "kimura").returncode == 0
    shown = json.loads(faxgate("directory", "show", "3", "--json").stdout)
    assert shown["status"] == "active" and [h["action"] for h in shown["history"]] == [
        "imported", "approved", "changed", "approved"]
    audit = json.loads(faxgate("directory", "audit", "--json", "--as-of", "2026-11-23").stdout)
    assert audit["entries"] == 7
    assert {f["code"] for f in audit["findings"] if f["slot"] == 11} >= {"emergency_or_service_number"}


def test_gateway_on_postgresql_two_workers_send_each_fax_once(postgres_url, tmp_path, fax, mail):
    """Reliability row 9 on the scaled-out database: workers in two processes' worth of threads
    claim from the same PostgreSQL queue (FOR UPDATE SKIP LOCKED + conditional update)."""
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port), database=DatabaseConfig(url=postgres_url))
    app = App(config)
    db.upgrade(db.make_engine(postgres_url))
    seed(app)
    with BackgroundGateway(app, http=False, worker=False) as gateway:
        job_ids = [queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf([[(20, 20, f"案内 {n}", 14)]]))))
                   for n in range(6)]
    workers = [Worker(App(config)) for _ in range(3)]
    race(workers, "screen_one")
    for job_id in job_ids:
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        with app.unit_of_work() as uow:
            job = uow.jobs.get(job_id)
            for name in ("sato", "suzuki"):
                assert confirm_after_viewing(uow, job, uow.users.by_name(name), "0354321111", app.policy).status == 200
    race(workers, "relay_one")
    fax.wait_for(len(job_ids))
    assert sorted(m.message["Message-ID"] for m in fax.received) == sorted(f"<{j}@fax.example.jp>" for j in job_ids)
    with db_session(app) as session:
        assert {session.get(Job, j).state for j in job_ids} == {"sent"}
        assert AuditRepository(session).verify().ok
