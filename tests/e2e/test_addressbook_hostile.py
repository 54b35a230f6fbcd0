"""Hostile address books (issue 17, point 7), through the CLI import and the web app's proposal
form (the web door into the same importer): every bad row gets its line and reason, never a
traceback; line ends are those the csv module reads (CR, LF, CRLF), not a form feed or U+2028 in
a vendor's header; control characters are refused in any field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gateway.storage.directory_tables import DirectoryEntry
from tests.support.paths import FIXTURES
from tests.support.web_support import page_csrf, signed_in
from tests.support.harness import db_session

BOOKS = FIXTURES / "addressbooks"


def _import(run_cli, path: Path) -> dict:
    result = run_cli("directory", "import", str(path), "--by", "yamada", "--json", "--dry-run")
    report = json.loads(result.output)
    assert result.exit_code == (1 if report["errors"] else 0), result.output  # a bad row refuses the file
    return report


@pytest.fixture
def admin(run_cli):
    assert run_cli("users", "add", "yamada", "--role", "admin", "--email", "yamada@city.example.jp").exit_code == 0


def test_slots_python_calls_digits_get_a_line_numbered_error(run_cli, admin, tmp_path):
    book = tmp_path / "book.csv"
    book.write_text("slot,name,fax,last_used\n"
                    "①,子ども家庭支援係,0-03-5432-1111,\n"
                    "²,国保課,0-03-5432-2222,\n"
                    "٣,会計課,0-03-5432-3333,\n"
                    "4,区民課,0-03-5432-4444,\n", encoding="utf-8")
    report = _import(run_cli, book)
    assert [(e["line"], "登録番号" in e["message"]) for e in report["errors"]] == [(2, True), (3, True), (4, True)]


@pytest.mark.parametrize("field,value", [
    ("name", "子ども\x00家庭支援係"),
    ("name", "子ども\u2028家庭支援係"),
    ("organization", "世田谷\x85区"),
    ("fax", "0-03-5432\x1e-1111"),
])
def test_control_characters_in_any_field_are_refused_with_line_and_reason(run_cli, admin, tmp_path, field, value):
    row = {"slot": "2", "name": "国保課", "organization": "世田谷区", "fax": "0-03-5432-2222"} | {field: value}
    book = tmp_path / "book.csv"
    # Written with the csv module's own quoting: the character is inside one field of one record.
    with book.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["slot", "name", "organization", "fax", "last_used"])
        writer.writerow(["1", "子ども家庭支援係", "世田谷区", "0-03-5432-1111", ""])
        writer.writerow([row["slot"], row["name"], row["organization"], row["fax"], ""])
    report = _import(run_cli, book)
    [error] = report["errors"]
    assert error["line"] == 3 and "制御文字" in error["message"] and "control character" in error["message"]


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85", "\x1c"])
def test_an_odd_character_in_a_vendor_header_line_is_text_not_a_line_end(run_cli, admin, tmp_path, separator):
    text = (BOOKS / "ricoh_addr.csv").read_text(encoding="utf-8")
    odd = text.replace("# Description: null", f"# Description: 3F{separator}複合機", 1)
    assert odd != text
    book = tmp_path / "ricoh_addr.csv"
    book.write_bytes(odd.encode("utf-8"))
    report = _import(run_cli, book)
    clean = tmp_path / "clean.csv"
    clean.write_bytes(text.encode("utf-8"))
    expected = _import(run_cli, clean)
    assert report["format"] == "ricoh" and report["rows"] == expected["rows"] > 0
    assert report["errors"] == expected["errors"]


@pytest.mark.parametrize("slot", ["①", "²", "١٢"])
@pytest.mark.world(people="web", doors="web")
def test_the_web_proposal_refuses_such_slots_with_a_reason(world, slot):
    port = world.port
    client = signed_in(port, "yamada")
    form = {"csrf_token": page_csrf(client, "/directory/proposals/new"), "action": "add", "slot": slot,
            "name": "会計課", "organization": "世田谷区", "kind": "external", "dial": "0-03-5432-7777",
            "verified_on": "2026-11-20", "note": "新設"}
    answer = client.post("/directory/proposals", data=form)
    assert answer.status_code == 422 and "短縮番号は 1〜99999 の数字で入力してください" in answer.text
    new_page = client.get("/directory/proposals/new", params={"slot": slot})
    assert new_page.status_code == 200


@pytest.mark.parametrize("field", ["name", "organization", "note"])
@pytest.mark.world(people="web", doors="web")
def test_the_web_proposal_refuses_control_characters(world, field):
    app, port = world.app, world.port
    client = signed_in(port, "yamada")
    form = {"csrf_token": page_csrf(client, "/directory/proposals/new"), "action": "add", "slot": "77",
            "name": "会計課", "organization": "世田谷区", "kind": "external", "dial": "0-03-5432-7777",
            "verified_on": "2026-11-20", "note": "新設"}
    form[field] = form[field] + "\x00"
    answer = client.post("/directory/proposals", data=form)
    assert answer.status_code == 422 and "制御文字" in answer.text
    with db_session(app) as session:
        assert session.query(DirectoryEntry).filter_by(slot=77).count() == 0
