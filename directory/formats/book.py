"""What every MFD address-book format reads into and writes from: rows with their line numbers, the
book's problems, the rows of an export; decoding (UTF-8, UTF-16, Shift_JIS) and telling the formats apart."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

FORMATS = ("generic", "ricoh", "canon", "konica")


class BookError(ValueError):
    """The file as a whole cannot be read (encoding, missing header or columns)."""


@dataclass(frozen=True)
class BookRow:
    line: int
    slot: str
    name: str
    dial: str
    organization: str = ""
    kind: str = ""
    extension: str = ""
    last_used: str = ""
    verified_on: str = ""
    defect: str = ""  # a layout fault the reader found in this row, reported by the importer


@dataclass
class Book:
    format: str
    rows: list[BookRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why) for non-fax entries
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportRow:
    slot: int
    name: str
    dial: str
    organization: str = ""
    kind: str = "external"
    extension: str = ""
    last_used: str = ""
    verified_on: str = ""
    # Set for MFDs that send through faxgate: the entry is written as this e-mail destination
    # (sd-<slot>@<domain>) instead of a dial string the device would dial itself.
    address: str = ""


def decode(data: bytes) -> str:
    """UTF-16 (BOM), UTF-8 with or without BOM, else Shift_JIS (cp932, as Japanese devices write)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BookError(f"BOM の文字コードとして読めません（{exc.encoding}, byte {exc.start}）") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise BookError(
            f"文字コードを判別できません（UTF-8・Shift_JIS・UTF-16 のいずれでもありません）: byte {exc.start}"
        ) from None


def detect_format(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.startswith("@Ver"):
        return "konica"
    if first.startswith("# Canon AddressBook CSV"):
        return "canon"
    if first.startswith("# Format Version:"):
        return "ricoh"
    return "generic"


def physical_lines(text: str) -> list[str]:
    """The lines of ``text`` with their ends, split where the csv module splits them (CR, LF,
    CRLF): a form feed or U+2028 inside a vendor's header line is text, not a line end."""
    return io.StringIO(text, newline="").readlines()


def csv_records(text: str, start_line: int, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL):
    """(line number, fields) for each CSV record of ``text``, whose first line is ``start_line``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    previous_end = start_line - 1
    for fields_ in reader:
        line = previous_end + 1
        previous_end = start_line - 1 + reader.line_num
        yield line, fields_


def header_index(header: list[str], required: dict[str, str], fmt: str, book: Book) -> dict[str, int]:
    index = {name.strip(): position for position, name in enumerate(header) if name.strip()}
    missing = [column for column in required.values() if column not in index]
    if missing:
        raise BookError(f"{fmt}: 必須の列がありません (missing columns): {', '.join(missing)}")
    return index


def cell_of(fields_: list[str], index: dict[str, int], column: str) -> str:
    position = index.get(column)
    if position is None or position >= len(fields_):
        return ""
    return fields_[position].strip()


def surplus_cells(fields_: list[str], header: list[str], trailing_empty: bool = False) -> str:
    count = len(fields_) - (1 if trailing_empty and fields_ and fields_[-1] == "" else 0)
    expected = len(header) - (1 if trailing_empty and header and header[-1] == "" else 0)
    if count > expected:
        return f"列が多すぎます（ヘッダー {expected} 列に対して {count} 列） (too many fields)"
    return ""


def collect_fax_rows(
    book: Book,
    records,
    header: list[str],
    index: dict[str, int],
    columns: tuple[str, str, str],
    not_fax,
    *,
    cells=lambda raw: raw,
    slot_of=lambda slot: slot,
    trailing_empty: bool = True,
) -> Book:
    """One reading for every device's export: blank rows pass unnoticed, a destination that is not
    a fax is noted with the reason `not_fax` gives, a fax row is kept with its surplus cells as its
    defect. `columns` names the slot, name and dial columns; `cells` undoes a device's quoting."""
    slot_column, name_column, dial_column = columns
    for line, raw in records:
        if not any(value.strip() for value in raw):
            continue
        fields_ = cells(raw)
        reason = not_fax(fields_, index)
        if reason:
            book.skipped.append((line, reason))
            continue
        book.rows.append(
            BookRow(
                line,
                slot=slot_of(cell_of(fields_, index, slot_column)),
                name=cell_of(fields_, index, name_column),
                dial=cell_of(fields_, index, dial_column),
                defect=surplus_cells(raw, header, trailing_empty=trailing_empty),
            )
        )
    return book
