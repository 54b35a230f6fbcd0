"""The bulk audit (一斉点検): pure checks and the `faxgate directory audit` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from directory.audit import AuditItem, audit
from directory.profile import DidRange, PbxProfile
from tests.support.paths import FIXTURES

AS_OF = dt.date(2026, 11, 23)
USED = dt.date(2026, 11, 1)
VERIFIED = dt.date(2026, 6, 1)


def item(slot, dial, **kw):
    kw.setdefault("last_used", USED)
    kw.setdefault("verified_on", VERIFIED)
    return AuditItem(slot=slot, name=f"宛先{slot}", dial=dial, **kw)


def codes(findings, slot=None):
    return sorted(f.code for f in findings if slot is None or f.slot == slot)


def test_clean_book_has_no_findings(tokyo):
    assert audit([item(1, "0-03-5432-1111"), item(2, "0-06-6543-2100")], tokyo, AS_OF) == []


def test_dial_problems_carry_reaches_and_intended(tokyo):
    findings = audit([item(1, "03-5432-1111")], tokyo, AS_OF)
    assert codes(findings) == ["leftover_digits", "missing_outside_line"]
    assert {(f.reaches, f.intended) for f in findings} == {("+81335432111", "+81354321111")}


def test_stale_never_used_and_unverified(tokyo):
    findings = audit(
        [
            item(1, "0-03-5432-1111", last_used=AS_OF - dt.timedelta(days=181)),
            item(2, "0-03-5432-2222", last_used=AS_OF - dt.timedelta(days=180)),
            item(3, "0-03-5432-3333", last_used=None, verified_on=None),
        ],
        tokyo,
        AS_OF,
        stale_days=180,
    )
    assert codes(findings, 1) == ["stale"]
    assert codes(findings, 2) == []
    assert codes(findings, 3) == ["never_used", "unverified"]
    assert "181日前" in next(f.detail for f in findings if f.code == "stale")
    assert codes(audit([item(2, "0-03-5432-2222", last_used=AS_OF - dt.timedelta(days=31))], tokyo, AS_OF, 30)) == ["stale"]


def test_duplicates_count_what_an_entry_meant(tokyo):
    findings = audit([item(1, "0-03-5432-1111"), item(2, "03-5432-1111"), item(3, "0-5432-1111")], tokyo, AS_OF)
    duplicates = [f for f in findings if f.code == "duplicate_number"]
    assert sorted(f.slot for f in duplicates) == [1, 2, 3]


def test_similar_numbers_one_digit_or_one_swap_apart(tokyo):
    findings = audit(
        [
            item(1, "0-03-5432-1111"),
            item(2, "0-03-5432-1112"),  # one digit
            item(3, "0-03-5423-1111"),  # adjacent swap of 1
            item(4, "0-06-6543-2100"),  # unrelated
            item(5, "0-03-5432-1122"),  # two digits from 1, one from 2
        ],
        tokyo,
        AS_OF,
    )
    similar = {f.slot: f.detail for f in findings if f.code == "similar_number"}
    assert sorted(similar) == [1, 2, 3, 5]
    assert "2（宛先2" in similar[1] and "3（宛先3" in similar[1]
    assert "5（宛先5" in similar[2] and "1（宛先1" in similar[2]
    assert "2（" not in similar[3]


def test_in_house_numbers_should_use_the_extension():
    profile = PbxProfile(did_ranges=(DidRange(prefix="+8135432"),))
    findings = audit(
        [item(1, "0-03-5432-1111"), item(2, "0-06-6543-2100"), item(3, "0-06-6543-7777", kind="internal"),
         item(4, "1234", kind="internal", extension="1234")],
        profile,
        AS_OF,
    )
    assert codes(findings, 1) == ["should_use_extension"] and "内線 1111" in findings[0].detail
    assert codes(findings, 3) == ["should_use_extension"]
    assert codes(findings, 2) == codes(findings, 4) == []


def test_audit_of_a_raw_export_is_read_only(run_cli, tmp_path):
    book = FIXTURES / "addressbooks" / "ricoh_addr.csv"
    before = book.read_bytes()
    result = run_cli("directory", "audit", "--from-file", str(book), "--json", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["entries"] == 7
    by_slot: dict = {}
    for finding in report["findings"]:
        assert set(finding) >= {"slot", "name", "code", "detail", "reaches", "intended"}
        by_slot.setdefault(finding["slot"], set()).add(finding["code"])
    assert {"missing_outside_line", "leftover_digits", "duplicate_number"} <= by_slot[3]
    assert "emergency_or_service_number" in by_slot[11]
    assert "incomplete" in by_slot[12]
    assert "invalid_number" in by_slot[10]
    assert all({"never_used", "unverified"} <= codes for codes in by_slot.values())
    assert book.read_bytes() == before
    assert json.loads(run_cli("directory", "list", "--json").output) == [], "nothing stored"


def test_audit_of_the_stored_directory_with_table_and_worklist(run_cli, import_approved, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "slot,name,fax,last_used,verified_on\n"
        "1,保健福祉課,0-03-5432-1111,2026-11-01,2026-06-01\n"
        "2,古い登録,0-03-9999-8888,2024-01-10,2026-06-01\n"
        "3,誤登録,03-5432-1111,2026-11-01,2026-06-01\n",
        encoding="utf-8",
    )
    import_approved(path)
    worklist = tmp_path / "work.csv"
    result = run_cli("directory", "audit", "--as-of", "2026-11-23", "--csv", str(worklist))
    assert result.exit_code == 0
    assert "一斉点検" in result.output and "長期間未使用" in result.output and "外線発信番号なし" in result.output
    rows = list(csv.DictReader(io.StringIO(worklist.read_bytes().decode("utf-8-sig"))))
    assert {(r["slot"], r["code"]) for r in rows} >= {("2", "stale"), ("3", "missing_outside_line"), ("1", "duplicate_number")}
    assert all(r["対応"] for r in rows)
    short = json.loads(run_cli("directory", "audit", "--as-of", "2026-11-23", "--stale-days", "2000", "--json").output)
    assert "stale" not in {f["code"] for f in short["findings"]}
    bad = run_cli("directory", "audit", "--as-of", "23/11/2026")
    assert bad.exit_code == 2
