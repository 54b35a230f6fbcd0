"""`faxgate directory import/list/show/set/verify/retire/export` against a real SQLite database."""

from __future__ import annotations

import json

from directory.addressbook import read_book
from tests.conftest import FIXTURES

BOOKS = FIXTURES / "addressbooks"


def write(tmp_path, text: str, name: str = "book.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def entries(run_cli) -> dict[int, dict]:
    result = run_cli("directory", "list", "--all", "--json")
    assert result.exit_code == 0, result.output
    return {e["slot"]: e for e in json.loads(result.output)}


def test_vendor_import_brings_faulty_entries_in_for_review(run_cli):
    result = run_cli("directory", "import", str(BOOKS / "canon_sjis.csv"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "canon" and sorted(report["created"]) == [1, 2, 3, 5, 10, 11, 12]
    assert report["skipped"][0]["line"] == 14
    book = entries(run_cli)
    assert {s: e["status"] for s, e in book.items()} == {
        1: "active", 2: "active", 3: "needs_review", 5: "active", 10: "needs_review", 11: "needs_review", 12: "needs_review",
    }
    # The No. 371 entry keeps what it evidently meant as its canonical number, and is not usable.
    assert book[3]["e164"] == "+81354321111"
    assert book[3]["review_reasons"] == ["missing_outside_line", "leftover_digits"]
    assert book[3]["dial_string"] == "0354321111", "until fixed, the audit sees what the device dials"
    assert book[1]["dial_string"] == "0-03-5432-1111"
    review = {item["slot"]: item for item in report["needs_review"]}
    assert review[3]["line"] == 9 and review[3]["reaches"] == "+81335432111"


def test_import_is_all_or_nothing_and_reports_every_bad_row(run_cli, tmp_path):
    path = write(
        tmp_path,
        "slot,name,fax,last_used\n"
        "1,保健福祉課,0-03-5432-1111,2026-10-01\n"
        "x,名前,0-03-5432-1112,\n"
        "3,,0-03-5432-1113,\n"
        "4,会社,03-5432-111x,\n"
        "5,会社,0-03-5432-1115,2026-13-01\n"
        "1,重複,0-03-5432-1116,\n"
        "6,会社,0-03-5432-1117,,extra\n"
        "7,会社,,\n",
    )
    result = run_cli("directory", "import", path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [e["line"] for e in report["errors"]] == [3, 4, 5, 6, 7, 8, 9]
    messages = " ".join(e["message"] for e in report["errors"])
    for fragment in ("登録番号 'x'", "宛先名が空", "'x' はダイヤルできない", "2026-13-01", "2 行目と重複", "列が多すぎ", "ファクス番号が空"):
        assert fragment in messages
    assert entries(run_cli) == {}, "nothing was imported"


def test_dry_run_changes_nothing(run_cli):
    result = run_cli("directory", "import", str(BOOKS / "ricoh_addr.csv"), "--dry-run")
    assert result.exit_code == 0
    assert "試行" in result.output and "新規 7 件" in result.output
    assert entries(run_cli) == {}


def test_reimport_is_idempotent_and_changes_are_recorded(run_cli, tmp_path):
    first = write(tmp_path, "slot,name,fax,last_used,organization\n1,保健福祉課,0-03-5432-1111,2026-10-01,世田谷区\n")
    assert run_cli("directory", "import", first).exit_code == 0
    again = json.loads(run_cli("directory", "import", first, "--json").output)
    assert again["unchanged"] == [1] and again["created"] == again["updated"] == []
    changed = write(tmp_path, "slot,name,fax,last_used\n1,保健福祉課,0-03-5432-2222,2026-10-05\n", "b2.csv")
    assert json.loads(run_cli("directory", "import", changed, "--json").output)["updated"] == [1]
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert shown["e164"] == "+81354322222" and shown["last_used"] == "2026-10-05"
    assert shown["organization"] == "世田谷区", "a vendor file without the column keeps what was known"
    assert [h["action"] for h in shown["history"]] == ["imported", "imported"]
    assert shown["history"][1]["before"]["e164"] == "+81354321111"
    assert shown["history"][1]["after"]["e164"] == "+81354322222"


def test_fix_verify_retire_with_history(run_cli):
    assert run_cli("directory", "import", str(BOOKS / "konica_abbr.csv")).exit_code == 0
    refused = run_cli("directory", "set", "3", "--fax", "03-5432-1111")
    assert refused.exit_code == 1 and "登録できません" in refused.output
    fixed = run_cli("directory", "set", "3", "--fax", "0-03-5432-1111", "--note", "先方に確認", "--by", "admin-a")
    assert fixed.exit_code == 0, fixed.output
    assert run_cli("directory", "verify", "3", "--by", "佐藤", "--on", "2026-11-20").exit_code == 0
    entry = json.loads(run_cli("directory", "show", "3", "--json").output)
    assert (entry["status"], entry["e164"], entry["dial_string"], entry["source_dial"]) == (
        "active", "+81354321111", "0-03-5432-1111", None
    )
    assert (entry["verified_on"], entry["verified_by"]) == ("2026-11-20", "佐藤")
    assert [h["action"] for h in entry["history"]] == ["imported", "changed", "changed"]
    assert entry["history"][0]["actor"].startswith("cli:")
    assert [h["actor"] for h in entry["history"][1:]] == ["admin-a", "佐藤"]
    assert run_cli("directory", "retire", "3", "--note", "統合のため").exit_code == 0
    assert 3 not in {e["slot"] for e in json.loads(run_cli("directory", "list", "--json").output)}
    assert json.loads(run_cli("directory", "show", "3", "--json").output)["status"] == "retired"


def test_changing_the_number_clears_verification(run_cli, tmp_path):
    path = write(tmp_path, "slot,name,fax,last_used,verified_on\n1,課,0-03-5432-1111,,2026-01-01\n")
    run_cli("directory", "import", path)
    assert json.loads(run_cli("directory", "show", "1", "--json").output)["verified_on"] == "2026-01-01"
    run_cli("directory", "set", "1", "--fax", "0-03-5432-9999")
    assert json.loads(run_cli("directory", "show", "1", "--json").output)["verified_on"] is None


def test_unknown_slot_is_a_clear_error(run_cli):
    result = run_cli("directory", "show", "99")
    assert result.exit_code == 1 and "登録番号 99" in result.output


def test_export_derives_dial_strings_from_canonical_numbers(run_cli, tmp_path):
    run_cli("directory", "import", str(BOOKS / "ricoh_addr.csv"))
    run_cli("directory", "set", "3", "--fax", "0-03-5432-1111")
    for fmt in ("generic", "ricoh", "canon", "konica"):
        out = tmp_path / f"out.{fmt}"
        result = run_cli("directory", "export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        book = read_book(out.read_bytes())
        assert book.format == fmt
        # Only active entries go back to the devices, every one dialled through the outside line.
        assert {int(r.slot): r.dial for r in book.rows} == {
            1: "00354321111", 2: "00354325678", 3: "00354321111", 5: "009087654321"
        }


def test_exported_book_audits_clean_of_dial_problems(run_cli, tmp_path):
    run_cli("directory", "import", str(BOOKS / "canon_utf8.csv"))
    out = tmp_path / "clean.csv"
    run_cli("directory", "export", "--format", "canon", "-o", str(out))
    report = json.loads(run_cli("directory", "audit", "--from-file", str(out), "--json").output)
    dial_codes = {"missing_outside_line", "leftover_digits", "incomplete", "emergency_or_service_number", "invalid_number"}
    assert not [f for f in report["findings"] if f["code"] in dial_codes]
