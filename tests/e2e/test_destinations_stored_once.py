"""One canonical directory (issue 15): a destination is stored once, however many devices' books
have a slot for it; each book maps its own slots to it."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from alembic import command
from sqlalchemy import text

from gateway.storage import db

HEADER = "slot,name,organization,fax,last_used,kind,extension,verified_on\n"


@pytest.fixture
def city(run_cli, tmp_path):
    """Site main (0 / 03) with mfd-honcho, site tama (9 / 042) with mfd-tama."""
    assert run_cli("sites", "add", "tama", "--outside-line", "9", "--area-code", "042").exit_code == 0
    for name, site, address in (("mfd-honcho", "main", "10.0.0.1"), ("mfd-tama", "tama", "10.1.0.1")):
        assert run_cli("devices", "add", name, "--site", site, "--address", address).exit_code == 0

    def book(name: str, rows: str):
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADER + rows.format(today=dt.date.today().isoformat()), encoding="utf-8")
        return path

    return book


def rows(tmp_path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "faxgate.db") as connection:
        return connection.execute(query).fetchall()


def slots_and_destinations(tmp_path) -> dict[tuple[str, int], tuple]:
    """(book, slot) → (destination id, E.164, extension, site) of every entry."""
    return {(book, slot): tuple(rest) for book, slot, *rest in rows(tmp_path, """
        SELECT e.book, e.slot, d.id, d.e164, d.extension, d.site FROM directory_entries e
        LEFT JOIN directory_destinations d ON d.id = e.destination_id""")}


def test_the_same_number_in_two_books_is_one_destination(run_cli, import_approved, city, tmp_path):
    import_approved(city("honcho", "2,町田保健所,東京都,0-042-722-1234,{today},external,,{today}\n"
                                   "3,国民健康保険課,世田谷区,1234,{today},internal,1234,{today}\n"),
                    "--device", "mfd-honcho")
    import_approved(city("tama", "1,町田保健所 FAX,東京都,9-042-722-1234,{today},external,,{today}\n"
                                 "3,地域振興課,世田谷区,1234,{today},internal,1234,{today}\n"),
                    "--device", "mfd-tama")
    entries = slots_and_destinations(tmp_path)
    assert entries[("mfd-honcho", 2)] == entries[("mfd-tama", 1)], "one destination, two slots"
    assert entries[("mfd-honcho", 2)][1:] == ("+81427221234", None, None)
    assert rows(tmp_path, "SELECT count(*) FROM directory_destinations WHERE e164 = '+81427221234'") == [(1,)]
    # Extension 1234 without a number is a different telephone in each building.
    assert entries[("mfd-honcho", 3)][1:] == (None, "1234", "main")
    assert entries[("mfd-tama", 3)][1:] == (None, "1234", "tama")

    # One book correcting its slot moves only that slot; the other still maps to the old destination.
    import_approved(city("honcho2", "2,町田保健所,東京都,0-042-722-9999,{today},external,,{today}\n"
                                    "3,国民健康保険課,世田谷区,1234,{today},internal,1234,{today}\n"),
                    "--device", "mfd-honcho")
    after = slots_and_destinations(tmp_path)
    assert after[("mfd-honcho", 2)][1] == "+81427229999"
    assert after[("mfd-tama", 1)] == entries[("mfd-tama", 1)]
    assert after[("mfd-honcho", 3)] == entries[("mfd-honcho", 3)], "an unchanged slot keeps its destination"


def test_entries_of_an_earlier_schema_are_moved_to_destinations_and_back(tmp_path):
    """The upgrade to 0016 moves each entry's number to its destination row, one per destination;
    the downgrade puts every number back on its entry."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/faxgate.db")
    db.upgrade(engine, "0015_kek11")
    before = (("", 1, "+81354321111", None), ("mfd-tama", 4, "+81354321111", None),
              ("", 2, None, "1234"), ("mfd-tama", 2, None, "1234"), ("mfd-tama", 3, None, "1234"),
              ("", 5, "+81354325555", "5555"), ("", 9, None, None))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO devices (name, addresses, site, book, created_at) VALUES "
                                "('mfd-tama', '[]', 'tama', 'mfd-tama', '2026-01-01')"))
        for book, slot, e164, extension in before:
            connection.execute(text(
                "INSERT INTO directory_entries (book, slot, name, organization, kind, e164, extension, status, "
                "review_reasons, version, created_at, updated_at) VALUES (:b, :s, 'n', '', 'external', :e, :x, "
                "'active', '[]', 1, '2026-01-01', '2026-01-01')"), {"b": book, "s": slot, "e": e164, "x": extension})
    db.upgrade(engine)
    entries = slots_and_destinations(tmp_path)
    assert entries[("", 1)] == entries[("mfd-tama", 4)]
    assert entries[("", 2)][1:] == (None, "1234", None) and entries[("mfd-tama", 2)][1:] == (None, "1234", "tama")
    assert entries[("mfd-tama", 2)] == entries[("mfd-tama", 3)]
    assert entries[("", 5)][1:] == ("+81354325555", "5555", None)
    assert entries[("", 9)] == (None, None, None, None)
    assert rows(tmp_path, "SELECT count(*) FROM directory_destinations") == [(4,)]

    command.downgrade(db.alembic_config(engine), "0015_kek11")
    assert sorted(rows(tmp_path, "SELECT book, slot, e164, extension FROM directory_entries")) == sorted(before)
