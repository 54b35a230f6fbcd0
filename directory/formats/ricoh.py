"""Ricoh (Web Image Monitor `*_addr.csv`): `# Format Version` header lines, values in `[...]`."""

from __future__ import annotations

import csv
import io

from directory.formats.book import (
    Book,
    BookError,
    ExportRow,
    cell_of,
    collect_fax_rows,
    csv_records,
    header_index,
    physical_lines,
)

RICOH_HEADER = (
    "# Format Version: 5.1.1.0",
    "# Generated at: {generated}",
    "# Function Name: User Data Preference",
    "# Template Name: null",
    "# Description: null",
    "# Authentication Method (0=none or user code/1=others): 0",
)


RICOH_COLUMNS = (
    "Index in ACLs and Groups,Name,Set General Settings,Set Registration No.,Registration No.,Entry Type,"
    "Phonetic Name,Display Name,Display Priority,Set Title Settings,Title 1,Title 2,Title 3,Title Freq.,"
    "Set User Code Settings,User Code,Set Auth. Info Settings,Device Login User Name,Device Login Password,"
    "Device Login Password Encoding,SMTP Authentication,SMTP Authentication Login User Name,"
    "SMTP Authentication Login Password,SMTP Authentication Password Encoding,Folder Authentication,"
    "Folder Authentication Login User Name,Folder Authentication Login Password,"
    "Folder Authentication Password Encoding,LDAP Authentication,LDAP Authentication Login User Name,"
    "LDAP Authentication Login Password,LDAP Authentication Password Encoding,Set Access Control Settings,"
    "Can Use B/W Copy,Can Use Single Color Copy,Can Use Two Color Copy,Can Use Full Color Copy,"
    "Can Use Auto Color Copy,Can Use B/W Print,Can Use Color Print,Can Use Scanner,Can Use Fax,"
    "Can Use Document Server,Maximum of Print Usage Limit,Set Email/Fax Settings,Fax Destination,"
    "Fax Line Type,International Fax Transmission Mode,E-mail Address,Ifax Address,Ifax Enable,Direct SMTP,"
    "Ifax Direct SMTP,Fax Header,Label Insertion 1st Line (Selection),Label Insertion 2nd Line (String),"
    "Label Insertion 3rd Line (Standard Message),Set Folder Settings,Folder Protocol,Folder Port No.,"
    "Folder Server Name,Folder Path,Folder Japanese Character Encoding,Set Protection Settings,"
    "Is Setting Destination Protection,Is Protecting Destination Folder,Is Setting Sender Protection,"
    "Is Protecting Sender,Sender Protection Password,Sender Protection Password Encoding,"
    "Access Privilege to User,Access Privilege to Protected File,Set Group List Settings,Groups,"
    "Set Counter Reset Settings,Enable Plot Counter Reset,Enable Fax Counter Reset,"
    "Enable Scanner Counter Reset,Enable User Volume Counter Reset"
).split(",")


def unbracket(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return value[1:-1]
    return value


def read_ricoh(text: str) -> Book:
    book = Book("ricoh")
    lines = physical_lines(text)
    first = next((n for n, line in enumerate(lines) if not line.startswith("#")), len(lines))
    records = csv_records("".join(lines[first:]), first + 1)
    try:
        _, header = next(records)
    except StopIteration:
        raise BookError("ricoh: 列名の行がありません (no column line after the # header)") from None
    required = {"slot": "Registration No.", "name": "Name", "type": "Entry Type", "fax": "Fax Destination"}
    index = header_index(header, required, "ricoh", book)
    return collect_fax_rows(
        book, records, header, index, ("Registration No.", "Name", "Fax Destination"), _not_a_fax,
        cells=lambda raw: [unbracket(value) for value in raw],
        slot_of=lambda slot: slot.lstrip("0") or "0",
        trailing_empty=False,
    )


def _not_a_fax(fields_: list[str], index: dict[str, int]) -> str:
    if cell_of(fields_, index, "Entry Type") == "G":
        return "グループ (group)"
    if not cell_of(fields_, index, "Fax Destination"):
        return "ファクス番号なし（メール等の宛先） (no fax number)"
    return ""


def _ricoh_values(row: ExportRow, index: int) -> dict[str, str]:
    values = dict.fromkeys(RICOH_COLUMNS, "")
    values.update(
        {
            "Index in ACLs and Groups": str(index),
            "Name": row.name,
            "Set General Settings": "1",
            "Set Registration No.": "1",
            "Registration No.": str(row.slot),
            "Entry Type": "U",
            "Display Name": row.name[:16],
            "Set Email/Fax Settings": "1",
        }
    )
    _ricoh_destination(values, row)
    return values


def _ricoh_destination(values: dict[str, str], row: ExportRow) -> None:
    """Only the destination cells: a device's own per-destination options stay as they are."""
    if row.address:
        values.update({"Fax Destination": "", "E-mail Address": row.address, "Set Email/Fax Settings": "1"})
        return
    values["Fax Destination"] = row.dial
    values["Fax Line Type"] = values.get("Fax Line Type") or ("ext" if row.kind == "internal" else "g3")
    values["International Fax Transmission Mode"] = values.get("International Fax Transmission Mode") or "0"


def _ricoh_line(cells: list[str]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow([f"[{cell}]" for cell in cells])
    return out.getvalue()


def write_ricoh(rows: list[ExportRow], generated: str) -> bytes:
    out = io.StringIO(newline="")
    for line in RICOH_HEADER:
        out.write(line.format(generated=generated) + "\r\n")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(RICOH_COLUMNS)
    for number, row in enumerate(rows, start=1):
        values = _ricoh_values(row, number)
        out.write(_ricoh_line([values[column] for column in RICOH_COLUMNS]))
    return out.getvalue().encode("utf-8")
