"""Storage behind one door: moments come back as aware UTC on both databases, and a unit of
work keeps only a block that ends (not one that raised, not a dry run)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import text

from gateway.bootstrap import App
from gateway.config import Config, DatabaseConfig
from gateway.storage import db

JST = dt.timezone(dt.timedelta(hours=9))


def _app(url: str) -> App:
    db.upgrade(db.make_engine(url))
    return App(Config(database=DatabaseConfig(url=url)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/s.db"
    return request.getfixturevalue("postgres_url")


def test_a_moment_comes_back_as_aware_utc(database_url):
    app = _app(database_url)
    written = dt.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=JST)
    with app.unit_of_work() as uow:
        uow.users.add_device(name="mfd-1", addresses=["192.0.2.1"], created_at=written)
    with app.unit_of_work(read_only=True) as uow:
        if app.engine.dialect.name == "postgresql":  # the server answers in the session's zone
            uow.session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        [device] = uow.users.devices()
    assert device.created_at.tzinfo is dt.timezone.utc
    assert device.created_at == written and device.created_at.hour == 0


def test_a_unit_of_work_keeps_only_a_block_that_ends(tmp_path):
    app = _app(f"sqlite:///{tmp_path}/u.db")

    def events() -> int:
        with app.unit_of_work(read_only=True) as uow:
            return uow.audit.head().last_id

    with app.unit_of_work() as uow:
        uow.audit.append("test", "kept", "x")
    with app.unit_of_work(dry_run=True) as uow:
        uow.audit.append("test", "dry_run", "x")
    with pytest.raises(RuntimeError):
        with app.unit_of_work() as uow:
            uow.audit.append("test", "raised", "x")
            raise RuntimeError("after the write")
    assert events() == 1
    with app.unit_of_work(read_only=True) as uow:
        assert [e.action for e in uow.audit.about("x")] == ["kept"] and uow.audit.verify().ok


def test_a_read_only_unit_of_work_does_not_wait_for_the_writer(tmp_path):
    """SQLite: a writer holds the write lock (BEGIN IMMEDIATE); a reader begins deferred and
    reads the last committed state at once instead of waiting its turn."""
    app = _app(f"sqlite:///{tmp_path}/r.db")
    writing, done = threading.Event(), threading.Event()

    def writer():
        with app.unit_of_work() as uow:
            uow.audit.append("test", "slow", "x")
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with app.unit_of_work(read_only=True) as uow:
            assert uow.audit.head().last_id == 0
        assert time.monotonic() - started < 2
    finally:
        done.set()
        thread.join()
