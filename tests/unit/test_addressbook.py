"""Reading and writing the vendor address-book formats (fixtures built from documented layouts)."""

from __future__ import annotations

import pytest

from directory.formats.book import BookError, ExportRow
from directory.formats.reading import read_book
from directory.formats.canon import write_canon
from directory.formats.generic import write_generic
from directory.formats.konica import write_konica
from directory.formats.ricoh import write_ricoh
from tests.support.paths import FIXTURES

BOOKS = FIXTURES / "addressbooks"
EXPECTED = [
    (1, "世田谷区 保健福祉課", "0-0354321111"),
    (2, "株式会社さくら商事 総務部", "00354325678"),
    (3, "渋谷区 子ども家庭支援センター", "0354321111"),
    (5, "山田 太郎 (携帯)", "0-09087654321"),
    (10, "株式会社あおぞら お客様窓口", "000120444555"),
    (11, "目黒区 保険年金課", "01175551234"),
    (12, "医療法人あおば会 あおばクリニック", "0046622 1"),
]


@pytest.mark.parametrize(
    "file,fmt", [("ricoh_addr.csv", "ricoh"), ("canon_utf8.csv", "canon"), ("canon_sjis.csv", "canon"), ("konica_abbr.csv", "konica")]
)
def test_vendor_exports_are_detected_and_read(file, fmt):
    book = read_book((BOOKS / file).read_bytes())
    assert book.format == fmt
    assert [(int(r.slot), r.name, r.dial) for r in book.rows] == EXPECTED
    assert len(book.skipped) == 1, "the e-mail-only entry is skipped, with its line"
    assert all(not r.defect for r in book.rows)


def test_line_numbers_point_at_the_file_lines():
    book = read_book((BOOKS / "ricoh_addr.csv").read_bytes())
    lines = (BOOKS / "ricoh_addr.csv").read_text(encoding="utf-8").splitlines()
    for row in book.rows:
        assert f"[{row.dial}]" in lines[row.line - 1]


ROWS = [
    ExportRow(1, "世田谷区 保健福祉課", "00354321111", "世田谷区", "external", "", "2026-10-01", "2026-09-01"),
    ExportRow(7, "髙橋医院 ①", "0009087654321"),
    ExportRow(8, '"引用" 株式会社, 総務', "00120444555"),
]


@pytest.mark.parametrize(
    "writer,fmt",
    [
        (lambda rows: write_generic(rows), "generic"),
        (lambda rows: write_ricoh(rows, "11/23/2026 10:00:00"), "ricoh"),
        (lambda rows: write_canon(rows, "utf-8"), "canon"),
        (lambda rows: write_canon(rows, "cp932"), "canon"),
        (lambda rows: write_konica(rows, "2026.11.23 10:00:00"), "konica"),
    ],
)
def test_exports_read_back_identically(writer, fmt):
    book = read_book(writer(ROWS))
    assert book.format == fmt
    assert [(int(r.slot), r.name, r.dial) for r in book.rows] == [(r.slot, r.name, r.dial) for r in ROWS]


def test_canon_sjis_export_is_shift_jis():
    data = write_canon(ROWS, "cp932")
    assert b"# CharSet: SJIS" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_konica_export_is_utf16_with_bom_and_tabs():
    data = write_konica(ROWS, "2026.11.23 10:00:00")
    assert data.startswith(b"\xff\xfe@\x00V\x00e\x00r\x00")
    assert "\tFaxPhoneNo\t" in data.decode("utf-16")


def test_generic_encodings_bom_and_shift_jis():
    text = "slot,name,fax,last_used\r\n1,世田谷区 保健福祉課,0-03-5432-1111,2026-10-01\r\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("cp932")):
        book = read_book(data, "generic")
        assert [(r.slot, r.name, r.last_used) for r in book.rows] == [("1", "世田谷区 保健福祉課", "2026-10-01")]


def test_generic_missing_columns_and_unknown_columns():
    with pytest.raises(BookError, match="fax"):
        read_book(b"slot,name,last_used\n1,a,\n", "generic")
    book = read_book(b"slot,name,fax,last_used,colour\n1,a,0-03-5432-1111,,red\n", "generic")
    assert book.warnings and "colour" in book.warnings[0]


def test_undecodable_bytes_are_refused():
    with pytest.raises(BookError, match="文字コード"):
        read_book(b"slot,name,fax,last_used\n1,\x82\x20\xff,0,\n", "generic")


def test_vendor_file_missing_its_fax_column():
    data = "# Canon AddressBook CSV version: 0x0002\n# CharSet: UTF-8\n\nobjectclass,cn,indxid,\ng3fax,a,1,\n"
    with pytest.raises(BookError, match="dialdata"):
        read_book(data.encode())
