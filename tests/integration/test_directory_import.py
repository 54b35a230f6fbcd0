"""`faxgate directory import/list/show/set/verify/retire/export` against a real SQLite database."""

from __future__ import annotations

import json

import pytest

from directory import formats
from directory.formats.reading import read_book
from tests.support.harness import CHECKER, MAKER
from tests.support.paths import FIXTURES

BOOKS = FIXTURES / "addressbooks"


def write(tmp_path, text: str, name: str = "book.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def entries(run_cli) -> dict[int, dict]:
    result = run_cli("directory", "list", "--all", "--json")
    assert result.exit_code == 0, result.output
    return {e["slot"]: e for e in json.loads(result.output)}


def approve_pending(run_cli) -> None:
    for change in json.loads(run_cli("directory", "changes", "--json").output):
        assert run_cli("directory", "approve", str(change["id"]), "--by", CHECKER).exit_code == 0


def test_vendor_import_brings_faulty_entries_in_for_review(run_cli, import_approved):
    report = import_approved(BOOKS / "canon_sjis.csv")
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


def test_import_is_all_or_nothing_and_reports_every_bad_row(run_cli, import_approved, tmp_path):
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
    result = run_cli("directory", "import", path, "--by", MAKER, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [e["line"] for e in report["errors"]] == [3, 4, 5, 6, 7, 8, 9]
    messages = " ".join(e["message"] for e in report["errors"])
    for fragment in ("登録番号 'x'", "宛先名が空", "'x' はダイヤルできない", "2026-13-01", "2 行目と重複", "列が多すぎ", "ファクス番号が空"):
        assert fragment in messages
    assert entries(run_cli) == {}, "nothing was imported"


def test_dry_run_changes_nothing(run_cli, import_approved):
    result = run_cli("directory", "import", str(BOOKS / "ricoh_addr.csv"), "--dry-run", "--by", MAKER)
    assert result.exit_code == 0
    assert "試行" in result.output and "新規 7 件" in result.output
    assert entries(run_cli) == {}
    assert json.loads(run_cli("directory", "changes", "--json").output) == [], "no change waits either"


def test_reimport_is_idempotent_and_changes_are_recorded(run_cli, import_approved, tmp_path):
    first = write(tmp_path, "slot,name,fax,last_used,organization\n1,保健福祉課,0-03-5432-1111,2026-10-01,世田谷区\n")
    import_approved(first)
    again = import_approved(first)
    assert again["unchanged"] == [1] and again["created"] == again["updated"] == []
    assert (again["change"], again["pending"]) == (None, 0), "nothing new to approve"
    changed = write(tmp_path, "slot,name,fax,last_used\n1,保健福祉課,0-03-5432-2222,2026-10-05\n", "b2.csv")
    report = json.loads(run_cli("directory", "import", changed, "--by", MAKER, "--json").output)
    assert report["updated"] == [1] and report["pending"] == 1 and report["change"] is not None
    again = json.loads(run_cli("directory", "import", changed, "--by", MAKER, "--json").output)
    assert (again["unchanged"], again["change"], again["pending"]) == ([1], None, 0), "re-importing makes no new change"
    assert len(json.loads(run_cli("directory", "changes", "--json").output)) == 1
    approve_pending(run_cli)
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert shown["e164"] == "+81354322222"
    assert shown["last_used"] is None, "a new number is a new destination: the old one's use does not carry over"
    assert shown["organization"] == "世田谷区", "a vendor file without the column keeps what was known"
    assert [h["action"] for h in shown["history"]] == ["imported", "approved", "imported", "approved"]
    assert shown["history"][2]["before"]["e164"] == "+81354321111"
    assert shown["history"][2]["after"]["e164"] == "+81354322222"
    assert import_approved(changed)["unchanged"] == [1], "the file's date of use before the change stays out"


def test_fix_verify_retire_with_history(run_cli, import_approved):
    import_approved(BOOKS / "konica_abbr.csv")
    refused = run_cli("directory", "set", "3", "--fax", "03-5432-1111", "--by", MAKER)
    assert refused.exit_code == 1 and "登録できません" in refused.output
    fixed = run_cli("directory", "set", "3", "--fax", "0-03-5432-1111", "--note", "先方に確認", "--by", MAKER)
    assert fixed.exit_code == 0, fixed.output
    assert "承認待ち" in fixed.output
    approve_pending(run_cli)
    assert run_cli("directory", "verify", "3", "--by", "佐藤", "--on", "2026-11-20").exit_code == 0
    entry = json.loads(run_cli("directory", "show", "3", "--json").output)
    assert (entry["status"], entry["e164"], entry["dial_string"], entry["source_dial"]) == (
        "active", "+81354321111", "0-03-5432-1111", None
    )
    assert (entry["verified_on"], entry["verified_by"]) == ("2026-11-20", "佐藤")
    assert [h["action"] for h in entry["history"]] == ["imported", "approved", "changed", "approved", "changed"]
    assert [h["actor"] for h in entry["history"]] == ["user:yamada", "user:kimura", "user:yamada", "user:kimura", "佐藤"]
    assert run_cli("directory", "retire", "3", "--note", "統合のため", "--by", MAKER).exit_code == 0
    assert 3 not in {e["slot"] for e in json.loads(run_cli("directory", "list", "--json").output)}
    assert json.loads(run_cli("directory", "show", "3", "--json").output)["status"] == "retired"


def test_changing_the_number_clears_verification_and_use(run_cli, import_approved, tmp_path):
    path = write(tmp_path, "slot,name,fax,last_used,verified_on\n1,課,0-03-5432-1111,2026-02-01,2026-01-01\n")
    import_approved(path)
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert (shown["verified_on"], shown["last_used"]) == ("2026-01-01", "2026-02-01")
    assert run_cli("directory", "set", "1", "--fax", "0-03-5432-9999", "--by", MAKER).exit_code == 0
    shown = json.loads(run_cli("directory", "show", "1", "--json").output)
    assert (shown["verified_on"], shown["last_used"]) == (None, None)


def test_unknown_slot_is_a_clear_error(run_cli):
    result = run_cli("directory", "show", "99")
    assert result.exit_code == 1 and "登録番号 99" in result.output


def test_export_derives_dial_strings_from_canonical_numbers(run_cli, import_approved, tmp_path):
    import_approved(BOOKS / "ricoh_addr.csv")
    run_cli("directory", "set", "3", "--fax", "0-03-5432-1111", "--by", MAKER)
    approve_pending(run_cli)
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


def test_exported_book_audits_clean_of_dial_problems(run_cli, import_approved, tmp_path):
    import_approved(BOOKS / "canon_utf8.csv")
    out = tmp_path / "clean.csv"
    run_cli("directory", "export", "--format", "canon", "-o", str(out))
    report = json.loads(run_cli("directory", "audit", "--from-file", str(out), "--json").output)
    dial_codes = {"missing_outside_line", "leftover_digits", "incomplete", "emergency_or_service_number", "invalid_number"}
    assert not [f for f in report["findings"] if f["code"] in dial_codes]


def test_export_says_which_entries_were_left_out_and_why(run_cli, import_approved, tmp_path):
    import_approved(BOOKS / "canon_utf8.csv")
    assert run_cli("directory", "retire", "5", "--by", MAKER).exit_code == 0
    assert run_cli("directory", "set", "2", "--fax", "0-03-5432-5679", "--by", MAKER).exit_code == 0  # waits
    out = tmp_path / "out.csv"
    result = run_cli("directory", "export", "--format", "generic", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["written"] == [1]
    assert {e["slot"]: e["code"] for e in report["left_out"]} == {
        2: "pending_approval", 3: "needs_review", 5: "retired", 10: "needs_review", 11: "needs_review", 12: "needs_review"}
    assert "書き出していません: 登録番号 2" in result.stderr and "承認待ち" in result.stderr
    assert "登録番号 5" in result.stderr and "廃止済み" in result.stderr
    assert [int(r.slot) for r in read_book(out.read_bytes()).rows] == [1]


def test_a_direct_book_leaves_out_a_changed_number_until_it_is_checked(run_cli, import_approved, tmp_path):
    """faxgate blocks a changed number as stale until it is checked with the recipient; a device
    that dials its own book would not, so the direct export leaves it out and says so."""
    import_approved(BOOKS / "canon_utf8.csv")
    assert run_cli("directory", "set", "1", "--fax", "0-03-5432-1119", "--by", MAKER).exit_code == 0
    approve_pending(run_cli)

    def written(*target: str) -> list[int]:
        result = run_cli("directory", "export", "--format", "generic", "-o", str(tmp_path / "out.csv"), "--json", *target)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["written"]

    assert 1 not in written() and "先方に確認されていない" in run_cli(
        "directory", "export", "--format", "generic", "-o", str(tmp_path / "o.csv")).stderr
    assert 1 in written("--target", "gateway"), "through faxgate the stale check still holds it"
    assert run_cli("directory", "verify", "1", "--by", MAKER).exit_code == 0
    assert 1 in written()


def _rows_by_slot(data: bytes) -> dict[int, str]:
    return {int(r.slot): r.dial for r in read_book(data).rows}


@pytest.mark.parametrize("fixture", ["ricoh_addr.csv", "canon_utf8.csv", "canon_sjis.csv", "konica_abbr.csv"])
def test_export_into_the_device_file_changes_only_its_fax_rows(run_cli, import_approved, tmp_path, fixture):
    """docs/address-book-formats.md section 4: start from the device's own file, copy every other
    row, header line and per-destination option through, change only the dial-string cell."""
    base = BOOKS / fixture
    fmt = read_book(base.read_bytes()).format
    import_approved(base)
    assert run_cli("directory", "set", "1", "--fax", "0-03-5432-1119", "--by", MAKER).exit_code == 0
    approve_pending(run_cli)
    assert run_cli("directory", "verify", "1", "--by", MAKER).exit_code == 0  # the new number, checked
    import_approved(write(tmp_path, "slot,name,fax,last_used\n30,新しい委託先,0-03-5432-0030,\n"))
    out = tmp_path / f"merged-{fixture}"
    result = run_cli("directory", "export", "--format", fmt, "--base", str(base), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["base"]
    assert (report["replaced"], report["added"], report["kept"]) == ([1, 2, 5], [30], 1)
    assert [r["slot"] for r in report["removed"]] == [3, 10, 11, 12], "not approved: the device must not dial them"
    assert "機器のファクス登録を外しました: 登録番号 3" in result.stderr
    assert _rows_by_slot(out.read_bytes()) == {1: "00354321119", 2: "00354325678", 5: "009087654321", 30: "00354320030"}

    codec = "cp932" if "sjis" in fixture else None
    before = base.read_bytes().decode(codec) if codec else formats.decode(base.read_bytes())
    after = out.read_bytes().decode(codec) if codec else formats.decode(out.read_bytes())
    old_lines, new_lines = before.splitlines(), after.splitlines()
    kept = [line for line in old_lines if "0-0354321111" not in line and not any(
        f"{dial}" in line for dial in ("0354321111", "0-09087654321", "000120444555", "01175551234", "0046622 1"))]
    assert all(line in new_lines for line in kept), "headers, the e-mail entry and slot 2 exactly as the device wrote them"
    [slot1] = [line for line in old_lines if "0-0354321111" in line]
    assert slot1.replace("0-0354321111", "00354321119") in new_lines, "only the dial cell of slot 1 changed"
    assert out.read_bytes()[:2] == base.read_bytes()[:2], "the device's own encoding"


@pytest.mark.parametrize("fmt", ["ricoh", "canon", "konica"])
def test_gateway_target_writes_faxgate_addresses_and_no_dial_strings(run_cli, import_approved, tmp_path, fmt):
    base = BOOKS / {"ricoh": "ricoh_addr.csv", "canon": "canon_utf8.csv", "konica": "konica_abbr.csv"}[fmt]
    import_approved(base)
    fresh, merged = tmp_path / "fresh", tmp_path / "merged"
    assert run_cli("directory", "export", "--format", fmt, "--target", "gateway", "-o", str(fresh)).exit_code == 0
    result = run_cli("directory", "export", "--format", fmt, "--target", "gateway", "--base", str(base), "-o", str(merged))
    assert result.exit_code == 0, result.output
    for out in (fresh, merged):
        text = formats.decode(out.read_bytes())
        assert "sd-1@fax.example.jp" in text and "sd-2@fax.example.jp" in text
        assert read_book(out.read_bytes()).rows == [], "no entry the device could dial itself"
    assert "koho@example.jp" in formats.decode(merged.read_bytes()), "the device's e-mail entry stays"


def test_a_held_entry_takes_no_other_change_and_a_rejected_addition_is_retired(run_cli, import_approved, tmp_path):
    import_approved(write(tmp_path, "slot,name,fax,last_used\n1,保健福祉課,0-03-5432-1111,2026-10-01\n"))
    added = json.loads(run_cli("directory", "import", write(tmp_path, "slot,name,fax,last_used\n7,新設,0-03-5432-7777,\n",
                                                             "add.csv"), "--by", MAKER, "--json").output)
    other = run_cli("directory", "import", write(tmp_path, "slot,name,fax,last_used\n7,新設,0-03-5432-7778,\n", "b.csv"),
                    "--by", CHECKER, "--json")
    assert other.exit_code == 1 and f"変更 #{added['change']} の承認待ち" in other.output, "all or nothing, nothing lost"
    assert run_cli("directory", "retire", "7", "--by", CHECKER).exit_code == 1
    assert run_cli("directory", "reject", str(added["change"]), "--by", CHECKER).exit_code == 2, "--reason is required"
    rejected = run_cli("directory", "reject", str(added["change"]), "--by", CHECKER, "--reason", "委託契約が未締結")
    assert rejected.exit_code == 0, rejected.output
    shown = json.loads(run_cli("directory", "show", "7", "--json").output)
    assert (shown["status"], shown["pending_change"]) == ("retired", None), "its history stays; it cannot be dialled"
    assert [(h["action"], h["actor"]) for h in shown["history"]] == [("imported", "user:yamada"), ("rejected", "user:kimura")]
    assert entries(run_cli)[1]["status"] == "active", "entries outside the change are untouched"
