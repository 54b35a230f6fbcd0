"""faxgate's generic CSV: slot, name, fax (the raw dial string as the device stores it), last_used."""

from __future__ import annotations

import csv
import io

from directory.formats.book import (
    Book,
    BookError,
    BookRow,
    ExportRow,
    cell_of,
    csv_records,
    header_index,
    surplus_cells,
)

GENERIC_REQUIRED = ("slot", "name", "fax", "last_used")


GENERIC_OPTIONAL = ("organization", "kind", "extension", "verified_on")


def read_generic(text: str) -> Book:
    book = Book("generic")
    records = csv_records(text, 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("generic: 空のファイルです (the file is empty)") from None
    header = [name.strip().lower() for name in header]
    index = header_index(header, {c: c for c in GENERIC_REQUIRED}, "generic", book)
    unknown = [name for name in index if name not in GENERIC_REQUIRED + GENERIC_OPTIONAL]
    if unknown:
        book.warnings.append(f"未知の列は無視します (unknown columns ignored): {', '.join(unknown)}")
    for line, fields_ in records:
        if not any(value.strip() for value in fields_):
            continue
        value = {column: cell_of(fields_, index, column) for column in GENERIC_REQUIRED + GENERIC_OPTIONAL}
        book.rows.append(
            BookRow(
                line,
                slot=value["slot"],
                name=value["name"],
                dial=value["fax"],
                organization=value["organization"],
                kind=value["kind"],
                extension=value["extension"],
                last_used=value["last_used"],
                verified_on=value["verified_on"],
                defect=surplus_cells(fields_, header),
            )
        )
    return book


def write_generic(rows: list[ExportRow]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GENERIC_REQUIRED + GENERIC_OPTIONAL)
    for row in rows:
        writer.writerow(
            [row.slot, row.name, row.address or row.dial, row.last_used, row.organization, row.kind, row.extension,
             row.verified_on]
        )
    return out.getvalue().encode("utf-8")
